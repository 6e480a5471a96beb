"""OAuth 2.0 authorization-code flow through requests-oauthlib, shared by the
connectors of networks that use it.

A network subclasses :class:`OAuth2Connector`, names its endpoints and scopes,
and sends its API calls through :meth:`OAuth2Connector.authorized`, which adds
the bearer token, refreshes it shortly before it expires (and once after a
401, since requests-oauthlib only refreshes on a known ``expires_at``), and
hands every new token to :meth:`~.base.Connector.save_credentials`.

Credentials read: ``client_id``, ``client_secret``, ``access_token``,
``refresh_token`` (optional), ``expires_at`` (epoch seconds, optional).
Plain-HTTP endpoints (local imitations) need ``OAUTHLIB_INSECURE_TRANSPORT=1``.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import requests
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from requests_oauthlib import OAuth2Session

from ..errors import AuthError, ConnectorError, RateLimited, TransientError
from .base import Connector, retry_after

#: a token this close to its expiry is refreshed before use, in seconds
REFRESH_MARGIN_SECONDS = 60

#: token response fields worth keeping as credentials
_TOKEN_FIELDS = ("access_token", "refresh_token", "token_type", "expires_at", "scope")


class TokenRejected(AuthError):
    """The network refused the access token (HTTP 401): worth one refresh."""


def token_credentials(token: dict[str, Any]) -> dict[str, Any]:
    """The credentials to store from an oauthlib token (``expires_at`` is computed by oauthlib)."""
    credentials = {key: token[key] for key in _TOKEN_FIELDS if token.get(key) not in (None, "")}
    if isinstance(credentials.get("scope"), list):
        credentials["scope"] = " ".join(credentials["scope"])
    return credentials


class OAuth2Connector(Connector):
    """A connector whose account is connected with the authorization-code flow."""

    uses_oauth = True
    #: the app's keys for the Connect button, or tokens made elsewhere (a token
    #: pasted from the network's developer settings works as well)
    credential_fields = ("client_id", "client_secret", "access_token", "refresh_token")
    oauth_scopes: ClassVar[tuple[str, ...]] = ()
    #: add a PKCE S256 challenge to the authorization URL
    oauth_pkce: ClassVar[bool] = False
    #: extra query parameters of the authorization URL (``duration``, ``access_type`` …)
    oauth_authorize_params: ClassVar[dict[str, str]] = {}
    #: send the client id and secret in the revocation body (Mastodon) instead of Basic auth
    oauth_revoke_client_in_body: ClassVar[bool] = False
    #: send the client id and secret in the token requests' body (LinkedIn) instead of Basic auth
    oauth_token_client_in_body: ClassVar[bool] = False

    # -- endpoints, per network --------------------------------------------
    def oauth_authorize_endpoint(self) -> str:
        raise NotImplementedError

    def oauth_token_endpoint(self) -> str:
        raise NotImplementedError

    def oauth_revoke_endpoint(self) -> str:
        """Empty when the network offers no revocation."""
        return ""

    # -- the flow ------------------------------------------------------------
    def authorization_url(self, redirect_uri: str, state: str) -> tuple[str, dict[str, Any]]:
        params = dict(self.oauth_authorize_params)
        kept: dict[str, Any] = {"state": state}
        if self.oauth_pkce:
            client = WebApplicationClient(self._client_id())
            verifier = client.create_code_verifier(64)
            params["code_challenge"] = client.create_code_challenge(verifier, "S256")
            params["code_challenge_method"] = "S256"
            kept["code_verifier"] = verifier
        session = self._oauth_session(redirect_uri, scope=list(self.oauth_scopes))
        url, _state = session.authorization_url(self.oauth_authorize_endpoint(), state=state, **params)
        return url, kept

    def fetch_token(self, redirect_uri: str, callback_url: str, kept: dict[str, Any]) -> dict[str, Any]:
        """Exchange the callback's code (``state`` checked against ``kept``) for credentials."""
        # no scope on this session: a network granting fewer scopes must not make oauthlib raise
        session = self._oauth_session(redirect_uri, state=kept.get("state"))
        extra = {"code_verifier": kept["code_verifier"]} if kept.get("code_verifier") else {}
        if self.oauth_token_client_in_body:
            extra["include_client_id"] = True
        token = self._token_call(
            lambda: session.fetch_token(
                self.oauth_token_endpoint(),
                authorization_response=callback_url,
                client_secret=self._client_secret(),
                timeout=self.timeout,
                **extra,
            )
        )
        credentials = token_credentials(token)
        self.config.credentials.update(credentials)
        return credentials

    def refresh_access_token(self) -> None:
        refresh_token = self.config.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthError(f"{self.label}: the access token is invalid and there is no refresh token; reconnect")
        session = self._oauth_session()
        client = (
            {"client_id": self._client_id(), "client_secret": self._client_secret()}
            if self.oauth_token_client_in_body
            else {"auth": requests.auth.HTTPBasicAuth(self._client_id(), self._client_secret())}
        )
        token = self._token_call(
            lambda: session.refresh_token(
                self.oauth_token_endpoint(), refresh_token=refresh_token, timeout=self.timeout, **client
            )
        )
        # networks that do not rotate refresh tokens omit them; oauthlib then keeps the old one
        self.save_credentials(token_credentials(token))

    def revoke(self) -> None:
        endpoint = self.oauth_revoke_endpoint()
        credentials = self.config.credentials
        token_type = "refresh_token" if credentials.get("refresh_token") else "access_token"
        token = credentials.get(token_type)
        if not endpoint or not token:
            return
        data = {"token": token, "token_type_hint": token_type}
        if self.oauth_revoke_client_in_body:
            self.http(
                "POST", endpoint, data={**data, "client_id": self._client_id(), "client_secret": self._client_secret()}
            )
        else:
            self.http(
                "POST", endpoint, data=data, auth=requests.auth.HTTPBasicAuth(self._client_id(), self._client_secret())
            )

    # -- authorized API calls ------------------------------------------------
    def authorized(self, method: str, url: str, **kwargs) -> requests.Response:
        """:meth:`http` with the bearer token, refreshed when needed."""
        extra_headers = kwargs.pop("headers", {})
        if self._token_expiring():
            self.refresh_access_token()
        try:
            return self.http(method, url, headers=self._bearer_headers(extra_headers), **kwargs)
        except TokenRejected:
            if not self.config.credentials.get("refresh_token"):
                raise
            # revoked or expired without a known expiry: one refresh, one more try
            self.refresh_access_token()
            return self.http(method, url, headers=self._bearer_headers(extra_headers), **kwargs)

    def check_response(self, response: requests.Response) -> None:
        if response.status_code == 401:
            raise TokenRejected(f"{self.label}: the access token was refused (HTTP 401)")
        return super().check_response(response)

    # -- internals -------------------------------------------------------------
    def _client_id(self) -> str:
        client_id = self.config.credentials.get("client_id")
        if not client_id:
            raise AuthError(f"{self.label}: the client id of the app is missing")
        return client_id

    def _client_secret(self) -> str:
        return self.config.credentials.get("client_secret") or ""

    def _bearer_headers(self, extra_headers: dict[str, str]) -> dict[str, str]:
        access_token = self.config.credentials.get("access_token")
        if not access_token:
            raise AuthError(f"{self.label}: the account is not connected (no access token)")
        return {**extra_headers, "Authorization": f"Bearer {access_token}"}

    def _token_expiring(self) -> bool:
        expires_at = self.config.credentials.get("expires_at")
        if not isinstance(expires_at, (int, float)) or isinstance(expires_at, bool):
            return False
        return expires_at < time.time() + REFRESH_MARGIN_SECONDS

    def _oauth_session(self, redirect_uri: str = "", scope=None, state=None) -> OAuth2Session:
        session = OAuth2Session(self._client_id(), redirect_uri=redirect_uri or None, scope=scope, state=state)
        session.headers["User-Agent"] = self.session.headers["User-Agent"]
        for hook in ("access_token_response", "refresh_token_response"):
            session.register_compliance_hook(hook, self._check_token_response)
        return session

    def _check_token_response(self, response: requests.Response) -> requests.Response:
        """Token endpoint failures that are no OAuth error: overload and outages."""
        if response.status_code == 429:
            raise RateLimited(f"{self.label}: token endpoint rate limit reached", retry_after(response))
        if response.status_code >= 500:
            raise TransientError(f"{self.label}: token endpoint HTTP {response.status_code}")
        return response

    def _token_call(self, call) -> dict[str, Any]:
        def guarded():
            try:
                return call()
            except (requests.ConnectionError, requests.Timeout) as error:
                raise TransientError(f"{self.label}: {type(error).__name__} at the token endpoint") from None
            except OAuth2Error as error:
                # ``error`` and ``description`` come from the network; they never hold our secrets
                raise AuthError(
                    f"{self.label}: authorization failed: {error.error}: {error.description or ''}"
                ) from None
            except (ValueError, Warning) as error:
                raise ConnectorError(f"{self.label}: unexpected token response: {type(error).__name__}") from None

        return self.with_retries(guarded, "token request")
