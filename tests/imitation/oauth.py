"""The OAuth 2.0 state an imitation keeps: authorization codes, access and
refresh tokens, revocations, and failures queued by a test."""

from __future__ import annotations

import itertools

from .server import Request, Response


class OAuthImitation:
    def __init__(self):
        self._serial = itertools.count(1)
        self.access_tokens = {"live-token"}
        self.refresh_tokens = {"refresh-1"}
        self.codes: set[str] = set()
        self.revoked: list[str] = []
        #: answers given, in order, before any other handling (errors, outages)
        self.failures: list[Response] = []

    def authorize(self) -> str:
        """A code, as the network's consent page would give the redirect."""
        code = f"code-{next(self._serial)}"
        self.codes.add(code)
        return code

    def bearer_refused(self, request: Request) -> bool:
        return request.headers.get("authorization", "").removeprefix("Bearer ") not in self.access_tokens

    def revoke(self, token: str) -> None:
        self.refresh_tokens.discard(token)
        self.access_tokens.clear()
        self.revoked.append(token)

    def grant(self, form: dict[str, str]) -> bool:
        """Whether a token request's grant is valid; a valid code is used up."""
        grant = form.get("grant_type")
        if grant == "authorization_code" and form.get("code") in self.codes:
            self.codes.discard(form["code"])
            return True
        return grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens

    def new_access_token(self, prefix: str) -> str:
        access = f"{prefix}{next(self._serial)}"
        self.access_tokens.add(access)
        return access
