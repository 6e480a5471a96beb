"""Bluesky (AT Protocol XRPC) with an app password.

Credentials: ``identifier`` (handle or e-mail) and ``app_password``; the
connector keeps the session it opens in ``access_jwt``/``refresh_jwt``/``did``
(saved through ``save_credentials``).  An expired access token comes back as
HTTP 400 ``ExpiredToken``: the session is refreshed (the old refresh token is
revoked by the server, so the new pair is saved) and the call retried once; a
dead refresh token opens a new session with the app password.

Streams:

- ``mentions``: notifications of reasons mention, reply and quote (checked on
  each notification: a server may ignore the ``reasons`` filter and send
  likes, reposts and follows, which are counted skips, not mentions).
- ``search``: ``searchPosts`` (sort latest; needs the authenticated session).
- ``comments``: replies in the threads of the posts whose AT-URIs the query
  lists (separated by spaces), or of the account's 20 latest posts.

A post's external id is its AT-URI; :meth:`reply` reads the parent's ``cid``
and thread root with ``getPostThread``, so nothing else needs storing.
Posts cannot be edited; deleted or blocked thread replies are skipped.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import ClassVar

import requests

from ..errors import AuthError, ConnectorError, PayloadError, RateLimited, TransientError
from ..publishing import IMAGE_TYPES, PublishLimits, same_text, url_spans
from ..types import Author, Metrics, NormalizedPost, Page, RateLimit, SkippedItem, StreamSpec
from ._parse import (
    dump_cursor,
    header_int,
    load_cursor,
    optional_int,
    optional_str,
    parse_datetime,
    required_str,
    walk_newest_first,
)
from .base import Connector, ensure_publishable, ensure_text_length, retry_after

#: a post's text limit is 300 graphemes and 3,000 bytes; counting code points is
#: the safe side of graphemes (a composed emoji is one grapheme, several code points)
MAX_POST_BYTES = 3000
#: notification reasons that are posts addressed to us
MENTION_REASONS = ("mention", "reply", "quote")


class _SessionExpired(AuthError):
    """HTTP 400 ``ExpiredToken``/``InvalidToken``: refresh the session and retry."""


class BlueskyConnector(Connector):
    network = "bluesky"
    label = "Bluesky"
    default_base_url = "https://bsky.social"
    stream_kinds = ("mentions", "search", "comments")
    max_text_length = 300
    can_reply = True
    can_publish = True
    # 4 images of at most 1 MB each; links are clickable through facets
    publish_limits = PublishLimits(max_chars=300, max_media=4, media_types=IMAGE_TYPES)
    credential_fields = ("identifier", "app_password")

    page_size: ClassVar[int] = 50

    # -- session -------------------------------------------------------------
    def check_connection(self) -> str:
        session = self.xrpc("GET", "com.atproto.server.getSession").json()
        self.account_external_id = optional_str(session, "did")
        return required_str(session, "handle")

    def xrpc(self, method: str, nsid: str, **kwargs) -> requests.Response:
        """One XRPC call with the session's access token, renewing the session once if it expired."""
        if not self.config.credentials.get("access_jwt"):
            self._create_session()
        try:
            return self._call(method, nsid, "access_jwt", **kwargs)
        except _SessionExpired:
            self._refresh_session()
            return self._call(method, nsid, "access_jwt", **kwargs)

    def _call(self, method: str, nsid: str, token_key: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.config.credentials.get(token_key, '')}"}
        return self.http(method, f"/xrpc/{nsid}", headers=headers, **kwargs)

    def _create_session(self) -> None:
        identifier = self.config.credentials.get("identifier") or self.config.handle
        password = self.config.credentials.get("app_password")
        if not identifier or not password:
            raise AuthError("Bluesky: the handle and app password are needed to sign in")
        try:
            session = self.http(
                "POST", "/xrpc/com.atproto.server.createSession", json={"identifier": identifier, "password": password}
            ).json()
        except (RateLimited, TransientError):
            raise
        except ConnectorError as error:
            raise AuthError(f"Bluesky: sign-in refused: {error}") from None
        self._keep_session(session)

    def _refresh_session(self) -> None:
        try:
            if not self.config.credentials.get("refresh_jwt"):
                raise AuthError("Bluesky: no refresh token")
            session = self._call("POST", "com.atproto.server.refreshSession", "refresh_jwt").json()
        except AuthError:  # the refresh token expired or was revoked: sign in again
            self._create_session()
        else:
            self._keep_session(session)

    def _keep_session(self, session) -> None:
        try:
            credentials = {
                "access_jwt": required_str(session, "accessJwt"),
                "refresh_jwt": required_str(session, "refreshJwt"),
                "did": required_str(session, "did"),
            }
        except PayloadError as error:
            raise PayloadError(f"Bluesky: unexpected session answer: {error}") from None
        self.save_credentials(credentials)

    def _did(self) -> str:
        if not self.config.credentials.get("did"):
            self._create_session()
        return self.config.credentials["did"]

    # -- HTTP ------------------------------------------------------------------
    def read_rate_limit(self, response: requests.Response) -> RateLimit | None:
        remaining = header_int(response.headers, "RateLimit-Remaining")
        if remaining is None:
            return None
        reset = header_int(response.headers, "RateLimit-Reset")
        return RateLimit(
            remaining=remaining,
            limit=header_int(response.headers, "RateLimit-Limit"),
            reset_at=datetime.fromtimestamp(reset, tz=timezone.utc) if reset else None,
        )

    def check_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        error, message = _error_of(response)
        if status == 400 and error in ("ExpiredToken", "InvalidToken"):
            raise _SessionExpired(f"Bluesky: {error}")
        if status == 429:
            reset_at = self.last_rate_limit.reset_at if self.last_rate_limit else None
            raise RateLimited(f"Bluesky: rate limit reached ({error})", reset_at or retry_after(response))
        if status >= 500:
            raise TransientError(f"Bluesky: HTTP {status}")
        if status in (401, 403):
            raise AuthError(f"Bluesky: {error or status}: {message}")
        raise ConnectorError(f"Bluesky: HTTP {status} {error}: {message}")

    # -- reading -----------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        state = load_cursor(cursor)
        if stream.kind == "comments":
            page = self._fetch_thread_replies(stream, state)
        elif stream.kind in ("mentions", "search"):
            page = self._fetch_listing(stream, state)
        else:
            raise ConnectorError(f"Bluesky cannot read {stream.kind}")
        page.rate_limit = self.last_rate_limit
        return page

    def _fetch_listing(self, stream: StreamSpec, state: dict) -> Page:
        params: dict = {"limit": self.page_size}
        if state.get("page"):
            params["cursor"] = state["page"]
        if stream.kind == "mentions":
            params["reasons"] = list(MENTION_REASONS)
            payload = self.xrpc("GET", "app.bsky.notification.listNotifications", params=params).json()
            items, read = _list(payload, "notifications"), self._notification_post
        else:
            if not stream.query.strip():
                raise ConnectorError("Bluesky search needs a query")
            params.update(q=stream.query.strip(), sort="latest")
            payload = self.xrpc("GET", "app.bsky.feed.searchPosts", params=params).json()
            items, read = _list(payload, "posts"), lambda item: self._post(item, "post")
        page = Page()
        entries = []
        for item in items:
            try:
                post = read(item)
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), optional_str(item, "uri")))
                continue
            # listings are ordered by indexing time; ``createdAt`` is the client's
            # word and may be earlier than posts indexed before it
            indexed = optional_str(item, "indexedAt")
            entries.append((post.external_id, _indexed_at(indexed) or post.created_at, post))
        page.posts, page.has_more = walk_newest_first(
            state, entries, optional_str(payload, "cursor"), stream.backfill_limit
        )
        page.cursor = dump_cursor(state)
        return page

    def _fetch_thread_replies(self, stream: StreamSpec, state: dict) -> Page:
        """The replies of one thread per page; the newest ``indexedAt`` per thread marks what is new."""
        roots = state.get("roots") or self._reply_roots(stream)
        seen: dict[str, str] = state.get("seen", {})
        page = Page()
        if not roots:
            page.cursor = dump_cursor({"seen": seen})
            return page
        root, rest = roots[0], roots[1:]
        try:
            thread = self.xrpc("GET", "app.bsky.feed.getPostThread", params={"uri": root, "depth": 6}).json()
        except ConnectorError as error:
            if "NotFound" not in str(error):
                raise
            page.skipped.append(SkippedItem("the post was deleted", root))
            thread = {}
        node = thread.get("thread") if isinstance(thread, dict) else None
        if node:
            try:
                _thread_post(node)
            except PayloadError as error:  # its replies are out of sight too
                page.skipped.append(SkippedItem(f"{error}: its replies are not readable", root))
        watermark = seen.get(root, "")
        for reply in _flatten_replies(node):
            try:
                post = self._post(_thread_post(reply), "comment", thread=root)
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), optional_str(reply, "uri")))
                continue
            indexed = optional_str(reply.get("post"), "indexedAt") or post.created_at.isoformat()
            if _later(indexed, seen.get(root, "")):
                page.posts.append(post)
                watermark = indexed if _later(indexed, watermark) else watermark
        page.posts.sort(key=lambda post: post.created_at, reverse=True)
        if stream.backfill_limit and root not in seen:
            page.posts = page.posts[: stream.backfill_limit]
        seen[root] = watermark
        page.has_more = bool(rest)
        page.cursor = dump_cursor({"roots": rest, "seen": seen})
        return page

    def _reply_roots(self, stream: StreamSpec) -> list[str]:
        uris = stream.query.split()
        if uris:
            return uris
        feed = self.xrpc(
            "GET",
            "app.bsky.feed.getAuthorFeed",
            params={"actor": self._did(), "filter": "posts_no_replies", "limit": 20},
        ).json()
        posts = (item.get("post") for item in _list(feed, "feed") if isinstance(item, dict))
        return [optional_str(post, "uri") for post in posts if optional_str(post, "uri")]

    # -- writing -----------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        """Reply in the parent's thread: ``root`` is the parent's own root, else the parent."""
        thread = self.xrpc(
            "GET", "app.bsky.feed.getPostThread", params={"uri": parent.external_id, "depth": 0, "parentHeight": 0}
        ).json()
        target = _thread_post(thread.get("thread") if isinstance(thread, dict) else None)
        parent_ref = {"uri": required_str(target, "uri"), "cid": required_str(target, "cid")}
        record_reply = target.get("record", {}).get("reply") if isinstance(target.get("record"), dict) else None
        root_ref = record_reply.get("root") if isinstance(record_reply, dict) else None
        if not (isinstance(root_ref, dict) and root_ref.get("uri") and root_ref.get("cid")):
            root_ref = parent_ref
        return self._create_post(
            text, {"root": {"uri": root_ref["uri"], "cid": root_ref["cid"]}, "parent": parent_ref}, root_ref["uri"]
        )

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """``createRecord`` of an ``app.bsky.feed.post`` with link and hashtag
        facets (links are only clickable through facets) and images uploaded
        as blobs.  No idempotency key: the caller checks :meth:`find_published`
        after a lost answer, so the record is created once, never retried."""
        ensure_publishable(self, text, media)
        extra = {"facets": _facets(text)} if _facets(text) else {}
        if media:
            extra["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [{"alt": item.alt, "image": self._upload_blob(item)} for item in media],
            }
        with self.single_attempt():
            return self._create_post(text, None, "", extra)

    def _upload_blob(self, item) -> dict:
        def send():
            headers = {"Authorization": f"Bearer {self.config.credentials.get('access_jwt', '')}",
                       "Content-Type": item.mimetype}
            return self.http("POST", "/xrpc/com.atproto.repo.uploadBlob", headers=headers, data=item.data)

        self._did()  # opens the session when there is none
        try:
            response = send()
        except _SessionExpired:
            self._refresh_session()
            response = send()
        blob = response.json().get("blob") if isinstance(response.json(), dict) else None
        if not isinstance(blob, dict):
            raise PayloadError("Bluesky: uploadBlob returned no blob")
        return blob

    def find_published(self, text, since):
        feed = self.xrpc("GET", "app.bsky.feed.getAuthorFeed",
                         params={"actor": self._did(), "limit": 30, "filter": "posts_no_replies"}).json()
        for item in _list(feed, "feed"):
            view = item.get("post") if isinstance(item, dict) else None
            if not isinstance(view, dict) or optional_str(_as_object(view.get("author")), "did") != self._did():
                continue
            post = self._post(view, "post")
            if post.created_at >= since and same_text(post.text, text):
                return post
        return None

    def post_metrics(self, external_ids):
        metrics = {}
        for start in range(0, len(external_ids), 25):  # getPosts takes 25 URIs
            body = self.xrpc("GET", "app.bsky.feed.getPosts", params={"uris": list(external_ids[start:start + 25])})
            for view in _list(body.json(), "posts"):
                post = self._post(view, "post")
                metrics[post.external_id] = post.metrics
        return metrics

    def account_followers(self):
        profile = self.xrpc("GET", "app.bsky.actor.getProfile", params={"actor": self._did()}).json()
        return optional_int(_as_object(profile), "followersCount")

    def _create_post(self, text: str, reply: dict | None, thread: str, extra: dict | None = None) -> NormalizedPost:
        ensure_text_length(self, text)
        if len(text.encode()) > MAX_POST_BYTES:
            raise ConnectorError(f"Bluesky accepts at most {MAX_POST_BYTES} bytes of text.")
        created_at = datetime.now(timezone.utc)
        record = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": created_at.isoformat().replace("+00:00", "Z"),
        }
        if reply:
            record["reply"] = reply
        record.update(extra or {})
        did = self._did()
        created = self.xrpc(
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": did, "collection": "app.bsky.feed.post", "record": record},
        ).json()
        uri = required_str(created, "uri")
        return NormalizedPost(
            external_id=uri,
            author=Author(external_id=did, handle=self.config.handle),
            text=text,
            created_at=created_at,
            kind="comment" if reply else "post",
            url=_web_url(self.config.handle or did, uri),
            parent_external_id=reply["parent"]["uri"] if reply else "",
            thread_external_id=thread,
        )

    # -- normalisation -----------------------------------------------------
    def _notification_post(self, notification) -> NormalizedPost:
        reason = optional_str(notification, "reason")
        if reason not in MENTION_REASONS:
            raise PayloadError(f"a {reason or 'reasonless'} notification, not a mention")
        return self._post(notification, "comment" if reason == "reply" else "mention")

    def _post(self, view, kind: str, thread: str = "") -> NormalizedPost:
        """A post from a postView or a notification (both carry uri, author and record)."""
        if not isinstance(view, dict):
            raise PayloadError(f"expected a post object, got {type(view).__name__}")
        uri = required_str(view, "uri")
        author = view.get("author")
        record = view.get("record")
        if not isinstance(author, dict) or not isinstance(record, dict):
            raise PayloadError("missing author or record")
        text = record.get("text", "")
        if not isinstance(text, str):
            raise PayloadError(f"text is a {type(text).__name__}")
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
        langs = record.get("langs")
        handle = required_str(author, "handle")
        return NormalizedPost(
            external_id=uri,
            author=Author(
                external_id=required_str(author, "did"),
                handle=handle,
                display_name=optional_str(author, "displayName"),
                url=f"https://bsky.app/profile/{handle}",
                followers=optional_int(author, "followersCount"),
                bio=optional_str(author, "description"),
            ),
            text=text.replace("\x00", ""),
            created_at=parse_datetime(record.get("createdAt") or view.get("indexedAt")),
            kind=kind,
            url=_web_url(handle, uri),
            parent_external_id=optional_str(reply.get("parent"), "uri"),
            thread_external_id=thread or optional_str(reply.get("root"), "uri"),
            language_hint=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else "",
            metrics=Metrics(
                likes=optional_int(view, "likeCount"),
                replies=optional_int(view, "replyCount"),
                reposts=optional_int(view, "repostCount"),
                quotes=optional_int(view, "quoteCount"),
            ),
        )


