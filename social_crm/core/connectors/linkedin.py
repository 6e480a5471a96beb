"""LinkedIn organization pages (Community Management API, ``https://api.linkedin.com/rest``).

Shapes and methods, from LinkedIn's documentation on learn.microsoft.com
(linkedin/marketing/community-management/…):

- every call sends ``LinkedIn-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0``;
  URNs in paths and query values are URL-encoded, Rest.li's own ``List(…)`` and
  ``(start:…,end:…)`` syntax is not (shares/posts-api, Rest.li protocol 2.0);
- the organization's posts: ``GET /posts?author=urn:li:organization:{id}&q=author&sortBy=LAST_MODIFIED``
  → ``{elements[{id, author, commentary, createdAt, lastModifiedAt, …}], paging{start, count, total}}``
  (shares/posts-api); ``commentary`` is in LinkedIn's "little text format": mentions
  ``@[Name](urn)``, hashtags ``{hashtag|\\#|tag}``, reserved characters escaped with ``\\``;
- comments: ``GET /socialActions/{post urn}/comments`` and, for the replies to a comment,
  ``GET /socialActions/{comment urn}/comments``, paged by ``start``/``count``; a comment is
  ``{id, commentUrn "urn:li:comment:({activity},{id})", actor, object, message{text},
  created{time}, lastModified{time}, parentComment?, likesSummary, commentsSummary}``
  (shares/comments-api);
- a reply: ``POST /socialActions/{urn}/comments`` with ``{actor, object, message{text},
  parentComment?}`` → 201, the comment in the body and its URN in ``x-restli-id``; comments
  nest one level: a reply to a reply is a reply to its top-level comment (shares/comments-api);
- mentions of the organization: ``GET /organizationalEntityNotifications?q=criteria
  &organizationalEntity=…&actions=List(SHARE_MENTION)&timeRange=(start:…,end:…)``
  → ``{elements[{action, actor, organizationalEntity, sourcePost, generatedActivity,
  lastModifiedAt}], paging}``, kept 60 days (organizations/organization-social-action-notifications);
  the mentioning post is read with ``GET /posts/{urn}``;
- errors ``{status, serviceErrorCode, code, message}``; quotas are daily, reset at midnight
  UTC, and a 429 carries no ``Retry-After`` (shared/api-guide/concepts/rate-limits);
- OAuth 2.0 three-legged flow at ``https://www.linkedin.com/oauth/v2/{authorization,accessToken}``;
  the token answer has no ``token_type`` and a comma-separated ``scope``; refresh tokens
  only for approved partners, refreshed with the client id and secret in the body
  (shared/authentication/authorization-code-flow, …/programmatic-refresh-tokens).

Streams: ``comments`` reads the comments, and the replies to them, on the
organization's ``post_count`` most recently modified posts, or on the post URNs
of the stream's query; one page is one post, and a run keeps the comments
created or edited since the previous run.  ``mentions`` reads the posts that
mention the organization.  Threads: a comment's thread is its top-level
comment (each customer's conversation its own ticket), its parent the
comment it answers; the post URN is in its URL and in its URN.

The account's network id is the organization (``urn:li:organization:{id}`` or ``{id}``).
"""

from __future__ import annotations

import re
import time as clock
from datetime import datetime, time, timedelta, timezone
from typing import ClassVar
from urllib.parse import quote

import requests

from ..errors import AuthError, ConnectorError, NotFound, PayloadError, RateLimited, TransientError
from ..types import Author, Metrics, NormalizedPost, Page, SkippedItem, StreamSpec
from ._oauth import OAuth2Connector
from ._parse import clean_text, dump_cursor, load_cursor, optional_int, optional_str, parse_datetime, required_str
from .base import ensure_text_length, retry_after

