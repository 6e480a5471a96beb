"""Google Business Profile reviews (My Business API v4).

Shapes and methods, from Google's reference:

- reviews: ``GET https://mybusiness.googleapis.com/v4/accounts/{a}/locations/{l}/reviews``
  (``pageSize`` at most 50, ``pageToken`` → ``nextPageToken``, ``orderBy=updateTime desc``)
  → ``{reviews, averageRating, totalReviewCount, nextPageToken}``
  (developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews/list);
- a review: ``{name, reviewId, reviewer{profilePhotoUrl, displayName, isAnonymous},
  starRating (STAR_RATING_UNSPECIFIED, ONE..FIVE), comment, createTime, updateTime,
  reviewReply{comment, updateTime}}`` (…/rest/v4/accounts.locations.reviews);
- reply: ``PUT …/reviews/{r}/reply`` with a ``ReviewReply``; creates or replaces the one
  reply a review has, at most 4096 bytes; only on verified locations
  (…/rest/v4/accounts.locations.reviews/updateReply);
- locations: ``GET https://mybusinessbusinessinformation.googleapis.com/v1/accounts/{a}/locations``
  ``?readMask=name,title`` → ``{locations[{name: "locations/{l}", title}], nextPageToken}``
  (developers.google.com/my-business/reference/businessinformation/rest/v1/accounts.locations/list);
- OAuth scope ``https://www.googleapis.com/auth/business.manage``.

Stream ``comments`` reads the reviews of the locations listed in its query
(``locations/123`` or ``123``, separated by spaces or commas), or of every
location of the account (its network id, ``accounts/{a}`` or ``{a}``).
Reviews are read newest *update* first and a run stops at the review met
first in the previous run, identified by name and update time, so a review
its author edited (new text or new stars) is read again and updates the
stored post: the review's resource name is its external id, never a new one.

The stars become ``NormalizedPost.star_rating`` and rule the sentiment
(``analysis/rating.py``).  The owner's reply is emitted as our own post
(``<review name>/reply``, author = the account), so a reply written in Google's
interface is stored too and ours is recognised when it comes back.

Reviewers have no id in the API: a reviewer is identified by the profile
photo URL, which is one per Google account; anonymous reviewers, or reviewers
without photo, get one profile per review rather than being merged by name.

Push: Google publishes NEW_REVIEW / UPDATED_REVIEW to a Cloud Pub/Sub topic
(accounts.updateNotifications); not used: polling reads the same reviews.
"""

from __future__ import annotations

import re
from typing import ClassVar

import requests

from ..errors import AuthError, ConnectorError, NotFound, PayloadError, RateLimited, TransientError
from ..types import Author, NormalizedPost, Page, SkippedItem, StreamSpec
from ._google import GoogleOAuth2Connector, google_error
from ._parse import (
    clean_text,
    dump_cursor,
    load_cursor,
    optional_str,
    parse_datetime,
    required_str,
    walk_newest_first,
)
from .base import ensure_text_length, retry_after

BUSINESS_INFORMATION_URL = "https://mybusinessbusinessinformation.googleapis.com"
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
#: the longest reply Google accepts, in bytes of UTF-8
MAX_REPLY_BYTES = 4096
_ID = re.compile(r"[0-9A-Za-z_-]+")
_REVIEW_NAME = re.compile(r"accounts/[0-9A-Za-z_-]+/locations/[0-9A-Za-z_-]+/reviews/[0-9A-Za-z_-]+")


