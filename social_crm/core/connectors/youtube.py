"""YouTube Data API v3: comments on the channel's videos.

Stream ``comments`` reads ``commentThreads`` of the whole channel
(``allThreadsRelatedToChannelId``; the account's external id is the channel
id, else ``channels?mine=true`` finds it) or, when the query holds a video
id, of that video.  A thread yields its top-level comment and all its
replies (``comments?parentId`` when the thread carries only some of them).
Keyword search (``search.list``, 100 quota units a call) is not offered.

Polling reads newest threads first and stops at the thread met first in the
previous run, identified by id *and* latest activity, so a thread that got a
new reply or edit is read again whether YouTube orders threads by creation
or by activity.  Edits: ``updatedAt`` differs from ``publishedAt``.

Quota: a 403 ``quotaExceeded`` means the project's daily units are spent
until the quota resets at midnight Pacific time, so :class:`RateLimited`
carries the next midnight in America/Los_Angeles; ``rateLimitExceeded`` is a
short burst limit (``Retry-After`` or one minute).

OAuth: Google's authorization-code flow with ``access_type=offline`` and
``prompt=consent`` (so a refresh token is issued), refreshed before expiry.
With a base URL override (tests) the OAuth endpoints are
``<base>/oauth2/{authorize,token,revoke}``; the ``token_url`` option
overrides the token endpoint alone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import ClassVar

import requests

from ..errors import AuthError, ConnectorError, PayloadError, RateLimited, TransientError
from ..types import Author, Metrics, NormalizedPost, Page, SkippedItem, StreamSpec
from ._oauth import OAuth2Connector
from ._parse import (
    clean_text,
    dump_cursor,
    load_cursor,
    optional_int,
    optional_str,
    parse_datetime,
    required_str,
    walk_newest_first,
)
from .base import ensure_text_length, retry_after

try:
    from zoneinfo import ZoneInfo

    PACIFIC = ZoneInfo("America/Los_Angeles")
except (ImportError, KeyError):  # no time zone database: Pacific standard time
    PACIFIC = timezone(timedelta(hours=-8))

GOOGLE_OAUTH_ENDPOINTS = {
    "authorize": "https://accounts.google.com/o/oauth2/v2/auth",
    "token": "https://oauth2.googleapis.com/token",
    "revoke": "https://oauth2.googleapis.com/revoke",
}


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in Pacific time (when YouTube's daily quota resets), in UTC."""
    pacific_now = now.astimezone(PACIFIC)
    midnight = datetime.combine(pacific_now.date() + timedelta(days=1), time(0), tzinfo=PACIFIC)
    return midnight.astimezone(timezone.utc)


