"""Google's OAuth 2.0 endpoints and JSON error shape, for connectors of Google APIs.

OAuth: the authorization-code flow with ``access_type=offline`` and
``prompt=consent`` (so a refresh token is issued); Google does not rotate
refresh tokens.  With a base URL override (tests) the endpoints are
``<base>/oauth2/{authorize,token,revoke}``.

Errors (https://cloud.google.com/apis/design/errors):
``{"error": {"code", "message", "status", "errors": [{"reason", "domain"}], "details"}}``.
"""

from __future__ import annotations

import requests

from ._oauth import OAuth2Connector
from ._parse import optional_str

GOOGLE_OAUTH_ENDPOINTS = {
    "authorize": "https://accounts.google.com/o/oauth2/v2/auth",
    "token": "https://oauth2.googleapis.com/token",
    "revoke": "https://oauth2.googleapis.com/revoke",
}


class GoogleOAuth2Connector(OAuth2Connector):
    """A connector of a Google API, connected through Google's OAuth server."""

    oauth_authorize_params = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}

    def _oauth_endpoint(self, name: str) -> str:
        return f"{self.base_url}/oauth2/{name}" if self.config.base_url else GOOGLE_OAUTH_ENDPOINTS[name]

    def oauth_authorize_endpoint(self) -> str:
        return self._oauth_endpoint("authorize")

    def oauth_token_endpoint(self) -> str:
        return self.config.options.get("token_url") or self._oauth_endpoint("token")

    def oauth_revoke_endpoint(self) -> str:
        return self._oauth_endpoint("revoke")


def google_error(response: requests.Response) -> tuple[str, str, str]:
    """``(status, reason, message)`` of a Google error body; empty strings where absent."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "", "", response.text[:200]
    if not isinstance(error, dict):
        return "", "", str(error)[:200]
    errors = error.get("errors")
    reason = optional_str(errors[0], "reason") if isinstance(errors, list) and errors else ""
    return optional_str(error, "status"), reason, optional_str(error, "message")[:200]
