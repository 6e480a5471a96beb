"""Imitation of the Threads Graph API (graph.threads.net/v1.0), after Meta's
documentation (developers.facebook.com/documentation/threads/):

- ``access_token`` as a query or form parameter; a bad one is error 190;
- ``GET /me`` (``id``, ``username``), ``GET /me/threads``, ``GET /me/mentions``,
  ``GET /keyword_search?q=`` (``search_type`` TOP or RECENT, ``search_mode``
  KEYWORD or TAG), ``GET /{media-id}/conversation`` (flattened replies,
  ``reverse=true`` newest first, the default) — all with cursor paging:
  ``paging.cursors.before/after`` and ``paging.next`` except on the last page;
- replies: ``POST /me/threads`` (``media_type=TEXT``, ``text`` at most 500
  characters, ``reply_to_id``) answers a container ``id``; ``GET /{container}?fields=status``
  is ``IN_PROGRESS`` for the first ``processing_checks`` reads, then ``FINISHED``;
  ``POST /me/threads_publish`` with ``creation_id`` publishes it (error 24,
  subcode 4279009, before it is finished);
- tokens (get-started/get-access-tokens-and-permissions, long-lived-tokens), without
  version in the path: ``POST /oauth/access_token`` exchanges ``CODE`` for a
  short-lived token and the user id, ``GET /access_token?grant_type=th_exchange_token``
  that for a long-lived one, ``GET /refresh_access_token?grant_type=th_refresh_token``
  renews a long-lived one; ``expires_in`` in seconds;
- throttling: error code 4 with HTTP 400 and ``X-App-Usage`` at 100, or a
  plain HTTP 429; server trouble is error 2 with HTTP 500.

Media objects carry ``id``, ``text``, ``username``, ``permalink``, ``timestamp``
(``2024-08-07T10:33:16+0000``), ``media_type`` (``TEXT_POST``), ``is_reply``,
``replied_to {id}`` and ``root_post {id}``.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from .server import Request, Response

VERSION = "v1.0"
USER_ID = "17841401234567890"
USERNAME = "acme.threads"
TOKEN = "th-long-lived-token"
APP_ID = "990602627938098"
APP_SECRET = "threads-app-secret"
CODE = "AQBx-authorization-code"


def threads_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def graph_error(status: int, code: int, message: str, subcode: int | None = None, headers=None) -> Response:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A7mFQ3x"}
    if subcode:
        error["error_subcode"] = subcode
    return Response.json({"error": error}, status, headers)


class ThreadsImitation:
    def __init__(self):
        self.posts: list[dict] = []  # ours, newest first
        self.replies: dict[str, list[dict]] = {}  # root id -> replies, oldest first
        self.mentions: list[dict] = []  # newest first
        self.public: list[dict] = []  # searchable posts of others, newest first
        self.containers: dict[str, dict] = {}
        self.published: list[dict] = []
        self.processing_checks = 1
        self.throttle: str = ""  # "", "code4" or "429"
        self.fail_next = 0
        self.counter = 0
        self.tokens = {TOKEN}
        self.refused_refresh = False

    def next_id(self) -> str:
        self.counter += 1
        return str(18000000000000000 + self.counter)

    # -- data -----------------------------------------------------------------------
    def media(self, username: str, text: str, moment: datetime, root: str = "", replied_to: str = "") -> dict:
        item = {"id": self.next_id(), "text": text, "username": username, "timestamp": threads_time(moment),
                "media_type": "TEXT_POST", "is_reply": bool(replied_to)}
        item["permalink"] = f"https://www.threads.net/@{username}/post/{item['id'][-6:]}"
        if replied_to:
            item["replied_to"] = {"id": replied_to}
        if root:
            item["root_post"] = {"id": root}
        return item

    def add_post(self, moment: datetime, text: str = "Our autumn collection is out") -> dict:
        post = self.media(USERNAME, text, moment)
        self.posts.insert(0, post)
        self.replies[post["id"]] = []
        return post

    def add_reply(self, root: str, moment: datetime, text: str, username: str = "jana.k", replied_to: str = "") -> dict:
        reply = self.media(username, text, moment, root=root, replied_to=replied_to or root)
        self.replies[root].append(reply)
        return reply

    def add_mention(self, moment: datetime, text: str, username: str = "petr.n") -> dict:
        mention = self.media(username, text, moment)
        self.mentions.insert(0, mention)
        return mention

    # -- HTTP -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.fail_next:
            self.fail_next -= 1
            return graph_error(500, 2, "An unexpected error has occurred. Please retry your request later.")
        form = request.form() if request.method == "POST" else {}
        if request.path in ("/oauth/access_token", "/access_token", "/refresh_access_token"):
            return self._oauth(request, form)
        if not request.path.startswith(f"/{VERSION}/"):
            return graph_error(400, 2635, "Unsupported API version.")
        token = request.arg("access_token") or form.get("access_token", "")
        if token not in self.tokens:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if self.throttle == "429":
            return Response(429, b"Too Many Requests", {"Retry-After": "120"})
        if self.throttle == "code4":
            return graph_error(400, 4, "Application request limit reached",
                               headers={"X-App-Usage": json.dumps({"call_count": 100, "total_time": 40,
                                                                   "total_cputime": 30})})
        parts = request.path[len(VERSION) + 2:].strip("/").split("/")
        parts = [USER_ID if part == "me" else part for part in parts]
        response = self._post(parts, form) if request.method == "POST" else self._get(request, parts)
        response.headers["X-App-Usage"] = json.dumps({"call_count": 7, "total_time": 2, "total_cputime": 1})
        return response

    def _oauth(self, request: Request, form: dict) -> Response:
        if request.path == "/oauth/access_token":
            if request.method != "POST" or form.get("client_id") != APP_ID or form.get("client_secret") != APP_SECRET:
                return graph_error(400, 101, "Error validating application. Invalid application ID.")
            if form.get("grant_type") != "authorization_code" or form.get("code") != CODE or not form.get(
                    "redirect_uri"):
                return graph_error(400, 100, "Invalid verification code format.", 36007)
            return Response.json({"access_token": "th-short-lived", "user_id": int(USER_ID)})
        if request.path == "/access_token":
            if request.arg("grant_type") != "th_exchange_token" or request.arg("client_secret") != APP_SECRET \
                    or request.arg("access_token") != "th-short-lived":
                return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
            return Response.json({"access_token": TOKEN, "token_type": "bearer", "expires_in": 5183944})
        if request.arg("grant_type") != "th_refresh_token" or request.arg("access_token") not in self.tokens \
                or self.refused_refresh:
            return graph_error(400, 190, "Error validating access token: Session has expired.", 463)
        renewed = f"th-refreshed-{len(self.tokens)}"
        self.tokens.add(renewed)
        return Response.json({"access_token": renewed, "token_type": "bearer", "expires_in": 5183944})

    def _paged(self, request: Request, items: list) -> Response:
        limit = int(request.arg("limit", "25"))
        after = request.arg("after")
        start = int(base64.b64decode(after)) if after else 0
        chunk = items[start:start + limit]
        if not chunk:
            return Response.json({"data": []})
        paging = {"cursors": {"before": base64.b64encode(str(start).encode()).decode(),
                              "after": base64.b64encode(str(start + len(chunk)).encode()).decode()}}
        if start + limit < len(items):
            paging["next"] = f"https://graph.threads.net/{VERSION}/next?after={paging['cursors']['after']}"
        return Response.json({"data": chunk, "paging": paging})

    def _get(self, request: Request, parts: list[str]) -> Response:
        if parts == [USER_ID]:
            return Response.json({"id": USER_ID, "username": USERNAME})
        if parts == [USER_ID, "threads"]:
            return self._paged(request, self.posts)
        if parts == [USER_ID, "mentions"]:
            return self._paged(request, self.mentions)
        if parts == ["keyword_search"]:
            query = request.arg("q").lower()
            if not query:
                return graph_error(400, 100, "(#100) The parameter q is required")
            if request.arg("search_type", "TOP") not in ("TOP", "RECENT"):
                return graph_error(400, 100, "(#100) Param search_type must be one of {TOP, RECENT}")
            return self._paged(request, [p for p in self.public if query in p["text"].lower()])
        if len(parts) == 2 and parts[1] == "conversation" and parts[0] in self.replies:
            replies = self.replies[parts[0]]
            newest_first = request.arg("reverse", "true") != "false"
            return self._paged(request, list(reversed(replies)) if newest_first else replies)
        if len(parts) == 1 and parts[0] in self.containers:
            container = self.containers[parts[0]]
            container["checks"] += 1
            status = "FINISHED" if container["checks"] > self.processing_checks else "IN_PROGRESS"
            return Response.json({"id": parts[0], "status": status})
        return graph_error(400, 100, f"Unsupported get request. Object with ID '{parts[0]}' does not exist", 33)

    def _post(self, parts: list[str], form: dict) -> Response:
        if parts == [USER_ID, "threads"]:
            text = form.get("text", "")
            if form.get("media_type") != "TEXT" or not text:
                return graph_error(400, 100, "(#100) The parameter text is required for media_type TEXT")
            if len(text) > 500:
                return graph_error(400, 100, "(#100) Param text must be at most 500 characters long.")
            known = {item["id"] for item in self.posts + self.mentions + self.public} | {
                reply["id"] for replies in self.replies.values() for reply in replies}
            if form.get("reply_to_id") and form["reply_to_id"] not in known:
                return graph_error(400, 100, "(#100) The reply_to_id does not exist", 2207051)
            container_id = self.next_id()
            self.containers[container_id] = {**form, "checks": 0}
            return Response.json({"id": container_id})
        if parts == [USER_ID, "threads_publish"]:
            container = self.containers.get(form.get("creation_id", ""))
            if container is None:
                return graph_error(400, 100, "(#100) The parameter creation_id is required")
            if container["checks"] <= self.processing_checks:
                return graph_error(400, 24, "The media is not ready for publishing, please wait for a moment",
                                   4279009)
            media_id = self.next_id()
            self.published.append({"id": media_id, "text": container["text"],
                                   "reply_to_id": container.get("reply_to_id", "")})
            return Response.json({"id": media_id})
        return graph_error(400, 100, f"Unsupported post request. Object with ID '{parts[0]}' does not exist", 33)


def reply_webhook(value: dict, field: str = "replies") -> dict:
    """A Threads webhook delivery (documentation/threads/webhooks)."""
    return {"app_id": "123456", "topic": "moderate", "target_id": USER_ID, "time": 1723226877,
            "subscription_id": "234567", "has_uid_field": False, "values": {"value": value, "field": field}}
