"""An imitation of a Bluesky PDS (XRPC): app-password sessions with
rotating refresh tokens, ExpiredToken as HTTP 400, listNotifications,
searchPosts, getPostThread (notFoundPost / blockedPost), getAuthorFeed,
createRecord, opaque cursors absent at the end, RateLimit-* headers."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from .server import Request, Response

OWN_DID = "did:plc:shop"
OWN_HANDLE = "shop.bsky.social"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
START = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def error(status: int, name: str, message: str = "") -> Response:
    return Response.json({"error": name, "message": message or name}, status)


def author(did: str, handle: str) -> dict:
    return {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(), "avatar": ""}


class BlueskyImitation:
    def __init__(self):
        self._serial = itertools.count(1)
        self.posts: list[dict] = []  # oldest first
        self.notifications: list[dict] = []
        self.threads: dict[str, list[dict]] = {}  # uri -> extra reply nodes (notFoundPost …)
        self.access_tokens: dict[str, bool] = {}  # token -> still valid
        self.refresh_tokens: set[str] = set()
        self.sessions_created = 0
        self.rate_limit = 3000
        self.remaining = 3000
        self.reset = 1_900_000_000
        self.failures: list[int] = []
        #: like some servers: the ``reasons`` filter is not applied
        self.ignores_reasons = False

    # -- fixtures ------------------------------------------------------------------
    def add_post(self, text, who: dict, reply_to: dict | None = None, **record_extra) -> dict:
        serial = next(self._serial)
        moment = START + timedelta(seconds=serial)
        uri = f"at://{who['did']}/app.bsky.feed.post/3k{serial:011d}"
        record = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": moment.isoformat().replace("+00:00", "Z"),
            "langs": ["en"],
            **record_extra,
        }
        if reply_to:
            root = reply_to["record"].get("reply", {}).get("root") or {"uri": reply_to["uri"], "cid": reply_to["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": reply_to["uri"], "cid": reply_to["cid"]}}
        post = {
            "uri": uri,
            "cid": f"bafy{serial}",
            "author": who,
            "record": record,
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 3,
            "quoteCount": 0,
            "indexedAt": moment.isoformat().replace("+00:00", "Z"),
            "labels": [],
        }
        self.posts.append(post)
        return post

    def notify(self, post: dict, reason: str) -> None:
        self.notifications.append(
            {
                "uri": post["uri"],
                "cid": post["cid"],
                "author": post["author"],
                "reason": reason,
                "record": post["record"],
                "isRead": False,
                "indexedAt": post["indexedAt"],
            }
        )

    def notify_interaction(self, post: dict, who: dict, reason: str) -> dict:
        """A like, repost or follow notification: its record is the like,
        repost or follow record, its ``reasonSubject`` our post."""
        serial = next(self._serial)
        collection = {"like": "like", "repost": "repost", "follow": "follow"}[reason]
        subject = {"uri": post["uri"], "cid": post["cid"]} if reason != "follow" else post["author"]["did"]
        notification = {
            "uri": f"at://{who['did']}/app.bsky.feed.{collection}/3l{serial:011d}"
            if reason != "follow"
            else f"at://{who['did']}/app.bsky.graph.follow/3l{serial:011d}",
            "cid": f"bafy{serial}",
            "author": who,
            "reason": reason,
            "record": {
                "$type": f"app.bsky.feed.{collection}" if reason != "follow" else "app.bsky.graph.follow",
                "createdAt": post["indexedAt"],
                "subject": subject,
            },
            "isRead": False,
            "indexedAt": post["indexedAt"],
            "labels": [],
        }
        if reason != "follow":
            notification["reasonSubject"] = post["uri"]
        self.notifications.append(notification)
        return notification

    def expire_access_tokens(self) -> None:
        self.access_tokens = dict.fromkeys(self.access_tokens, False)

    def _new_session(self) -> dict:
        serial = next(self._serial)
        access, refresh = f"access-{serial}", f"refresh-{serial}"
        self.access_tokens[access] = True
        self.refresh_tokens.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": OWN_HANDLE, "did": OWN_DID, "active": True}

    # -- HTTP ------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.failures:
            return error(self.failures.pop(0), "InternalServerError", "Internal Server Error")
        if self.remaining <= 0:
            response = error(429, "RateLimitExceeded", "Rate Limit Exceeded")
        else:
            self.remaining -= 1
            response = self._route(request)
        response.headers.update(
            {
                "RateLimit-Limit": str(self.rate_limit),
                "RateLimit-Remaining": str(self.remaining),
                "RateLimit-Reset": str(self.reset),
                "RateLimit-Policy": f"{self.rate_limit};w=300",
            }
        )
        return response

    def _route(self, request: Request) -> Response:
        nsid = request.path.removeprefix("/xrpc/")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if nsid == "com.atproto.server.createSession":
            body = request.json()
            if body.get("identifier") not in (OWN_HANDLE, OWN_DID) or body.get("password") != APP_PASSWORD:
                return error(401, "AuthenticationRequired", "Invalid identifier or password")
            self.sessions_created += 1
            return Response.json(self._new_session())
        if nsid == "com.atproto.server.refreshSession":
            if token not in self.refresh_tokens:
                return error(400, "ExpiredToken", "Token has been revoked")
            self.refresh_tokens.discard(token)  # rotation: the old refresh token is revoked
            return Response.json(self._new_session())
        if not token:
            return error(401, "AuthMissing", "Authentication Required")
        if token not in self.access_tokens:
            return error(400, "InvalidToken", "Bad token")
        if not self.access_tokens[token]:
            return error(400, "ExpiredToken", "Token has expired")
        handler = getattr(self, "_" + nsid.replace(".", "_"), None)
        return handler(request) if handler else error(501, "MethodNotImplemented", "Method Not Implemented")

    def _com_atproto_server_getSession(self, request):
        return Response.json({"handle": OWN_HANDLE, "did": OWN_DID})

    @staticmethod
    def _paged(request: Request, newest_first: list, key: str, limit_max: int = 100, **extra) -> Response:
        start = int(request.arg("cursor").removeprefix("opaque-") or 0) if request.arg("cursor") else 0
        limit = min(int(request.arg("limit", "50")), limit_max)
        chunk = newest_first[start : start + limit]
        payload = {key: chunk, **extra}
        if start + limit < len(newest_first):
            payload["cursor"] = f"opaque-{start + limit}"
        return Response.json(payload)

    def _app_bsky_notification_listNotifications(self, request):
        reasons = request.query.get("reasons", [])
        items = [
            n for n in reversed(self.notifications) if not reasons or self.ignores_reasons or n["reason"] in reasons
        ]
        return self._paged(request, items, "notifications")

    def _app_bsky_feed_searchPosts(self, request):
        query = request.arg("q").lower()
        if not query:
            return error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        items = [
            p
            for p in reversed(self.posts)
            if isinstance(p["record"].get("text"), str) and query in p["record"]["text"].lower()
        ]
        return self._paged(request, items, "posts", hitsTotal=len(items))

    def _app_bsky_feed_getAuthorFeed(self, request):
        items = [
            {"post": p}
            for p in reversed(self.posts)
            if p["author"]["did"] == request.arg("actor") and "reply" not in p["record"]
        ]
        return self._paged(request, items, "feed")

    def _app_bsky_feed_getPostThread(self, request):
        uri = request.arg("uri")
        post = next((p for p in self.posts if p["uri"] == uri), None)
        if post is None:
            return error(400, "NotFound", f"Post not found: {uri}")
        return Response.json({"thread": self._node(post, int(request.arg("depth", "6")))})

    def _node(self, post: dict, depth: int) -> dict:
        node = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post}
        if depth > 0:
            children = [
                p for p in self.posts if p["record"].get("reply", {}).get("parent", {}).get("uri") == post["uri"]
            ]
            node["replies"] = [self._node(child, depth - 1) for child in children] + self.threads.get(post["uri"], [])
        return node

    def _com_atproto_repo_createRecord(self, request):
        body = request.json()
        record = body["record"]
        if body.get("repo") != OWN_DID or len(record.get("text", "")) > 300:
            return error(400, "InvalidRequest", "Invalid app.bsky.feed.post record")
        reply = record.get("reply")
        parent = next((p for p in self.posts if reply and p["uri"] == reply["parent"]["uri"]), None)
        post = self.add_post(record["text"], author(OWN_DID, OWN_HANDLE), parent)
        post["record"] = record
        return Response.json(
            {
                "uri": post["uri"],
                "cid": post["cid"],
                "validationStatus": "valid",
                "commit": {"cid": "bafycommit", "rev": "rev1"},
            }
        )