class GoogleBusinessConnector(GoogleOAuth2Connector):
    network = "google_business"
    label = "Google Business Profile"
    publish_unsupported = "Google Business Profile: only replies to reviews are published; local posts are not built"
    default_base_url = "https://mybusiness.googleapis.com"
    stream_kinds = ("comments",)
    max_text_length = MAX_REPLY_BYTES
    can_reply = True
    oauth_scopes = ("https://www.googleapis.com/auth/business.manage",)

    page_size: ClassVar[int] = 50

    # -- names ---------------------------------------------------------------
    def _account_name(self) -> str:
        account = self.config.external_id.strip().removeprefix("accounts/")
        if not _ID.fullmatch(account):
            raise ConnectorError("Google Business Profile: set the account's Network ID to accounts/<account id>")
        return f"accounts/{account}"

    def _location_names(self, query: str) -> list[str]:
        account = self._account_name()
        wanted = [part for part in re.split(r"[\s,]+", query.strip()) if part]
        if not wanted:
            return self._all_locations(account)
        names = []
        for part in wanted:
            location = part.rsplit("/", 1)[-1]
            if not _ID.fullmatch(location):
                raise ConnectorError(f"Google Business Profile: {part[:60]!r} is no location id")
            names.append(f"{account}/locations/{location}")
        return names

    def _all_locations(self, account: str) -> list[str]:
        base = self.base_url if self.config.base_url else BUSINESS_INFORMATION_URL
        names, token = [], ""
        while True:
            params = {"readMask": "name,title", "pageSize": 100}
            if token:
                params["pageToken"] = token
            payload = _json(self.authorized("GET", f"{base}/v1/{account}/locations", params=params))
            locations = payload.get("locations") if isinstance(payload, dict) else None
            for location in locations if isinstance(locations, list) else []:
                location_id = optional_str(location, "name").rsplit("/", 1)[-1]
                if _ID.fullmatch(location_id):
                    names.append(f"{account}/locations/{location_id}")
            token = optional_str(payload, "nextPageToken")
            if not token:
                return names

    def check_connection(self) -> str:
        locations = self._all_locations(self._account_name())
        return f"{self._account_name()} ({len(locations)} locations)"

    # -- HTTP --------------------------------------------------------------
    def check_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400 or status == 401:
            return super().check_response(response)
        error_status, reason, message = google_error(response)
        if status == 429 or error_status == "RESOURCE_EXHAUSTED":
            # the API's quota is per minute (300 queries a project by default)
            raise RateLimited("Google Business Profile: rate limit reached", retry_after(response))
        if status >= 500:
            raise TransientError(f"Google Business Profile: HTTP {status}")
        if status == 403:
            raise AuthError(f"Google Business Profile: {error_status or reason}: {message}")
        if status in (404, 410):
            raise NotFound(f"Google Business Profile: HTTP {status}: {message}")
        raise ConnectorError(f"Google Business Profile: HTTP {status} {error_status or reason}: {message}")

    # -- reading -----------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        """One page of one location; a run goes through the locations one after the other."""
        if stream.kind != "comments":
            raise ConnectorError(f"Google Business Profile cannot read {stream.kind}")
        state = load_cursor(cursor)
        queue = state.get("queue")
        if not isinstance(queue, list) or not queue:
            queue = self._location_names(stream.query)
        walks = state.get("walks") if isinstance(state.get("walks"), dict) else {}
        page = Page()
        if not queue:
            state.update(queue=[], walks=walks)
            page.cursor = dump_cursor(state)
            return page
        location = queue[0]
        walk = walks.get(location) if isinstance(walks.get(location), dict) else {}
        params = {"pageSize": self.page_size, "orderBy": "updateTime desc"}
        if walk.get("page"):
            params["pageToken"] = walk["page"]
        try:
            payload = _json(self.authorized("GET", f"/v4/{location}/reviews", params=params))
        except NotFound:
            # a location closed or removed from the account: the others are read all the same
            page.skipped.append(SkippedItem("the location no longer exists", location))
            payload = {}
        reviews = payload.get("reviews", []) if isinstance(payload, dict) else None
        if not isinstance(reviews, list):
            raise PayloadError("Google Business Profile: the answer's reviews are not a list")
        entries = []
        for review in reviews:
            try:
                posts = self._review_posts(review)
            except PayloadError as error:
                page.skipped.append(SkippedItem(str(error), optional_str(review, "name")))
                continue
            updated = posts[0].edited_at or posts[0].created_at
            # name and update time together: an edited review counts as unseen
            entries.append((f"{posts[0].external_id}@{updated.isoformat()}", updated, posts))
        entries.sort(key=lambda entry: entry[1], reverse=True)
        kept, more_of_location = walk_newest_first(
            walk, entries, optional_str(payload, "nextPageToken"), stream.backfill_limit
        )
        walks[location] = walk
        if not more_of_location:
            queue = queue[1:]
        state.update(queue=queue, walks=walks)
        page.posts = [post for posts in kept for post in posts]
        page.has_more = bool(queue)
        page.cursor = dump_cursor(state)
        page.rate_limit = self.last_rate_limit
        return page

    def _review_posts(self, review) -> list[NormalizedPost]:
        """The review, then the owner's reply if there is one."""
        name = required_str(review, "name")
        if not _REVIEW_NAME.fullmatch(name):
            raise PayloadError(f"review name {name[:80]!r} is not accounts/…/locations/…/reviews/…")
        reviewer = review.get("reviewer") if isinstance(review.get("reviewer"), dict) else {}
        anonymous = bool(reviewer.get("isAnonymous")) or not optional_str(reviewer, "displayName")
        photo = "" if anonymous else optional_str(reviewer, "profilePhotoUrl")
        display_name = "" if anonymous else optional_str(reviewer, "displayName")
        created = parse_datetime(review.get("createTime"))
        updated = parse_datetime(review.get("updateTime")) if review.get("updateTime") else created
        posts = [
            NormalizedPost(
                external_id=name,
                author=Author(
                    external_id=photo or f"reviewer-of:{name}",
                    handle=display_name or "Google user",
                    display_name=display_name,
                ),
                text=clean_text(optional_str(review, "comment")),
                created_at=created,
                kind="comment",
                thread_external_id=name,
                edited_at=updated if updated != created else None,
                star_rating=STARS.get(optional_str(review, "starRating"), 0),
            )
        ]
        reply = review.get("reviewReply")
        if isinstance(reply, dict) and optional_str(reply, "comment"):
            posts.append(self._reply_post(name, reply))
        return posts

    def _reply_post(self, review_name: str, reply: dict) -> NormalizedPost:
        return NormalizedPost(
            external_id=f"{review_name}/reply",
            author=Author(external_id=self.config.external_id, handle=self.config.handle or self.config.external_id),
            text=clean_text(optional_str(reply, "comment")),
            created_at=parse_datetime(reply.get("updateTime")),
            kind="comment",
            parent_external_id=review_name,
            thread_external_id=review_name,
        )

    # -- writing -----------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        """Set the review's reply (a review has one; a second reply replaces the first)."""
        ensure_text_length(self, text)
        if len(text.encode("utf-8")) > MAX_REPLY_BYTES:
            raise ConnectorError(f"Google Business Profile accepts at most {MAX_REPLY_BYTES} bytes in a reply.")
        review_name = parent.thread_external_id or parent.external_id.removesuffix("/reply")
        if not _REVIEW_NAME.fullmatch(review_name):
            raise ConnectorError("Google Business Profile: only reviews can be answered")
        answer = _json(self.authorized("PUT", f"/v4/{review_name}/reply", json={"comment": text}))
        if not isinstance(answer, dict) or not answer.get("updateTime"):
            raise PayloadError("Google Business Profile: the reply answer has no updateTime")
        return self._reply_post(review_name, {"comment": optional_str(answer, "comment") or text, **answer})


def _json(response: requests.Response):
    try:
        return response.json()
    except ValueError:  # a proxy's HTML page, a truncated body
        raise PayloadError(f"Google Business Profile: the answer is not JSON (HTTP {response.status_code})") from None


CONNECTOR = GoogleBusinessConnector
