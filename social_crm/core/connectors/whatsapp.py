"""WhatsApp Business Platform (Cloud API) connector, on the Meta Graph API
(transport, errors, ``hub.challenge`` and ``X-Hub-Signature-256`` in ``_graph``).

The Cloud API has no endpoint to read messages: inbound messages and the
statuses of our own messages arrive only by the ``messages`` webhook of the
WhatsApp Business Account (WABA).  A ``messages`` stream is still needed: it is
where pushed messages are stored, and polling it reads nothing.

Shapes, from Meta's documentation (developers.facebook.com/documentation/business-messaging/whatsapp/):
``webhooks/reference/messages`` (envelope: ``entry[].changes[].value`` with
``contacts[]`` — ``wa_id`` and ``profile.name`` — and ``messages[]``),
``webhooks/reference/messages/<type>`` (text, image, video, audio, document,
sticker, location, contacts, interactive, button, reaction, edit, revoke,
system, unsupported),
``webhooks/reference/messages/status`` (``statuses[]``: ``id``, ``status``,
``timestamp``, ``recipient_id``, ``errors[]``), ``messages/text-messages`` and
``messages/template-messages`` (``POST /{phone-number-id}/messages``, answered
by ``messages[0].id``), ``support/error-codes`` (130429 throughput, 131056
pair rate limit, 131048 spam rate limit, 80007 WABA rate limit).

Identity (``business-scoped-user-ids``): a person is their business-scoped
user id (BSUID, ``messages[].from_user_id`` / ``contacts[].user_id``, e.g.
``US.13491208655302741918``), which stays when they adopt a username and hide
their number, or else their ``wa_id`` (``from``), their phone number in
international form without ``+``.  That id is the author and the thread (one
conversation per person; a group message's thread is its ``group_id``).  The
phone number, when given, is the author's bio, which is where partner matching
reads phone numbers; a username (``profile.username``) is the handle.  Replies
go ``to`` a phone number or to a BSUID as ``recipient``.

Replies: free text within the 24-hour customer-service window that opens with
the person's last message; outside it, only an approved template may be sent.
The window is judged from the message answered (the reply wizard answers the
latest incoming message of a ticket).  The template is the account's
``template_name`` in ``template_language``; its body must have one variable,
``{{1}}``, which receives the agent's text (Meta refuses line breaks in
template variables, so they become spaces).

Credentials: ``access_token`` (a system user token with
``whatsapp_business_messaging`` and ``whatsapp_business_management``),
``phone_number_id``, ``business_account_id`` (to subscribe the app to the WABA's
webhooks), ``app_secret`` (signs webhooks), ``verify_token``, and optionally
``template_name`` / ``template_language``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

import requests

from ..errors import ConnectorError, PayloadError, RateLimited
from ..types import Author, DeliveryStatus, NormalizedPost, Page, SkippedItem, StreamSpec
from ._graph import GraphConnector, _as_dict
from ._parse import clean_text, optional_str, parse_datetime, required_str, webhook_json
from .base import WebhookRequest, ensure_text_length

_logger = logging.getLogger(__name__)

#: the customer-service window: free text is allowed this long after the person's last message
SERVICE_WINDOW = timedelta(hours=24)
#: message throughput, pair, spam and WABA rate limits (support/error-codes)
_WHATSAPP_THROTTLE_CODES = frozenset({130429, 131056, 131048, 80007})
_MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
_STATUSES = ("sent", "delivered", "read", "failed")
#: template variables may not hold line breaks, tabs or more than four spaces in a row
_TEMPLATE_SPACES = re.compile(r"\s*[\n\t]+\s*| {5,}")
#: a business-scoped user id: country code, a period, alphanumerics (``US.ENT.…`` for a parent BSUID)
_BSUID = re.compile(r"[A-Z]{2}\.[A-Za-z0-9.]{1,140}")


def _describe_media(kind: str, media: dict) -> str:
    """``[image] caption``; a document names its file, a voice note says so."""
    label = "voice message" if kind == "audio" and media.get("voice") is True else kind
    filename = optional_str(media, "filename")
    if filename:
        label = f"{label}: {filename}"
    caption = optional_str(media, "caption")
    return f"[{label}] {caption}" if caption else f"[{label}]"


def _describe_location(location: dict) -> str:
    place = ", ".join(part for part in (optional_str(location, "name"), optional_str(location, "address")) if part)
    latitude, longitude = optional_str(location, "latitude"), optional_str(location, "longitude")
    if not (latitude and longitude) and not place:
        raise PayloadError("location without coordinates or place")
    where = f"({latitude}, {longitude})" if latitude and longitude else ""
    return " ".join(part for part in ("[location]", place, where) if part)


def _describe_contacts(contacts) -> str:
    cards = []
    for card in contacts if isinstance(contacts, list) else []:
        card = _as_dict(card)
        name = optional_str(_as_dict(card.get("name")), "formatted_name")
        phones = [optional_str(_as_dict(phone), "phone") for phone in card.get("phones") or []]
        cards.append(" ".join(part for part in (name, *phones) if part))
    cards = [card for card in cards if card]
    if not cards:
        raise PayloadError("contacts message without any contact")
    return "[contact] " + "; ".join(cards)


def _describe_interactive(interactive: dict) -> str:
    kind = optional_str(interactive, "type")
    if kind in ("button_reply", "list_reply"):
        choice = _as_dict(interactive.get(kind))
        title = optional_str(choice, "title") or optional_str(choice, "id")
        if not title:
            raise PayloadError(f"{kind} without title or id")
        description = optional_str(choice, "description")
        return f"{title} — {description}" if description else title
    raise PayloadError(f"interactive reply of type {kind or '(none)'} is not supported")


class WhatsAppConnector(GraphConnector):
    network = "whatsapp"
    label = "WhatsApp"
    publish_unsupported = (
        "WhatsApp: the Cloud API sends messages to one customer, not public posts;"
        " reply to a conversation"
    )
    stream_kinds = ("messages",)
    #: text message body limit (messages/text-messages)
    max_text_length = 4096
    uses_oauth = False
    credential_fields = (
        "access_token", "phone_number_id", "business_account_id", "app_secret", "verify_token",
        "template_name", "template_language",
    )  # fmt: skip

    # -- account ---------------------------------------------------------------------
    def phone_number_id(self) -> str:
        number_id = self.config.credentials.get("phone_number_id") or self.config.external_id
        if not number_id:
            raise ConnectorError("WhatsApp: the phone number id is missing (credential phone_number_id)")
        return str(number_id)

    def _our_author(self) -> Author:
        number_id = self.config.external_id or self.phone_number_id()
        return Author(external_id=number_id, handle=self.config.handle or number_id)

    def check_connection(self) -> str:
        body = self._call("GET", f"/{self.phone_number_id()}", params={"fields": "display_phone_number,verified_name"})
        return optional_str(body, "verified_name") or optional_str(body, "display_phone_number")

    def register_webhook(self, url: str) -> None:
        """Subscribe the app to the WABA's webhooks (``POST /{waba-id}/subscribed_apps``);
        the callback URL and verify token are set once per app in the Meta dashboard."""
        waba_id = self.config.credentials.get("business_account_id")
        if not waba_id:
            raise ConnectorError("WhatsApp: the WhatsApp Business Account id is missing (business_account_id)")
        if self._call("POST", f"/{waba_id}/subscribed_apps").get("success") is not True:
            raise ConnectorError("WhatsApp: Meta did not confirm the webhook subscription")

    def check_response(self, response: requests.Response) -> None:
        try:
            error = _as_dict(_as_dict(response.json()).get("error"))
        except ValueError:
            error = {}
        if error.get("code") in _WHATSAPP_THROTTLE_CODES:
            details = optional_str(_as_dict(error.get("error_data")), "details") or optional_str(error, "message")
            raise RateLimited(f"WhatsApp: rate limit reached (code {error['code']}): {details[:300]}",
                              datetime.now(timezone.utc) + timedelta(minutes=1))
        return super().check_response(response)

    # -- reading ---------------------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        if stream.kind != "messages":
            raise ConnectorError(f"WhatsApp: only messages can be received, not {stream.kind}")
        # the Cloud API pushes messages by webhook and offers nothing to poll
        return Page(cursor=cursor)

    # -- webhooks --------------------------------------------------------------------
    def parse_webhook(self, request: WebhookRequest) -> list[NormalizedPost]:
        payload = _as_dict(webhook_json(self.signed_body(request)))
        self.webhook_skipped, self.delivery_statuses = [], []
        posts = []
        for entry in payload.get("entry") if isinstance(payload.get("entry"), list) else []:
            for change in _as_dict(entry).get("changes") or []:
                change = _as_dict(change)
                if change.get("field") != "messages":
                    continue  # template reviews, quality and account updates are no conversations
                posts += self._read_change(_as_dict(change.get("value")))
        return posts

    def _read_change(self, value: dict) -> list[NormalizedPost]:
        contacts = {}
        for contact in value.get("contacts") or []:
            contact = _as_dict(contact)
            for key in ("user_id", "wa_id"):
                if optional_str(contact, key):
                    contacts[optional_str(contact, key)] = _as_dict(contact.get("profile"))
        posts = []
        for message in value.get("messages") or []:
            try:
                posts.append(self.message_post(_as_dict(message), contacts))
            except PayloadError as error:
                self.webhook_skipped.append(SkippedItem(str(error), optional_str(_as_dict(message), "id")))
        for status in value.get("statuses") or []:
            try:
                self.delivery_statuses.append(self.delivery_status(_as_dict(status)))
            except PayloadError as error:
                self.webhook_skipped.append(SkippedItem(f"status: {error}", optional_str(_as_dict(status), "id")))
        for error in value.get("errors") or []:  # errors of the WABA or app, not tied to a message
            error = _as_dict(error)
            reason = optional_str(_as_dict(error.get("error_data")), "details") or optional_str(error, "message")
            self.webhook_skipped.append(SkippedItem(f"error {optional_str(error, 'code')}: {reason}"[:300]))
        return posts

    def message_post(self, message: dict, contacts: dict[str, dict]) -> NormalizedPost:
        """A message; an ``edit`` (webhooks/reference/messages/edit) is the edited message with
        its new content, a ``revoke`` (…/revoke) the deleted one."""
        phone, user_id = optional_str(message, "from"), optional_str(message, "from_user_id")
        sender = user_id or phone
        if not sender:
            raise PayloadError("missing from and from_user_id")
        moment = parse_datetime(message.get("timestamp"))
        kind, content = optional_str(message, "type"), message
        external_id, edited, deleted = required_str(message, "id"), None, False
        if kind in ("edit", "revoke"):
            change = _as_dict(message.get(kind))
            external_id = required_str(change, "original_message_id")
            content = _as_dict(change.get("message"))
            kind, edited, deleted = optional_str(content, "type"), moment, kind == "revoke"
        parent = optional_str(_as_dict(content.get("context")), "id")
        if kind == "reaction":
            reaction = _as_dict(content.get("reaction"))
            if not optional_str(reaction, "emoji"):
                raise PayloadError("reaction removed (no emoji)")
            parent = optional_str(reaction, "message_id")
        profile = contacts.get(sender) or contacts.get(phone) or {}
        return NormalizedPost(
            external_id=external_id,
            # the phone number as bio is what partner matching reads
            author=Author(external_id=sender, handle=optional_str(profile, "username") or phone or sender,
                          display_name=optional_str(profile, "name"), bio=f"+{phone}" if phone.isdigit() else ""),
            text="" if deleted else clean_text(self.describe(kind, content)),
            created_at=moment,
            kind="message",
            parent_external_id=parent,
            thread_external_id=optional_str(message, "group_id") or sender,
            edited_at=edited,
            deleted=deleted,
        )

    @staticmethod
    def describe(kind: str, message: dict) -> str:
        """The text of a message of any type, media and other content described in brackets."""
        content = message.get(kind)
        if kind == "text":
            body = optional_str(_as_dict(content), "body")
            if not body:
                raise PayloadError("text message without body")
            return body
        if kind in _MEDIA_TYPES:
            return _describe_media(kind, _as_dict(content))
        if kind == "location":
            return _describe_location(_as_dict(content))
        if kind == "contacts":
            return _describe_contacts(content)
        if kind == "interactive":
            return _describe_interactive(_as_dict(content))
        if kind == "button":  # a quick-reply button of a template
            text = optional_str(_as_dict(content), "text") or optional_str(_as_dict(content), "payload")
            if not text:
                raise PayloadError("button reply without text")
            return text
        if kind == "reaction":
            return f"[reaction] {optional_str(_as_dict(content), 'emoji')}"
        errors = message.get("errors") if isinstance(message.get("errors"), list) else []
        detail = next((optional_str(_as_dict(_as_dict(error).get("error_data")), "details")
                       or optional_str(_as_dict(error), "title") for error in errors), "")
        detail = detail or optional_str(_as_dict(content), "body")  # a system message says what changed
        raise PayloadError(f"message type {kind or '(none)'} is not supported" + (f": {detail}" if detail else ""))

    @staticmethod
    def delivery_status(status: dict) -> DeliveryStatus:
        state = optional_str(status, "status")
        if state not in _STATUSES:
            raise PayloadError(f"unknown status {state or '(none)'}")
        errors = status.get("errors") if isinstance(status.get("errors"), list) else []
        error = _as_dict(errors[0]) if errors else {}
        detail = optional_str(_as_dict(error.get("error_data")), "details")
        message = " — ".join(part for part in (optional_str(error, "title") or optional_str(error, "message"), detail)
                             if part)
        return DeliveryStatus(
            message_id=required_str(status, "id"),
            status=state,
            at=parse_datetime(status.get("timestamp")),
            recipient_id=optional_str(status, "recipient_id"),
            error_code=optional_str(error, "code"),
            error_message=message[:500],
        )

    # -- writing ---------------------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        ensure_text_length(self, text)
        person = parent.author.external_id
        if parent.thread_external_id and parent.thread_external_id != person:
            raise ConnectorError("WhatsApp: replies to group conversations are not supported")
        if person.isdigit():
            payload = {"to": person}
        elif _BSUID.fullmatch(person):
            payload = {"recipient": person}
        else:
            raise ConnectorError(f"WhatsApp: {person!r} is neither a WhatsApp number nor a user id to answer")
        payload.update(messaging_product="whatsapp", recipient_type="individual")
        if datetime.now(timezone.utc) - parent.created_at < SERVICE_WINDOW:
            payload.update(type="text", text={"preview_url": False, "body": text},
                           context={"message_id": parent.external_id})
            sent_text = text
        else:
            template, language = self.template()
            variable = _TEMPLATE_SPACES.sub(" ", text).strip()
            payload.update(type="template", template={
                "name": template,
                "language": {"code": language},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": variable}]}],
            })
            sent_text = f"[template {template}] {variable}"
        body = self._call("POST", f"/{self.phone_number_id()}/messages", json=payload)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise PayloadError("WhatsApp: the message was sent but the answer names no message id")
        return NormalizedPost(
            external_id=required_str(_as_dict(messages[0]), "id"),
            author=self._our_author(),
            text=sent_text,
            created_at=datetime.now(timezone.utc),
            kind="message",
            parent_external_id=parent.external_id,
            thread_external_id=person,
        )

    def template(self) -> tuple[str, str]:
        """The approved template that answers outside the service window, and its language."""
        name = self.config.credentials.get("template_name")
        if not name:
            raise ConnectorError(
                "WhatsApp: this person last wrote more than 24 hours ago, so only an approved template message "
                "may be sent, and the account has none configured (credentials template_name and "
                "template_language)"
            )
        return name, self.config.credentials.get("template_language") or "en_US"


CONNECTOR = WhatsAppConnector
