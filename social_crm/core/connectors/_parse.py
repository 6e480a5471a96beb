"""Defensive readers of payload values, shared by the connectors.

Payloads are untrusted: every reader either returns a value of the promised
type or raises :class:`PayloadError` with a reason the fetch can log.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from ..errors import PayloadError

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