def _error_of(response: requests.Response) -> tuple[str, str]:
    try:
        payload = response.json()
    except ValueError:
        return "", response.text[:200]
    if not isinstance(payload, dict):
        return "", ""
    return optional_str(payload, "error")[:100], optional_str(payload, "message")[:200]


def _list(payload, key: str) -> list:
    value = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(value, list):
        raise PayloadError(f"Bluesky: the answer has no {key} list")
    return value


def _thread_post(node) -> dict:
    """The postView of a thread node; deleted and blocked posts are reported as such."""
    if not isinstance(node, dict):
        raise PayloadError("missing thread")
    node_type = optional_str(node, "$type")
    if node_type.endswith("#notFoundPost") or node.get("notFound"):
        raise PayloadError("the post was deleted")
    if node_type.endswith("#blockedPost") or node.get("blocked"):
        raise PayloadError("the post is blocked")
    post = node.get("post")
    if not isinstance(post, dict):
        raise PayloadError("missing post")
    return post


def _flatten_replies(node) -> list[dict]:
    """Every reply node under a thread node, depth first."""
    found = []
    replies = node.get("replies") if isinstance(node, dict) else None
    for reply in replies if isinstance(replies, list) else []:
        if isinstance(reply, dict):
            found.append(reply)
            found.extend(_flatten_replies(reply))
    return found