class YouTubeConnector(OAuth2Connector):
    network = "youtube"
    publish_unsupported = (
        "YouTube: the Data API has no endpoint for community posts; publish videos in YouTube Studio"
    )
    label = "YouTube"
    default_base_url = "https://www.googleapis.com/youtube/v3"
    stream_kinds = ("comments",)
    max_text_length = 10_000
    can_reply = True
    oauth_scopes = ("https://www.googleapis.com/auth/youtube.force-ssl",)
    oauth_authorize_params = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}

    page_size: ClassVar[int] = 100

    # -- OAuth -------------------------------------------------------------
    def _oauth_endpoint(self, name: str) -> str:
        return f"{self.base_url}/oauth2/{name}" if self.config.base_url else GOOGLE_OAUTH_ENDPOINTS[name]

    def oauth_authorize_endpoint(self) -> str:
        return self._oauth_endpoint("authorize")

    def oauth_token_endpoint(self) -> str:
        return self.config.options.get("token_url") or self._oauth_endpoint("token")

    def oauth_revoke_endpoint(self) -> str:
        return self._oauth_endpoint("revoke")

    def check_connection(self) -> str:
        channel = self._my_channel("snippet")
        snippet = channel.get("snippet") if isinstance(channel.get("snippet"), dict) else {}
        return optional_str(snippet, "customUrl") or optional_str(snippet, "title") or required_str(channel, "id")

    def _my_channel(self, part: str) -> dict:
        items = self.authorized("GET", "/channels", params={"part": part, "mine": "true"}).json().get("items")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise AuthError("YouTube: the connected Google account has no YouTube channel")
        return items[0]

    # -- HTTP --------------------------------------------------------------
    def check_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400 or status == 401:
            return super().check_response(response)
        reason, message = _error_of(response)
        if reason == "quotaExceeded":
            raise RateLimited("YouTube: the daily quota is spent", next_quota_reset(datetime.now(timezone.utc)))
        if status == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            raise RateLimited(f"YouTube: rate limit reached ({reason})", retry_after(response))
        if status >= 500:
            raise TransientError(f"YouTube: HTTP {status}")
        if reason == "operationNotSupported":
            raise ConnectorError("YouTube: replies are turned off for this comment")
        if status == 403 and reason in ("forbidden", "insufficientPermissions", "ineligibleAccount"):
            raise AuthError(f"YouTube: {reason}: {message}")
        raise ConnectorError(f"YouTube: HTTP {status} {reason}: {message}")

    # -- reading -----------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        if stream.kind != "comments":
            raise ConnectorError(f"YouTube cannot read {stream.kind}")
        state = load_cursor(cursor)
        params = {"part": "snippet,replies", "order": "time", "maxResults": self.page_size, "textFormat": "plainText"}
        if stream.query.strip():
            params["videoId"] = stream.query.strip()
        else:
            params["allThreadsRelatedToChannelId"] = self.config.external_id or required_str(
                self._my_channel("id"), "id"
            )
        if state.get("page"):
            params["pageToken"] = state["page"]
        payload = self.authorized("GET", "/commentThreads", params=params).json()
        threads = payload.get("items") if isinstance(payload, dict) else None
        if not isinstance(threads, list):
            raise PayloadError("YouTube: the answer has no items list")
        page = Page()
        entries = []
        for thread in threads:
            try:
                posts = self._thread_posts(thread, page.skipped)
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), optional_str(thread, "id")))
                continue
            activity = max(post.edited_at or post.created_at for post in posts)
            # id and activity together: a thread with new replies counts as unseen
            entries.append((f"{posts[0].external_id}@{activity.isoformat()}", activity, posts))
        entries.sort(key=lambda entry: entry[1], reverse=True)
        kept, page.has_more = walk_newest_first(
            state, entries, optional_str(payload, "nextPageToken"), stream.backfill_limit
        )
        page.posts = [post for posts in kept for post in posts]
        page.cursor = dump_cursor(state)
        page.rate_limit = self.last_rate_limit
        return page

    def _thread_posts(self, thread, skipped: list[SkippedItem]) -> list[NormalizedPost]:
        """The top-level comment of a thread, then all its replies."""
        snippet = thread.get("snippet") if isinstance(thread, dict) else None
        if not isinstance(snippet, dict):
            raise PayloadError("missing thread snippet")
        thread_id = required_str(thread, "id")
        video_id = optional_str(snippet, "videoId")
        top = _comment(snippet.get("topLevelComment"), thread_id, video_id, optional_int(snippet, "totalReplyCount"))
        replies = (thread.get("replies") or {}).get("comments") if isinstance(thread.get("replies"), dict) else None
        replies = replies if isinstance(replies, list) else []
        if optional_int(snippet, "totalReplyCount") > len(replies):
            # the thread carries a few replies; the rest come from comments.list, which
            # may lag behind: the carried ones are kept whatever it answers
            fetched = self._all_replies(thread_id)
            known = {optional_str(reply, "id") for reply in fetched}
            replies = fetched + [reply for reply in replies if optional_str(reply, "id") not in known]
        posts = [top]
        for reply in replies:
            try:
                posts.append(_comment(reply, thread_id, video_id))
            except PayloadError as error:
                skipped.append(SkippedItem(str(error), optional_str(reply, "id")))
        # replies held for review or removed still count in totalReplyCount
        missing = optional_int(snippet, "totalReplyCount") - len(replies)
        skipped += [SkippedItem("a reply the thread counts is not readable (held for review or removed)", thread_id)
                    ] * max(missing, 0)
        return posts

    def _all_replies(self, thread_id: str) -> list:
        replies, token = [], ""
        while True:
            params = {"part": "snippet", "parentId": thread_id, "maxResults": 100, "textFormat": "plainText"}
            if token:
                params["pageToken"] = token
            payload = self.authorized("GET", "/comments", params=params).json()
            items = payload.get("items") if isinstance(payload, dict) else None
            replies += items if isinstance(items, list) else []
            token = optional_str(payload, "nextPageToken")
            if not token:
                return replies

    # -- writing -----------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        """Answer in the parent's thread (YouTube threads are one level deep)."""
        ensure_text_length(self, text)
        thread_id = parent.thread_external_id or parent.parent_external_id or parent.external_id
        threads = self.authorized("GET", "/commentThreads", params={"part": "snippet", "id": thread_id}).json()
        items = threads.get("items") if isinstance(threads, dict) else None
        if not isinstance(items, list) or not items:
            raise ConnectorError("YouTube: the comment thread no longer exists")
        snippet = items[0].get("snippet") if isinstance(items[0], dict) else None
        if isinstance(snippet, dict) and snippet.get("canReply") is False:
            raise ConnectorError("YouTube: replies are turned off for this comment thread")
        created = self.authorized(
            "POST",
            "/comments",
            params={"part": "snippet"},
            json={"snippet": {"parentId": thread_id, "textOriginal": text}},
        ).json()
        video_id = optional_str(snippet, "videoId") if isinstance(snippet, dict) else ""
        return _comment(created, thread_id, video_id)


