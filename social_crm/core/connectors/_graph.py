"""What the Facebook Page and Instagram connectors share: the Meta Graph API.

Auth: Facebook Login.  ``fetch_token`` exchanges the code for a user token,
that for a long-lived one (``fb_exchange_token``, about 60 days), and takes the
Page token from ``/me/accounts``; a Page token derived from a long-lived user
token does not expire.  There are no refresh tokens: an invalid token (error
190) is an :class:`AuthError` and the account must be connected again.

Credentials: ``app_id``, ``app_secret`` (also signs webhooks), ``verify_token``
(webhook subscription check), and from ``fetch_token``: ``access_token`` (the
Page token), ``page_id``, ``user_access_token``, ``user_token_expires_at`` and
``ig_user_id`` when the Page has an Instagram professional account.

Rate limits: Meta reports usage as percentages in ``X-App-Usage`` and
``X-Business-Use-Case-Usage``; ``RateLimit.remaining``/``limit`` are therefore
percent of the quota left (``limit`` = 100).  Throttled calls answer HTTP
400/403 with codes 4, 17, 32, 613, 80001, 80002 or 80006; they raise
:class:`RateLimited` at ``estimated_time_to_regain_access`` when Meta gives it,
else after ``DEFAULT_THROTTLE_MINUTES``.

Polling: listings are newest first.  Comments are read per recent post or
media (``stream.query`` may list their ids instead, separated by spaces or
commas); a poll keeps what was created after the newest item of the previous
run (time plus the ids seen at that second, so nothing is read twice).
Edits and deletions are only signalled by webhooks (``verb: edited/remove``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from ..errors import AuthError, ConnectorError, PayloadError, RateLimited, TransientError, WebhookRejected
from ..types import Author, Metrics, NormalizedPost, Page, RateLimit, SkippedItem, StreamSpec
from ._parse import (
    clean_text,
    dump_cursor,
    ensure_webhook_size,
    load_cursor,
    optional_int,
    optional_str,
    parse_datetime,
    required_str,
    walk_newest_first,
    webhook_json,
)
from .base import Connector, WebhookRequest, WebhookResponse, ensure_text_length

_logger = logging.getLogger(__name__)

GRAPH_VERSION = "v25.0"
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80006})
DEFAULT_THROTTLE_MINUTES = 10
#: Messenger/Instagram refuse a message outside the 24 h window with these subcodes
_WINDOW_SUBCODES = frozenset({2018278, 2534022})
_PERMISSION_CODES = frozenset({10, *range(200, 300)})


def _split_ids(query: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", query) if part]


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _text(item: dict, key: str) -> str:
    """A text field; absent means an item without text (a bare photo), a wrong type is malformed."""
    value = item.get(key, "")
    if not isinstance(value, str):
        raise PayloadError(f"{key} is a {type(value).__name__}, not a string")
    return clean_text(value)


def _attachments(item: dict) -> str:
    """``[image/jpeg: photo.jpg]`` for each attachment of a message."""
    attachments = _as_dict(item.get("attachments")).get("data")
    parts = []
    for attachment in attachments if isinstance(attachments, list) else []:
        attachment = _as_dict(attachment)
        kind = optional_str(attachment, "mime_type") or optional_str(attachment, "type") or "attachment"
        name = optional_str(attachment, "name") or optional_str(attachment, "id")
        parts.append(f"[{kind}: {name}]" if name else f"[{kind}]")
    return clean_text(" ".join(parts))


class _Marker:
    """Where the previous poll stopped: the creation time of its newest item and
    the ids created at that very second."""

    def __init__(self, state: dict):
        known = _as_dict(state.get("known"))
        self.at = parse_datetime(known["at"]) if known.get("at") else None
        self.ids = set(known.get("ids") or [])
        top = _as_dict(state.get("top"))
        self.top_at = parse_datetime(top["at"]) if top.get("at") else None
        self.top_ids = set(top.get("ids") or [])

    def is_new(self, post: NormalizedPost) -> bool:
        return self.at is None or post.created_at > self.at or (
            post.created_at == self.at and post.external_id not in self.ids
        )

    def note(self, post: NormalizedPost) -> None:
        if self.top_at is None or post.created_at > self.top_at:
            self.top_at, self.top_ids = post.created_at, {post.external_id}
        elif post.created_at == self.top_at:
            self.top_ids.add(post.external_id)

    def top(self) -> dict | None:
        return {"at": self.top_at.isoformat(), "ids": sorted(self.top_ids)} if self.top_at else None


class GraphConnector(Connector):
    """Base of the Facebook Page and Instagram connectors."""

    default_base_url = f"https://graph.facebook.com/{GRAPH_VERSION}"
    stream_kinds = ("mentions", "comments", "messages")
    can_reply = True
    has_webhooks = True
    uses_oauth = True
    credential_fields = ("app_id", "app_secret", "verify_token", "access_token")
    #: Send API text limit of direct messages
    max_message_length: ClassVar[int] = 2000
    #: ``platform`` of the conversations edge
    messaging_platform: ClassVar[str] = "messenger"
    oauth_scopes: ClassVar[tuple[str, ...]] = ()
    #: where the administrator grants access (option ``dialog_url`` overrides it)
    oauth_dialog_url: ClassVar[str] = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"
    #: the comments edge can be asked for newest first, so a poll may stop early
    comments_newest_first: ClassVar[bool] = False
    #: Page fields :meth:`register_webhook` subscribes the app to
    webhook_fields: ClassVar[tuple[str, ...]] = ("feed", "mention", "messages")

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        options = config.options
        #: items per request; option ``page_size``
        self.page_size = int(options.get("page_size", 50))
        #: how many recent posts/media a comments stream watches; option ``recent_posts``
        self.recent_posts = int(options.get("recent_posts", 10))

    # -- transport -------------------------------------------------------------------
    def _token(self) -> str:
        token = self.config.credentials.get("access_token")
        if not token:
            raise AuthError(f"{self.label}: the account is not connected (no access token)")
        return token

    def _call(self, method: str, path: str, token: str = "", **kwargs) -> dict:
        """A Graph call with the Page token (or ``token``), answered by a JSON object."""
        headers = {"Authorization": f"Bearer {token or self._token()}"}
        return self._json(self.http(method, path, headers=headers, **kwargs), path)

    def _json(self, response: requests.Response, path: str) -> dict:
        body = response.json()
        if not isinstance(body, dict):
            raise PayloadError(f"{self.label}: {path} returned no JSON object")
        return body

    def _edge(self, path: str, params: dict, after: str = "") -> tuple[list, str]:
        """One page of an edge and the cursor of the next page ("" on the last one)."""
        params = {**params, "limit": params.get("limit", self.page_size)}
        if after:
            params["after"] = after
        body = self._call("GET", path, params=params)
        data = body.get("data")
        paging = _as_dict(body.get("paging"))
        next_after = optional_str(_as_dict(paging.get("cursors")), "after") if paging.get("next") else ""
        return (data if isinstance(data, list) else []), next_after

    @staticmethod
    def _usage(headers) -> tuple[int | None, int]:
        """Highest usage percentage and longest ``estimated_time_to_regain_access`` (minutes)."""
        percentages, minutes = [], 0
        for name in ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage"):
            try:
                value = json.loads(headers.get(name) or "null")
            except ValueError:
                continue
            entries = [value] if name != "X-Business-Use-Case-Usage" else [
                entry for entries in _as_dict(value).values() if isinstance(entries, list) for entry in entries
            ]
            for entry in entries:
                entry = _as_dict(entry)
                percentages += [optional_int(entry, key) for key in ("call_count", "total_time", "total_cputime")
                                if key in entry]
                minutes = max(minutes, optional_int(entry, "estimated_time_to_regain_access"))
        return (max(percentages) if percentages else None), minutes

    def read_rate_limit(self, response: requests.Response) -> RateLimit | None:
        usage, minutes = self._usage(response.headers)
        if usage is None:
            return None
        reset_at = datetime.now(timezone.utc) + timedelta(minutes=minutes) if minutes else None
        return RateLimit(remaining=max(0, 100 - usage), limit=100, reset_at=reset_at)

    def check_response(self, response: requests.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = _as_dict(_as_dict(body).get("error"))
        status = response.status_code
        if status < 400 and not error:
            return
        code, subcode = error.get("code"), error.get("error_subcode")
        message = optional_str(error, "error_user_msg") or optional_str(error, "message") or f"HTTP {status}"
        message = message[:300]
        if code in THROTTLE_CODES or status == 429:
            minutes = self._usage(response.headers)[1] or DEFAULT_THROTTLE_MINUTES
            raise RateLimited(f"{self.label}: rate limit reached (code {code}): {message}",
                              datetime.now(timezone.utc) + timedelta(minutes=minutes))
        if status >= 500 or code in (1, 2):
            raise TransientError(f"{self.label}: temporary Graph API failure (HTTP {status}, code {code})")
        if code == 190 or (status == 401 and not code):
            raise AuthError(f"{self.label}: the access token is invalid or expired; reconnect the account ({message})")
        if subcode in _WINDOW_SUBCODES:
            raise ConnectorError(
                f"{self.label}: this person last wrote more than 24 hours ago; the messaging window is closed, "
                "so the message cannot be sent"
            )
        if code in _PERMISSION_CODES:
            raise ConnectorError(f"{self.label}: permission missing (code {code}): {message}")
        raise ConnectorError(f"{self.label}: {message} (code {code}, HTTP {status})")

    # -- OAuth (Facebook Login) --------------------------------------------------------
    def _app(self) -> tuple[str, str]:
        credentials = self.config.credentials
        if not credentials.get("app_id") or not credentials.get("app_secret"):
            raise AuthError(f"{self.label}: the app id and app secret are missing")
        return credentials["app_id"], credentials["app_secret"]

    def authorization_url(self, redirect_uri: str, state: str) -> tuple[str, dict[str, Any]]:
        dialog = self.config.options.get("dialog_url", self.oauth_dialog_url)
        query = urlencode({"client_id": self._app()[0], "redirect_uri": redirect_uri, "state": state,
                           "response_type": "code", "scope": ",".join(self.oauth_scopes)})
        return f"{dialog}?{query}", {"state": state}

    def _callback_code(self, callback_url: str, kept: dict[str, Any]) -> str:
        """The authorization code of the callback, once its ``state`` matches the request."""
        query = {key: values[0] for key, values in parse_qs(urlsplit(callback_url).query).items()}
        if query.get("error"):
            raise AuthError(f"{self.label}: authorization refused: {query.get('error_description') or query['error']}")
        if not hmac.compare_digest(query.get("state", ""), str(kept.get("state", ""))):
            raise AuthError(f"{self.label}: the authorization answer does not match the request (state)")
        if not query.get("code"):
            raise AuthError(f"{self.label}: the authorization answer has no code")
        return query["code"]

    def fetch_token(self, redirect_uri: str, callback_url: str, kept: dict[str, Any]) -> dict[str, Any]:
        code = self._callback_code(callback_url, kept)
        app_id, app_secret = self._app()
        app = {"client_id": app_id, "client_secret": app_secret}
        short = self._token_exchange({**app, "redirect_uri": redirect_uri, "code": code})
        long_lived = self._token_exchange(
            {**app, "grant_type": "fb_exchange_token", "fb_exchange_token": required_str(short, "access_token")}
        )
        user_token = required_str(long_lived, "access_token")
        accounts = self._call("GET", "/me/accounts", token=user_token,
                              params={"fields": "id,name,access_token,instagram_business_account"}).get("data")
        page = self._choose_page([_as_dict(account) for account in accounts or []])
        credentials = {
            "access_token": required_str(page, "access_token"),
            "page_id": required_str(page, "id"),
            "user_access_token": user_token,
            "ig_user_id": optional_str(_as_dict(page.get("instagram_business_account")), "id"),
        }
        if optional_int(long_lived, "expires_in"):
            expires = datetime.now(timezone.utc) + timedelta(seconds=optional_int(long_lived, "expires_in"))
            credentials["user_token_expires_at"] = int(expires.timestamp())
        credentials = {key: value for key, value in credentials.items() if value}
        self.config.credentials.update(credentials)
        return credentials

    def _token_exchange(self, params: dict, method: str = "GET", path: str = "/oauth/access_token") -> dict:
        """A token endpoint (``GET /oauth/access_token``); a refused code or token is an authorization failure."""
        carrier = "params" if method == "GET" else "data"
        try:
            return self._json(self.http(method, path, **{carrier: params}), path)
        except (RateLimited, TransientError):
            raise
        except ConnectorError as error:
            raise AuthError(str(error)) from None

    def _page_matches(self, page: dict) -> bool:
        return optional_str(page, "id") == self.config.external_id

    def _choose_page(self, pages: list[dict]) -> dict:
        """The Page of this account among those the user manages (the only one if there is one)."""
        matching = [page for page in pages if self._page_matches(page)]
        if len(matching) == 1 or (not self.config.external_id and len(pages) == 1):
            return (matching or pages)[0]
        names = ", ".join(optional_str(page, "name") or optional_str(page, "id") for page in pages) or "none"
        raise AuthError(f"{self.label}: cannot tell which Page to connect; the user manages: {names}")

    # -- reading ----------------------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        state = load_cursor(cursor)
        if stream.kind == "mentions":
            path, params = self.mentions_edge()
            return self._read_listing(stream, state, path, params, self.mention_post)
        if stream.kind == "comments":
            return self._read_comments(stream, state)
        if stream.kind == "messages":
            return self._read_conversations(stream, state)
        raise ConnectorError(f"{self.label}: unknown stream kind {stream.kind!r}")

    def _page(self, posts, state, more, skipped) -> Page:
        return Page(posts=posts, cursor=dump_cursor(state), has_more=more, skipped=skipped,
                    rate_limit=self.last_rate_limit)

    def _parse(self, items: list, parse: Callable[[dict], NormalizedPost], skipped: list) -> list[NormalizedPost]:
        posts = []
        for item in items:
            try:
                posts.append(parse(_as_dict(item)))
            except PayloadError as error:
                skipped.append(SkippedItem(str(error), optional_str(_as_dict(item), "id")))
        return posts

    def _read_listing(self, stream, state, path, params, parse) -> Page:
        items, after = self._edge(path, params, state.get("page", ""))
        skipped: list[SkippedItem] = []
        entries = [(post.external_id, post.created_at, post) for post in self._parse(items, parse, skipped)]
        posts, more = walk_newest_first(state, entries, after, stream.backfill_limit)
        return self._page(posts, state, more, skipped)

    def _finish(self, state: dict, marker: _Marker) -> dict:
        return {"known": marker.top() or state.get("known")}

    def _cap(self, stream: StreamSpec, state: dict, marker: _Marker, posts: list) -> tuple[list, bool]:
        """Trim a first run to ``backfill_limit``; True when the cap is reached."""
        if marker.at is not None or not stream.backfill_limit:
            return posts, False
        room = stream.backfill_limit - state.get("count", 0)
        posts = posts[:max(room, 0)]
        state["count"] = state.get("count", 0) + len(posts)
        return posts, state["count"] >= stream.backfill_limit

    def _read_comments(self, stream: StreamSpec, state: dict) -> Page:
        marker = _Marker(state)
        if "queue" not in state:  # a new run: which posts to watch
            state["queue"] = _split_ids(stream.query) or self.recent_parents()
        skipped: list[SkippedItem] = []
        posts: list[NormalizedPost] = []
        if state["queue"]:
            parent = state["queue"][0]
            path, params = self.comments_edge(parent)
            items, after = self._edge(path, params, state.get("after", ""))
            read = self._parse(self.flatten_comments(items), lambda item: self.comment_post(item, parent), skipped)
            posts = [post for post in read if marker.is_new(post)]
            reached_known = self.comments_newest_first and len(posts) < len(read)
            if after and not reached_known:
                state["after"] = after
            else:
                state["queue"].pop(0)
                state["after"] = ""
        posts, capped = self._cap(stream, state, marker, posts)
        for post in posts:
            marker.note(post)
        state["top"] = marker.top()
        more = bool(state["queue"]) and not capped
        return self._page(posts, state if more else self._finish(state, marker), more, skipped)

    def _read_conversations(self, stream: StreamSpec, state: dict) -> Page:
        marker = _Marker(state)
        fields = "id,updated_time,messages.limit(25){id,message,from,to,created_time,attachments}"
        items, after = self._edge(f"/{self.page_id()}/conversations",
                                  {"platform": self.messaging_platform, "fields": fields}, state.get("page", ""))
        skipped: list[SkippedItem] = []
        posts, reached_known = [], False
        for conversation in items:
            conversation = _as_dict(conversation)
            try:
                updated = parse_datetime(conversation.get("updated_time"))
            except PayloadError as error:
                skipped.append(SkippedItem(f"conversation: {error}", optional_str(conversation, "id")))
                continue
            if marker.at is not None and updated < marker.at:
                reached_known = True  # conversations come most recently active first
                break
            messages = _as_dict(conversation.get("messages")).get("data")
            thread = optional_str(conversation, "id")
            read = self._parse(messages if isinstance(messages, list) else [],
                               lambda item, thread=thread: self.message_post(item, thread), skipped)
            posts += [post for post in read if marker.is_new(post)]
        posts, capped = self._cap(stream, state, marker, posts)
        for post in posts:
            marker.note(post)
        state["top"] = marker.top()
        more = bool(after) and not reached_known and not capped
        state["page"] = after if more else ""
        return self._page(posts, state if more else self._finish(state, marker), more, skipped)

    # -- per network ------------------------------------------------------------------
    def page_id(self) -> str:
        page_id = self.config.credentials.get("page_id") or self.config.external_id
        if not page_id:
            raise ConnectorError(f"{self.label}: the Facebook Page id is unknown; connect the account again")
        return page_id

    def mentions_edge(self) -> tuple[str, dict]:
        raise NotImplementedError

    def mention_post(self, item: dict) -> NormalizedPost:
        raise NotImplementedError

    def recent_parents(self) -> list[str]:
        raise NotImplementedError

    def comments_edge(self, parent: str) -> tuple[str, dict]:
        raise NotImplementedError

    def flatten_comments(self, items: list) -> list:
        return items

    def comment_post(self, item: dict, parent: str) -> NormalizedPost:
        raise NotImplementedError

    def message_post(self, item: dict, thread: str) -> NormalizedPost:
        author = _as_dict(item.get("from"))
        # a photo or file the person sent is a message too: it is described
        text = "\n".join(part for part in (_text(item, "message"), _attachments(item)) if part)
        if not text:
            raise PayloadError("message has no text and no attachment (a sticker or reaction)")
        email = optional_str(author, "email")
        return NormalizedPost(
            external_id=required_str(item, "id"),
            author=Author(external_id=required_str(author, "id"),
                          handle=optional_str(author, "username") or optional_str(author, "name")
                          or required_str(author, "id"),
                          display_name=optional_str(author, "name"),
                          # ``<id>@facebook.com`` is Messenger's relay address, not the person's own
                          email="" if email.lower().endswith("@facebook.com") else email),
            text=text,
            created_at=parse_datetime(item.get("created_time")),
            kind="message",
            thread_external_id=thread,
        )

    # -- writing ----------------------------------------------------------------------
    def _our_author(self) -> Author:
        external_id = self.config.external_id or self.page_id()
        return Author(external_id=external_id, handle=self.config.handle or external_id)

    def send_message(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        """A direct answer through the Send API, allowed within 24 h of the person's last message."""
        if len(text) > self.max_message_length:
            raise ConnectorError(f"{self.label} messages have at most {self.max_message_length} characters; "
                                 f"this text has {len(text)}.")
        body = self._call("POST", f"/{self.page_id()}/messages", json={
            "recipient": {"id": parent.author.external_id},
            "messaging_type": "RESPONSE",
            "message": {"text": text},
        })
        return NormalizedPost(
            external_id=required_str(body, "message_id"),
            author=self._our_author(),
            text=text,
            created_at=datetime.now(timezone.utc),
            kind="message",
            parent_external_id=parent.external_id,
            thread_external_id=parent.thread_external_id,
        )

    def _created(self, body: dict, text: str, target: str, parent: NormalizedPost) -> NormalizedPost:
        return NormalizedPost(
            external_id=required_str(body, "id"),
            author=self._our_author(),
            text=text,
            created_at=datetime.now(timezone.utc),
            kind="comment",
            parent_external_id=target,
            thread_external_id=parent.thread_external_id or parent.external_id,
        )

    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        ensure_text_length(self, text)
        if parent.kind == "message":
            return self.send_message(parent, text)
        path, target = self.reply_target(parent)
        return self._created(self._call("POST", path, data={"message": text}), text, target, parent)

    def reply_target(self, parent: NormalizedPost) -> tuple[str, str]:
        """The edge to POST a reply to and the id it answers."""
        raise NotImplementedError

    @staticmethod
    def is_nested_reply(post: NormalizedPost) -> bool:
        """A reply to a comment: its parent is a comment, not the post (which is the thread)."""
        return bool(post.parent_external_id) and post.parent_external_id != post.thread_external_id

    # -- webhooks ---------------------------------------------------------------------
    def register_webhook(self, url: str) -> None:
        """Install the app on the Page so that Meta delivers its events to the app's webhook
        (``url`` and the verify token are set once per app in the Meta dashboard)."""
        body = self._call("POST", f"/{self.page_id()}/subscribed_apps",
                          data={"subscribed_fields": ",".join(self.webhook_fields)})
        if body.get("success") is not True:
            raise ConnectorError(f"{self.label}: Meta did not confirm the webhook subscription")

    def webhook_handshake(self, request: WebhookRequest) -> WebhookResponse | None:
        if request.method.upper() != "GET" or request.query.get("hub.mode") is None:
            return None
        expected = self.config.credentials.get("verify_token") or ""
        given = request.query.get("hub.verify_token") or ""
        if request.query.get("hub.mode") != "subscribe" or not expected or not hmac.compare_digest(
            given.encode(), expected.encode()
        ):
            raise WebhookRejected(f"{self.label}: wrong verify token")
        return WebhookResponse(body=request.query.get("hub.challenge") or "")

    def signed_body(self, request: WebhookRequest) -> bytes:
        """The body of a delivery signed with the app secret (``X-Hub-Signature-256``,
        HMAC-SHA256 of the raw body, compared in constant time); else :class:`WebhookRejected`."""
        body = ensure_webhook_size(request.body)
        secret = self.config.credentials.get("app_secret") or ""
        given = next((value for name, value in request.headers.items() if name.lower() == "x-hub-signature-256"), "")
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not secret or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected(f"{self.label}: missing or wrong X-Hub-Signature-256")
        return body

    def parse_webhook(self, request: WebhookRequest) -> list[NormalizedPost]:
        payload = _as_dict(webhook_json(self.signed_body(request)))
        posts = []
        for entry in payload.get("entry") if isinstance(payload.get("entry"), list) else []:
            entry = _as_dict(entry)
            events = [("change", change) for change in entry.get("changes") or [] if isinstance(change, dict)]
            events += [("messaging", event) for event in entry.get("messaging") or [] if isinstance(event, dict)]
            for kind, event in events:
                try:
                    post = self._webhook_change(event, entry) if kind == "change" else self._webhook_message(event)
                except PayloadError as error:
                    _logger.info("%s webhook: skipped a %s event: %s", self.label, kind, error)
                    self.webhook_skipped.append(SkippedItem(f"{error} ({kind} event)", optional_str(entry, "id")))
                    continue
                if post is not None:
                    posts.append(post)
        return posts

    def _webhook_message(self, event: dict) -> NormalizedPost | None:
        message = _as_dict(event.get("message") or event.get("message_edit"))
        if not message or message.get("is_deleted"):
            return None
        text = _text(message, "text")
        if not text:
            return None  # attachments only
        sender_id = required_str(_as_dict(event.get("sender")), "id")
        created = parse_datetime(event.get("timestamp"))
        edited = "message_edit" in event
        return NormalizedPost(
            external_id=required_str(message, "mid"),
            author=Author(external_id=sender_id, handle=sender_id),
            text=text,
            created_at=created,
            kind="message",
            edited_at=created if edited else None,
        )

    def _webhook_change(self, change: dict, entry: dict) -> NormalizedPost | None:
        field, value = change.get("field"), _as_dict(change.get("value"))
        if field in ("feed", "mention"):
            return self._feed_change(field, value, entry)
        if field == "comments":
            return self._instagram_comment_change(value, entry)
        return None

    def _feed_change(self, field: str, value: dict, entry: dict) -> NormalizedPost | None:
        item, verb = value.get("item"), value.get("verb")
        if item not in ("comment", "post", "status", "photo", "video") or verb not in ("add", "edited", "remove"):
            return None  # reactions, likes, shares …
        sender = _as_dict(value.get("from"))
        sender_id = optional_str(sender, "id") or required_str(value, "sender_id")
        is_comment = item == "comment"
        external_id = required_str(value, "comment_id" if is_comment else "post_id")
        post_id = optional_str(value, "post_id")
        changed_at = parse_datetime(entry.get("time") or value.get("created_time"))
        return NormalizedPost(
            external_id=external_id,
            author=Author(external_id=sender_id, handle=optional_str(sender, "name")
                          or optional_str(value, "sender_name") or sender_id,
                          display_name=optional_str(sender, "name") or optional_str(value, "sender_name")),
            text=_text(value, "message"),
            created_at=parse_datetime(value.get("created_time") or entry.get("time")),
            kind="mention" if field == "mention" else ("comment" if is_comment else "post"),
            parent_external_id=(optional_str(value, "parent_id") or post_id) if is_comment else "",
            thread_external_id=post_id if is_comment else external_id,
            edited_at=changed_at if verb == "edited" else None,
            deleted=verb == "remove",
        )

    def _instagram_comment_change(self, value: dict, entry: dict) -> NormalizedPost:
        sender = _as_dict(value.get("from"))
        media_id = optional_str(_as_dict(value.get("media")), "id")
        username = optional_str(sender, "username")
        return NormalizedPost(
            external_id=required_str(value, "id"),
            author=Author(external_id=required_str(sender, "id"), handle=username or required_str(sender, "id"),
                          url=f"https://www.instagram.com/{username}" if username else ""),
            text=_text(value, "text"),
            created_at=parse_datetime(entry.get("time")),
            kind="comment",
            parent_external_id=optional_str(value, "parent_id") or media_id,
            thread_external_id=media_id,
        )

    @staticmethod
    def metrics(item: dict) -> Metrics:
        return Metrics(likes=optional_int(item, "like_count"),
                       replies=optional_int(item, "comment_count") or optional_int(item, "comments_count"))
