"""Threads (Meta) connector, on the Threads Graph API (graph.threads.net);
Graph error shapes, throttling and the signed webhooks are those of ``_graph``.

Shapes, from Meta's documentation (developers.facebook.com/documentation/threads/):
``threads-mentions`` (``GET /{threads-user-id}/mentions``), ``keyword-search``
(``GET /keyword_search?q=…&search_type=RECENT``), ``retrieve-and-manage-replies``
and ``reference/reply-management`` (``GET /{media-id}/conversation``: all
replies, nested ones too, flattened; ``reverse=true`` is newest first),
``retrieve-and-manage-replies/create-replies`` and ``reference/publishing``
(``POST /{threads-user-id}/threads`` with ``media_type=TEXT``, ``text`` and
``reply_to_id`` makes a container, ``GET /{container-id}?fields=status`` says
when it is ``FINISHED``, ``POST /{threads-user-id}/threads_publish`` with
``creation_id`` publishes it), ``webhooks`` (``values.value`` is the reply,
``values.field`` ``replies`` or ``mentions``), ``overview`` (rate limits).
Listings page with ``paging.cursors.after``; ``access_token`` is a query
parameter, as in every example of the documentation.

Media objects name their author by ``username`` only, so authors — and the
account's own Network ID — are Threads usernames.  A media object's
``root_post`` is the thread, ``replied_to`` the post it answers.

Streams: ``mentions``; ``search`` (``stream.query`` is the keyword, or a
``#topic`` tag); ``comments``, the replies under the account's recent posts (or
under the post ids listed in ``stream.query``).  Replies answer any of them
(500 characters; 1,000 API replies per profile and 24 hours).

Auth (``get-started/get-access-tokens-and-permissions``, ``get-started/long-lived-tokens``):
**Connect** sends the administrator to the Authorization Window; the code is
exchanged for a short-lived token (``POST /oauth/access_token``), that for a
long-lived one of 60 days (``GET /access_token?grant_type=th_exchange_token``),
which is refreshed (``GET /refresh_access_token?grant_type=th_refresh_token``)
once it is less than ``REFRESH_BEFORE`` from expiry; these endpoints have no
version in their path.

Credentials: ``app_id`` and ``app_secret`` (the *Threads* app id and secret; the
secret also signs webhooks), ``verify_token``, and from **Connect**:
``access_token``, ``expires_at``, ``user_id`` (a long-lived token may also be
pasted as ``access_token``).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import AuthError, ConnectorError, PayloadError
from ..types import Author, NormalizedPost, Page, SkippedItem, StreamSpec
from ._graph import GraphConnector, _as_dict, _text
from ._parse import load_cursor, optional_int, optional_str, parse_datetime, required_str, webhook_json
from .base import WebhookRequest, ensure_text_length

_logger = logging.getLogger(__name__)

MEDIA_FIELDS = "id,text,username,permalink,timestamp,media_type,is_reply,replied_to,root_post,has_replies"
#: container states of ``GET /{container-id}?fields=status`` (reference/publishing)
_CONTAINER_READY, _CONTAINER_WAITING = "FINISHED", "IN_PROGRESS"
_WEBHOOK_KINDS = {"replies": "comment", "mentions": "mention"}
#: a long-lived token is refreshed when it expires sooner than this (it must be a day old)
REFRESH_BEFORE = timedelta(days=7)


class ThreadsConnector(GraphConnector):
    network = "threads"
    label = "Threads"
    publish_unsupported = "Threads: publishing new posts of our profile is not built yet; replies are sent"
    default_base_url = "https://graph.threads.net/v1.0"
    stream_kinds = ("mentions", "search", "comments")
    max_text_length = 500
    credential_fields = ("app_id", "app_secret", "verify_token", "access_token")
    oauth_dialog_url = "https://threads.net/oauth/authorize"
    oauth_scopes = (
        "threads_basic",
        "threads_read_replies",
        "threads_manage_replies",
        "threads_manage_mentions",
        "threads_keyword_search",
    )
    comments_newest_first = True
    #: checks of a reply container before publishing it, and the wait between two
    publish_checks = 5
    publish_wait_seconds = 2.0

    # -- transport -------------------------------------------------------------------
    def _call(self, method: str, path: str, token: str = "", **kwargs) -> dict:
        carrier = "params" if method == "GET" else "data"
        kwargs[carrier] = {**(kwargs.get(carrier) or {}), "access_token": token or self._token()}
        return self._json(self.http(method, path, **kwargs), path)

    def _token(self) -> str:
        token = super()._token()
        expires_at = self.config.credentials.get("expires_at")
        if expires_at and datetime.fromtimestamp(float(expires_at), timezone.utc) - datetime.now(timezone.utc) \
                < REFRESH_BEFORE:
            token = self._refresh(token, float(expires_at))
        return token

    def _refresh(self, token: str, expires_at: float) -> str:
        """A fresh long-lived token, saved at once; the old one while it is still valid if Threads refuses."""
        try:
            body = self._token_exchange({"grant_type": "th_refresh_token", "access_token": token},
                                        path=f"{self._root()}/refresh_access_token")
        except AuthError as error:
            if expires_at <= datetime.now(timezone.utc).timestamp():
                raise AuthError(f"Threads: the access token expired and cannot be refreshed; connect the account "
                                f"again ({error})") from None
            _logger.info("Threads: the token was not refreshed (%s); it is valid until it expires", error)
            return token
        self.save_credentials(self._token_credentials(body))
        return self.config.credentials["access_token"]

    def _root(self) -> str:
        """The API address without version: where the token endpoints are."""
        return re.sub(r"/v\d+(\.\d+)?$", "", self.base_url)

    @staticmethod
    def _token_credentials(body: dict) -> dict[str, Any]:
        credentials = {"access_token": required_str(body, "access_token")}
        if optional_int(body, "expires_in"):
            expires = datetime.now(timezone.utc) + timedelta(seconds=optional_int(body, "expires_in"))
            credentials["expires_at"] = int(expires.timestamp())
        return credentials

    def fetch_token(self, redirect_uri: str, callback_url: str, kept: dict[str, Any]) -> dict[str, Any]:
        code = self._callback_code(callback_url, kept)
        app_id, app_secret = self._app()
        short = self._token_exchange(
            {"client_id": app_id, "client_secret": app_secret, "grant_type": "authorization_code",
             "redirect_uri": redirect_uri, "code": code},
            method="POST", path=f"{self._root()}/oauth/access_token",
        )
        long_lived = self._token_exchange(
            {"grant_type": "th_exchange_token", "client_secret": app_secret,
             "access_token": required_str(short, "access_token")},
            path=f"{self._root()}/access_token",
        )
        credentials = {**self._token_credentials(long_lived), "user_id": optional_str(short, "user_id")}
        credentials = {key: value for key, value in credentials.items() if value}
        self.config.credentials.update(credentials)
        return credentials

    def _user(self) -> str:
        return self.config.credentials.get("user_id") or "me"

    def _our_author(self) -> Author:
        username = self.config.external_id or self.config.handle.lstrip("@")
        if not username:
            raise ConnectorError("Threads: the account's Network ID (its Threads username) is missing")
        return Author(external_id=username, handle=username, url=f"https://www.threads.net/@{username}")

    def check_connection(self) -> str:
        return optional_str(self._call("GET", f"/{self._user()}", params={"fields": "id,username"}), "username")

    def register_webhook(self, url: str) -> None:
        raise NotImplementedError(
            "Threads: webhooks are set per app: add the Threads webhooks use case in the Meta app dashboard, "
            "with this account's webhook URL and verify token, and subscribe to replies and mentions"
        )

    # -- reading ---------------------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        if not self.config.external_id:
            # our own replies come back in listings and would be taken for customers' posts
            raise ConnectorError("Threads: set the account's Network ID to its Threads username")
        if stream.kind == "search":
            query = stream.query.strip()
            if not query:
                raise ConnectorError("Threads: a search stream needs keywords")
            params = {"q": query.lstrip("#"), "search_type": "RECENT", "fields": MEDIA_FIELDS}
            if query.startswith("#"):
                params["search_mode"] = "TAG"
            return self._read_listing(stream, load_cursor(cursor), "/keyword_search", params,
                                      lambda item: self.media_post(item, "post"))
        if stream.kind == "messages":
            raise ConnectorError("Threads has no direct messages in its API")
        return super().fetch_page(stream, cursor)

    def mentions_edge(self) -> tuple[str, dict]:
        return f"/{self._user()}/mentions", {"fields": MEDIA_FIELDS}

    def mention_post(self, item: dict) -> NormalizedPost:
        return self.media_post(item, "mention")

    def recent_parents(self) -> list[str]:
        items, _after = self._edge(f"/{self._user()}/threads", {"fields": "id", "limit": self.recent_posts})
        return [optional_str(_as_dict(item), "id") for item in items if optional_str(_as_dict(item), "id")]

    def comments_edge(self, parent: str) -> tuple[str, dict]:
        return f"/{parent}/conversation", {"fields": MEDIA_FIELDS, "reverse": "true"}

    def comment_post(self, item: dict, parent: str) -> NormalizedPost:
        return self.media_post(item, "comment", parent)

    def media_post(self, item: dict, kind: str, root: str = "") -> NormalizedPost:
        """A Threads media object; ``root`` is the post whose conversation it was read from."""
        username = required_str(item, "username")
        media_id = required_str(item, "id")
        thread = optional_str(_as_dict(item.get("root_post")), "id") or root or media_id
        return NormalizedPost(
            external_id=media_id,
            author=Author(external_id=username, handle=username, url=f"https://www.threads.net/@{username}"),
            text=_text(item, "text"),
            created_at=parse_datetime(item.get("timestamp")),
            kind=kind,
            url=optional_str(item, "permalink"),
            parent_external_id=optional_str(_as_dict(item.get("replied_to")), "id") or (root if root != media_id
                                                                                       else ""),
            thread_external_id=thread,
        )

    # -- writing ---------------------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        ensure_text_length(self, text)
        container = required_str(self._call("POST", f"/{self._user()}/threads", data={
            "media_type": "TEXT", "text": text, "reply_to_id": parent.external_id,
        }), "id")
        self._wait_until_ready(container)
        media_id = required_str(self._call("POST", f"/{self._user()}/threads_publish",
                                           data={"creation_id": container}), "id")
        return NormalizedPost(
            external_id=media_id,
            author=self._our_author(),
            text=text,
            created_at=datetime.now(timezone.utc),
            kind="comment",
            parent_external_id=parent.external_id,
            thread_external_id=parent.thread_external_id or parent.external_id,
        )

    def _wait_until_ready(self, container: str) -> None:
        """Threads processes a container before it can be published (reference/publishing)."""
        for _check in range(self.publish_checks):
            body = self._call("GET", f"/{container}", params={"fields": "status,error_message"})
            status = optional_str(body, "status")
            if status == _CONTAINER_READY:
                return
            if status != _CONTAINER_WAITING:
                raise ConnectorError(f"Threads: the reply was refused ({status or 'no status'}: "
                                     f"{optional_str(body, 'error_message')[:300]})")
            self._sleep(self.publish_wait_seconds)
        raise ConnectorError("Threads: the reply is still being processed; try again in a minute")

    # -- webhooks --------------------------------------------------------------------
    def parse_webhook(self, request: WebhookRequest) -> list[NormalizedPost]:
        payload = _as_dict(webhook_json(self.signed_body(request)))
        self.webhook_skipped = []
        values = payload.get("values")
        posts = []
        for change in values if isinstance(values, list) else [values]:
            change = _as_dict(change)
            kind = _WEBHOOK_KINDS.get(optional_str(change, "field"))
            if kind is None:
                continue  # publish and delete notifications are about our own posts
            value = _as_dict(change.get("value"))
            try:
                posts.append(self.media_post(value, kind))
            except PayloadError as error:
                self.webhook_skipped.append(SkippedItem(str(error), optional_str(value, "id")))
        return posts


CONNECTOR = ThreadsConnector
