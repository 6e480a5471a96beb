"""Mastodon (any instance; the instance URL is the account's base URL).

Streams:

- ``mentions``: mention notifications (each checked for its type: an instance
  that ignores ``types[]`` sends favourites, boosts and follows too).
- ``search``: status search; a query starting with ``#`` reads that hashtag's timeline.
- ``comments``: replies (context descendants) to the statuses whose ids the
  query lists (separated by spaces or commas), or, with an empty query, to
  the account's 20 most recent statuses.
- ``messages``: direct conversations: their latest status, and the earlier
  messages read through that status's ``/context``.

Paging follows the ``Link`` header (``max_id`` older, ``min_id`` newer); ids are
opaque strings.  A first run pages older from the newest item (up to the
backfill cap); later polls page forward with ``min_id`` from the newest id seen.

OAuth: the administrator registers the app on the instance and enters its
``client_id``/``client_secret``; :meth:`authorization_url` (PKCE S256) and
:meth:`fetch_token` connect, :meth:`revoke` disconnects.  Tokens do not expire.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

import requests

from ..errors import AuthError, ConnectorError, NotFound, PayloadError, RateLimited, TransientError
from ..matching import EMAIL
from ..publishing import PublishLimits, same_text
from ..types import Author, Metrics, NormalizedPost, Page, RateLimit, SkippedItem, StreamSpec
from ._oauth import OAuth2Connector
from ._parse import (
    clean_text,
    dump_cursor,
    header_int,
    html_to_text,
    load_cursor,
    optional_int,
    optional_str,
    parse_datetime,
    required_str,
)
from .base import ensure_publishable, ensure_text_length, retry_after

DEFAULT_MAX_CHARACTERS = 500
#: a web address in a profile field (the link's target; its text may be shortened)
_LINK = re.compile(r"https?://[^\s\"'<>]+")
#: instance base URL -> the status length it accepts, read once per process
_max_characters_by_instance: dict[str, int] = {}


class MastodonConnector(OAuth2Connector):
    network = "mastodon"
    label = "Mastodon"
    default_base_url = "https://mastodon.social"
    stream_kinds = ("mentions", "search", "comments", "messages")
    max_text_length = DEFAULT_MAX_CHARACTERS
    can_reply = True
    can_publish = True
    federated = True
    #: an access token made under Preferences > Development works alone; tokens never expire
    credential_fields = ("access_token", "client_id", "client_secret")
    # the instance may allow more characters (read at publish time); links count 23
    publish_limits = PublishLimits(max_chars=DEFAULT_MAX_CHARACTERS, max_media=4, link_length=23)
    oauth_scopes = ("read:accounts", "read:notifications", "read:search", "read:statuses", "write:statuses",
                    "write:media")
    oauth_pkce = True
    oauth_revoke_client_in_body = True

    #: items per request (notifications allow 80, search 40)
    page_size: ClassVar[int] = 40

    # -- OAuth -------------------------------------------------------------
    def oauth_authorize_endpoint(self) -> str:
        return f"{self.base_url}/oauth/authorize"

    def oauth_token_endpoint(self) -> str:
        return f"{self.base_url}/oauth/token"

    def oauth_revoke_endpoint(self) -> str:
        return f"{self.base_url}/oauth/revoke"

    def check_connection(self) -> str:
        account = self.authorized("GET", "/api/v1/accounts/verify_credentials").json()
        self.account_external_id = required_str(account, "id")
        return required_str(account, "acct")

    # -- HTTP --------------------------------------------------------------
    def read_rate_limit(self, response: requests.Response) -> RateLimit | None:
        headers = response.headers
        if "X-RateLimit-Remaining" not in headers:
            return None
        reset = headers.get("X-RateLimit-Reset", "")
        try:
            reset_at = parse_datetime(reset)  # an ISO-8601 time, not seconds
        except PayloadError:
            reset_at = None
        return RateLimit(
            remaining=header_int(headers, "X-RateLimit-Remaining"),
            limit=header_int(headers, "X-RateLimit-Limit"),
            reset_at=reset_at,
        )

    def check_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400 or status == 401:
            return super().check_response(response)
        message = _error_message(response)
        if status == 429:
            reset_at = self.last_rate_limit.reset_at if self.last_rate_limit else None
            raise RateLimited(f"Mastodon: rate limit reached: {message}", reset_at or retry_after(response))
        if status >= 500:
            raise TransientError(f"Mastodon: HTTP {status}")
        if status == 403:
            raise AuthError(f"Mastodon: {message}")
        if status == 404:
            raise NotFound(f"Mastodon: HTTP 404: {message}")
        raise ConnectorError(f"Mastodon: HTTP {status}: {message}")

    # -- reading -----------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        state = load_cursor(cursor)
        if stream.kind == "comments":
            page = self._fetch_replies(stream, state)
        elif stream.kind in ("mentions", "search", "messages"):
            page = self._fetch_listing(stream, state)
        else:
            raise ConnectorError(f"Mastodon cannot read {stream.kind}")
        page.rate_limit = self.last_rate_limit
        return page

    def _fetch_listing(self, stream: StreamSpec, state: dict) -> Page:
        """A ``Link``-paginated, newest-first listing: backfill older, then poll newer."""
        path, params, items_of, status_of, kind = self._listing(stream)
        # the first run pages older (max_id) from the newest item; later polls page newer (min_id)
        backfilling = not state.get("newest") or bool(state.get("older"))
        params["limit"] = self.page_size
        if state.get("older"):
            params["max_id"] = state["older"]
        elif not backfilling:
            params["min_id"] = state["newest"]
        if backfilling and stream.backfill_limit:
            params["limit"] = max(1, min(self.page_size, stream.backfill_limit - state.get("count", 0)))
        response = self.authorized("GET", path, params=params)
        items = items_of(response.json())
        page = Page()
        for item in items:
            try:
                status = status_of(item)
                page.posts.append(self._post(status, kind, thread=_conversation_id(item, stream)))
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), _item_id(item)))
        if stream.kind == "messages":
            self._read_earlier_messages(items, page)
        older, newer = _link_ids(response, items)
        if "min_id" in params:  # polling forward: continue from the newest id of this page
            state["newest"] = newer or state["newest"]
            page.has_more = bool(items) and len(items) >= params["limit"]
        else:
            if "max_id" not in params:  # the newest page of a first run
                state["newest"] = newer
            state["count"] = state.get("count", 0) + len(items)
            capped = bool(stream.backfill_limit) and state["count"] >= stream.backfill_limit
            page.has_more = bool(items and older) and not capped
            state["older"] = older if page.has_more else ""
        page.cursor = dump_cursor(state)
        return page

    def _listing(self, stream: StreamSpec):
        """Path, parameters, item reader, status reader and post kind of a listing stream."""
        if stream.kind == "mentions":
            return (
                "/api/v1/notifications",
                {"types[]": "mention"},
                _as_list,
                _mentioning_status,
                "mention",
            )
        if stream.kind == "messages":
            return (
                "/api/v1/conversations",
                {},
                _as_list,
                lambda item: _required_object(item, "last_status"),
                "message",
            )
        query = stream.query.strip()
        if not query:
            raise ConnectorError("Mastodon search needs a query")
        if query.startswith("#"):
            return f"/api/v1/timelines/tag/{quote(query[1:], safe='')}", {}, _as_list, _status, "post"
        return (
            "/api/v2/search",
            {"q": query, "type": "statuses", "resolve": "false"},
            lambda payload: _as_list(payload.get("statuses") if isinstance(payload, dict) else None),
            _status,
            "post",
        )

    def _read_earlier_messages(self, conversations: list, page: Page) -> None:
        """Add the earlier messages of each conversation of ``page``: the direct
        statuses of its latest status's context.  A conversation whose latest
        status is gone (404) keeps what the listing gave, and says so."""
        for conversation in conversations:
            last = conversation.get("last_status") if isinstance(conversation, dict) else None
            if not isinstance(last, dict) or not _item_id(last):
                continue
            try:
                context = self.authorized("GET", f"/api/v1/statuses/{quote(_item_id(last), safe='')}/context").json()
            except NotFound:
                reason = "earlier messages unreadable: the latest status is gone"
                page.skipped.append(SkippedItem(reason, _item_id(last)))
                continue
            earlier = _as_list(context.get("ancestors") if isinstance(context, dict) else None)
            later = _as_list(context.get("descendants") if isinstance(context, dict) else None)
            for status in earlier + later:
                if optional_str(status, "visibility") != "direct":
                    page.skipped.append(
                        SkippedItem("a public status the conversation replies to, not a message", _item_id(status))
                    )
                    continue
                try:
                    page.posts.append(self._post(_status(status), "message", thread=_item_id(conversation)))
                except PayloadError as error:
                    page.skipped.append(SkippedItem(str(error), _item_id(status)))

    def _fetch_replies(self, stream: StreamSpec, state: dict) -> Page:
        """Replies to one parent status per page; the newest reply id per parent
        marks what is new, the latest ``edited_at`` per parent which known
        replies were edited since (they are read again, as edits)."""
        parents = state.get("parents") or self._reply_parents(stream)
        seen: dict[str, str] = state.get("seen", {})
        edited: dict[str, str] = state.get("edited", {})
        page = Page()
        if not parents:
            page.cursor = dump_cursor({"seen": seen, "edited": edited})
            return page
        parent_id, rest = parents[0], parents[1:]
        try:
            context = self.authorized("GET", f"/api/v1/statuses/{quote(parent_id, safe='')}/context").json()
        except NotFound:  # a deleted parent: the other parents are still read
            page.skipped.append(SkippedItem("the status whose replies are read is gone (HTTP 404)", parent_id))
            seen.pop(parent_id, None)
            edited.pop(parent_id, None)
            page.has_more = bool(rest)
            page.cursor = dump_cursor({"parents": rest, "seen": seen, "edited": edited})
            return page
        descendants = _as_list(context.get("descendants") if isinstance(context, dict) else None)
        newest = seen.get(parent_id, "")
        last_edit = edited.get(parent_id, "")
        for item in descendants:
            try:
                post = self._post(_status(item), "comment", thread=parent_id)
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), _item_id(item)))
                continue
            edit = post.edited_at.isoformat() if post.edited_at else ""
            if _id_order(post.external_id) > _id_order(seen.get(parent_id, "")) or edit > edited.get(parent_id, ""):
                page.posts.append(post)
                newest = max(newest, post.external_id, key=_id_order)
            last_edit = max(last_edit, edit)
        page.posts.sort(key=lambda post: _id_order(post.external_id), reverse=True)
        if stream.backfill_limit and parent_id not in seen:
            page.posts = page.posts[: stream.backfill_limit]
        seen[parent_id] = newest
        edited[parent_id] = last_edit
        page.has_more = bool(rest)
        page.cursor = dump_cursor({"parents": rest, "seen": seen, "edited": edited})
        return page

    def _reply_parents(self, stream: StreamSpec) -> list[str]:
        ids = [part for part in stream.query.replace(",", " ").split() if part]
        if ids:
            return ids
        account_id = self.config.external_id or self._own_account_id()
        statuses = self.authorized(
            "GET",
            f"/api/v1/accounts/{quote(account_id, safe='')}/statuses",
            params={"limit": 20, "exclude_reblogs": "true"},
        ).json()
        return [_item_id(status) for status in _as_list(statuses) if _item_id(status)]

    def _own_account_id(self) -> str:
        return required_str(self.authorized("GET", "/api/v1/accounts/verify_credentials").json(), "id")

    # -- writing -----------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        """Reply with the parent's visibility; the author is mentioned (a direct
        message reaches only the accounts it mentions)."""
        target = _status(self.authorized("GET", f"/api/v1/statuses/{quote(parent.external_id, safe='')}").json())
        author = _required_object(target, "account")
        acct = optional_str(author, "acct")
        own = self.config.handle.lstrip("@")
        if acct and acct != own and f"@{acct}" not in text:
            text = f"@{acct} {text}"
        visibility = optional_str(target, "visibility") or "public"
        kind = "message" if visibility == "direct" else "comment"
        return self._post_status({"status": text, "in_reply_to_id": parent.external_id, "visibility": visibility}, kind)

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """``POST /api/v1/statuses`` with the publication's ``Idempotency-Key``
        (instances keep keys an hour), images uploaded first (``POST /api/v2/media``)."""
        ensure_publishable(self, text, media, limits=replace(self.limits(), max_chars=self.instance_max_characters()))
        body: dict[str, Any] = {"status": text, "visibility": "public"}
        if media:
            body["media_ids"] = [self._upload_media(item) for item in media]
        return self._post_status(body, "post", key=idempotency_key)

    def _upload_media(self, item) -> str:
        response = self.authorized("POST", "/api/v2/media", data={"description": item.alt} if item.alt else {},
                                   files={"file": (item.name, item.data, item.mimetype)})
        return required_str(_status(response.json()), "id")

    def find_published(self, text, since):
        statuses = self.authorized("GET", f"/api/v1/accounts/{quote(self._own_account_id(), safe='')}/statuses",
                                   params={"limit": 20, "exclude_replies": "true", "exclude_reblogs": "true"}).json()
        for status in _as_list(statuses):
            post = self._post(_status(status), "post")
            if post.created_at >= since and same_text(post.text, text):
                return post
        return None

    def post_metrics(self, external_ids):
        metrics = {}
        for status_id in external_ids:
            try:
                status = self.authorized("GET", f"/api/v1/statuses/{quote(status_id, safe='')}").json()
            except ConnectorError as error:
                if "404" in str(error):  # deleted: no figures to read
                    continue
                raise
            metrics[status_id] = self._post(_status(status), "post").metrics
        return metrics

    def account_followers(self):
        account = self.authorized("GET", "/api/v1/accounts/verify_credentials").json()
        return optional_int(_status(account), "followers_count")

    def _post_status(self, body: dict[str, Any], kind: str, key: str = "") -> NormalizedPost:
        self.max_text_length = self.instance_max_characters()
        ensure_text_length(self, body["status"])
        # the same reply to the same status gets the same key, so a retry after a
        # lost response is not posted twice (instances keep keys for an hour)
        key = key or hashlib.sha256(f"{body.get('in_reply_to_id', '')}\n{body['status']}".encode()).hexdigest()
        status = self.authorized("POST", "/api/v1/statuses", json=body, headers={"Idempotency-Key": key}).json()
        try:
            return self._post(_status(status), kind)
        except PayloadError as error:
            raise PayloadError(f"Mastodon: the new status is unreadable: {error}") from None

    def instance_max_characters(self) -> int:
        """The instance's status length limit (``/api/v2/instance``), 500 if unknown."""
        if self.base_url not in _max_characters_by_instance:
            try:
                instance = self.http("GET", "/api/v2/instance").json()
                statuses = instance.get("configuration", {}).get("statuses", {})
                limit = optional_int(statuses, "max_characters") or DEFAULT_MAX_CHARACTERS
            except (ConnectorError, ValueError, AttributeError):
                return DEFAULT_MAX_CHARACTERS  # not cached: the next call asks again
            _max_characters_by_instance[self.base_url] = limit
        return _max_characters_by_instance[self.base_url]

    # -- normalisation -----------------------------------------------------
    def _post(self, status: dict, kind: str, thread: str = "") -> NormalizedPost:
        if status.get("reblog"):
            raise PayloadError("a boost, not a status of its own")
        account = _required_object(status, "account")
        # a quote post's content starts with a fallback paragraph for older
        # clients (``RE: <link>``) the author did not write
        text = html_to_text(QUOTE_FALLBACK.sub("", optional_str(status, "content")))
        warning = optional_str(status, "spoiler_text")
        if warning:  # a content warning is part of what the author wrote
            text = clean_text(f"{warning}\n\n{text}" if text else warning)
        edited = optional_str(status, "edited_at")
        bio, email, website = _profile(account)
        return NormalizedPost(
            external_id=required_str(status, "id"),
            author=Author(
                external_id=required_str(account, "id"),
                handle=optional_str(account, "acct") or required_str(account, "username"),
                display_name=optional_str(account, "display_name"),
                url=optional_str(account, "url"),
                followers=optional_int(account, "followers_count"),
                bio=bio,
                email=email,
                website=website,
            ),
            text=text,
            created_at=parse_datetime(status.get("created_at")),
            kind=kind,
            url=optional_str(status, "url") or optional_str(status, "uri"),
            parent_external_id=optional_str(status, "in_reply_to_id"),
            thread_external_id=thread,
            language_hint=optional_str(status, "language"),
            edited_at=parse_datetime(edited) if edited else None,
            metrics=Metrics(
                likes=optional_int(status, "favourites_count"),
                replies=optional_int(status, "replies_count"),
                reposts=optional_int(status, "reblogs_count"),
                quotes=optional_int(status, "quotes_count"),
            ),
        )


