"""The shapes every connector produces and every consumer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

POST_KINDS = ("post", "mention", "comment", "message")
STREAM_KINDS = ("mentions", "search", "comments", "messages")


@dataclass(frozen=True, slots=True)
class Author:
    """An author as a network describes them."""

    external_id: str
    handle: str
    display_name: str = ""
    url: str = ""
    followers: int = 0
    verified: bool = False
    #: free text the author wrote about themselves; identity matching reads
    #: e-mail addresses, phone numbers and websites from it
    bio: str = ""
    email: str = ""
    website: str = ""


@dataclass(frozen=True, slots=True)
class Metrics:
    likes: int = 0
    replies: int = 0
    reposts: int = 0
    quotes: int = 0
    views: int = 0


@dataclass(frozen=True, slots=True)
class NormalizedPost:
    """One message from a network, in the one shape the rest of the addon uses.

    ``text`` is exactly what the network sent (after HTML to text conversion for
    networks that send HTML); it is untrusted and is escaped wherever shown.
    """

    external_id: str
    author: Author
    text: str
    created_at: datetime
    kind: str = "post"
    url: str = ""
    parent_external_id: str = ""
    thread_external_id: str = ""
    language_hint: str = ""
    edited_at: datetime | None = None
    deleted: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    #: a review's star rating, 1..5 (0: not a review); it rules the sentiment (``analysis/rating.py``)
    star_rating: int = 0


@dataclass(frozen=True, slots=True)
class SkippedItem:
    """An item of a payload that could not be normalised, with the reason."""

    reason: str
    external_id: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """What a network reports about a message we sent (sent, delivered, read,
    failed); recorded on our outgoing post, never stored as a post itself."""

    message_id: str
    status: str
    at: datetime
    recipient_id: str = ""
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Rate-limit state read from a response (headers or error body)."""

    remaining: int | None = None
    limit: int | None = None
    #: when the window resets, as aware UTC datetime
    reset_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What a stream listens to."""

    kind: str
    query: str = ""
    #: how many posts a first (backfill) run may read at most; 0 means no cap
    backfill_limit: int = 0


@dataclass(slots=True)
class Page:
    """One page of a stream.

    ``cursor`` is the opaque state to store once the posts of this page are
    committed; ``has_more`` says whether another page can be read right away.
    """

    posts: list[NormalizedPost] = field(default_factory=list)
    cursor: str = ""
    has_more: bool = False
    skipped: list[SkippedItem] = field(default_factory=list)
    rate_limit: RateLimit | None = None
