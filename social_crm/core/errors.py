"""Errors a connector raises; the caller decides what each means for an account."""

from __future__ import annotations

from datetime import datetime


class ConnectorError(Exception):
    """A call to a network failed in a way the caller should report."""


class AuthError(ConnectorError):
    """The credentials are missing, invalid, expired beyond refresh or revoked."""


class RateLimited(ConnectorError):
    """The network asks us to wait until ``reset_at`` (aware UTC datetime)."""

    def __init__(self, message: str, reset_at: datetime | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class TransientError(ConnectorError):
    """A temporary failure (timeout, 5xx) that survived the connector's retries."""


class NotFound(ConnectorError):
    """The network says the object asked for does not exist (any more): HTTP 404 or 410."""


class PayloadError(ConnectorError):
    """The network answered something that is not the documented shape."""


class WebhookRejected(ConnectorError):
    """A webhook request is not authentic (bad or missing signature) or too large."""


class DuplicateContent(ConnectorError):
    """The network refused a post as a duplicate of one we published already."""
