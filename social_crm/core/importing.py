"""Backfill: historic posts from the exports of listening tools.

Exports come as JSON Lines (one object per line) or CSV with a header row, with
column names that differ from tool to tool.  This module reads them lazily (a
file of any size is read in bounded batches) and turns each row into a
:class:`NormalizedPost` or a :class:`RejectedRow` that says which line and why.

Reading (:func:`iter_rows`, :func:`iter_batches`) and normalising
(:func:`normalize_row`, :func:`normalize_rows`) are separate so that a client
can read a file on its own machine and send the raw rows to the server, which
normalises them again: the server never trusts the client's checks.

Rows are untrusted: texts are kept as written (HTML and scripts included, to be
escaped where shown), but links that are not http(s) are dropped and values of
the wrong type are refused with a reason.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from .connectors._parse import parse_datetime
from .errors import PayloadError
from .types import POST_KINDS, Author, Metrics, NormalizedPost

#: a post text longer than this is refused (no network allows as much)
MAX_TEXT_LENGTH = 100_000
#: one JSON line or CSV record above this many bytes is refused unread
MAX_ROW_BYTES = 1_000_000
#: ids, handles, names, links and languages above this length are refused
MAX_ID_LENGTH = 256
MAX_FIELD_LENGTH = 2_048
#: posts dated before this (a year alone read as epoch seconds, a zero) are refused
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=timezone.utc)
#: the key a client may put in a raw row to carry its line number in the file
LINE_KEY = "_line"

FORMATS = ("jsonl", "csv")

#: accepted column names (after :func:`column_key`) for each value, first match wins
ALIASES = {
    "id": ("id", "post_id", "external_id", "postid", "tweet_id", "message_id", "status_id", "guid"),
    "text": ("text", "content", "message", "body", "full_text", "post_text", "snippet", "caption", "title"),
    "author_handle": ("author", "author_handle", "username", "user_name", "screen_name", "handle", "user"),
    "author_name": ("author_name", "display_name", "name", "author_display_name", "user_full_name"),
    "author_id": ("author_id", "user_id", "author_external_id", "from_id", "owner_id"),
    "author_url": ("author_url", "profile_url", "user_url", "author_link"),
    "created_at": (
        "created_at", "date", "published", "published_at", "timestamp", "time", "created", "created_time",
        "datetime", "posted_at", "pub_date",
    ),
    "url": ("url", "link", "permalink", "post_url", "post_link"),
    "lang": ("lang", "language", "language_code", "lang_code"),
    "likes": ("likes", "like_count", "likes_count", "favorites", "favorite_count", "reactions", "favourites_count"),
    "replies": ("replies", "reply_count", "replies_count", "comments", "comment_count", "comments_count"),
    "reposts": (
        "reposts", "repost_count", "shares", "share_count", "shares_count", "retweets", "retweet_count",
        "reblogs", "reblogs_count",
    ),
    "views": ("views", "view_count", "impressions", "impression_count"),
    "parent_id": ("parent_id", "in_reply_to", "in_reply_to_id", "in_reply_to_status_id", "reply_to", "parent"),
    "thread_id": ("thread_id", "conversation_id", "root_id", "thread"),
    "followers": ("followers", "followers_count", "author_followers", "user_followers", "follower_count"),
    "network": ("network", "platform", "network_name"),
    "kind": ("kind", "type", "post_type"),
}  # fmt: skip

#: names listening tools give networks, and the connector name they mean
NETWORK_ALIASES = {
    "twitter": "x",
    "x": "x",
    "x.com": "x",
    "twitter.com": "x",
    "fb": "facebook",
    "facebook": "facebook",
    "ig": "instagram",
    "instagram": "instagram",
    "yt": "youtube",
    "youtube": "youtube",
    "vkontakte": "vk",
    "bsky": "bluesky",
    "news": "rss",
    "blogs": "rss",
    "web": "rss",
}

KIND_ALIASES = {
    "post": "post",
    "tweet": "post",
    "status": "post",
    "mention": "mention",
    "comment": "comment",
    "reply": "comment",
    "message": "message",
    "dm": "message",
    "direct_message": "message",
}


@dataclass(frozen=True, slots=True)
class RawRow:
    """A row as read from a file: its first line number and its values."""

    line: int
    data: dict


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported: where it is and why."""

    line: int
    reason: str
    external_id: str = ""

    def as_dict(self) -> dict:
        result = {"line": self.line, "reason": self.reason}
        if self.external_id:
            result["external_id"] = self.external_id
        return result