QUOTE_FALLBACK = re.compile(r"<p\b[^>]*\bclass=\"[^\"]*\bquote-inline\b[^\"]*\"[^>]*>.*?</p>", re.S)


def _mentioning_status(notification) -> dict:
    """The status of a mention notification; any other type is no mention."""
    kind = optional_str(notification, "type")
    if kind != "mention":
        raise PayloadError(f"a {kind or 'untyped'} notification, not a mention")
    return _required_object(notification, "status")


def _profile(account: dict) -> tuple[str, str, str]:
    """``(bio, e-mail, website)`` of an account: its note and its profile
    ``fields`` (name/value pairs, values in HTML), where people put an
    e-mail address, a website or a phone number that identity matching reads."""
    pairs, links = [], []
    fields = account.get("fields")
    for field in fields if isinstance(fields, list) else []:
        html = optional_str(field, "value") if isinstance(field, dict) else ""
        value = html_to_text(html)
        if value:
            pairs.append((html_to_text(optional_str(field, "name")), value))
            links += _LINK.findall(html)
    note = html_to_text(optional_str(account, "note"))
    bio = "\n".join([note] * bool(note) + [f"{name}: {value}" if name else value for name, value in pairs])
    email = next((found.group(0) for _name, value in pairs if (found := EMAIL.search(value))), "")
    website = next(iter(links), "") or next((value for _name, value in pairs if _LINK.fullmatch(value)), "")
    return bio, email, website


