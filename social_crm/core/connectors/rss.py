"""RSS and Atom feeds: read only, no credentials.

The stream's query is the feed URL (the account's base URL when the query is
empty).  Each fetch is one conditional GET (``If-None-Match`` /
``If-Modified-Since`` from the cursor; 304 gives an empty page).  A permanent
redirect (301/308) is followed and the new URL kept in the cursor and in
:attr:`RssConnector.moved_to`, so the caller can update the stored URL; 410
means the feed is gone for good (a :class:`ConnectorError` saying so);
429/503 with ``Retry-After`` raise :class:`RateLimited`.

Entries are identified by ``id``/``guid``, else their link, else (old RSS
and RDF items often have neither) a hash of the feed URL, title and text.
The cursor keeps the ids of the feed's current entries with their
``updated`` time: a new id is a new post, a changed ``updated`` an edit
(``edited_at``).  An entry without any date (RSS 1.0/RDF items carry none)
is dated when first seen, and its text's hash stands for its version.  A malformed
("bozo") feed is read as far as feedparser can; unreadable entries are
skipped with a reason.  RFC 5005 archive paging is not followed.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser
import requests

from ..errors import ConnectorError, PayloadError, RateLimited, TransientError
from ..types import Author, NormalizedPost, Page, SkippedItem, StreamSpec
from ._parse import clean_text, dump_cursor, html_to_text, load_cursor, parse_datetime
from .base import Connector, retry_after

MAX_REDIRECTS = 5
PERMANENT_REDIRECTS = (301, 308)


class RssConnector(Connector):
    network = "rss"
    label = "RSS / Atom"
    stream_kinds = ("search", "mentions")

    def check_connection(self) -> str:
        feed = feedparser.parse(self._get(self.base_url, {}).content)
        return feed.feed.get("title") or self.base_url

    def check_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        if status == 410:
            raise ConnectorError(f"RSS: the feed {response.url} is gone (HTTP 410); stop polling it")
        if status == 429 or (status == 503 and "Retry-After" in response.headers):
            raise RateLimited(f"RSS: HTTP {status}, the server asks to come back later", retry_after(response))
        if status >= 500:
            raise TransientError(f"RSS: HTTP {status}")
        raise ConnectorError(f"RSS: HTTP {status} for {response.url}")

    # -- reading -----------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        state = load_cursor(cursor)
        url = state.get("url") or stream.query.strip() or self.base_url
        if not url:
            raise ConnectorError("RSS: the stream needs a feed URL")
        conditions = {}
        if state.get("etag"):
            conditions["If-None-Match"] = state["etag"]
        if state.get("modified"):
            conditions["If-Modified-Since"] = state["modified"]
        self.moved_to = ""
        response = self._get(url, conditions)
        state["url"] = self.moved_to or url
        page = Page()
        if response.status_code == 304:
            page.cursor = dump_cursor(state)
            return page
        state["etag"] = response.headers.get("ETag", "")
        state["modified"] = response.headers.get("Last-Modified", "")
        feed = feedparser.parse(
            response.content, response_headers={"content-type": response.headers.get("Content-Type", "")}
        )
        if feed.bozo:
            page.skipped.append(
                SkippedItem(f"the feed is not well-formed: {str(feed.get('bozo_exception', ''))[:200]}")
            )
        first_run = "seen" not in state
        previous: dict[str, str] = state.get("seen", {})
        seen: dict[str, str] = {}
        posts = []
        first_seen = datetime.now(timezone.utc)
        for entry in feed.entries:
            try:
                post, version = self._post(entry, feed.feed, state["url"], first_seen)
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), _entry_id(entry)))
                continue
            if post.external_id in seen:
                page.skipped.append(SkippedItem("the feed repeats this entry", post.external_id))
                continue
            if previous.get(post.external_id) != version:
                if post.external_id in previous and version.startswith("text:"):
                    post = replace(post, edited_at=first_seen)  # an undated entry's text changed
                posts.append(post)
            seen[post.external_id] = version
        posts.sort(key=lambda post: post.created_at, reverse=True)
        if first_run and stream.backfill_limit:
            posts = posts[: stream.backfill_limit]
        page.posts = posts
        state["seen"] = seen
        page.cursor = dump_cursor(state)
        return page

    def _get(self, url: str, conditions: dict[str, str]) -> requests.Response:
        """GET following redirects by hand, to notice the permanent ones."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self.http("GET", url, headers=conditions, allow_redirects=False)
            if response.status_code not in (301, 302, 303, 307, 308) or not response.headers.get("Location"):
                return response
            url = urljoin(url, response.headers["Location"])
            if response.status_code in PERMANENT_REDIRECTS:
                self.moved_to = url
        raise ConnectorError(f"RSS: more than {MAX_REDIRECTS} redirects")

    def _post(self, entry, feed, feed_url: str, first_seen: datetime) -> tuple[NormalizedPost, str]:
        """The entry's post and its version (its date, or its text's hash if undated)."""
        title = clean_text(entry.get("title", ""))
        body = _entry_body(entry)
        text = clean_text(f"{title}\n\n{body}" if title and body else title or body)
        digest = hashlib.sha256(f"{feed_url}\n{text}".encode()).hexdigest()[:32]
        external_id = _entry_id(entry) or (f"sha256:{digest}" if text.strip() else "")
        if not external_id:
            raise PayloadError("entry without id, link, title or text")
        published = _entry_time(entry, "published")
        updated = _entry_time(entry, "updated")
        edited_at = updated if published and updated and updated > published else None
        created_at = published or updated or first_seen
        version = (edited_at or created_at).isoformat() if published or updated else f"text:{digest}"
        author_name = entry.get("author") or feed.get("title") or feed_url
        post = NormalizedPost(
            external_id=external_id,
            author=Author(external_id=author_name, handle=author_name, url=feed.get("link", "")),
            text=text,
            created_at=created_at,
            url=entry.get("link", ""),
            language_hint=entry.get("language") or feed.get("language", ""),
            edited_at=edited_at,
        )
        return post, version


def _entry_id(entry) -> str:
    return str(entry.get("id") or entry.get("guid") or entry.get("link") or "")


def _entry_time(entry, name: str) -> datetime | None:
    """The entry's ``published``/``updated`` time; a present but unreadable date is an error."""
    # plain dict reads: feedparser's own lookup maps a missing ``updated`` to ``published``
    raw = dict.get(entry, name)
    if not raw:
        return None
    parsed = dict.get(entry, f"{name}_parsed")
    if parsed:  # feedparser reads many more date formats than ISO and RFC 822
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    return parse_datetime(raw)


def _entry_body(entry) -> str:
    content = entry.get("content")
    detail = content[0] if content else entry.get("summary_detail") or {}
    value = detail.get("value") or entry.get("summary", "")
    if detail.get("type", "text/html") in ("text/html", "application/xhtml+xml"):
        return html_to_text(value)
    return value


CONNECTOR = RssConnector
