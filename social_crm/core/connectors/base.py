"""The interface every network connector implements.

A connector is built from an :class:`AccountConfig` and talks to one account
of one network.  It never stores anything: it returns normalised pages and
reports new credentials through ``on_credentials`` so the caller can save them.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import requests

from ..errors import AuthError, ConnectorError, RateLimited, TransientError
from ..publishing import MediaFile, PublishLimits, describe, problems
from ..types import DeliveryStatus, Metrics, NormalizedPost, Page, RateLimit, SkippedItem, StreamSpec

_logger = logging.getLogger(__name__)


@dataclass(slots=True)
class AccountConfig:
    """Everything a connector needs to know about the account it serves."""

    #: the account's own id on the network (user id, page id, DID, chat id …)
    external_id: str = ""
    handle: str = ""
    #: API base URL override (tests, proxies, Mastodon instances); empty = default
    base_url: str = ""
    #: secrets (tokens, app secrets); never logged
    credentials: dict[str, Any] = field(default_factory=dict)
    #: non-secret options (page size, user agent …)
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self):  # keeps credentials out of logs and tracebacks
        return f"AccountConfig(external_id={self.external_id!r}, handle={self.handle!r}, base_url={self.base_url!r})"


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A webhook delivery, as the web framework received it."""

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    """What to answer a handshake (CRC, ``hub.challenge``, confirmation)."""

    body: str
    status: int = 200
    content_type: str = "text/plain"


