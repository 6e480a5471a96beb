"""An imitation of a Mastodon instance: OAuth (PKCE), notifications, search,
hashtag timelines, status context, conversations, posting with
Idempotency-Key, Link-header paging, X-RateLimit-* headers and JSON errors."""

from __future__ import annotations

import base64
import hashlib
import itertools
from datetime import datetime, timezone
from urllib.parse import urlencode

from .server import Request, Response

CLIENT_ID = "mastodon-client"
CLIENT_SECRET = "mastodon-secret"
TOKEN = "mastodon-token"
OWN_ACCOUNT = {
    "id": "1",
    "username": "shop",
    "acct": "shop",
    "display_name": "The Shop",
    "url": "https://social.example/@shop",
}


def account(account_id: str, acct: str, **extra) -> dict:
    return {
        "id": account_id,
        "username": acct.split("@")[0],
        "acct": acct,
        "display_name": acct.title(),
        "url": f"https://social.example/@{acct}",
        "followers_count": 10,
        "note": "<p>I like tea</p>",
        **extra,
    }


class MastodonImitation:
    def __init__(self):
        self._ids = itertools.count(110_000_000_000_000_001)
        self.statuses: dict[str, dict] = {}  # insertion order = age
        self.notifications: list[dict] = []
        self.conversations: list[dict] = []
        self.tokens = {TOKEN}
        self.codes: dict[str, dict] = {}
        self.revoked: list[str] = []
        self.max_characters = 500
        self.rate_limit = 300
        self.remaining = 300
        self.reset_at = datetime(2030, 1, 1, 12, 5, tzinfo=timezone.utc)
        #: statuses to answer (one per request) before behaving normally
        self.failures: list[int] = []
        self.idempotency: dict[str, dict] = {}
        #: like some instances and proxies: ``types[]`` is not applied
        self.ignores_types = False

    # -- fixtures the tests build ---------------------------------------------
    def next_id(self) -> str:
        return str(next(self._ids))

    def add_status(self, content: str, author: dict, **extra) -> dict:
        status_id = self.next_id()
        status = {
            "id": status_id,
            "created_at": "2026-11-20T10:00:00.000Z",
            "content": content,
            "account": author,
            "in_reply_to_id": None,
            "visibility": "public",
            "url": f"https://social.example/@{author['acct']}/{status_id}",
            "uri": f"https://social.example/users/{author['acct']}/statuses/{status_id}",
            "replies_count": 0,
            "reblogs_count": 1,
            "favourites_count": 2,
            "quotes_count": 0,
            "edited_at": None,
            "language": "en",
            "spoiler_text": "",
            "reblog": None,
            "tags": [],
            "mentions": [],
            **extra,
        }
        self.statuses[status["id"]] = status
        return status

    def add_mention(self, content: str, author: dict, **extra) -> dict:
        status = self.add_status(content, author, **extra)
        self.add_notification("mention", author, status)
        return status

    def add_notification(self, kind: str, author: dict, status: dict | None = None) -> dict:
        """A notification of ``kind`` (mention, favourite, reblog, follow,
        quote …); a follow has no ``status``."""
        notification = {
            "id": self.next_id(),
            "type": kind,
            "created_at": "2026-11-20T10:00:05.000Z",
            "group_key": f"ungrouped-{len(self.notifications)}",
            "account": author,
        }
        if status is not None:
            notification["status"] = status
        self.notifications.append(notification)
        return notification

    def add_quote(self, content: str, author: dict, quoted: dict, **extra) -> dict:
        """A quote post as Mastodon 4.5 renders it: the ``quote-inline``
        fallback paragraph before the author's own text, and ``quote``."""
        link = quoted["url"]
        fallback = (
            f'<p class="quote-inline">RE: <a href="{link}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">https://</span><span class="ellipsis">{link[8:38]}</span>'
            f'<span class="invisible">{link[38:]}</span></a></p>'
        )
        quoted["quotes_count"] += 1
        quote = {"state": "accepted", "quoted_status": quoted}
        return self.add_status(fallback + content, author, quote=quote, **extra)

    def add_conversation(self, conversation_id: str, messages: list[dict]) -> dict:
        """A direct conversation; the listing shows only its latest message,
        the earlier ones are the ancestors in that message's context."""
        for earlier, later in zip(messages, messages[1:], strict=False):
            later["in_reply_to_id"] = earlier["id"]
        conversation = {
            "id": conversation_id,
            "unread": True,
            "accounts": [m["account"] for m in messages if m["account"]["id"] != OWN_ACCOUNT["id"]][:1],
            "last_status": messages[-1],
        }
        self.conversations.append(conversation)
        return conversation

    def authorize(self, redirect_uri: str, code_challenge: str) -> str:
        """What the instance does when the administrator approves: a code for the callback."""
        code = f"code-{len(self.codes)}"
        self.codes[code] = {"redirect_uri": redirect_uri, "challenge": code_challenge}
        return code

    # -- HTTP ------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.failures:
            return Response.json({"error": "Internal server error"}, self.failures.pop(0))
        if request.path == "/oauth/token":
            return self._token(request)
        if request.path == "/oauth/revoke":
            form = request.form()
            if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                return Response.json({"error": "invalid_client"}, 401)
            self.tokens.discard(form.get("token"))
            self.revoked.append(form.get("token"))
            return Response.json({})
        if request.path == "/api/v2/instance":
            return Response.json(
                {"domain": "social.example", "configuration": {"statuses": {"max_characters": self.max_characters}}}
            )
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return Response.json({"error": "The access token is invalid"}, 401)
        if self.remaining <= 0:
            return Response.json({"error": "Too many requests"}, 429, self._rate_headers())
        self.remaining -= 1
        response = self._api(request)
        response.headers.update(self._rate_headers())
        return response

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": self.reset_at.isoformat().replace("+00:00", ".000Z"),
        }

    def _token(self, request: Request) -> Response:
        form = request.form()
        basic = request.headers.get("authorization", "")
        client = (form.get("client_id"), form.get("client_secret"))
        if basic.startswith("Basic "):
            client = tuple(base64.b64decode(basic[6:]).decode().split(":", 1))
        if client != (CLIENT_ID, CLIENT_SECRET):
            return Response.json({"error": "invalid_client", "error_description": "Client authentication failed"}, 401)
        grant = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (
            form.get("grant_type") != "authorization_code"
            or not grant
            or grant["challenge"] != challenge
            or grant["redirect_uri"] != form.get("redirect_uri")
        ):
            return Response.json(
                {"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"}, 400
            )
        token = f"token-{len(self.tokens)}"
        self.tokens.add(token)
        return Response.json(
            {"access_token": token, "token_type": "Bearer", "scope": "read write", "created_at": 1_700_000_000}
        )

    def _api(self, request: Request) -> Response:
        path = request.path
        if request.method == "POST" and path == "/api/v1/statuses":
            return self._post_status(request)
        if path == "/api/v1/accounts/verify_credentials":
            return Response.json(OWN_ACCOUNT)
        if path == "/api/v1/notifications":
            types = request.query.get("types[]", [])
            items = [n for n in self.notifications if not types or self.ignores_types or n["type"] in types]
            return self._paged(request, [(n["id"], n) for n in items])
        if path == "/api/v2/search":
            query = request.arg("q").lower()
            items = [s for s in self.statuses.values() if query in s["content"].lower()]
            page, _ = self._page(request, [(s["id"], s) for s in items])
            return Response.json({"accounts": [], "statuses": page, "hashtags": []})  # no Link header here
        if path.startswith("/api/v1/timelines/tag/"):
            tag = path.rsplit("/", 1)[1].lower()
            items = [s for s in self.statuses.values() if tag in [t.lower() for t in s["tags"]]]
            return self._paged(request, [(s["id"], s) for s in items])
        if path == "/api/v1/conversations":
            return self._paged(request, [(c["last_status"]["id"], c) for c in self.conversations])
        if path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            account_id = path.split("/")[4]
            mine = [s for s in self.statuses.values() if s["account"]["id"] == account_id]
            return self._paged(request, [(s["id"], s) for s in mine])
        if path.startswith("/api/v1/statuses/"):
            parts = path.split("/")
            status = self.statuses.get(parts[4])
            if status is None:
                return Response.json({"error": "Record not found"}, 404)
            if len(parts) == 6 and parts[5] == "context":
                return Response.json(
                    {"ancestors": self._ancestors(status), "descendants": self._descendants(status["id"])}
                )
            return Response.json(status)
        return Response.json({"error": "Record not found"}, 404)

    def _ancestors(self, status: dict) -> list[dict]:
        chain = []
        while status.get("in_reply_to_id") in self.statuses:
            status = self.statuses[status["in_reply_to_id"]]
            chain.insert(0, status)  # oldest first, like the real context
        return chain

    def _descendants(self, status_id: str) -> list[dict]:
        found = []
        for status in self.statuses.values():  # oldest first, like the real context
            if isinstance(status, dict) and (
                status.get("in_reply_to_id") == status_id or status.get("in_reply_to_id") in {s["id"] for s in found}
            ):
                found.append(status)
        return found

    def _post_status(self, request: Request) -> Response:
        key = request.headers.get("idempotency-key")
        if key and key in self.idempotency:
            return Response.json(self.idempotency[key])
        body = request.json()
        text = body.get("status", "")
        if not text.strip():
            return Response.json({"error": "Validation failed: Text can't be blank"}, 422)
        if len(text) > self.max_characters:
            return Response.json({"error": "Validation failed: Text character limit of 500 exceeded"}, 422)
        status = self.add_status(
            f"<p>{text}</p>",
            OWN_ACCOUNT,
            in_reply_to_id=body.get("in_reply_to_id"),
            visibility=body.get("visibility", "public"),
        )
        status["posted_text"] = text
        if key:
            self.idempotency[key] = status
        return Response.json(status)

    def _page(self, request: Request, entries: list[tuple[str, dict]]) -> tuple[list[dict], list[str]]:
        """Newest first; ``max_id`` older, ``since_id`` newer (newest first), ``min_id`` just newer."""
        newest_first = sorted(entries, key=lambda entry: int(entry[0]), reverse=True)
        limit = min(int(request.arg("limit", "20")), 80)
        max_id, since_id, min_id = request.arg("max_id"), request.arg("since_id"), request.arg("min_id")
        if max_id:
            newest_first = [e for e in newest_first if int(e[0]) < int(max_id)]
        if since_id:
            newest_first = [e for e in newest_first if int(e[0]) > int(since_id)]
        if min_id:
            chosen = [e for e in newest_first if int(e[0]) > int(min_id)][-limit:]
        else:
            chosen = newest_first[:limit]
        return [item for _, item in chosen], [paging_id for paging_id, _ in chosen]

    def _paged(self, request: Request, entries: list[tuple[str, dict]]) -> Response:
        items, ids = self._page(request, entries)
        headers = {}
        if ids:
            base = f"http://{request.headers.get('host')}{request.path}"
            keep = {k: v for k, v in request.query.items() if k not in ("max_id", "min_id", "since_id")}
            older = urlencode({**keep, "max_id": ids[-1]}, doseq=True)
            newer = urlencode({**keep, "min_id": ids[0]}, doseq=True)
            headers["Link"] = f'<{base}?{older}>; rel="next", <{base}?{newer}>; rel="prev"'
        return Response.json(items, headers=headers)
