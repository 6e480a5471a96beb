"""What a network accepts in a publication, checked before anything is sent.

Each connector declares its :class:`PublishLimits`; the composer shows the
length as the network counts it and the problems a text or its images have,
and the publisher refuses to send a variant with problems.  Pure Python: the
Odoo side translates the :class:`Problem` codes into messages.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

#: links in plain text: scheme up to the first space or quote; trailing
#: punctuation belongs to the sentence, not to the link
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»”’'\""
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


@dataclass(frozen=True, slots=True)
class PublishLimits:
    """What one network accepts in a new post."""

    #: longest text, in characters as the network counts them (0: no limit known)
    max_chars: int = 0
    #: longest text when images are attached (Telegram captions: 1,024); 0 = ``max_chars``
    max_chars_with_media: int = 0
    max_media: int = 0
    media_types: tuple[str, ...] = IMAGE_TYPES
    #: a post needs at least one image (Instagram)
    requires_media: bool = False
    #: a post needs a title (Reddit)
    requires_title: bool = False
    #: each link counts as this many characters (X and Mastodon: 23); 0 = as written
    link_length: int = 0
    #: links in the text become clickable on the network
    links_clickable: bool = True
    #: the network fetches images from a public URL instead of receiving the file (Instagram)
    media_by_url: bool = False


@dataclass(frozen=True, slots=True)
class MediaFile:
    """An image to attach: its bytes, or for networks that fetch it, its public URL."""

    name: str
    mimetype: str
    data: bytes = b""
    url: str = ""
    alt: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a network would refuse a publication; ``code`` names the message."""

    code: str
    values: dict = field(default_factory=dict)


def find_urls(text: str) -> list[str]:
    """The links of ``text``, in order, without trailing punctuation."""
    urls = []
    for match in _URL.finditer(text or ""):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            # a closing parenthesis that opened inside the link is part of it (Wikipedia URLs)
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        urls.append(url)
    return urls


def url_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, url)`` of each link of ``text``, as character offsets."""
    spans, position = [], 0
    for url in find_urls(text):
        start = text.index(url, position)
        spans.append((start, start + len(url), url))
        position = start + len(url)
    return spans


def replace_urls(text: str, replacements: dict[str, str]) -> str:
    """``text`` with each link found in ``replacements`` replaced; other text untouched."""
    pieces, position = [], 0
    for start, end, url in url_spans(text):
        pieces.append(text[position:start])
        pieces.append(replacements.get(url, url))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def text_length(limits: PublishLimits, text: str) -> int:
    """The length of ``text`` as the network counts it."""
    text = text or ""
    if not limits.link_length:
        return len(text)
    spans = url_spans(text)
    return len(text) - sum(end - start for start, end, _url in spans) + limits.link_length * len(spans)


def max_length(limits: PublishLimits, media_count: int) -> int:
    if media_count and limits.max_chars_with_media:
        return limits.max_chars_with_media
    return limits.max_chars


def problems(limits: PublishLimits, text: str, media: list[MediaFile] | tuple = (), title: str = "") -> list[Problem]:
    """Everything the network would refuse in this publication (empty: it can go)."""
    found = []
    if not (text or "").strip() and not media:
        found.append(Problem("empty"))
    length, allowed = text_length(limits, text), max_length(limits, len(media))
    if allowed and length > allowed:
        found.append(Problem("too_long", {"length": length, "max": allowed}))
    if limits.requires_media and not media:
        found.append(Problem("media_required"))
    if media and not limits.max_media:
        found.append(Problem("no_media"))
    elif len(media) > limits.max_media:
        found.append(Problem("too_many_media", {"count": len(media), "max": limits.max_media}))
    for item in media:
        if item.mimetype not in limits.media_types:
            found.append(Problem("media_type", {"name": item.name, "type": item.mimetype}))
        if limits.media_by_url and not item.url:
            found.append(Problem("media_url", {"name": item.name}))
    if limits.requires_title and not (title or "").strip():
        found.append(Problem("title_required"))
    return found


def idempotency_key(*parts: object) -> str:
    """A stable key naming one publication attempt chain (sent where the network takes one)."""
    return hashlib.sha256("\n".join(str(part) for part in parts).encode()).hexdigest()[:32]


def same_text(published: str, wanted: str) -> bool:
    """Whether a post the network returns is the text we sent: networks
    rewrite whitespace and sometimes links, so compare words, links excluded."""

    def words(text):
        return " ".join(replace_urls(text or "", {url: "" for url in find_urls(text or "")}).split()).casefold()

    return bool(words(wanted)) and words(published) == words(wanted)


_DESCRIPTIONS = {
    "empty": "the text is empty",
    "too_long": "the text has {length} characters, at most {max} are allowed",
    "media_required": "a post needs at least one image",
    "no_media": "images cannot be attached",
    "too_many_media": "{count} images attached, at most {max} are allowed",
    "media_type": "{name} is {type}, which cannot be attached",
    "media_url": "{name} has no public URL for the network to fetch",
    "title_required": "a post needs a title",
}


def describe(problem: Problem) -> str:
    """The problem in English (the Odoo side shows translated messages)."""
    return _DESCRIPTIONS[problem.code].format(**problem.values)
