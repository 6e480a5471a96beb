"""Reading the recorded API traffic of ``../shared/real-api/`` and serving it
to a connector from 127.0.0.1.

The recordings are never copied into the project: a replay test loads them
from the shared folder and skips, saying so, when that folder is absent.
The connector under test is the real one; only its HTTP peer is replaced by
:class:`ReplayImitation`, which answers each request with the recorded
response queued for that path.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.imitation.server import Request, Response

REAL_API = Path(__file__).resolve().parents[2].parent / "shared" / "real-api"


def network_folder(name: str) -> Path:
    """The recordings of one network, or a skip with the reason."""
    folder = REAL_API / name
    if not folder.is_dir():
        pytest.skip(f"no recordings: {folder} is absent (the shared real-api folder is not next to this checkout)")
    return folder


class Interaction:
    """One recorded request and its response."""

    def __init__(self, method, uri, status, headers, body, request_body=None):
        self.method = method
        self.uri = uri
        self.status = status
        self.headers = headers
        self.body = body
        self.request_body = request_body

    @property
    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.uri).split("?")[0]

    def json(self):
        return json.loads(self.body)


def _text(body) -> str:
    if isinstance(body, bytes):
        try:
            body = gzip.decompress(body)
        except OSError:
            pass
        return body.decode("utf-8")
    return body or ""


def cassette(path: Path) -> list[Interaction]:
    """The interactions of a VCR.py (YAML or JSON) or betamax cassette."""
    if path.suffix == ".yaml":
        yaml = pytest.importorskip("yaml", reason="PyYAML reads the VCR cassettes (requirements-test.txt)")
        data = yaml.safe_load(path.read_text("utf-8"))
    else:
        data = json.loads(path.read_text("utf-8"))
    interactions = []
    for item in data.get("interactions") or []:
        request, response = item["request"], item["response"]
        body = response.get("body") or {}
        interactions.append(
            Interaction(
                request["method"],
                request["uri"],
                response["status"]["code"],
                {name.lower(): values for name, values in (response.get("headers") or {}).items()},
                _text(body.get("string")),
                request.get("body"),
            )
        )
    return interactions


def snapshots(path: Path) -> dict[str, object]:
    """The entries of a vitest ``.snap`` file, by test name."""
    text = path.read_text("utf-8")
    entries = {}
    for match in re.finditer(r"exports\[`(.*?)`\] = `\n?(.*?)\n?`;\n", text, re.S):
        body = match.group(2).replace("\\`", "`").replace("\\\\", "\\")
        entries[match.group(1)] = json.loads(re.sub(r",(\s*[}\]])", r"\1", body))
    return entries


class ReplayImitation:
    """Answers each request with the next recorded response queued for its
    path (``queue``); a path with nothing queued gets ``empty`` (the
    network's empty answer) if given, else a 404."""

    def __init__(self, empty=None):
        self.empty = empty
        self.queues: dict[str, list[Response]] = {}
        self.served = Counter()

    def queue(self, path: str, body, status: int = 200, headers: dict[str, str] | None = None):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        self.queues.setdefault(path, []).append(
            Response(status, body, {"Content-Type": "application/json", **(headers or {})})
        )

    def handle(self, request: Request) -> Response:
        queue = self.queues.get(request.path)
        if not queue:
            return Response.json({"error": "Not Found"}, 404) if self.empty is None else Response.json(self.empty)
        self.served[request.path] += 1
        return queue.pop(0)


class FieldChecks:
    """Counts the normalised fields a replay compared with the raw payload."""

    def __init__(self):
        self.fields = 0
        self.items = 0

    def equal(self, actual, expected, what: str):
        assert actual == expected, f"{what}: {actual!r} != {expected!r}"
        self.fields += 1

    def post(self):
        self.items += 1

    def report(self, network: str, skipped: Counter):
        print(f"\nreplay {network}: {self.items} items, {self.fields} fields checked, skipped {dict(skipped)}")