OAUTH_BASE = "https://www.linkedin.com/oauth/v2"
#: notifications are kept this long by LinkedIn: a first run reads no further back
NOTIFICATION_RETENTION = timedelta(days=60)
_COMMENT_URN = re.compile(r"urn:li:comment:\((urn:li:[A-Za-z]+:[^,()]+),([^()]+)\)")
_POST_URN = re.compile(r"urn:li:(share|ugcPost|activity):[0-9A-Za-z_-]+")
_MENTION = re.compile(r"@\[((?:\\.|[^\]\\])*)\]\(urn:li:[^)]+\)")
_HASHTAG = re.compile(r"\{hashtag\|\\?#\|((?:\\.|[^}\\])*)\}")
_ESCAPED = re.compile(r"\\(.)")
#: pages read of one comment listing at most, against a server that never stops
_MAX_PAGES = 200


def little_text(value: str) -> str:
    """Plain text of a post's ``commentary``: mentions and hashtags as written, escapes undone."""
    value = _MENTION.sub(lambda match: "@" + match.group(1), value)
    value = _HASHTAG.sub(lambda match: "#" + match.group(1), value)
    return _ESCAPED.sub(r"\1", value)


def _time(value) -> datetime:
    """A LinkedIn time: epoch milliseconds, bare or as ``{"time": ms}``."""
    return parse_datetime(value.get("time") if isinstance(value, dict) else value)


def next_midnight_utc(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=timezone.utc)


