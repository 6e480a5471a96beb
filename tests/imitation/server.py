"""A tiny threaded HTTP server on 127.0.0.1 that imitates a network's API.

An imitation is an object with a ``handle(request) -> Response`` method; it
keeps its own state (tokens, posts, rate-limit windows) so tests can drive
and inspect it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


class ImitationServer:
    """Serve ``imitation`` on a free port of 127.0.0.1 while the ``with`` block runs."""

    def __init__(self, imitation):
        self.imitation = imitation
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    url.path,
                    parse_qs(url.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                server.requests.append(request)
                response = server.imitation.handle(request)
                body = response.body
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                    response.headers.setdefault("Content-Type", "application/json")
                elif isinstance(body, str):
                    body = body.encode()
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args):  # keep test output clean
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ImitationServer:
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()