class Connector:
    """Base class of all connectors.  Subclasses set the class attributes and
    override the methods their network supports; the others raise
    :class:`NotImplementedError` with a clear message."""

    #: technical name, also the module name under ``core.connectors``
    network: ClassVar[str] = ""
    #: human name shown in Odoo
    label: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    #: stream kinds this network offers (see ``types.STREAM_KINDS``)
    stream_kinds: ClassVar[tuple[str, ...]] = ()
    #: longest text a reply may have, in characters
    max_text_length: ClassVar[int] = 0
    can_reply: ClassVar[bool] = False
    can_publish: ClassVar[bool] = False
    has_webhooks: ClassVar[bool] = False
    #: credential keys the account form asks for
    credential_fields: ClassVar[tuple[str, ...]] = ()
    #: handles of the instance's own users carry no domain (``jana``, not ``jana@instance``)
    federated: ClassVar[bool] = False

    #: retries of a transient failure before giving up, and the first backoff
    max_retries: ClassVar[int] = 3
    backoff_seconds: ClassVar[float] = 1.0

    def __init__(
        self,
        config: AccountConfig,
        *,
        on_credentials: Callable[[dict[str, Any]], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.config = config
        self.base_url = (config.base_url or self.default_base_url).rstrip("/")
        self._on_credentials = on_credentials
        self._sleep = sleep
        self._session: requests.Session | None = None
        #: the rate-limit state of the last response, for the caller to store
        self.last_rate_limit: RateLimit | None = None
        #: where a stream's source moved for good (HTTP 301), for the caller to store
        self.moved_to = ""
        #: items of the last webhook delivery that are no posts, for the caller to count
        self.webhook_skipped: list[SkippedItem] = []
        #: delivery reports of our own messages in the last webhook delivery, for the caller to record
        self.delivery_statuses: list[DeliveryStatus] = []
        #: the account's own id on the network, learnt by :meth:`check_connection`
        #: where the network tells it, for the caller to store
        self.account_external_id = ""

    # -- credentials -------------------------------------------------------
    def save_credentials(self, credentials: dict[str, Any]) -> None:
        """Keep new credentials (a refreshed token) and hand them to the caller."""
        self.config.credentials.update(credentials)
        if self._on_credentials:
            self._on_credentials(dict(self.config.credentials))

    def check_connection(self) -> str:
        """Authenticate (refreshing if needed) and return the account's handle;
        set ``account_external_id`` when the answer names the account's id."""
        raise NotImplementedError(f"{self.label}: connection check is not supported")

    # -- OAuth (networks with ``uses_oauth``) --------------------------------
    uses_oauth: ClassVar[bool] = False

    def authorization_url(self, redirect_uri: str, state: str) -> tuple[str, dict[str, Any]]:
        """The URL to send the administrator to, and the values to keep until
        the callback (a PKCE ``code_verifier`` …)."""
        raise NotImplementedError(f"{self.label}: OAuth is not supported")

    def fetch_token(self, redirect_uri: str, callback_url: str, kept: dict[str, Any]) -> dict[str, Any]:
        """Exchange the callback's code for credentials and return them."""
        raise NotImplementedError(f"{self.label}: OAuth is not supported")

    def revoke(self) -> None:
        """Revoke the stored token at the network (disconnect)."""

    # -- reading -----------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        """Read the next page of ``stream`` after ``cursor`` (empty: start)."""
        raise NotImplementedError(f"{self.label}: reading {stream.kind} is not supported")

    # -- writing -----------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        """Answer ``parent`` and return our reply as the network stored it."""
        raise NotImplementedError(f"{self.label}: replies are not supported")

    #: what a new post may hold; ``None``: only text up to ``max_text_length``
    publish_limits: ClassVar[PublishLimits | None] = None
    #: why the network's API cannot publish, when it cannot (shown to users)
    publish_unsupported: ClassVar[str] = ""

    @classmethod
    def limits(cls) -> PublishLimits:
        return cls.publish_limits or PublishLimits(max_chars=cls.max_text_length)

    def publish(
        self, text: str, media: Sequence[MediaFile] = (), *, idempotency_key: str = "", title: str = ""
    ) -> NormalizedPost:
        """Post ``text`` (with ``media``) on the account and return the post as stored.

        ``idempotency_key`` names the publication: networks that take a key get
        it, so that sending the same publication twice posts it once."""
        raise NotImplementedError(self.publish_unsupported or f"{self.label}: publishing is not supported")

    def find_published(self, text: str, since: datetime) -> NormalizedPost | None:
        """Our own post with ``text`` published after ``since``, if any: after
        a publish whose answer was lost, it tells whether the post went out."""
        raise NotImplementedError(f"{self.label}: our recent posts cannot be read back")

    def post_metrics(self, external_ids: Sequence[str]) -> dict[str, Metrics]:
        """Current engagement of our posts, by external id (missing ids: gone)."""
        raise NotImplementedError(f"{self.label}: engagement cannot be read back")

    def account_followers(self) -> int:
        """How many accounts follow ours now (own-account analytics)."""
        raise NotImplementedError(f"{self.label}: the follower count cannot be read")

    @contextmanager
    def single_attempt(self):
        """Send without retrying timeouts: a post whose response was lost may
        have gone through, and only a check can tell (see :meth:`find_published`)."""
        saved = self.max_retries
        self.max_retries = 0
        try:
            yield
        finally:
            self.max_retries = saved

    # -- webhooks ----------------------------------------------------------
    def register_webhook(self, url: str) -> None:
        """Ask the network to deliver the account's events to ``url``."""
        raise NotImplementedError(f"{self.label}: register the webhook URL in the network's developer settings")

    def webhook_handshake(self, request: WebhookRequest) -> WebhookResponse | None:
        """Answer a verification request, or ``None`` if this is no handshake."""
        return None

    def parse_webhook(self, request: WebhookRequest) -> list[NormalizedPost]:
        """Verify the delivery (raise ``WebhookRejected``) and return its posts;
        what it holds that is no post goes to ``webhook_skipped`` with the reason."""
        raise NotImplementedError(f"{self.label}: webhooks are not supported")

    # -- helpers for subclasses -------------------------------------------
    def with_retries(self, call: Callable[[], Any], what: str) -> Any:
        """Run ``call``; retry :class:`TransientError` with exponential backoff
        and jitter, then re-raise it.  Other errors pass through at once."""
        attempt = 0
        while True:
            try:
                return call()
            except TransientError as error:
                attempt += 1
                if attempt > self.max_retries:
                    raise
                delay = self.backoff_seconds * (2 ** (attempt - 1)) * (1 + random.random() / 2)  # noqa: S311 - jitter, not crypto
                _logger.info("%s: %s failed (%s), retry %d in %.1fs", self.label, what, error, attempt, delay)
                self._sleep(delay)

    #: timeout of every HTTP call (connect, then each read), in seconds
    timeout: ClassVar[float] = 30.0

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = requests.Session()
            self._session.headers["User-Agent"] = self.config.options.get(
                "user_agent", "social_crm/19.0 (Odoo social CRM connector)"
            )
        return self._session

    def http(self, method: str, url: str, **kwargs) -> requests.Response:
        """Send one request with retries of transient failures.

        ``url`` may be relative to ``base_url``.  The response's rate-limit
        state is kept in ``last_rate_limit``; errors are raised as the
        exceptions of ``core.errors`` by :meth:`check_response`.
        """
        if not url.startswith(("http://", "https://")):
            url = f"{self.base_url}/{url.lstrip('/')}"
        kwargs.setdefault("timeout", self.timeout)

        def send():
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                raise TransientError(f"{self.label}: {type(error).__name__} on {method} {url.split('?')[0]}") from None
            rate_limit = self.read_rate_limit(response)
            if rate_limit is not None:
                self.last_rate_limit = rate_limit
            self.check_response(response)
            return response

        return self.with_retries(send, f"{method} {url.split('?')[0]}")

    def read_rate_limit(self, response: requests.Response) -> RateLimit | None:
        """Rate-limit state of a response; networks override it for their headers."""
        return None

    def check_response(self, response: requests.Response) -> None:
        """Raise the error a response means.  Networks override it for the
        errors they carry in bodies or unusual status codes."""
        status = response.status_code
        if status < 400:
            return
        detail = response.text[:300]
        if status == 429:
            reset_at = self.last_rate_limit.reset_at if self.last_rate_limit else None
            raise RateLimited(f"{self.label}: rate limit reached", reset_at or retry_after(response))
        if status in (401, 403):
            raise AuthError(f"{self.label}: HTTP {status}: {detail}")
        if status >= 500:
            raise TransientError(f"{self.label}: HTTP {status}")
        raise ConnectorError(f"{self.label}: HTTP {status}: {detail}")


def retry_after(response: requests.Response, default_seconds: int = 60) -> datetime:
    """The time a ``Retry-After`` header (seconds or HTTP date) points to."""
    value = response.headers.get("Retry-After", "")
    now = datetime.now(timezone.utc)
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        return parsedate_to_datetime(value).astimezone(timezone.utc)
    except (TypeError, ValueError):
        # absent or unreadable: wait the default rather than hammer the network
        return now + timedelta(seconds=default_seconds)


def ensure_publishable(
    connector: Connector,
    text: str,
    media: Sequence[MediaFile] = (),
    title: str = "",
    limits: PublishLimits | None = None,
) -> None:
    """Reject a publication the network would refuse (length as the network counts it, images, title)."""
    found = problems(limits or connector.limits(), text, list(media), title)
    if found:
        raise ConnectorError(f"{connector.label}: " + "; ".join(describe(problem) for problem in found))


def ensure_text_length(connector: Connector, text: str) -> str:
    """Reject a text the network would refuse for its length."""
    if not text or not text.strip():
        raise ConnectorError("The text is empty.")
    if connector.max_text_length and len(text) > connector.max_text_length:
        raise ConnectorError(
            f"{connector.label} accepts at most {connector.max_text_length} characters; "
            f"this text has {len(text)}."
        )
    return text
