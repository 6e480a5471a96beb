"""An imitation of LinkedIn's Community Management API and OAuth endpoints,
written from LinkedIn's documentation (see the connector's docstring):
versioned headers required, URL-encoded URNs, the organization's posts
(``q=author``), comments and replies to comments (``socialActions``) paged
by ``start``/``count`` with ``paging.total``, comment creation with
``parentComment`` (one level of nesting), organization notifications
(``SHARE_MENTION``) in a ``timeRange``, LinkedIn's error shape, daily-quota
429 without ``Retry-After``, token answers without ``token_type`` and with a
comma-separated scope, refresh with the client in the body."""

from __future__ import annotations

import re
import time
from urllib.parse import unquote

from .oauth import OAuthImitation
from .server import Request, Response

CLIENT_ID = "86linkedinclient"
CLIENT_SECRET = "linkedin-secret"
ORGANIZATION = "urn:li:organization:2414183"
VERSION = re.compile(r"\d{6}")
_TIME_RANGE = re.compile(r"\(start:(\d+),end:(\d+)\)")


def linkedin_error(status: int, code: str, message: str, service_code: int = 0) -> Response:
    return Response.json({"status": status, "serviceErrorCode": service_code, "code": code, "message": message}, status)


class LinkedInImitation(OAuthImitation):
    def __init__(self):
        super().__init__()
        self.posts: dict[str, dict] = {}  # the organization's posts and the posts mentioning it
        self.comments: dict[str, list[dict]] = {}  # post or comment URN -> its comments, oldest first
        self.notifications: list[dict] = []
        self.refresh_bodies: list[dict] = []
        self.header_only_answers = False

    # -- fixtures -------------------------------------------------------------
    def _now(self) -> int:
        """Epoch milliseconds of the real clock: notifications are asked for by time."""
        return int(time.time() * 1000)

    def add_post(self, commentary: str = "Our new product is out", author: str = ORGANIZATION) -> dict:
        urn = f"urn:li:share:{7000000000000000000 + next(self._serial)}"
        moment = self._now()
        post = {
            "id": urn,
            "author": author,
            "commentary": commentary,
            "visibility": "PUBLIC",
            "lifecycleState": "PUBLISHED",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "createdAt": moment,
            "publishedAt": moment,
            "lastModifiedAt": moment,
            "isReshareDisabledByAuthor": False,
        }
        self.posts[urn] = post
        self.comments.setdefault(urn, [])
        return post

    def add_comment(
        self, post: dict, text: str, actor: str = "urn:li:person:A1b2C3", parent: dict | None = None
    ) -> dict:
        activity = f"urn:li:activity:{post['id'].rsplit(':', 1)[1]}"
        comment_id = str(6900000000000000000 + next(self._serial))
        urn = f"urn:li:comment:({activity},{comment_id})"
        moment = self._now()
        comment = {
            "id": comment_id,
            "commentUrn": urn,
            "$URN": urn,
            "actor": actor,
            "agent": actor,
            "object": activity,
            "message": {"text": text, "attributes": []},
            "created": {"actor": actor, "time": moment},
            "lastModified": {"actor": actor, "time": moment},
            "likesSummary": {
                "selectedLikes": [],
                "aggregatedTotalLikes": 2,
                "likedByCurrentUser": False,
                "totalLikes": 2,
            },
            "commentsSummary": {"selectedComments": [], "totalFirstLevelComments": 0, "aggregatedTotalComments": 0},
        }
        if parent is not None:  # LinkedIn nests one level: the parent is a top-level comment
            comment["parentComment"] = parent["commentUrn"]
            self.comments.setdefault(parent["commentUrn"], []).append(comment)
            summary = parent["commentsSummary"]
            summary["totalFirstLevelComments"] = summary["aggregatedTotalComments"] = len(
                self.comments[parent["commentUrn"]]
            )
        else:
            self.comments[post["id"]].append(comment)
            self.comments.setdefault(urn, [])
        return comment

    def edit_comment(self, comment: dict, text: str) -> None:
        comment["message"]["text"] = text
        comment["lastModified"]["time"] = max(self._now(), comment["created"]["time"] + 1)

    def add_mention(self, commentary: str, author: str = "urn:li:person:Zed9") -> dict:
        post = self.add_post(commentary, author)
        self.notifications.append(
            {
                "action": "SHARE_MENTION",
                "actor": author,
                "organizationalEntity": ORGANIZATION,
                "sourcePost": post["id"],
                "generatedActivity": post["id"],
                "decoratedSourcePost": {"entity": post["id"]},
                "lastModifiedAt": post["lastModifiedAt"],
            }
        )
        return post

    # -- HTTP -------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.failures:
            return self.failures.pop(0)
        if request.path.startswith("/oauth/v2/"):
            return self._oauth(request)
        if self.bearer_refused(request):
            return linkedin_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        if not VERSION.fullmatch(request.headers.get("linkedin-version", "")):
            return linkedin_error(400, "VERSION_MISSING", "A version must be present. Please specify a version.")
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return linkedin_error(400, "ILLEGAL_ARGUMENT", "Rest.li protocol 2.0.0 is required")
        if ":" in request.path:  # URNs in paths must be URL-encoded
            return linkedin_error(400, "ILLEGAL_ARGUMENT", "Syntax exception in path variables")
        path = unquote(request.path)
        if path == "/posts" and request.arg("q") == "author":
            return self._org_posts(request)
        if path.startswith("/posts/") and request.method == "GET":
            post = self.posts.get(path.removeprefix("/posts/"))
            return Response.json(post) if post else linkedin_error(404, "NOT_FOUND", "Not Found")
        if path == f"/organizations/{ORGANIZATION.rsplit(':', 1)[1]}":
            return Response.json({"id": 2414183, "localizedName": "Nordlight", "vanityName": "nordlight"})
        if path == "/organizationalEntityNotifications" and request.arg("q") == "criteria":
            return self._notifications(request)
        match = re.fullmatch(r"/socialActions/(.+)/comments", path)
        if match and request.method == "GET":
            if match.group(1) not in self.comments:
                return linkedin_error(404, "NOT_FOUND", "Not Found")
            return self._paged(request, self.comments[match.group(1)])
        if match and request.method == "POST":
            return self._create_comment(request, match.group(1))
        return linkedin_error(404, "NOT_FOUND", "Not Found")

    def _oauth(self, request: Request) -> Response:
        form = request.form()
        if request.path == "/oauth/v2/revoke":
            if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                return Response.json({"error": "invalid_client"}, 401)
            self.revoke(form.get("token"))
            return Response(200, b"")
        grant = form.get("grant_type")
        if grant == "refresh_token":
            self.refresh_bodies.append(form)
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            # LinkedIn reads the client from the body, never from Basic auth
            return Response.json({"error": "invalid_client", "error_description": "Client authentication failed"}, 401)
        if not self.grant(form):
            return Response.json({"error": "invalid_grant", "error_description": "The token is invalid"}, 400)
        # no token_type, and a comma-separated scope, as LinkedIn answers
        return Response.json(
            {
                "access_token": self.new_access_token("AQV"),
                "expires_in": 5183999,
                "refresh_token": "refresh-1",
                "refresh_token_expires_in": 31535999,
                "scope": "r_organization_social,rw_organization_admin,w_organization_social",
            }
        )

    def _org_posts(self, request: Request) -> Response:
        if request.arg("author") != ORGANIZATION:
            return linkedin_error(403, "ACCESS_DENIED", "Not enough permissions to access: posts.FINDER-author", 100)
        own = [post for post in self.posts.values() if post["author"] == ORGANIZATION]
        return self._paged(request, sorted(own, key=lambda post: post["lastModifiedAt"], reverse=True))

    def _notifications(self, request: Request) -> Response:
        if request.arg("organizationalEntity") != ORGANIZATION:
            return linkedin_error(403, "ACCESS_DENIED", "Not enough permissions", 100)
        window = _TIME_RANGE.fullmatch(request.arg("timeRange"))
        if request.arg("actions") != "List(SHARE_MENTION)" or not window:
            return linkedin_error(400, "ILLEGAL_ARGUMENT", "Invalid query parameters")
        start, end = int(window.group(1)), int(window.group(2))
        # the end taken as inclusive: a connector must not lose what falls on the boundary
        found = [n for n in self.notifications if start <= n["lastModifiedAt"] <= end]
        return self._paged(request, found)

    def _paged(self, request: Request, items: list) -> Response:
        start, count = int(request.arg("start") or 0), int(request.arg("count") or 10)
        if count > 100:
            return linkedin_error(400, "ILLEGAL_ARGUMENT", "count must be at most 100")
        return Response.json(
            {"paging": {"start": start, "count": count, "total": len(items), "links": []},
             "elements": items[start : start + count]}
        )  # fmt: skip

    def _create_comment(self, request: Request, target: str) -> Response:
        body = request.json() or {}
        if body.get("actor") != ORGANIZATION:
            return linkedin_error(403, "ACCESS_DENIED", "Member is not an administrator of the organization", 100)
        text = (body.get("message") or {}).get("text") or ""
        if not text:
            return linkedin_error(400, "ILLEGAL_ARGUMENT", "message text is required")
        parent_urn = body.get("parentComment")
        if parent_urn:
            parent = next((c for cs in self.comments.values() for c in cs if c["commentUrn"] == parent_urn), None)
            if parent is None or target != parent_urn or "parentComment" in parent:
                return linkedin_error(400, "ILLEGAL_ARGUMENT", "Invalid parentComment")
            post = next(
                p for p in self.posts.values() if p["id"].rsplit(":", 1)[1] == parent["object"].rsplit(":", 1)[1]
            )
            comment = self.add_comment(post, text, ORGANIZATION, parent)
        else:
            post = self.posts.get(target)
            if post is None or body.get("object") != target:
                return linkedin_error(404, "NOT_FOUND", "Not Found")
            comment = self.add_comment(post, text, ORGANIZATION)
        headers = {"x-restli-id": comment["commentUrn"]}
        if self.header_only_answers:
            return Response(201, b"", headers)
        return Response.json(comment, 201, headers)