def _error_of(response: requests.Response) -> tuple[str, str]:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "", response.text[:200]
    if not isinstance(error, dict):
        return "", str(error)[:200]
    errors = error.get("errors")
    reason = optional_str(errors[0], "reason") if isinstance(errors, list) and errors else ""
    return reason, optional_str(error, "message")[:200]


def _comment(comment, thread_id: str, video_id: str, reply_count: int = 0) -> NormalizedPost:
    snippet = comment.get("snippet") if isinstance(comment, dict) else None
    if not isinstance(snippet, dict):
        raise PayloadError("missing comment snippet")
    comment_id = required_str(comment, "id")
    channel = snippet.get("authorChannelId")
    author_id = optional_str(channel, "value") if isinstance(channel, dict) else ""
    # textOriginal is only guaranteed to the comment's author; plain-text textDisplay otherwise
    text = optional_str(snippet, "textOriginal") or optional_str(snippet, "textDisplay")
    published = parse_datetime(snippet.get("publishedAt"))
    updated = snippet.get("updatedAt")
    updated_at = parse_datetime(updated) if updated else published
    video_id = optional_str(snippet, "videoId") or video_id
    return NormalizedPost(
        external_id=comment_id,
        author=Author(
            external_id=author_id or required_str(snippet, "authorDisplayName"),
            handle=optional_str(snippet, "authorDisplayName"),
            display_name=optional_str(snippet, "authorDisplayName"),
            url=optional_str(snippet, "authorChannelUrl"),
        ),
        text=clean_text(text),
        created_at=published,
        kind="comment",
        url=f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}" if video_id else "",
        parent_external_id=optional_str(snippet, "parentId"),
        thread_external_id=thread_id,
        edited_at=updated_at if updated_at != published else None,
        metrics=Metrics(likes=optional_int(snippet, "likeCount"), replies=reply_count),
    )


CONNECTOR = YouTubeConnector
