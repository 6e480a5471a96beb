"""Text the command line prints: tables, the import progress bar and report.

Everything shown comes from the server or from files and may hold terminal
control sequences: :func:`clean` removes them before printing."""

from __future__ import annotations

import re
import sys
import time
from datetime import datetime, timezone

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(value, width: int = 0) -> str:
    """One printable line: control characters (escape sequences, bidi
    overrides) removed, line breaks folded, cut to ``width`` with an ellipsis."""
    if value is None or value is False:
        return ""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int):
        value = value[1]  # a many2one as [id, name]
    text = _CONTROL.sub("", " ".join(str(value).split()))
    if width and len(text) > width:
        text = text[: max(width - 1, 0)] + "…"
    return text


def table(headers: list[str], rows: list[list]) -> str:
    """A plain text table with columns as wide as their widest cell."""
    cells = [[clean(cell) for cell in row] for row in rows]
    widths = [max([len(header), *(len(row[index]) for row in cells)]) for index, header in enumerate(headers)]
    lines = ["  ".join(header.ljust(width) for header, width in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def parse_server_datetime(value) -> datetime | None:
    """Odoo sends datetimes as naive UTC ``YYYY-MM-DD HH:MM:SS``."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def describe_wait(reset, now: datetime | None = None) -> str:
    """How long a rate-limited account still waits: ``"waits 12 min"``, ``"waits 2 h 5 min"``,
    ``"over"`` or ``""``."""
    moment = parse_server_datetime(reset)
    if moment is None:
        return ""
    seconds = (moment - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds <= 0:
        return "over"
    minutes = int(seconds // 60) + (1 if seconds % 60 else 0)
    if minutes < 60:
        return f"waits {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"waits {hours} h {minutes} min" if minutes else f"waits {hours} h"


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, one line per
    10 % step otherwise (logs, CI), silent when ``enabled`` is false."""

    def __init__(self, stream=None, enabled: bool = True, width: int = 24):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_step = -1
        self._last_draw = 0.0

    def update(self, label: str, done: int, total: int, counts: dict, final: bool = False):
        if not self.enabled:
            return
        fraction = min(done / total, 1.0) if total else 1.0
        step = int(fraction * 10)
        if not self.tty and not final and step == self._last_step:
            return
        if self.tty and not final and time.monotonic() - self._last_draw < 0.1:
            return
        self._last_step, self._last_draw = step, time.monotonic()
        filled = int(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        text = (
            f"{clean(label, 40)} [{bar}] {fraction:4.0%}  {counts.get('rows', 0):,} rows"
            f"  created {counts.get('created', 0):,}  duplicates {counts.get('duplicates', 0):,}"
            f"  rejected {counts.get('rejected', 0):,}"
        )
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