class LinkedInConnector(OAuth2Connector):
    network = "linkedin"
    label = "LinkedIn"
    publish_unsupported = (
        "LinkedIn: publishing organization posts (the Posts API) is not built yet;"
        " reply to comments instead"
    )
    default_base_url = "https://api.linkedin.com/rest"
    stream_kinds = ("comments", "mentions")
    # LinkedIn's comment box takes 1,250 characters (the Comments API documents no other limit)
    max_text_length = 1250
    can_reply = True
    oauth_scopes = ("r_organization_social", "w_organization_social", "rw_organization_admin")
    oauth_revoke_client_in_body = True
    oauth_token_client_in_body = True

    #: the monthly API version sent in ``LinkedIn-Version``; each is served about a year
    api_version: ClassVar[str] = "202610"
    page_size: ClassVar[int] = 100
    #: recent posts whose comments the ``comments`` stream reads
    post_count: ClassVar[int] = 20
    #: comments this much older than a run's start are read again by the next run, against
    #: clock skew between LinkedIn and us (a comment read twice is stored once)
    clock_margin_ms: ClassVar[int] = 5 * 60 * 1000

    # -- OAuth -------------------------------------------------------------
    def _oauth_base(self) -> str:
        return f"{self.base_url}/oauth/v2" if self.config.base_url else OAUTH_BASE

    def oauth_authorize_endpoint(self) -> str:
        return f"{self._oauth_base()}/authorization"

    def oauth_token_endpoint(self) -> str:
        return f"{self._oauth_base()}/accessToken"

    def oauth_revoke_endpoint(self) -> str:
        return f"{self._oauth_base()}/revoke"

    @property
    def organization(self) -> str:
        value = self.config.external_id.strip()
        number = value.removeprefix("urn:li:organization:")
        if not number.isdigit():
            raise ConnectorError("LinkedIn: set the account's Network ID to the organization, urn:li:organization:<id>")
        return f"urn:li:organization:{number}"

    def check_connection(self) -> str:
        organization = self._get(f"/organizations/{self.organization.rsplit(':', 1)[1]}")
        return (
            optional_str(organization, "vanityName") or optional_str(organization, "localizedName") or self.organization
        )

    # -- HTTP --------------------------------------------------------------
    def _get(self, path: str, query: str = "") -> dict:
        """A GET whose query string is built by the caller (Rest.li syntax must stay unescaped)."""
        url = f"{path}?{query}" if query else path
        return _json(self.authorized("GET", url, headers=self._headers()))

    def _headers(self) -> dict[str, str]:
        return {"LinkedIn-Version": self.api_version, "X-Restli-Protocol-Version": "2.0.0"}

    def check_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400 or status == 401:
            return super().check_response(response)
        code, message = _error_of(response)
        if status == 429:
            # daily quotas: without Retry-After, wait for the reset at midnight UTC
            reset = retry_after(response) if response.headers.get("Retry-After") else None
            raise RateLimited(f"LinkedIn: {code or 'rate limit reached'}", reset or next_midnight_utc(_utcnow()))
        if status >= 500:
            raise TransientError(f"LinkedIn: HTTP {status}")
        if status == 403:
            raise AuthError(f"LinkedIn: {code or 'ACCESS_DENIED'}: {message}")
        if status in (404, 410):
            raise NotFound(f"LinkedIn: HTTP {status} {code}: {message}")
        raise ConnectorError(f"LinkedIn: HTTP {status} {code}: {message}")

    # -- reading -----------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        state = load_cursor(cursor)
        if stream.kind == "comments":
            page = self._comments_page(stream, state)
        elif stream.kind == "mentions":
            page = self._mentions_page(stream, state)
        else:
            raise ConnectorError(f"LinkedIn cannot read {stream.kind}")
        page.cursor = dump_cursor(state)
        page.rate_limit = self.last_rate_limit
        return page

    def _comments_page(self, stream: StreamSpec, state: dict) -> Page:
        page = Page()
        posts = state.get("posts")
        if not isinstance(posts, list) or not posts:
            posts = self._watched_posts(stream.query)
            # the next run keeps what is newer than this run's start (less a margin for clock skew):
            # a comment written on an already read post while the run goes on is read next time
            state.update(run_start=int(clock.time() * 1000) - self.clock_margin_ms, count=0)
        if not posts:
            return page
        since, first_run = int(state.get("since") or 0), not state.get("since")
        post_urn = posts.pop(0)
        try:
            comments = list(self._comments_of(quote(post_urn, safe=""), page.skipped))
        except NotFound:
            # a watched post deleted: the others are read all the same
            page.skipped.append(SkippedItem("the post no longer exists", post_urn))
            comments = []
        for comment in comments:
            if first_run and stream.backfill_limit and state["count"] >= stream.backfill_limit:
                break
            try:
                posts_of_comment = self._comment_posts(comment, post_urn, page.skipped, since)
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), optional_str(comment, "commentUrn")))
                continue
            page.posts += posts_of_comment
            state["count"] += len(posts_of_comment)
        state["posts"] = posts
        if posts:
            page.has_more = True
        else:
            state.update(since=state["run_start"], count=0)
        return page

    def _watched_posts(self, query: str) -> list[str]:
        named = re.split(r"[\s,]+", query.strip()) if query.strip() else []
        if named:
            for urn in named:
                if not _POST_URN.fullmatch(urn):
                    raise ConnectorError(f"LinkedIn: {urn[:60]!r} is no post URN (urn:li:share:…, urn:li:ugcPost:…)")
            return named
        listing = self._get(
            "/posts",
            f"author={quote(self.organization, safe='')}&q=author&count={self.post_count}&sortBy=LAST_MODIFIED",
        )
        elements = listing.get("elements")
        if not isinstance(elements, list):
            raise PayloadError("LinkedIn: the posts answer has no elements list")
        return [optional_str(post, "id") for post in elements if _POST_URN.fullmatch(optional_str(post, "id"))]

    def _comments_of(self, target: str, skipped: list[SkippedItem]):
        """Every comment of a post or comment (``target`` URL-encoded), page after page."""
        start = 0
        for _page in range(_MAX_PAGES):
            payload = self._get(f"/socialActions/{target}/comments", f"start={start}&count={self.page_size}")
            elements = payload.get("elements")
            if not isinstance(elements, list):
                raise PayloadError("LinkedIn: the comments answer has no elements list")
            yield from elements
            total = optional_int(payload.get("paging"), "total") if isinstance(payload.get("paging"), dict) else 0
            start += len(elements)
            if not elements or len(elements) < self.page_size or (total and start >= total):
                return
        skipped.append(SkippedItem(f"more than {_MAX_PAGES} pages of comments: the rest waits", target))

    def _comment_posts(self, comment, post_urn: str, skipped: list[SkippedItem], since: int) -> list[NormalizedPost]:
        """The comment (if new or edited since ``since``), then its replies."""
        top = self._comment(comment, post_urn)
        posts = [top] if _changed_since(top, since) else []
        summary = comment.get("commentsSummary") if isinstance(comment.get("commentsSummary"), dict) else {}
        if optional_int(summary, "totalFirstLevelComments") or optional_int(summary, "aggregatedTotalComments"):
            try:
                replies = list(self._comments_of(quote(top.external_id, safe=""), skipped))
            except NotFound:
                skipped.append(SkippedItem("the comment was deleted while its replies were read", top.external_id))
                replies = []
            for reply in replies:
                try:
                    answer = self._comment(reply, post_urn, top.external_id)
                except PayloadError as error:
                    skipped.append(SkippedItem(str(error), optional_str(reply, "commentUrn")))
                    continue
                if _changed_since(answer, since):
                    posts.append(answer)
        return posts

    def _comment(self, comment, post_urn: str, parent: str = "") -> NormalizedPost:
        if not isinstance(comment, dict):
            raise PayloadError(f"a comment is a {type(comment).__name__}")
        urn = optional_str(comment, "commentUrn") or required_str(comment, "$URN")
        if not _COMMENT_URN.fullmatch(urn):
            raise PayloadError(f"comment URN {urn[:80]!r} is not urn:li:comment:(…,…)")
        message = comment.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("text", ""), str):
            raise PayloadError("missing comment message")
        created = _time(comment.get("created"))
        modified = _time(comment.get("lastModified")) if comment.get("lastModified") else created
        parent = optional_str(comment, "parentComment") or parent
        likes = comment.get("likesSummary") if isinstance(comment.get("likesSummary"), dict) else {}
        replies = comment.get("commentsSummary") if isinstance(comment.get("commentsSummary"), dict) else {}
        return NormalizedPost(
            external_id=urn,
            author=self._author(required_str(comment, "actor")),
            text=clean_text(message.get("text") or ""),
            created_at=created,
            kind="comment",
            url=f"https://www.linkedin.com/feed/update/{post_urn}?commentUrn={quote(urn, safe='')}",
            parent_external_id=parent,
            thread_external_id=parent or urn,
            edited_at=modified if modified != created else None,
            metrics=Metrics(
                likes=optional_int(likes, "totalLikes") or optional_int(likes, "aggregatedTotalLikes"),
                replies=optional_int(replies, "aggregatedTotalComments"),
            ),
        )

    def _author(self, actor: str) -> Author:
        if actor == self.organization:  # our own comments: the account's id, so they are recognised as ours
            return Author(external_id=self.config.external_id, handle=self.config.handle or actor)
        return Author(external_id=actor, handle=actor)

    def _mentions_page(self, stream: StreamSpec, state: dict) -> Page:
        page = Page()
        if not state.get("end"):
            now = int(clock.time() * 1000)
            retention_start = now - int(NOTIFICATION_RETENTION.total_seconds() * 1000)
            state.update(end=now, start=0, count=0, since=max(int(state.get("since") or 0), retention_start))
        first_run = not state.get("seen_run")
        query = (
            f"q=criteria&organizationalEntity={quote(self.organization, safe='')}&actions=List(SHARE_MENTION)"
            f"&timeRange=(start:{state['since']},end:{state['end']})&start={state['start']}&count={self.page_size}"
        )
        payload = self._get("/organizationalEntityNotifications", query)
        elements = payload.get("elements")
        if not isinstance(elements, list):
            raise PayloadError("LinkedIn: the notifications answer has no elements list")
        for notification in elements:
            if first_run and stream.backfill_limit and state["count"] >= stream.backfill_limit:
                break
            action = optional_str(notification, "action")
            if action != "SHARE_MENTION":  # asked for mentions only; a server sending more is not wrong
                page.skipped.append(SkippedItem(f"notification {action or 'without action'} is no mention"))
                continue
            try:
                page.posts.append(self._mention(notification))
                state["count"] += 1
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), optional_str(notification, "generatedActivity")))
        total = optional_int(payload.get("paging"), "total") if isinstance(payload.get("paging"), dict) else 0
        state["start"] += len(elements)
        more = bool(elements) and len(elements) >= self.page_size and not (total and state["start"] >= total)
        capped = first_run and stream.backfill_limit and state["count"] >= stream.backfill_limit
        if more and not capped:
            page.has_more = True
        else:
            state.update(since=state["end"], end=0, start=0, count=0, seen_run=True)
        return page

    def _mention(self, notification) -> NormalizedPost:
        urn = required_str(notification, "generatedActivity")
        if not _POST_URN.fullmatch(urn):
            raise PayloadError(f"mentioning activity {urn[:80]!r} is no post URN")
        try:
            post = self._get(f"/posts/{quote(urn, safe='')}")
        except NotFound:
            raise PayloadError("the mentioning post was deleted") from None
        created = parse_datetime(post.get("publishedAt") or post.get("createdAt"))
        modified = parse_datetime(post["lastModifiedAt"]) if post.get("lastModifiedAt") else created
        return NormalizedPost(
            external_id=urn,
            author=self._author(required_str(post, "author")),
            text=clean_text(little_text(optional_str(post, "commentary"))),
            created_at=created,
            kind="mention",
            url=f"https://www.linkedin.com/feed/update/{urn}/",
            thread_external_id=urn,
            edited_at=modified if modified > created else None,
        )

    # -- writing -----------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        """Comment on a mentioning post, or answer a comment under its top-level comment."""
        ensure_text_length(self, text)
        body = {"actor": self.organization, "message": {"text": text}}
        if parent.external_id.startswith("urn:li:comment:"):
            top = parent.parent_external_id or parent.external_id
            match = _COMMENT_URN.fullmatch(top)
            if not match:
                raise ConnectorError("LinkedIn: the comment's URN is not urn:li:comment:(…,…)")
            target, post_urn = top, match.group(1)
            body.update(object=post_urn, parentComment=top)
        elif _POST_URN.fullmatch(parent.external_id):
            target = post_urn = parent.external_id
            body["object"] = post_urn
        else:
            raise ConnectorError("LinkedIn: only comments and posts can be answered")
        response = self.authorized(
            "POST", f"/socialActions/{quote(target, safe='')}/comments", json=body, headers=self._headers()
        )
        try:
            created = response.json()
        except ValueError:
            created = None
        if not isinstance(created, dict) or not (created.get("commentUrn") or created.get("$URN")):
            # some versions answer 201 with the new comment's URN in a header only
            urn = response.headers.get("x-restli-id", "")
            if not urn:
                raise PayloadError("LinkedIn: the new comment's URN is missing from the answer")
            now = int(clock.time() * 1000)
            created = {**body, "commentUrn": urn, "created": {"time": now}}
        created.setdefault("actor", self.organization)
        return self._comment(created, post_urn, body.get("parentComment", ""))


def _changed_since(post: NormalizedPost, since: int) -> bool:
    return int((post.edited_at or post.created_at).timestamp() * 1000) >= since


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _error_of(response: requests.Response) -> tuple[str, str]:
    try:
        error = response.json()
    except ValueError:
        return "", response.text[:200]
    if not isinstance(error, dict):
        return "", str(error)[:200]
    return optional_str(error, "code"), optional_str(error, "message")[:200]


def _json(response: requests.Response) -> dict:
    try:
        payload = response.json()
    except ValueError:
        raise PayloadError(f"LinkedIn: the answer is not JSON (HTTP {response.status_code})") from None
    if not isinstance(payload, dict):
        raise PayloadError("LinkedIn: the answer is not a JSON object")
    return payload


CONNECTOR = LinkedInConnector
