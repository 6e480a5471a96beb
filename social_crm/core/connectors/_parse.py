"""Defensive readers of payload values, shared by the connectors.

Payloads are untrusted: every reader either returns a value of the promised
type or raises :class:`PayloadError` with a reason the fetch can log.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from ..errors import PayloadError, WebhookRejected

#: texts longer than this are cut (and say so) so that one hostile post cannot
#: blow up memory or rendering; far above every network's own limit
MAX_TEXT_LENGTH = 100_000


def required_str(data: dict, key: str) -> str:
    """A non-empty string (or integer id, turned into a string) at ``data[key]``."""
    if not isinstance(data, dict):
        raise PayloadError(f"expected an object, got {type(data).__name__}")
    value = data.get(key)
    if isinstance(value, bool) or value is None or value == "":
        raise PayloadError(f"missing {key}")
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise PayloadError(f"{key} is a {type(value).__name__}, not a string")
    return value


def optional_str(data: dict, key: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) else ""


def optional_int(data: dict, key: str) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def clean_text(value: str) -> str:
    """Text as received, minus NUL characters (PostgreSQL refuses them), bounded."""
    value = value.replace("\x00", "")
    if len(value) > MAX_TEXT_LENGTH:
        value = value[:MAX_TEXT_LENGTH]
    return value


def parse_datetime(value) -> datetime:
    """An aware UTC datetime from ISO 8601 (``Z``, ``+0000`` or ``+00:00``),
    epoch seconds or milliseconds, or an RFC 822 date."""
    if isinstance(value, bool) or value in (None, ""):
        raise PayloadError("missing timestamp")
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
            number = float(value)
            if number > 1e11:  # milliseconds
                number /= 1000
            return datetime.fromtimestamp(number, tz=timezone.utc)
        if not isinstance(value, str):
            raise PayloadError(f"timestamp is a {type(value).__name__}")
        text = value.strip()
        if text[:4].isdigit():
            text = re.sub(r"Z$", "+00:00", text)
            text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
            # Python < 3.11 accepts only 0, 3 or 6 fractional digits
            text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text)
            parsed = datetime.fromisoformat(text)
        else:
            parsed = parsedate_to_datetime(text)
    except (ValueError, OverflowError, OSError, TypeError, IndexError) as error:
        raise PayloadError(f"invalid timestamp {str(value)[:40]!r}: {error}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


class _TextExtractor(HTMLParser):
    _BREAKS = {"br", "p", "div", "li"}
    _SKIP = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS and self.parts:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment (Mastodon, YouTube, feeds): tags and
    scripts dropped, entities decoded.  The result is still untrusted text."""
    if "<" not in value:
        return clean_text(html.unescape(value))
    extractor = _TextExtractor()
    extractor.feed(value)
    extractor.close()
    return clean_text("".join(extractor.parts).strip())


# -- cursors -----------------------------------------------------------------
# A cursor is JSON the connector alone reads; a damaged one restarts the stream
# rather than failing it forever.


def load_cursor(cursor: str) -> dict:
    """The state stored in ``cursor`` (empty, unreadable or not an object: a fresh start)."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def dump_cursor(state: dict) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def walk_newest_first(state: dict, entries: list, next_page: str, backfill_limit: int) -> tuple[list, bool]:
    """One step of reading a newest-first listing that can only page towards older items.

    ``entries`` are ``(external_id, created_at, item)`` of one page, newest first;
    ``next_page`` is the network's token for the older page ("" at the end).
    A run starts at the newest item and pages older until it meets the newest
    item of the previous run (by id, or by time if that item was deleted), the
    end of the listing, or, on the first run, ``backfill_limit`` items.
    ``state`` (kept in the cursor) is updated in place: ``page`` to continue the
    run, ``top`` the newest item of this run, ``known`` that of the last
    finished run, ``count`` the items of a first run.  Returns the items to
    keep and whether the run goes on.
    """
    known = state.get("known")
    if not state.get("page") and entries:
        state["top"] = {"id": entries[0][0], "at": entries[0][1].isoformat()}
    known_at = parse_datetime(known["at"]) if known else None
    count = state.get("count", 0)
    kept, finished = [], False
    for external_id, created_at, item in entries:
        if known and (external_id == known["id"] or created_at < known_at):
            finished = True
            break
        if not known and backfill_limit and count >= backfill_limit:
            finished = True
            break
        kept.append(item)
        count += 1
    if finished or not next_page:
        state.update(known=state.get("top") or known, page="", top=None, count=0)
        return kept, False
    state.update(page=next_page, count=count)
    return kept, True


#: webhook bodies above this size are refused before any parsing
MAX_WEBHOOK_BODY = 1_000_000


def ensure_webhook_size(body: bytes) -> bytes:
    """Refuse an oversized webhook body before hashing or parsing it."""
    if len(body) > MAX_WEBHOOK_BODY:
        raise WebhookRejected(f"webhook body of {len(body)} bytes exceeds {MAX_WEBHOOK_BODY}")
    return body


def webhook_json(body: bytes):
    """The JSON document of a webhook body whose signature was checked;
    oversized or invalid bodies are rejected (the caller answers 4xx)."""
    ensure_webhook_size(body)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("webhook body is not JSON") from None


def header_int(headers, name: str) -> int | None:
    """A whole number from a response header (``"42"``, ``"42.0"``), ``None`` if absent or not a number."""
    value = (headers.get(name) or "").strip()
    try:
        return max(int(float(value)), 0)
    except ValueError:
        return None
