"""Two ways of calling a running Odoo behind one small interface.

* :class:`Json2Transport`: Odoo 19's JSON-2 API, ``POST /json/2/<model>/<method>``
  with ``Authorization: bearer <api key>``, the database in ``X-Odoo-Database``
  and a JSON object of ``ids``, ``context`` and the method's named arguments as
  body.  The answer is the method's result as JSON; an error is a JSON object
  ``{name, message, arguments, context, debug}`` with a 4xx/5xx status.
* :class:`OdooRpcTransport`: ``/jsonrpc`` through ``odoorpc`` with a login and a
  password (an API key works as a password too).  Odoo 19 logs a deprecation
  warning for every such call and Odoo 20 drops the endpoint, so it is the
  fallback for password logins and older servers.

Credentials are kept in the transport objects only: they are never part of a
message, a log record or ``repr``.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import requests

_logger = logging.getLogger(__name__)

USER_AGENT = "social_crm_cli/1.0"
TRANSPORTS = ("auto", "json2", "jsonrpc")


class CliError(Exception):
    """A failure the command reports in one line and exits with ``exit_code``."""

    exit_code = 3


class ConnectionFailed(CliError):
    """The server cannot be reached or answered something that is not Odoo."""


class RemoteError(CliError):
    """The server refused the call: ``name`` is Odoo's exception class
    (``odoo.exceptions.AccessError`` …), ``message`` its text."""

    def __init__(self, name: str, message: str, status: int | None = None):
        self.name = name or "error"
        self.message = message or ""
        self.status = status
        short = self.name.rsplit(".", 1)[-1]
        super().__init__(f"{short}: {self.message}" if self.message else short)


class Transport:
    """Calls ``model.method`` on the server.  ``ids`` is None for methods of
    the model (``@api.model``: search, create, import_rows …) and a list of
    record ids for methods of records (read, write, action_fetch_now …)."""

    name = ""

    def call(self, model: str, method: str, ids: list[int] | None = None, **kwargs):
        raise NotImplementedError

    def close(self):
        """Forget the connection."""

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


def server_version(url: str, timeout: float = 10, session: requests.Session | None = None) -> tuple | None:
    """``version_info`` from ``/web/version`` (public, no login), or None when
    the server does not say (Odoo before 16, or not Odoo)."""
    try:
        response = (session or requests).get(
            f"{url.rstrip('/')}/web/version", timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
    except requests.RequestException as error:
        raise ConnectionFailed(f"cannot reach {url}: {type(error).__name__}") from None
    if response.status_code != 200:
        return None
    try:
        info = response.json().get("version_info")
    except (ValueError, AttributeError):
        return None
    return tuple(info) if isinstance(info, list) and info else None


def offers_json2(url: str, timeout: float = 10, session: requests.Session | None = None) -> bool:
    """Whether the server has the JSON-2 API (Odoo 19 and later)."""
    version = server_version(url, timeout, session)
    return bool(version) and isinstance(version[0], int) and version[0] >= 19


class Json2Transport(Transport):
    name = "json2"

    def __init__(self, url: str, database: str, api_key: str, timeout: float = 600):
        if not api_key:
            raise CliError("the JSON-2 API needs an API key (--api-key or SOCIAL_CRM_API_KEY)")
        self.url = url.rstrip("/")
        self.database = database
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": USER_AGENT, "Content-Type": "application/json"})
        if database:
            self._session.headers["X-Odoo-Database"] = database
        self._api_key = api_key

    def call(self, model, method, ids=None, **kwargs):
        body = dict(kwargs)
        if ids is not None:
            body["ids"] = list(ids)
        endpoint = f"{self.url}/json/2/{model}/{method}"
        _logger.debug("JSON-2 call %s.%s", model, method)
        try:
            response = self._session.post(
                endpoint,
                data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Authorization": f"bearer {self._api_key}"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise ConnectionFailed(f"cannot reach {self.url}: {type(error).__name__}") from None
        if response.status_code >= 400:
            raise self._error(response)
        try:
            return response.json()
        except ValueError:
            raise ConnectionFailed(f"{endpoint} answered {response.status_code} without JSON") from None

    @staticmethod
    def _error(response) -> RemoteError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "name" in body:
            return RemoteError(str(body.get("name")), str(body.get("message") or ""), response.status_code)
        if response.status_code == 404:
            return RemoteError(
                "NotFound", "no JSON-2 API at this address, or a wrong database name", response.status_code
            )
        return RemoteError(f"HTTP {response.status_code}", response.reason or "", response.status_code)

    def close(self):
        self._session.close()


class OdooRpcTransport(Transport):
    name = "jsonrpc"

    def __init__(self, url: str, database: str, login: str, password: str, timeout: float = 600):
        import odoorpc  # only this transport needs it

        if not (database and login and password):
            raise CliError("/jsonrpc needs a database, a user and a password (or an API key)")
        # odoorpc logs the arguments of every call at DEBUG, the password among them
        logging.getLogger("odoorpc").setLevel(logging.WARNING)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CliError(f"the URL must be http(s)://host[:port], not {url!r}")
        if parts.path.strip("/"):
            raise CliError("odoorpc cannot reach an Odoo under a path prefix; use the JSON-2 API (--api-key)")
        self.url = url
        self._error_class = odoorpc.error.RPCError
        try:
            self._odoo = odoorpc.ODOO(
                parts.hostname,
                protocol="jsonrpc+ssl" if parts.scheme == "https" else "jsonrpc",
                port=parts.port or (443 if parts.scheme == "https" else 80),
                timeout=timeout,
            )
            self._odoo.login(database, login, password)
        except odoorpc.error.RPCError as error:
            raise self._remote(error) from None
        except (OSError, odoorpc.error.InternalError, ValueError) as error:
            raise ConnectionFailed(f"cannot reach {url}: {type(error).__name__}") from None

    @staticmethod
    def _remote(error) -> RemoteError:
        info = getattr(error, "info", None) or {}
        data = info.get("data") if isinstance(info, dict) else None
        if isinstance(data, dict):
            return RemoteError(str(data.get("name") or "error"), str(data.get("message") or ""))
        message = str(getattr(error, "message", "") or error)
        if "Wrong login" in message:
            return RemoteError("AccessDenied", "wrong login or password")
        return RemoteError("error", message)

    def call(self, model, method, ids=None, **kwargs):
        args = [list(ids)] if ids is not None else []
        _logger.debug("/jsonrpc call %s.%s", model, method)
        try:
            return self._odoo.execute_kw(model, method, args, kwargs)
        except self._error_class as error:
            raise self._remote(error) from None
        except OSError as error:
            raise ConnectionFailed(f"cannot reach {self.url}: {type(error).__name__}") from None

    def close(self):
        self._odoo = None


def connect(
    url: str,
    database: str,
    login: str = "",
    password: str = "",
    api_key: str = "",
    transport: str = "auto",
    timeout: float = 600,
) -> Transport:
    """The transport to use: JSON-2 when an API key is given and the server
    offers it (or when asked for), ``/jsonrpc`` otherwise."""
    if transport not in TRANSPORTS:
        raise CliError(f"unknown transport {transport!r}: use one of {', '.join(TRANSPORTS)}")
    if transport == "json2" or (transport == "auto" and api_key and offers_json2(url)):
        return Json2Transport(url, database, api_key, timeout)
    if not login:
        raise CliError("/jsonrpc needs the user's login (--user or SOCIAL_CRM_USER)")
    _logger.info("using /jsonrpc (deprecated in Odoo 19): give an API key to use the JSON-2 API")
    return OdooRpcTransport(url, database, login, password or api_key, timeout)