def _error_message(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(payload, dict):
        return str(payload.get("error_description") or payload.get("error") or "")[:200]
    return ""


def _as_list(value) -> list:
    if not isinstance(value, list):
        raise PayloadError(f"expected a list, got {type(value).__name__}")
    return value


def _required_object(data, key: str) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise PayloadError(f"missing {key}")
    return value


def _status(item) -> dict:
    if not isinstance(item, dict):
        raise PayloadError(f"expected a status object, got {type(item).__name__}")
    return item


def _item_id(item) -> str:
    return optional_str(item, "id") if isinstance(item, dict) else ""


def _conversation_id(item, stream: StreamSpec) -> str:
    return _item_id(item) if stream.kind == "messages" else ""


def _id_order(status_id: str) -> tuple[int, str]:
    """Sort key of Mastodon ids: longer is newer, then by characters (no int cast)."""
    return len(status_id), status_id


def _link_ids(response: requests.Response, items: list) -> tuple[str, str]:
    """``(max_id of the older page, min_id of the newer page)`` from the ``Link``
    header, or from the page's own items where an endpoint sends no header (search)."""

    def link_param(rel: str, name: str) -> str:
        url = response.links.get(rel, {}).get("url", "")
        return parse_qs(urlsplit(url).query).get(name, [""])[0]

    older = link_param("next", "max_id")
    newer = link_param("prev", "min_id")
    if not response.links and items:
        older, newer = _item_id(items[-1]), _item_id(items[0])
    return older, newer


CONNECTOR = MastodonConnector
