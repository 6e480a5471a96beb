"""Imitation of the WhatsApp Business Platform Cloud API, after Meta's
documentation (developers.facebook.com/documentation/business-messaging/whatsapp/):

- ``POST /{phone-number-id}/messages`` (messages/text-messages,
  messages/template-messages, business-scoped-user-ids): ``messaging_product: whatsapp``,
  ``to`` (a phone number) or ``recipient`` (a business-scoped user id), ``type``
  ``text`` (body at most 4096 characters) or ``template`` (an approved name and
  language, body parameters as many as the template has); answered with
  ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}``;
- ``GET /{phone-number-id}`` with ``display_phone_number`` and ``verified_name``;
- ``POST /{waba-id}/subscribed_apps`` answered ``{"success": true}``;
- Graph errors ``{"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}``:
  190 for a bad token, 130429 (HTTP 429) when the throughput is exceeded,
  132001 for an unknown template, 131009 for a bad parameter value.

It also builds the webhook deliveries the Cloud API pushes (webhooks/reference/messages
and its per-type pages, webhooks/reference/messages/status), signed like Meta
signs them: ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

from .server import Request, Response

VERSION = "v25.0"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
WABA_ID = "102290129340398"
TOKEN = "wa-system-user-token"
APP_SECRET = "wa-app-secret"
#: approved templates: (name, language) -> number of body variables
TEMPLATES = {("support_followup", "en_US"): 1, ("hello_world", "en_US"): 0}


def graph_error(status: int, code: int, message: str, details: str = "", headers=None) -> Response:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return Response.json({"error": error}, status, headers)


class WhatsAppImitation:
    def __init__(self):
        self.tokens = {TOKEN}
        self.sent: list[dict] = []
        self.throttled = False
        self.counter = 0

    def handle(self, request: Request) -> Response:
        if not request.path.startswith(f"/{VERSION}/"):
            return graph_error(400, 2635, "You are calling a deprecated version of the Graph API.")
        parts = request.path[len(VERSION) + 2:].strip("/").split("/")
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return graph_error(401, 190, "Error validating access token: Session has expired.")
        if parts == [PHONE_NUMBER_ID] and request.method == "GET":
            return Response.json({"display_phone_number": "+1 555-078-3881", "verified_name": "Acme Support",
                                  "id": PHONE_NUMBER_ID})
        if parts == [WABA_ID, "subscribed_apps"] and request.method == "POST":
            return Response.json({"success": True})
        if parts == [PHONE_NUMBER_ID, "messages"] and request.method == "POST":
            if self.throttled:
                return graph_error(429, 130429, "(#130429) Rate limit hit",
                                   "Cloud API message throughput has been reached.")
            return self._send(request.json() or {})
        return graph_error(400, 100, f"Unsupported {request.method.lower()} request.", "Object does not exist")

    def _send(self, payload: dict) -> Response:
        to, kind = payload.get("to") or payload.get("recipient"), payload.get("type")
        phone_or_user_id = isinstance(payload.get("to"), str) and payload["to"].isdigit() or isinstance(
            payload.get("recipient"), str) and "." in payload["recipient"]
        if payload.get("messaging_product") != "whatsapp" or not phone_or_user_id:
            return graph_error(400, 100, "(#100) Invalid parameter",
                               "messaging_product and to (a phone number) or recipient (a BSUID) are required")
        if kind == "text":
            body = (payload.get("text") or {}).get("body") or ""
            if not body or len(body) > 4096:
                return graph_error(400, 131009, "(#131009) Parameter value is not valid",
                                   "text.body must have 1 to 4096 characters")
        elif kind == "template":
            template = payload.get("template") or {}
            key = (template.get("name"), (template.get("language") or {}).get("code"))
            if key not in TEMPLATES:
                return graph_error(404, 132001, "(#132001) Template name does not exist in the translation",
                                   f"template name ({key[0]}) does not exist in {key[1]}")
            parameters = [p for c in template.get("components") or [] if c.get("type") == "body"
                          for p in c.get("parameters") or []]
            if len(parameters) != TEMPLATES[key] or any("\n" in p.get("text", "") for p in parameters):
                return graph_error(400, 132000, "(#132000) Number of parameters does not match the expected number "
                                   "of params", "body: number of localizable_params does not match")
        else:
            return graph_error(400, 131009, "(#131009) Parameter value is not valid", f"type {kind} not supported")
        self.counter += 1
        message_id = f"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI{self.counter:08d}"
        self.sent.append({**payload, "id": message_id})
        return Response.json({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                              "messages": [{"id": message_id}]})


# -- webhook deliveries ---------------------------------------------------------------


def envelope(value: dict) -> dict:
    """The ``messages`` webhook around one change value."""
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
                  **value},
        "field": "messages",
    }]}]}


def epoch(moment: datetime) -> str:
    return str(int(moment.astimezone(timezone.utc).timestamp()))


def inbound(messages: list[dict], wa_id: str = "16505551234", name: str = "Sheena Nelson", user_id: str = "",
            username: str = "") -> dict:
    """Messages of one person, each a dict with ``type`` and its content (``id`` and ``timestamp`` filled in);
    with ``user_id``, the business-scoped user id (and no phone number when ``wa_id`` is empty)."""
    sender = {"from": wa_id} if wa_id else {}
    contact = {"profile": {"name": name}}
    if username:
        contact["profile"]["username"] = username
    if wa_id:
        contact["wa_id"] = wa_id
    if user_id:
        sender["from_user_id"] = contact["user_id"] = user_id
    filled = [{**sender, "id": f"wamid.IN{i:04d}{wa_id or user_id}", "timestamp": epoch(datetime.now(timezone.utc)),
               **message} for i, message in enumerate(messages)]
    return envelope({"contacts": [contact], "messages": filled})


def text(body: str, **extra) -> dict:
    return {"type": "text", "text": {"body": body}, **extra}


def status(message_id: str, state: str, recipient: str = "16505551234", error: dict | None = None) -> dict:
    """A ``statuses`` delivery about one of our messages."""
    entry = {"id": message_id, "status": state, "timestamp": epoch(datetime.now(timezone.utc)),
             "recipient_id": recipient}
    if state in ("sent", "delivered"):
        entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service",
                            "type": "free_customer_service"}
    if error:
        entry["errors"] = [error]
    return envelope({"statuses": [entry]})


def signed(payload, secret: str = APP_SECRET) -> tuple[bytes, dict]:
    """The raw body and headers of a delivery, signed with ``secret``."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
