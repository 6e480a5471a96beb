"""An imitation of the YouTube Data API v3 and Google's OAuth endpoints:
commentThreads with partial replies and pageToken paging, comments?parentId,
comments.insert, canReply, quota and rate-limit errors in Google's error
shape, token refresh (no new refresh token) and revocation."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from .server import Request, Response

CLIENT_ID = "google-client.apps.googleusercontent.com"
CLIENT_SECRET = "google-secret"
CHANNEL = "UCshop"
START = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def google_error(status: int, reason: str, message: str = "", domain: str = "youtube.commentThread") -> Response:
    statuses = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
    }
    return Response.json(
        {
            "error": {
                "code": status,
                "message": message or reason,
                "status": statuses.get(status, ""),
                "errors": [{"message": message or reason, "domain": domain, "reason": reason}],
            }
        },
        status,
    )


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class YouTubeImitation:
    def __init__(self):
        self._serial = itertools.count(1)
        self.threads: list[dict] = []  # oldest first
        self.replies: dict[str, list[dict]] = {}
        self.access_tokens = {"live-token"}
        self.refresh_tokens = {"refresh-1"}
        self.codes: set[str] = set()
        self.revoked: list[str] = []
        self.failures: list[Response] = []
        self.quota_left = 10_000

    # -- fixtures -------------------------------------------------------------
    def _comment(self, text: str, who: str, moment: datetime, **extra) -> dict:
        comment_id = f"Ug{next(self._serial):05d}"
        return {
            "kind": "youtube#comment",
            "id": comment_id,
            "snippet": {
                "channelId": CHANNEL,
                "videoId": "vid1",
                "authorDisplayName": f"@{who}",
                "authorChannelUrl": f"http://www.youtube.com/@{who}",
                "authorChannelId": {"value": f"UC{who}"},
                "textDisplay": text,
                "textOriginal": text,
                "canRate": True,
                "viewerRating": "none",
                "likeCount": 4,
                "publishedAt": iso(moment),
                "updatedAt": iso(moment),
                **extra,
            },
        }

    def add_thread(self, text: str, who: str = "alice", **extra) -> dict:
        moment = START + timedelta(minutes=next(self._serial))
        top = self._comment(text, who, moment, **extra)
        thread = {
            "kind": "youtube#commentThread",
            "id": top["id"],
            "snippet": {
                "channelId": CHANNEL,
                "videoId": "vid1",
                "topLevelComment": top,
                "canReply": True,
                "totalReplyCount": 0,
                "isPublic": True,
            },
        }
        self.threads.append(thread)
        self.replies[top["id"]] = []
        return thread

    def hold_reply(self, thread: dict) -> None:
        """A reply held for review: counted in totalReplyCount, listed nowhere."""
        thread["snippet"]["totalReplyCount"] += 1

    def add_reply(self, thread: dict, text: str, who: str = "bob") -> dict:
        moment = START + timedelta(minutes=next(self._serial))
        reply = self._comment(text, who, moment, parentId=thread["id"])
        self.replies[thread["id"]].append(reply)
        thread["snippet"]["totalReplyCount"] += 1
        return reply

    def authorize(self) -> str:
        code = f"code-{next(self._serial)}"
        self.codes.add(code)
        return code

    # -- HTTP -------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.failures:
            return self.failures.pop(0)
        if request.path.startswith("/oauth2/"):
            return self._oauth(request)
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.access_tokens:
            return google_error(401, "authError", "Request had invalid authentication credentials.", "global")
        cost = 50 if request.method == "POST" else 1
        if self.quota_left < cost:
            return google_error(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your quota.",
                "youtube.quota",
            )
        self.quota_left -= cost
        if request.path == "/channels":
            return Response.json({"items": [{"id": CHANNEL, "snippet": {"title": "The Shop", "customUrl": "@shop"}}]})
        if request.path == "/commentThreads":
            return self._threads(request)
        if request.path == "/comments" and request.method == "GET":
            return self._paged(request, self.replies.get(request.arg("parentId"), []), oldest_first=True)
        if request.path == "/comments" and request.method == "POST":
            return self._insert(request)
        return google_error(404, "notFound", "Not Found", "global")

    def _oauth(self, request: Request) -> Response:
        form = request.form()
        if request.path == "/oauth2/revoke":
            token = form.get("token")
            self.refresh_tokens.discard(token)
            self.access_tokens.clear()
            self.revoked.append(token)
            return Response.json({})
        grant = form.get("grant_type")
        if grant == "authorization_code" and form.get("code") in self.codes:
            self.codes.discard(form["code"])
            refresh = f"refresh-{next(self._serial)}"
            self.refresh_tokens.add(refresh)
        elif grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            refresh = None  # Google does not rotate refresh tokens
        else:
            return Response.json(
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400
            )
        access = f"ya29.{next(self._serial)}"
        self.access_tokens.add(access)
        payload = {
            "access_token": access,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
        }
        if refresh:
            payload["refresh_token"] = refresh
        return Response.json(payload)

    def _threads(self, request: Request) -> Response:
        if request.arg("id"):
            return Response.json({"items": [t for t in self.threads if t["id"] == request.arg("id")]})
        if request.arg("allThreadsRelatedToChannelId") not in (CHANNEL, "") or (
            not request.arg("allThreadsRelatedToChannelId") and not request.arg("videoId")
        ):
            return google_error(400, "missingRequiredParameter", "No filter selected.")
        threads = [
            t for t in self.threads if not request.arg("videoId") or t["snippet"]["videoId"] == request.arg("videoId")
        ]
        view = []
        for thread in threads:
            shown = dict(thread)
            replies = self.replies.get(thread["id"], [])
            if replies and "replies" in request.arg("part"):
                shown["replies"] = {"comments": replies[:5]}  # a partial list, like YouTube
            view.append(shown)
        return self._paged(request, view)

    def _paged(self, request: Request, items: list[dict], oldest_first: bool = False) -> Response:
        ordered = items if oldest_first else list(reversed(items))
        start = int(request.arg("pageToken").removeprefix("tok") or 0) if request.arg("pageToken") else 0
        size = min(int(request.arg("maxResults", "20")), 100)
        payload = {
            "kind": "youtube#listResponse",
            "items": ordered[start : start + size],
            "pageInfo": {"totalResults": len(ordered), "resultsPerPage": size},
        }
        if start + size < len(ordered):
            payload["nextPageToken"] = f"tok{start + size}"
        return Response.json(payload)

    def _insert(self, request: Request) -> Response:
        snippet = request.json().get("snippet", {})
        thread = next((t for t in self.threads if t["id"] == snippet.get("parentId")), None)
        if thread is None:
            return google_error(
                404, "parentCommentNotFound", "The parent comment could not be found.", "youtube.comment"
            )
        if not thread["snippet"]["canReply"]:
            return google_error(403, "operationNotSupported", "Replies are disabled.", "youtube.comment")
        if len(snippet.get("textOriginal", "")) > 10_000:
            return google_error(400, "commentTextTooLong", "The comment is too long.", "youtube.comment")
        reply = self.add_reply(thread, snippet["textOriginal"], "shop")
        reply["snippet"]["authorChannelId"]["value"] = CHANNEL
        return Response.json(reply)