class RowError(ValueError):
    """A row cannot become a post; the message is the reason shown to the user."""


# -- reading files ---------------------------------------------------------------


def detect_format(name: str) -> str:
    """``jsonl`` or ``csv`` from a file name; ``ValueError`` when it says neither."""
    suffixes = [suffix.lower() for suffix in Path(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    suffix = suffixes[-1] if suffixes else ""
    if suffix in (".jsonl", ".ndjson", ".json", ".jsonlines"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise ValueError(f"cannot tell the format of {name!r}: name it .jsonl or .csv, or give the format")


def iter_jsonl(stream: BinaryIO, first_line: int = 1) -> Iterator[RawRow | RejectedRow]:
    """Rows of a JSON Lines byte stream, one line in memory at a time.

    Empty lines are skipped; a line that is not a JSON object, not UTF-8 or
    longer than :data:`MAX_ROW_BYTES` is rejected (an oversized line is skipped
    in chunks, never held whole)."""
    line_number = first_line - 1
    while True:
        chunk = stream.readline(MAX_ROW_BYTES + 1)
        if not chunk:
            return
        line_number += 1
        if len(chunk) > MAX_ROW_BYTES and not chunk.endswith(b"\n"):
            size = len(chunk)
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(MAX_ROW_BYTES)
                size += len(chunk)
            yield RejectedRow(line_number, f"oversized row: {size} bytes, at most {MAX_ROW_BYTES} are read")
            continue
        if line_number == 1 and chunk.startswith(codecs.BOM_UTF8):
            chunk = chunk[len(codecs.BOM_UTF8) :]
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            yield RejectedRow(line_number, f"not UTF-8 text (byte {error.start})")
            continue
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except ValueError as error:
            yield RejectedRow(line_number, f"bad JSON: {error}")
            continue
        if not isinstance(data, dict):
            yield RejectedRow(line_number, f"bad JSON: expected an object, got {_type_name(data)}")
            continue
        yield RawRow(line_number, data)


def iter_csv(stream: BinaryIO) -> Iterator[RawRow | RejectedRow]:
    """Rows of a CSV byte stream with a header row (comma, semicolon or tab
    separated, sniffed from the header), one record in memory at a time.

    A record's line number is the line it starts on (quoted texts may span
    lines); a record that has more values than the header, a field over
    :data:`MAX_ROW_BYTES` or broken quoting is rejected."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    try:
        yield from _csv_records(text)
    finally:
        text.detach()  # the caller's stream stays open


def _csv_records(text: io.TextIOWrapper) -> Iterator[RawRow | RejectedRow]:
    header_line = text.readline()
    if not header_line.strip():
        return
    delimiter = max((",", ";", "\t"), key=header_line.count)
    header = next(csv.reader([header_line], delimiter=delimiter))
    keys = [column.strip() for column in header]
    reader = csv.reader(_bounded_lines(text), delimiter=delimiter, strict=False)
    line_number = 1
    while True:
        start = line_number + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line_number = reader.line_num + 1
            reason = f"bad CSV: {error}"
            if "field limit" in str(error):
                reason = f"oversized row: a value longer than {csv.field_size_limit()} characters"
            yield RejectedRow(start, reason)
            continue
        line_number = reader.line_num + 1
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(keys):
            yield RejectedRow(start, f"bad CSV: {len(values)} values for {len(keys)} columns")
            continue
        if any(value.startswith(_OVERSIZED) for value in values):
            yield RejectedRow(start, f"oversized row: a value longer than {MAX_ROW_BYTES} characters")
            continue
        yield RawRow(start, {key: value for key, value in zip(keys, values, strict=False) if key})


#: stands in for a physical line over the size bound so that the CSV reader never holds it
_OVERSIZED = "\x00oversized\x00"


def _bounded_lines(text: io.TextIOBase) -> Iterator[str]:
    while True:
        line = text.readline(MAX_ROW_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_ROW_BYTES and not line.endswith("\n"):
            while line and not line.endswith("\n"):
                line = text.readline(MAX_ROW_BYTES)
            yield f'"{_OVERSIZED}"\n'
            continue
        yield line


def iter_rows(stream: BinaryIO, file_format: str) -> Iterator[RawRow | RejectedRow]:
    """Rows of a byte stream in ``file_format`` (``jsonl`` or ``csv``)."""
    if file_format == "jsonl":
        return iter_jsonl(stream)
    if file_format == "csv":
        return iter_csv(stream)
    raise ValueError(f"unknown format {file_format!r}: use one of {', '.join(FORMATS)}")


def iter_batches(
    stream: BinaryIO, file_format: str, batch_size: int = 500
) -> Iterator[tuple[list[RawRow], list[RejectedRow]]]:
    """``(rows, rejected)`` of at most ``batch_size`` rows each, read lazily;
    rows rejected while reading travel with the batch they were met in."""
    if batch_size < 1:
        raise ValueError("the batch size is at least 1")
    rows: list[RawRow] = []
    rejected: list[RejectedRow] = []
    for item in iter_rows(stream, file_format):
        if isinstance(item, RejectedRow):
            rejected.append(item)
        else:
            rows.append(item)
        if len(rows) >= batch_size or len(rejected) >= batch_size:
            yield rows, rejected
            rows, rejected = [], []
    if rows or rejected:
        yield rows, rejected


# -- normalising rows --------------------------------------------------------------


def column_key(name) -> str:
    """``"Post ID"``, ``"post-id"`` and ``"post.id"`` all become ``"post_id"``."""
    return re.sub(r"[\s.\-/]+", "_", str(name).strip().lower()).strip("_")


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean", type(None): "null"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _lookup(row: dict, name: str):
    for alias in ALIASES[name]:
        value = row.get(alias)
        if value is not None and value != "":
            return value
    return None


def _string(value, what: str, limit: int = MAX_FIELD_LENGTH, required: bool = False) -> str:
    """A string from a string or a whole number; other types are refused."""
    if value is None or value == "":
        if required:
            raise RowError(f"missing {what}")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RowError(f"{what} is {_type_name(value)}, not text")
    if isinstance(value, float):
        if not value.is_integer():
            raise RowError(f"{what} is a fraction, not an id")
        value = int(value)
    text = str(value).replace("\x00", "").strip()
    if required and not text:
        raise RowError(f"missing {what}")
    if len(text) > limit:
        raise RowError(f"oversized {what}: {len(text)} characters, at most {limit}")
    return text


def _count(value) -> int:
    """A count from a number or a string such as ``"1,234"`` or ``"12.5K"``; anything else is 0."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, (int, float)):
        return max(int(value), 0) if math.isfinite(value) else 0
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*([kKmM]?)\s*", value.replace(",", "").replace("_", ""))
        if match:
            number = float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
            return min(int(number), 2**31 - 1)
    return 0


def _http_url(value) -> str:
    """Only http(s) links are kept: a ``javascript:`` link must never reach a button."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > MAX_FIELD_LENGTH or not re.match(r"https?://[^\s/]", value, re.IGNORECASE):
        return ""
    return value


def normalize_network(value) -> str:
    key = column_key(value) if isinstance(value, str) else ""
    return NETWORK_ALIASES.get(key, key)


def _author(row: dict) -> Author:
    nested = row.get("author") if isinstance(row.get("author"), dict) else row.get("user")
    if isinstance(nested, dict):
        nested = {column_key(key): value for key, value in nested.items()}
        handle = _lookup(nested, "author_handle") or nested.get("handle") or nested.get("username")
        values = {
            "id": nested.get("id") or nested.get("external_id") or _lookup(row, "author_id"),
            "handle": handle,
            "name": nested.get("name") or nested.get("display_name") or _lookup(row, "author_name"),
            "url": nested.get("url") or nested.get("profile_url"),
            "followers": _lookup(nested, "followers") or _lookup(row, "followers"),
        }
    else:
        handle = _lookup(row, "author_handle")
        values = {
            "id": _lookup(row, "author_id"),
            "handle": handle,
            "name": _lookup(row, "author_name"),
            "url": _lookup(row, "author_url"),
            "followers": _lookup(row, "followers"),
        }
    handle = _string(values["handle"], "author handle", MAX_ID_LENGTH).lstrip("@")
    name = _string(values["name"], "author name", MAX_ID_LENGTH)
    external_id = _string(values["id"], "author id", MAX_ID_LENGTH) or handle.lower() or name
    if not external_id:
        raise RowError("missing author (author, author_id or author_name)")
    return Author(
        external_id=external_id,
        handle=handle or name,
        display_name=name,
        url=_http_url(values["url"]),
        followers=_count(values["followers"]),
    )


def normalize_row(row: dict, network: str = "") -> NormalizedPost:
    """The post a raw row describes; :class:`RowError` says why it cannot be one.

    ``network`` is the importing account's network: a row that names another
    network is refused rather than mixed into the wrong account."""
    if not isinstance(row, dict):
        raise RowError(f"expected an object, got {_type_name(row)}")
    row = {column_key(key): value for key, value in row.items() if key != LINE_KEY}
    external_id = _string(_lookup(row, "id"), "id", MAX_ID_LENGTH, required=True)
    text = _lookup(row, "text")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise RowError("missing text")
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise RowError(f"text is {_type_name(text)}, not text")
    text = str(text).replace("\x00", "")
    if len(text) > MAX_TEXT_LENGTH:
        raise RowError(f"oversized text: {len(text)} characters, at most {MAX_TEXT_LENGTH}")
    created = _lookup(row, "created_at")
    if created is None:
        raise RowError("missing date (created_at, date or published)")
    if isinstance(created, bool) or not isinstance(created, (str, int, float)):
        raise RowError(f"invalid date: {_type_name(created)}")
    try:
        created_at = parse_datetime(created.strip() if isinstance(created, str) else created)
    except PayloadError as error:
        raise RowError(f"invalid date: {error}") from None
    if not EARLIEST_DATE <= created_at <= datetime.now(timezone.utc) + timedelta(days=1):
        raise RowError(f"invalid date: {created_at.isoformat()} is before 1990 or in the future")
    row_network = normalize_network(_lookup(row, "network"))
    if network and row_network and row_network != network:
        raise RowError(f"the row is from network {row_network!r}, the account is on {network!r}")
    kind = KIND_ALIASES.get(column_key(_lookup(row, "kind") or ""), "")
    parent_id = _string(_lookup(row, "parent_id"), "parent id", MAX_ID_LENGTH)
    if kind not in POST_KINDS:
        kind = "comment" if parent_id else "post"
    language = _string(_lookup(row, "lang"), "language", 16).lower().replace("_", "-")
    return NormalizedPost(
        external_id=external_id,
        author=_author(row),
        text=text,
        created_at=created_at,
        kind=kind,
        url=_http_url(_lookup(row, "url")),
        parent_external_id=parent_id,
        thread_external_id=_string(_lookup(row, "thread_id"), "thread id", MAX_ID_LENGTH),
        language_hint=language.split("-")[0] if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)*", language) else "",
        metrics=Metrics(
            likes=_count(_lookup(row, "likes")),
            replies=_count(_lookup(row, "replies")),
            reposts=_count(_lookup(row, "reposts")),
            views=_count(_lookup(row, "views")),
        ),
    )


def normalize_rows(
    rows: Iterable[RawRow | dict], network: str = ""
) -> tuple[list[tuple[int, NormalizedPost]], list[RejectedRow]]:
    """``([(line, post)], [rejected])`` of raw rows; a plain dict is numbered
    by its ``_line`` key, else by its position (from 1)."""
    posts, rejected = [], []
    for position, item in enumerate(rows, start=1):
        if isinstance(item, RawRow):
            line, data = item.line, item.data
        else:
            data = item
            line = item.get(LINE_KEY) if isinstance(item, dict) else None
            line = line if isinstance(line, int) and not isinstance(line, bool) else position
        try:
            posts.append((line, normalize_row(data, network)))
        except RowError as error:
            external_id = ""
            if isinstance(data, dict):
                value = _lookup({column_key(key): value for key, value in data.items()}, "id")
                external_id = str(value)[:MAX_ID_LENGTH] if isinstance(value, (str, int)) else ""
            rejected.append(RejectedRow(line, str(error), external_id))
    return posts, rejected
