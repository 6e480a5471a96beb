"""Reddit (OAuth API on ``oauth.reddit.com``).

Streams: ``mentions`` (username mentions), ``comments`` (replies to our
comments, then to our posts: ``/message/comments`` and ``/message/selfreply``),
``messages`` (private messages) and ``search`` (``/search?sort=new``).

Inbox comments carry ``context`` (``/r/<sub>/comments/<post>/<slug>/<id>/?context=3``)
instead of ``permalink`` and ``link_id``: the URL and the thread come from it.
A private message lists its conversation's later messages under ``replies``;
the conversation is one thread, named by its first message.

OAuth: :meth:`authorization_url` asks for a permanent grant; the token comes
from ``www.reddit.com/api/v1/access_token`` with Basic auth and is refreshed
(same Basic auth) shortly before ``expires_at``.  The token endpoints live on
``www.reddit.com`` while the API is on ``oauth.reddit.com``: with a base URL
override (tests, proxies) both are taken from that base URL, and the
``token_url`` option overrides the token endpoint alone.

Every request carries the ``user_agent`` option, by default
``python:social_crm:19.0 (by /u/<handle>)`` as Reddit's rules ask.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import ClassVar

import requests

from ..errors import AuthError, ConnectorError, PayloadError, RateLimited, TransientError
from ..publishing import PublishLimits, same_text
from ..types import Author, Metrics, NormalizedPost, Page, RateLimit, SkippedItem, StreamSpec
from ._oauth import OAuth2Connector
from ._parse import (
    clean_text,
    dump_cursor,
    header_int,
    load_cursor,
    optional_int,
    optional_str,
    parse_datetime,
    required_str,
    walk_newest_first,
)
from .base import ensure_publishable, ensure_text_length, retry_after

WWW = "https://www.reddit.com"
#: the inbox boxes each stream reads, in order
BOXES = {
    "mentions": ("/message/mentions",),
    "comments": ("/message/comments", "/message/selfreply"),
    "messages": ("/message/messages",),
    "search": ("/search",),
}
KINDS = {"mentions": "mention", "comments": "comment", "messages": "message", "search": "post"}
DELETED_MARKERS = ("[deleted]", "[removed]")


class RedditConnector(OAuth2Connector):
    network = "reddit"
    label = "Reddit"
    default_base_url = "https://oauth.reddit.com"
    stream_kinds = ("mentions", "comments", "messages", "search")
    max_text_length = 10_000
    can_reply = True
    can_publish = True
    # a text post: title (300 characters) and body (40,000); the API takes no image upload
    publish_limits = PublishLimits(max_chars=40_000, requires_title=True)
    oauth_scopes = ("identity", "read", "history", "privatemessages", "submit")
    oauth_authorize_params = {"duration": "permanent"}

    page_size: ClassVar[int] = 100

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        user = config.handle.lstrip("/").removeprefix("u/") or "unknown"
        self.session.headers["User-Agent"] = config.options.get("user_agent") or (
            f"python:social_crm:19.0 (by /u/{user})"
        )

    # -- OAuth -------------------------------------------------------------
    def _www(self) -> str:
        return self.base_url if self.config.base_url else WWW

    def oauth_authorize_endpoint(self) -> str:
        return f"{self._www()}/api/v1/authorize"

    def oauth_token_endpoint(self) -> str:
        return self.config.options.get("token_url") or f"{self._www()}/api/v1/access_token"

    def oauth_revoke_endpoint(self) -> str:
        return f"{self._www()}/api/v1/revoke_token"

    def check_connection(self) -> str:
        return required_str(self.authorized("GET", "/api/v1/me").json(), "name")

    # -- HTTP --------------------------------------------------------------
    def read_rate_limit(self, response: requests.Response) -> RateLimit | None:
        remaining = header_int(response.headers, "X-Ratelimit-Remaining")
        if remaining is None:
            return None
        used = header_int(response.headers, "X-Ratelimit-Used")
        reset = header_int(response.headers, "X-Ratelimit-Reset")  # seconds to the end of the window
        return RateLimit(
            remaining=remaining,
            limit=remaining + used if used is not None else None,
            reset_at=datetime.now(timezone.utc) + timedelta(seconds=reset) if reset is not None else None,
        )

    def check_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400 or status == 401:
            return super().check_response(response)
        message = _error_message(response)
        if status == 429:
            reset_at = self.last_rate_limit.reset_at if self.last_rate_limit else None
            raise RateLimited("Reddit: rate limit reached", reset_at or retry_after(response))
        if status >= 500:
            raise TransientError(f"Reddit: HTTP {status}")
        if status == 403:
            raise AuthError(f"Reddit: forbidden: {message}")
        raise ConnectorError(f"Reddit: HTTP {status}: {message}")

    # -- reading -----------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        if stream.kind not in BOXES:
            raise ConnectorError(f"Reddit cannot read {stream.kind}")
        if stream.kind == "search" and not stream.query.strip():
            raise ConnectorError("Reddit search needs a query")
        state = load_cursor(cursor)
        boxes = BOXES[stream.kind]
        box_index = min(state.get("box", 0), len(boxes) - 1)
        box_state = state.setdefault("boxes", {}).setdefault(boxes[box_index], {})
        params = {"limit": self.page_size, "raw_json": 1}  # raw_json: text without HTML escaping
        if stream.kind == "search":
            params.update(q=stream.query.strip(), sort="new", type="link")
        if box_state.get("page"):
            params["after"] = box_state["page"]
        listing = self.authorized("GET", boxes[box_index], params=params).json()
        children, after = _listing(listing)
        page = Page(rate_limit=self.last_rate_limit)
        entries = []
        for child in children:
            # a private message comes with its conversation's later messages
            # nested under ``replies``, and the listing is ordered by the
            # conversation's latest message: an entry is a whole conversation,
            # placed by its latest message, so a new reply to an old
            # conversation is met before the stop condition
            conversation = []
            for item in [child, *_nested_replies(child)]:
                try:
                    conversation.append(_post(item, KINDS[stream.kind]))
                except PayloadError as error:
                    page.skipped.append(SkippedItem(str(error), optional_str(_data(item), "name")))
            if conversation:
                latest = max(conversation, key=lambda post: (post.created_at, post.external_id))
                entries.append((latest.external_id, latest.created_at, conversation))
        conversations, more_in_box = walk_newest_first(box_state, entries, after, stream.backfill_limit)
        page.posts = [post for conversation in conversations for post in conversation]
        # the next box, then back to the first one for the next poll
        next_box = box_index if more_in_box else box_index + 1
        page.has_more = next_box < len(boxes)
        state["box"] = next_box if page.has_more else 0
        page.cursor = dump_cursor(state)
        return page

    # -- writing -----------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        ensure_text_length(self, text)
        answer = self.authorized(
            "POST", "/api/comment", data={"api_type": "json", "thing_id": parent.external_id, "text": text}
        ).json()
        result = answer.get("json") if isinstance(answer, dict) else None
        if not isinstance(result, dict):
            raise PayloadError("Reddit: unexpected answer to a reply")
        _raise_api_errors(result.get("errors"))
        things = (result.get("data") or {}).get("things")
        if not isinstance(things, list) or not things:
            raise PayloadError("Reddit: the reply is missing from the answer")
        kind = "message" if parent.external_id.startswith("t4_") else "comment"
        return _post(things[0], kind)

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """``POST /api/submit`` of a text post to the account's target
        subreddit (default: its own profile, ``u_<name>``).  No idempotency
        key: the caller checks :meth:`find_published` after a lost answer."""
        ensure_publishable(self, text, media, title)
        subreddit = self.config.options.get("publish_target") or f"u_{self.check_connection()}"
        with self.single_attempt():
            answer = self.authorized("POST", "/api/submit", data={
                "api_type": "json", "sr": subreddit.removeprefix("r/"), "kind": "self",
                "title": title.strip()[:300], "text": text,
            }).json()
        result = answer.get("json") if isinstance(answer, dict) else None
        if not isinstance(result, dict):
            raise PayloadError("Reddit: unexpected answer to a submission")
        _raise_api_errors(result.get("errors"), "the post")
        data = result.get("data") if isinstance(result.get("data"), dict) else {}
        name = required_str(data, "name")
        me = self.config.handle.lstrip("@") or "me"
        return NormalizedPost(external_id=name, author=Author(external_id=me, handle=me), text=text,
                              created_at=datetime.now(timezone.utc), kind="post", url=optional_str(data, "url"),
                              thread_external_id=name)

    def find_published(self, text, since):
        listing = self.authorized("GET", f"/user/{self.check_connection()}/submitted",
                                  params={"limit": 25, "raw_json": 1}).json()
        children, _after = _listing(listing)
        for child in children:
            post = _post(child, "post")
            body = optional_str(_data(child), "selftext")
            if post.created_at >= since and same_text(body, text):
                return post
        return None

    def post_metrics(self, external_ids):
        metrics = {}
        for start in range(0, len(external_ids), 100):
            listing = self.authorized("GET", "/api/info", params={"id": ",".join(external_ids[start:start + 100])})
            for child in _listing(listing.json())[0]:
                post = _post(child, "post")
                metrics[post.external_id] = post.metrics
        return metrics


def _raise_api_errors(errors, what: str = "the reply") -> None:
    """``json.errors`` of a write: ``[["RATELIMIT", "… Try again in 9 minutes.", "ratelimit"], …]``."""
    if not errors:
        return
    code, message = (list(errors[0]) + ["", ""])[:2] if isinstance(errors[0], list) else ("", str(errors[0]))
    if code == "RATELIMIT":
        wait = re.search(r"(\d+)\s*(second|minute|hour)", str(message))
        seconds = int(wait.group(1)) * {"second": 1, "minute": 60, "hour": 3600}[wait.group(2)] if wait else 600
        raise RateLimited(f"Reddit: {message}", datetime.now(timezone.utc) + timedelta(seconds=seconds))
    raise ConnectorError(f"Reddit refused {what}: {code}: {message}")


def _error_message(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:  # some errors are HTML pages
        return "the server answered with an HTML page" if "<" in response.text[:100] else response.text[:200]
    if isinstance(payload, dict):
        return str(payload.get("message") or payload.get("reason") or payload.get("error") or "")[:200]
    return ""


def _listing(payload) -> tuple[list, str]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("children"), list):
        raise PayloadError("Reddit: the answer is not a Listing")
    return data["children"], optional_str(data, "after")


def _data(child) -> dict:
    data = child.get("data") if isinstance(child, dict) else None
    return data if isinstance(data, dict) else {}


def _nested_replies(child) -> list:
    """The later messages of a conversation, nested under ``replies`` as a
    Listing (``""`` when there are none)."""
    replies = _data(child).get("replies")
    if not isinstance(replies, dict):
        return []
    nested = _data(replies).get("children")
    return [item for item in nested if isinstance(item, dict)] if isinstance(nested, list) else []


#: ``context`` of an inbox comment: ``/r/<sub>/comments/<post>/<slug>/<comment>/?context=3``
CONTEXT = re.compile(r"^(/r/[^/]+/comments/([a-z0-9]+)/[^/?]*/[a-z0-9]+/?)")


def _post(child, kind: str) -> NormalizedPost:
    if not isinstance(child, dict) or child.get("kind") not in ("t1", "t3", "t4"):
        raise PayloadError(
            f"not a comment, post or message: {str(child.get('kind') if isinstance(child, dict) else child)[:20]}"
        )
    data = _data(child)
    thing = child["kind"]
    if thing == "t3":
        title, body = optional_str(data, "title"), optional_str(data, "selftext")
        text = f"{title}\n\n{body}" if body else title
    else:
        text = optional_str(data, "body")
    author = _author(data, thing)
    deleted = author.handle in DELETED_MARKERS or text.strip() in DELETED_MARKERS
    edited = data.get("edited")
    name = required_str(data, "name")
    # inbox comments carry ``context`` instead of ``permalink`` and ``link_id``
    permalink = optional_str(data, "permalink")
    context = CONTEXT.match(optional_str(data, "context"))
    if not permalink and context:
        permalink = context.group(1)
    if thing == "t4":
        # the first message of a conversation names no first message: it is the first
        thread = optional_str(data, "first_message_name") or name
    else:
        thread = optional_str(data, "link_id") or (f"t3_{context.group(2)}" if context else "")
    return NormalizedPost(
        external_id=name,
        author=author,
        text=clean_text(text),
        created_at=parse_datetime(data.get("created_utc")),
        kind=kind,
        url=f"{WWW}{permalink}" if permalink.startswith("/") else permalink,
        parent_external_id=optional_str(data, "parent_id"),
        thread_external_id=thread,
        # ``edited`` is false or the epoch of the last edit
        edited_at=parse_datetime(edited) if isinstance(edited, (int, float)) and not isinstance(edited, bool) else None,
        deleted=deleted,
        # ``num_comments`` of a comment or message in the inbox is its post's count, not its own
        metrics=Metrics(
            likes=optional_int(data, "score"), replies=optional_int(data, "num_comments") if thing == "t3" else 0
        ),
    )


def _author(data: dict, thing: str) -> Author:
    """The author; a message its moderators sent as the subreddit has no
    ``author``: the subreddit is its author."""
    name = optional_str(data, "author")
    if not name and thing == "t4" and optional_str(data, "subreddit"):
        subreddit = optional_str(data, "subreddit_name_prefixed") or f"r/{optional_str(data, 'subreddit')}"
        return Author(external_id=subreddit, handle=subreddit, url=f"{WWW}/{subreddit}")
    name = required_str(data, "author")
    return Author(
        external_id=optional_str(data, "author_fullname") or name,
        handle=name,
        url="" if name in DELETED_MARKERS else f"{WWW}/user/{name}",
    )


CONNECTOR = RedditConnector
