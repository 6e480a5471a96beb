"""An imitation of Reddit: OAuth on the www host (Basic auth, permanent
grants, refresh tokens, revoke), inbox and search Listings with ``after``
fullnames, ``/api/comment`` with ``json.errors`` throttles, X-Ratelimit-*
headers, JSON 401 errors and HTML error pages."""

from __future__ import annotations

import base64
import itertools

from .server import Request, Response

CLIENT_ID = "reddit-client"
CLIENT_SECRET = "reddit-secret"
START = 1_795_000_000.0


class RedditImitation:
    def __init__(self):
        self._serial = itertools.count(1)
        self.boxes: dict[str, list[dict]] = {"mentions": [], "comments": [], "selfreply": [], "messages": []}
        self.posts: list[dict] = []  # searchable t3
        self.access_tokens = {"live-token"}
        self.refresh_tokens = {"refresh-1"}
        self.codes: dict[str, str] = {}
        self.revoked: list[str] = []
        self.expires_in = 86400
        self.remaining = 600.0
        self.used = 0
        self.reset_seconds = 321
        self.failures: list[Response] = []
        self.reply_errors: list = []
        self.user_agents: list[str] = []

    # -- fixtures -------------------------------------------------------------
    def add(self, box: str, kind: str = "t1", body: str = "hello", author: str | None = "alice", **extra) -> dict:
        """An item in the shape Reddit lists it in ``box``: an inbox comment
        carries ``context`` and its post's ``num_comments`` but neither
        ``permalink`` nor ``link_id``; a private message opens a conversation
        (``first_message_name`` null, ``replies`` ""); a searched post (t3)
        has its ``permalink``."""
        serial = next(self._serial)
        data = {
            "id": f"{serial:x}",
            "name": f"{kind}_{serial:x}",
            "author": author,
            "author_fullname": f"t2_{author}" if author else None,
            "created_utc": START + serial,
            "edited": False,
            "score": 1,
            "subreddit": "shop",
            "subreddit_name_prefixed": "r/shop",
            "new": True,
        }
        if kind == "t3":
            data.update(
                title=body,
                selftext=extra.get("selftext", ""),
                num_comments=0,
                permalink=f"/r/shop/comments/{serial:x}/x/",
            )
        elif kind == "t1":
            data.update(
                body=body,
                parent_id="t3_root",
                link_title="Our launch post",
                num_comments=57,  # the post's comment count
                context=f"/r/shop/comments/root/our_launch_post/{serial:x}/?context=3",
                type="username_mention" if box == "mentions" else "comment_reply",
                was_comment=True,
            )
        else:
            data.update(
                body=body,
                subject="Order question",
                first_message=None,
                first_message_name=None,
                parent_id=None,
                replies="",
                context="",
                was_comment=False,
                num_comments=None,
                distinguished="moderator" if author is None else None,
            )
            if author is not None:
                data.update(subreddit=None, subreddit_name_prefixed=None)
        data.update(extra)
        child = {"kind": kind, "data": data}
        (self.posts if box == "search" else self.boxes[box]).append(child)
        return child

    def reply_to_message(self, first: dict, body: str, author: str = "alice") -> dict:
        """A later message of ``first``'s conversation: nested under its
        ``replies`` Listing, and the conversation moves to the top of the
        listing, which Reddit orders by each conversation's latest message."""
        serial = next(self._serial)
        nested = first["data"]["replies"] or {"kind": "Listing", "data": {"children": [], "after": None}}
        previous = (nested["data"]["children"] or [first])[-1]
        message = {
            "kind": "t4",
            "data": {
                **{k: v for k, v in first["data"].items() if k != "replies"},
                "id": f"{serial:x}",
                "name": f"t4_{serial:x}",
                "author": author,
                "author_fullname": f"t2_{author}",
                "body": body,
                "created_utc": START + serial,
                "first_message_name": first["data"]["name"],
                "first_message": int(first["data"]["id"], 16),
                "parent_id": previous["data"]["name"],
                "subject": f"re: {first['data']['subject']}",
                "replies": "",
            },
        }
        nested["data"]["children"].append(message)
        first["data"]["replies"] = nested
        self.boxes["messages"].remove(first)
        self.boxes["messages"].append(first)
        return message

    def authorize(self) -> str:
        code = f"code-{next(self._serial)}"
        self.codes[code] = "granted"
        return code

    # -- HTTP -------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        self.user_agents.append(request.headers.get("user-agent", ""))
        if self.failures:
            return self.failures.pop(0)
        if request.path == "/api/v1/access_token":
            return self._token(request)
        if request.path == "/api/v1/revoke_token":
            if self._client(request) != (CLIENT_ID, CLIENT_SECRET):
                return Response.json({"message": "Unauthorized", "error": 401}, 401)
            token = request.form().get("token")
            self.refresh_tokens.discard(token)
            self.access_tokens.clear()
            self.revoked.append(token)
            return Response(204)
        token = request.headers.get("authorization", "")
        if token.split(" ", 1)[-1] not in self.access_tokens or not token.lower().startswith("bearer "):
            return Response.json(
                {"message": "Unauthorized", "error": 401},
                401,
                {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
            )
        if self.remaining <= 0:
            return Response(429, "<html><body><h1>Too Many Requests</h1></body></html>", self._rate_headers())
        self.remaining -= 1
        self.used += 1
        response = self._api(request)
        response.headers.update(self._rate_headers())
        return response

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-Ratelimit-Remaining": f"{self.remaining:.1f}",
            "X-Ratelimit-Used": str(self.used),
            "X-Ratelimit-Reset": str(self.reset_seconds),
        }

    @staticmethod
    def _client(request: Request) -> tuple[str, ...]:
        basic = request.headers.get("authorization", "")
        if not basic.startswith("Basic "):
            return ()
        return tuple(base64.b64decode(basic[6:]).decode().split(":", 1))

    def _token(self, request: Request) -> Response:
        if self._client(request) != (CLIENT_ID, CLIENT_SECRET):
            return Response.json({"message": "Unauthorized", "error": 401}, 401)
        form = request.form()
        if form.get("grant_type") == "authorization_code" and self.codes.pop(form.get("code", ""), None):
            refresh = f"refresh-{next(self._serial)}"
            self.refresh_tokens.add(refresh)
        elif form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            refresh = None  # Reddit keeps the refresh token; the answer omits it
        else:
            return Response.json({"error": "invalid_grant"}, 400)
        access = f"access-{next(self._serial)}"
        self.access_tokens.add(access)
        payload = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "scope": "identity read history privatemessages submit",
        }
        if refresh:
            payload["refresh_token"] = refresh
        return Response.json(payload)

    def _api(self, request: Request) -> Response:
        if request.path == "/api/v1/me":
            return Response.json({"name": "shop", "id": "abc"})
        if request.path.startswith("/message/"):
            return self._listing(request, self.boxes.get(request.path.split("/")[2], []))
        if request.path == "/search":
            query = request.arg("q").lower()
            return self._listing(request, [p for p in self.posts if query in str(p["data"].get("title")).lower()])
        if request.path == "/api/comment" and request.method == "POST":
            return self._comment(request)
        return Response(404, "<html><body>404 page not found</body></html>", {"Content-Type": "text/html"})

    def _listing(self, request: Request, items: list[dict]) -> Response:
        newest_first = list(reversed(items))
        after = request.arg("after")
        if after:
            names = [c["data"].get("name") for c in newest_first]
            newest_first = newest_first[names.index(after) + 1 :] if after in names else []
        limit = min(int(request.arg("limit", "25")), 100)
        chunk = newest_first[:limit]
        return Response.json(
            {
                "kind": "Listing",
                "data": {
                    "after": chunk[-1]["data"].get("name") if len(newest_first) > limit else None,
                    "before": None,
                    "dist": len(chunk),
                    "children": chunk,
                },
            }
        )

    def _comment(self, request: Request) -> Response:
        form = request.form()
        if self.reply_errors:
            return Response.json({"json": {"errors": [self.reply_errors.pop(0)]}})
        if len(form.get("text", "")) > 10_000:
            return Response.json({"json": {"errors": [["TOO_LONG", "this is too long (max: 10000)", "text"]]}})
        serial = next(self._serial)
        thing = {
            "kind": "t1",
            "data": {
                "id": f"{serial:x}",
                "name": f"t1_{serial:x}",
                "author": "shop",
                "body": form["text"],
                "created_utc": START + serial,
                "edited": False,
                "parent_id": form["thing_id"],
                "link_id": "t3_root",
                "score": 1,
                "permalink": f"/r/shop/comments/root/x/{serial:x}/",
                "api_type": form.get("api_type"),
            },
        }
        return Response.json({"json": {"errors": [], "data": {"things": [thing]}}})