def _later(moment: str, than: str) -> bool:
    if not than:
        return True
    try:
        return parse_datetime(moment) > parse_datetime(than)
    except PayloadError:
        return True  # an unreadable watermark must not hide replies


def _web_url(handle: str, uri: str) -> str:
    """The bsky.app page of a post's AT-URI (``at://<did>/app.bsky.feed.post/<rkey>``)."""
    if "/app.bsky.feed.post/" not in uri:
        return ""
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


def _indexed_at(value: str) -> datetime | None:
    try:
        return parse_datetime(value) if value else None
    except PayloadError:
        return None


CONNECTOR = BlueskyConnector


_HASHTAG = re.compile(r"(?:^|\s)#([^\d\s\W][\w]*)")


def _facets(text: str) -> list[dict]:
    """Link and hashtag facets; their offsets count UTF-8 bytes, as the lexicon asks."""

    def byte_offset(index: int) -> int:
        return len(text[:index].encode())

    facets = [
        {"index": {"byteStart": byte_offset(start), "byteEnd": byte_offset(end)},
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]}
        for start, end, url in url_spans(text)
    ]
    for match in _HASHTAG.finditer(text):
        start = match.start(1) - 1
        facets.append({"index": {"byteStart": byte_offset(start), "byteEnd": byte_offset(match.end(1))},
                       "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": match.group(1)}]})
    return facets


def _as_object(value) -> dict:
    return value if isinstance(value, dict) else {}
