"""VK (VKontakte) connector for a community, API ``v=5.199``.

The account's ``external_id`` is the community (group) id, positive; its wall
is ``owner_id = -id``.  Credentials: ``access_token`` (a community token for
wall, comments and messages; ``newsfeed.search`` needs a user or service token,
which may be given as ``search_token``), ``confirmation_code`` and
``callback_secret`` for the Callback API.

Streams
    ``mentions``  posts others wrote on the community wall (``wall.get filter=others``).
    ``search``    ``newsfeed.search`` (``start_from`` ← ``next_from``; later polls pass ``start_time``).
    ``comments``  comments (and the first replies of each thread) on the latest wall posts
                  or on the posts listed in ``stream.query`` as ``<owner>_<post>`` ids;
                  comment ids grow per wall, so a poll stops at the newest id of the last one.
    ``messages``  community messages: conversations most recently active first, and the
                  new messages of each through ``messages.getHistory``.

Ids: wall posts ``"<owner>_<post>"``, comments ``"<owner>_<post>_<comment>"``,
messages their (community-wide) message id.

VK reports errors in HTTP 200 bodies: 5 is an :class:`AuthError`, 6/9/29 are
rate limits (waits of 1 s, 60 s and 1 h: VK gives no reset time), 14 asks for a
captcha (which a server cannot solve).  Callback API: ``webhook_handshake``
answers the ``confirmation`` request; ``parse_webhook`` checks ``secret`` and
the caller then answers the plain text ``ok`` (otherwise VK retries).
Deduplicating by ``event_id`` is the caller's job; posts carry stable ids.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import partial

import requests

from ..errors import AuthError, ConnectorError, PayloadError, RateLimited, TransientError, WebhookRejected
from ..publishing import PublishLimits, same_text
from ..types import Author, Metrics, NormalizedPost, Page, SkippedItem, StreamSpec
from ._parse import (
    clean_text,
    dump_cursor,
    load_cursor,
    optional_int,
    optional_str,
    parse_datetime,
    walk_newest_first,
    webhook_json,
)
from .base import Connector, WebhookRequest, WebhookResponse, ensure_publishable, ensure_text_length

_logger = logging.getLogger(__name__)

API_VERSION = "5.199"
#: seconds to wait after VK's rate-limit errors, which carry no reset time
_RATE_LIMIT_WAITS = {6: 1, 9: 60, 29: 3600}
_TRANSIENT_CODES = frozenset({1, 10})


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _items(body: dict) -> list:
    items = body.get("items")
    return items if isinstance(items, list) else []


def _count(item: dict, key: str) -> int:
    return optional_int(_as_dict(item.get(key)), "count")


class _Authors:
    """Authors of an ``extended=1`` answer: users have positive ids, communities negative ones."""

    def __init__(self, body: dict):
        self.people = {item.get("id"): item for item in body.get("profiles") or [] if isinstance(item, dict)}
        self.groups = {item.get("id"): item for item in body.get("groups") or [] if isinstance(item, dict)}

    def get(self, from_id: int) -> Author:
        if from_id < 0:
            group = _as_dict(self.groups.get(-from_id))
            screen_name = optional_str(group, "screen_name") or f"club{-from_id}"
            return Author(external_id=str(from_id), handle=screen_name, display_name=optional_str(group, "name"),
                          url=f"https://vk.com/{screen_name}")
        person = _as_dict(self.people.get(from_id))
        screen_name = optional_str(person, "screen_name") or f"id{from_id}"
        names = (optional_str(person, "first_name"), optional_str(person, "last_name"))
        name = " ".join(part for part in names if part)
        return Author(external_id=str(from_id), handle=screen_name, display_name=name,
                      url=f"https://vk.com/{screen_name}")


def _int(item: dict, key: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{key} is missing or not a number")
    return value


def _text(item: dict, key: str = "text") -> str:
    value = item.get(key, "")
    if not isinstance(value, str):
        raise PayloadError(f"{key} is a {type(value).__name__}, not a string")
    return clean_text(value)


class VKConnector(Connector):
    network = "vk"
    label = "VK"
    default_base_url = "https://api.vk.com/method"
    stream_kinds = ("mentions", "search", "comments", "messages")
    max_text_length = 4096
    can_reply = True
    can_publish = True
    # a wall post holds up to 10 attachments
    publish_limits = PublishLimits(max_chars=16_384, max_media=10)
    has_webhooks = True
    credential_fields = ("access_token", "search_token", "confirmation_code", "callback_secret")

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        #: items per request; option ``page_size``
        self.page_size = int(config.options.get("page_size", 100))
        #: how many latest wall posts a comments stream watches; option ``recent_posts``
        self.recent_posts = int(config.options.get("recent_posts", 10))

    # -- transport -------------------------------------------------------------------
    def _group_id(self) -> int:
        group_id = str(self.config.external_id).lstrip("-")
        if not group_id.isdigit():
            raise ConnectorError("VK: the community id of the account is missing")
        return int(group_id)

    def _call(self, method: str, params: dict, *, for_search: bool = False):
        credentials = self.config.credentials
        token = (for_search and credentials.get("search_token")) or credentials.get("access_token")
        if not token:
            raise AuthError("VK: the access token is missing")
        # the token travels in a header and the parameters in the body, never in a URL
        response = self.http("POST", f"/{method}", data={**params, "v": API_VERSION},
                             headers={"Authorization": f"Bearer {token}"})
        body = response.json()
        if not isinstance(body, dict) or "response" not in body:
            raise PayloadError(f"VK: {method} answered without a response")
        return body["response"]

    def check_response(self, response: requests.Response) -> None:
        if response.status_code >= 500:
            raise TransientError(f"VK: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise PayloadError(f"VK: HTTP {response.status_code} without JSON") from None
        error = _as_dict(_as_dict(body).get("error"))
        if not error:
            if response.status_code >= 400:
                raise ConnectorError(f"VK: HTTP {response.status_code}")
            return
        code = error.get("error_code")
        message = optional_str(error, "error_msg")[:300]
        if code == 5:
            raise AuthError(f"VK: the access token was refused ({message})")
        if code in _RATE_LIMIT_WAITS:
            raise RateLimited(f"VK: {message} (code {code})",
                              datetime.now(timezone.utc) + timedelta(seconds=_RATE_LIMIT_WAITS[code]))
        if code == 14:
            raise ConnectorError("VK asks for a captcha, which a server cannot solve; "
                                 "wait, then lower the call rate of this account")
        if code in _TRANSIENT_CODES:
            raise TransientError(f"VK: {message} (code {code})")
        raise ConnectorError(f"VK: {message} (code {code})")

    def check_connection(self) -> str:
        groups = self._call("groups.getById", {"group_id": self._group_id()})
        groups = _as_dict(groups).get("groups", groups)  # 5.199 wraps the list; older versions did not
        first = _as_dict(groups[0]) if isinstance(groups, list) and groups else {}
        return optional_str(first, "screen_name") or optional_str(first, "name")

    # -- normalising -----------------------------------------------------------------
    def _wall_post(self, item: dict, authors: _Authors, kind: str) -> NormalizedPost:
        post_id, owner_id = _int(item, "id"), _int(item, "owner_id")
        from_id = item.get("from_id") if isinstance(item.get("from_id"), int) else owner_id
        return NormalizedPost(
            external_id=f"{owner_id}_{post_id}",
            author=authors.get(from_id),
            text=_text(item),
            created_at=parse_datetime(_int(item, "date")),
            kind=kind,
            url=f"https://vk.com/wall{owner_id}_{post_id}",
            thread_external_id=f"{owner_id}_{post_id}",
            edited_at=parse_datetime(item["edited"]) if item.get("edited") else None,
            deleted=item.get("is_deleted") is True,
            metrics=Metrics(likes=_count(item, "likes"), replies=_count(item, "comments"),
                            reposts=_count(item, "reposts"), views=_count(item, "views")),
        )

    def _comment(self, item: dict, authors: _Authors, owner_id: int, post_id: int) -> NormalizedPost:
        comment_id = _int(item, "id")
        thread = f"{owner_id}_{post_id}"
        parent = item.get("reply_to_comment")
        stack = item.get("parents_stack")
        if not isinstance(parent, int) and isinstance(stack, list) and stack:
            parent = stack[-1]
        return NormalizedPost(
            external_id=f"{thread}_{comment_id}",
            author=authors.get(_int(item, "from_id")),
            text=_text(item),
            created_at=parse_datetime(_int(item, "date")),
            kind="comment",
            url=f"https://vk.com/wall{thread}?reply={comment_id}",
            parent_external_id=f"{thread}_{parent}" if isinstance(parent, int) and parent else thread,
            thread_external_id=thread,
            # a deleted comment stays in the listing (its thread hangs on it), flagged
            deleted=item.get("deleted") is True,
            metrics=Metrics(likes=_count(item, "likes")),
        )

    def _message(self, item: dict, authors: _Authors) -> NormalizedPost:
        return NormalizedPost(
            external_id=str(_int(item, "id")),
            author=authors.get(_int(item, "from_id")),
            text=_text(item),
            created_at=parse_datetime(_int(item, "date")),
            kind="message",
            thread_external_id=str(_int(item, "peer_id")),
            edited_at=parse_datetime(item["update_time"]) if item.get("update_time") else None,
        )

    @staticmethod
    def _parse(items, read, skipped: list) -> list[NormalizedPost]:
        posts = []
        for item in items:
            try:
                posts.append(read(_as_dict(item)))
            except PayloadError as error:
                skipped.append(SkippedItem(str(error), optional_str(_as_dict(item), "id")))
        return posts

    # -- reading ---------------------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        state = load_cursor(cursor)
        if stream.kind == "mentions":
            return self._read_wall(stream, state)
        if stream.kind == "search":
            return self._read_search(stream, state)
        if stream.kind == "comments":
            return self._read_comments(stream, state)
        if stream.kind == "messages":
            return self._read_messages(stream, state)
        raise ConnectorError(f"VK: unknown stream kind {stream.kind!r}")

    def _page(self, posts, state, more, skipped) -> Page:
        return Page(posts=posts, cursor=dump_cursor(state), has_more=more, skipped=skipped,
                    rate_limit=self.last_rate_limit)

    def _walk(self, stream, state, body, read, next_page) -> Page:
        skipped: list[SkippedItem] = []
        authors = _Authors(body)
        # a pinned post heads the wall whatever its date; it would break the newest-first order
        items = [item for item in _items(body) if not _as_dict(item).get("is_pinned")]
        posts = self._parse(items, lambda item: read(item, authors), skipped)
        entries = [(post.external_id, post.created_at, post) for post in posts]
        kept, more = walk_newest_first(state, entries, next_page, stream.backfill_limit)
        return self._page(kept, state, more, skipped)

    def _read_wall(self, stream, state) -> Page:
        offset = int(state.get("page") or 0)
        body = _as_dict(self._call("wall.get", {"owner_id": -self._group_id(), "filter": "others", "extended": 1,
                                                "count": min(self.page_size, 100), "offset": offset}))
        next_offset = offset + len(_items(body))
        next_page = str(next_offset) if _items(body) and next_offset < optional_int(body, "count") else ""
        return self._walk(stream, state, body, lambda item, authors: self._wall_post(item, authors, "mention"),
                          next_page)

    def _read_search(self, stream, state) -> Page:
        if not stream.query.strip():
            return self._page([], state, False, [])
        params = {"q": stream.query, "extended": 1, "count": min(self.page_size, 200)}
        if state.get("known"):  # later polls: only what is newer than the last run's newest post
            params["start_time"] = int(parse_datetime(state["known"]["at"]).timestamp())
        if state.get("page"):
            params["start_from"] = state["page"]
        body = _as_dict(self._call("newsfeed.search", params, for_search=True))
        return self._walk(stream, state, body, lambda item, authors: self._wall_post(item, authors, "post"),
                          optional_str(body, "next_from") if _items(body) else "")

    def _new_ids_only(self, stream, state, posts, key) -> tuple[list, bool]:
        """Keep posts newer than the last run's newest id; trim a first run to the backfill cap."""
        known = state.get("known", 0)
        posts = [post for post in posts if key(post) > known]
        capped = False
        if not known and stream.backfill_limit:
            posts = posts[:max(stream.backfill_limit - state.get("count", 0), 0)]
            state["count"] = state.get("count", 0) + len(posts)
            capped = state["count"] >= stream.backfill_limit
        state["top"] = max([state.get("top", 0), *map(key, posts)])
        return posts, capped

    @staticmethod
    def _end_of_run(state: dict) -> dict:
        return {"known": max(state.get("top", 0), state.get("known", 0))}

    def _recent_posts(self, query: str) -> list[str]:
        listed = [part for part in re.split(r"[\s,]+", query) if part]
        if listed:
            if not all(re.fullmatch(r"-?\d+_\d+", part) for part in listed):
                raise ConnectorError("VK: a comments stream lists wall posts as <owner>_<post>, e.g. -123_45")
            return listed
        body = _as_dict(self._call("wall.get", {"owner_id": -self._group_id(), "count": self.recent_posts}))
        return [f"{item['owner_id']}_{item['id']}" for item in _items(body)
                if isinstance(item, dict) and isinstance(item.get("owner_id"), int) and isinstance(item.get("id"), int)]

    def _read_comments(self, stream, state) -> Page:
        if "queue" not in state:
            state["queue"] = self._recent_posts(stream.query)
        skipped: list[SkippedItem] = []
        posts: list[NormalizedPost] = []
        more_here = False
        if state["queue"]:
            owner_id, post_id = (int(part) for part in state["queue"][0].split("_"))
            offset = state.get("offset", 0)
            body = _as_dict(self._call("wall.getComments", {
                "owner_id": owner_id, "post_id": post_id, "sort": "desc", "extended": 1, "offset": offset,
                "count": min(self.page_size, 100), "thread_items_count": 10}))
            authors = _Authors(body)
            items = []
            for item in _items(body):
                items.append(item)
                thread = _as_dict(_as_dict(item).get("thread")).get("items")
                items += thread if isinstance(thread, list) else []
            read = self._parse(items, lambda item: self._comment(item, authors, owner_id, post_id), skipped)
            top_level = [post for post in read if post.parent_external_id == post.thread_external_id]
            fresh, capped = self._new_ids_only(stream, state, read, self._comment_id)
            # newest first: a top-level comment we already know ends this post's new comments
            reached_known = any(self._comment_id(post) <= state.get("known", 0) for post in top_level)
            next_offset = offset + len(_items(body))
            more_here = bool(_items(body)) and next_offset < optional_int(body, "current_level_count") \
                and not reached_known
            state["offset"] = next_offset if more_here else 0
            if not more_here:
                state["queue"].pop(0)
            posts = fresh
        else:
            capped = False
        more = bool(state["queue"]) and not capped
        return self._page(posts, state if more else self._end_of_run(state), more, skipped)

    @staticmethod
    def _comment_id(post: NormalizedPost) -> int:
        return int(post.external_id.rsplit("_", 1)[1])

    def _read_messages(self, stream, state) -> Page:
        offset = state.get("offset", 0)
        known = state.get("known", 0)
        body = _as_dict(self._call("messages.getConversations", {
            "group_id": self._group_id(), "offset": offset, "count": min(self.page_size, 200)}))
        skipped: list[SkippedItem] = []
        posts: list[NormalizedPost] = []
        reached_known, capped = False, False
        for conversation in _items(body):
            last = _as_dict(_as_dict(conversation).get("last_message"))
            if not isinstance(last.get("id"), int) or not isinstance(last.get("peer_id"), int):
                skipped.append(SkippedItem("conversation without a readable last message"))
                continue
            if last["id"] <= known:
                reached_known = True  # most recently active first: the rest is known
                break
            history = _as_dict(self._call("messages.getHistory", {
                "group_id": self._group_id(), "peer_id": last["peer_id"], "count": 200, "extended": 1}))
            read = self._parse(_items(history), partial(self._message, authors=_Authors(history)), skipped)
            fresh, capped = self._new_ids_only(stream, state, read, lambda post: int(post.external_id))
            posts += fresh
            if capped:
                break
        next_offset = offset + len(_items(body))
        more = bool(_items(body)) and next_offset < optional_int(body, "count") and not reached_known and not capped
        state["offset"] = next_offset if more else 0
        return self._page(posts, state if more else self._end_of_run(state), more, skipped)

    # -- writing ---------------------------------------------------------------------
    def _us(self) -> Author:
        group_id = self._group_id()
        return Author(external_id=str(-group_id), handle=self.config.handle or f"club{group_id}",
                      url=f"https://vk.com/{self.config.handle or f'club{group_id}'}")

    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        ensure_text_length(self, text)
        if parent.kind == "message":
            message_id = self._call("messages.send", {
                "group_id": self._group_id(), "peer_id": parent.thread_external_id, "message": text,
                # VK drops a second send with the same random_id: a unique int32 per message
                "random_id": secrets.randbelow(2**31 - 1) + 1,
            })
            if not isinstance(message_id, int):
                raise PayloadError("VK: messages.send returned no message id")
            return NormalizedPost(external_id=str(message_id), author=self._us(), text=text,
                                  created_at=datetime.now(timezone.utc), kind="message",
                                  parent_external_id=parent.external_id,
                                  thread_external_id=parent.thread_external_id)
        thread = parent.thread_external_id or parent.external_id
        if not re.fullmatch(r"-?\d+_\d+", thread):
            raise ConnectorError(f"VK: {thread!r} is not a wall post id")
        owner_id, post_id = thread.split("_")
        params = {"owner_id": owner_id, "post_id": post_id, "message": text, "from_group": self._group_id()}
        if parent.kind == "comment":
            params["reply_to_comment"] = parent.external_id.rsplit("_", 1)[1]
        comment_id = optional_int(_as_dict(self._call("wall.createComment", params)), "comment_id")
        if not comment_id:
            raise PayloadError("VK: wall.createComment returned no comment id")
        return NormalizedPost(external_id=f"{thread}_{comment_id}", author=self._us(), text=text,
                              created_at=datetime.now(timezone.utc), kind="comment",
                              url=f"https://vk.com/wall{thread}?reply={comment_id}",
                              parent_external_id=parent.external_id, thread_external_id=thread)

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """``wall.post`` on the community wall, photos uploaded first (upload
        server, then ``photos.saveWallPhoto``); ``guid`` carries the
        idempotency key, so VK refuses to post the same publication twice."""
        ensure_publishable(self, text, media)
        owner_id = -self._group_id()
        params = {"owner_id": owner_id, "from_group": 1, "message": text}
        if media:
            params["attachments"] = ",".join(self._upload_wall_photo(item) for item in media)
        if idempotency_key:
            params["guid"] = idempotency_key
        post_id = optional_int(_as_dict(self._call("wall.post", params)), "post_id")
        if not post_id:
            raise PayloadError("VK: wall.post returned no post id")
        return NormalizedPost(external_id=f"{owner_id}_{post_id}", author=self._us(), text=text,
                              created_at=datetime.now(timezone.utc), kind="post",
                              url=f"https://vk.com/wall{owner_id}_{post_id}",
                              thread_external_id=f"{owner_id}_{post_id}")

    def _upload_wall_photo(self, item) -> str:
        group_id = self._group_id()
        upload_url = optional_str(_as_dict(self._call("photos.getWallUploadServer", {"group_id": group_id})),
                                  "upload_url")
        if not upload_url:
            raise PayloadError("VK: photos.getWallUploadServer returned no upload URL")
        uploaded = self.http("POST", upload_url, files={"photo": (item.name, item.data, item.mimetype)}).json()
        if not isinstance(uploaded, dict) or not uploaded.get("photo"):
            raise PayloadError("VK: the photo upload returned no photo")
        saved = self._call("photos.saveWallPhoto", {"group_id": group_id, "server": uploaded.get("server"),
                                                    "photo": uploaded["photo"], "hash": uploaded.get("hash")})
        photo = _as_dict(saved[0]) if isinstance(saved, list) and saved else {}
        return f"photo{_int(photo, 'owner_id')}_{_int(photo, 'id')}"

    def find_published(self, text, since):
        body = _as_dict(self._call("wall.get", {"owner_id": -self._group_id(), "count": 20, "filter": "owner",
                                                "extended": 1}))
        authors = _Authors(body)
        for item in body.get("items") or []:
            post = self._wall_post(_as_dict(item), authors, "post")
            if post.created_at >= since and same_text(post.text, text):
                return post
        return None

    def post_metrics(self, external_ids):
        metrics = {}
        for start in range(0, len(external_ids), 100):
            body = self._call("wall.getById", {"posts": ",".join(external_ids[start:start + 100]), "extended": 1})
            body = _as_dict(body) if isinstance(body, dict) else {"items": body}
            authors = _Authors(body)
            for item in body.get("items") or []:
                post = self._wall_post(_as_dict(item), authors, "post")
                metrics[post.external_id] = post.metrics
        return metrics

    # -- Callback API ----------------------------------------------------------------
    def _event(self, request: WebhookRequest) -> dict:
        event = webhook_json(request.body)
        if not isinstance(event, dict):
            raise WebhookRejected("VK: callback body is not an object")
        group_id = event.get("group_id")
        if self.config.external_id and group_id is not None and str(group_id) != str(self._group_id()):
            raise WebhookRejected("VK: callback for another community")
        return event

    def webhook_handshake(self, request: WebhookRequest) -> WebhookResponse | None:
        if request.method.upper() != "POST":
            return None
        event = self._event(request)
        if event.get("type") != "confirmation":
            return None
        code = self.config.credentials.get("confirmation_code")
        if not code:
            raise WebhookRejected("VK: no confirmation string is configured for this community")
        return WebhookResponse(body=code)

    def parse_webhook(self, request: WebhookRequest) -> list[NormalizedPost]:
        event = self._event(request)
        expected = self.config.credentials.get("callback_secret") or ""
        given = event.get("secret") if isinstance(event.get("secret"), str) else ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected("VK: missing or wrong callback secret")
        try:
            post = self._callback_post(optional_str(event, "type"), _as_dict(event.get("object")))
        except PayloadError as error:
            _logger.info("VK callback: event %s skipped: %s", optional_str(event, "event_id"), error)
            self.webhook_skipped.append(SkippedItem(str(error), optional_str(event, "event_id")))
            return []
        if post is None:
            reason = f"a {optional_str(event, 'type') or 'typeless'} event, not a post"
            self.webhook_skipped.append(SkippedItem(reason, optional_str(event, "event_id")))
        return [post] if post else []

    def _callback_post(self, kind: str, item: dict) -> NormalizedPost | None:
        authors = _Authors({})
        if kind in ("wall_reply_new", "wall_reply_edit", "wall_reply_restore"):
            post = self._comment(item, authors, _int(item, "post_owner_id" if "post_owner_id" in item else "owner_id"),
                                 _int(item, "post_id"))
            if kind == "wall_reply_edit":  # VK does not say when; the event is the edit
                post = replace(post, edited_at=datetime.now(timezone.utc))
            return post
        if kind == "wall_reply_delete":
            owner_id, post_id, comment_id = _int(item, "owner_id"), _int(item, "post_id"), _int(item, "id")
            # the official schema names the deleter ``user_id``, the documentation ``deleter_id``
            deleter = next(
                (item[key] for key in ("deleter_id", "user_id") if isinstance(item.get(key), int) and item[key]),
                owner_id,
            )
            return NormalizedPost(external_id=f"{owner_id}_{post_id}_{comment_id}", author=authors.get(deleter),
                                  text="", created_at=datetime.now(timezone.utc), kind="comment",
                                  thread_external_id=f"{owner_id}_{post_id}", deleted=True)
        if kind == "wall_post_new":
            from_id = item.get("from_id")
            ours = isinstance(from_id, int) and from_id == -self._group_id()
            return self._wall_post(item, authors, "post" if ours else "mention")
        if kind in ("message_new", "message_edit"):
            message = _as_dict(item.get("message")) if "message" in item else item
            return self._message(message, authors)
        return None


CONNECTOR = VKConnector
