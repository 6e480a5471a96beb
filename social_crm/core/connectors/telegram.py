"""Telegram Bot API connector.

One stream kind, ``messages``: every message the bot sees (private chats,
groups — subject to the bot's privacy mode — and channels it administers),
read with ``getUpdates``.  The cursor is the next ``offset`` (last update id +
1); calling ``getUpdates`` with it confirms the previous updates, which
Telegram then forgets.  A first run with ``backfill_limit`` asks for the last
updates only (negative offset), so older ones are dropped at Telegram.

A message is identified as ``"<chat id>:<message id>"`` (message ids are unique
per chat only); an ``edited_message`` carries the same id with ``edited_at``.
Messages without text or caption (stickers, bare photos) are skipped.

The bot token sits in the URL path of every call.  URLs are built with a
placeholder that a transport adapter replaces only when sending, so retry
logs and error messages never show the token; urllib3's debug log is
filtered as well.

Webhooks: Telegram sends one Update per POST with the secret token given to
``setWebhook`` in ``X-Telegram-Bot-Api-Secret-Token``; :meth:`register_webhook`
registers the URL (and makes the secret), :meth:`delete_webhook` goes back to
polling.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import requests
from requests.adapters import HTTPAdapter

from ..errors import AuthError, ConnectorError, PayloadError, RateLimited, TransientError, WebhookRejected
from ..publishing import PublishLimits
from ..types import Author, NormalizedPost, Page, SkippedItem, StreamSpec
from ._parse import (
    clean_text,
    dump_cursor,
    ensure_webhook_size,
    load_cursor,
    optional_int,
    optional_str,
    parse_datetime,
    required_str,
    webhook_json,
)
from .base import Connector, WebhookRequest, ensure_publishable, ensure_text_length

_logger = logging.getLogger(__name__)

#: stands for the bot token in every URL we build; replaced on the wire only
_BOT_SLOT = "bot__BOT_TOKEN__"
_MESSAGE_UPDATES = ("message", "edited_message", "channel_post", "edited_channel_post")
_HOOK_AUTH_HEADER = "x-telegram-bot-api-secret-token"
_BOT_TOKEN_IN_TEXT = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")


class _RedactBotTokens(logging.Filter):
    """urllib3 logs request paths at DEBUG level; those of the Bot API hold the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _BOT_TOKEN_IN_TEXT.sub("/bot<redacted>", arg) if isinstance(arg, str) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactBotTokens())


class _BotTokenAdapter(HTTPAdapter):
    """Puts the bot token into the URL at the last moment before sending."""

    def __init__(self, token: Callable[[], str]):
        super().__init__()
        self._token = token

    def send(self, request, **kwargs):
        request.url = request.url.replace(_BOT_SLOT, f"bot{self._token()}", 1)
        return super().send(request, **kwargs)


class TelegramConnector(Connector):
    network = "telegram"
    label = "Telegram"
    default_base_url = "https://api.telegram.org"
    stream_kinds = ("messages",)
    max_text_length = 4096
    can_publish = True
    # captions of photos: 1,024 characters; an album holds up to 10 photos
    publish_limits = PublishLimits(max_chars=4096, max_chars_with_media=1024, max_media=10,
                                   media_types=("image/jpeg", "image/png", "image/webp"))
    can_reply = True
    has_webhooks = True
    credential_fields = ("bot_token", "webhook_secret")

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        #: updates per ``getUpdates`` call (1-100); option ``page_size``
        self.page_size = max(1, min(100, int(config.options.get("page_size", 100))))
        self.session.mount(f"{self.base_url}/", _BotTokenAdapter(self._token))

    def _token(self) -> str:
        token = self.config.credentials.get("bot_token")
        if not token:
            raise AuthError("Telegram: the bot token is missing")
        return token

    # -- transport -------------------------------------------------------------------
    def _call(self, method: str, payload: dict | None = None):
        self._token()  # fail before sending when there is no token
        response = self.http("POST", f"{self.base_url}/{_BOT_SLOT}/{method}", json=payload or {})
        body = self._body(response)
        if "result" not in body:
            raise PayloadError(f"Telegram: {method} answered without a result")
        return body["result"]

    @staticmethod
    def _body(response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = None
        return body if isinstance(body, dict) else {}

    def check_response(self, response: requests.Response) -> None:
        body = self._body(response)
        if response.status_code < 400 and body.get("ok") is True:
            return
        status = response.status_code
        code = body.get("error_code") if isinstance(body.get("error_code"), int) else status
        description = optional_str(body, "description")[:300] or f"HTTP {status}"
        if code == 429:
            parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
            wait = optional_int(parameters, "retry_after") or 30
            raise RateLimited(f"Telegram: {description}", datetime.now(timezone.utc) + timedelta(seconds=wait))
        if status >= 500:
            raise TransientError(f"Telegram: HTTP {status}")
        if code in (401, 404):  # Telegram answers 404 to a malformed token
            raise AuthError(f"Telegram: the bot token was refused ({description})")
        if code == 409:
            raise ConnectorError(
                "Telegram: a webhook is set for this bot, so getUpdates cannot be used; "
                "delete the webhook to poll, or receive updates through the webhook"
            )
        raise ConnectorError(f"Telegram: {description}")

    # -- account ---------------------------------------------------------------------
    def check_connection(self) -> str:
        bot = self._call("getMe")
        self.account_external_id = optional_str(bot, "id")
        return optional_str(bot, "username")

    def register_webhook(self, url: str) -> None:
        """Deliver updates to ``url`` (HTTPS) instead of polling; the secret token
        is made (and saved) if the account has none yet."""
        secret = self.config.credentials.get("webhook_secret")
        if not secret:
            secret = secrets.token_urlsafe(32)
            self.save_credentials({"webhook_secret": secret})
        self._call("setWebhook", {"url": url, "secret_token": secret, "allowed_updates": list(_MESSAGE_UPDATES)})

    def delete_webhook(self) -> None:
        self._call("deleteWebhook", {"drop_pending_updates": False})

    # -- reading ---------------------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        if stream.kind != "messages":
            raise ConnectorError(f"Telegram: bots can only read messages, not {stream.kind}")
        state = load_cursor(cursor)
        payload = {"limit": self.page_size, "timeout": 0, "allowed_updates": list(_MESSAGE_UPDATES)}
        if state.get("offset"):
            payload["offset"] = state["offset"]
        elif stream.backfill_limit:
            # a negative offset returns the last updates and makes Telegram forget the older ones
            payload["offset"] = -stream.backfill_limit
        updates = self._call("getUpdates", payload)
        if not isinstance(updates, list):
            raise PayloadError("Telegram: getUpdates returned no list")
        posts, skipped, last_id = [], [], None
        for update in updates:
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if isinstance(update_id, int) and not isinstance(update_id, bool):
                last_id = max(update_id, last_id or update_id)
            try:
                posts.append(self._update_post(update))
            except PayloadError as error:
                skipped.append(SkippedItem(str(error), str(update_id or "")))
        if last_id is not None:
            state["offset"] = last_id + 1
        return Page(posts=posts, cursor=dump_cursor(state), has_more=len(updates) >= self.page_size,
                    skipped=skipped, rate_limit=self.last_rate_limit)

    def _update_post(self, update) -> NormalizedPost:
        if not isinstance(update, dict):
            raise PayloadError("update is not an object")
        message = next((update[key] for key in _MESSAGE_UPDATES if isinstance(update.get(key), dict)), None)
        if message is None:
            raise PayloadError("update carries no message")
        return self._message_post(message)

    def _message_post(self, message: dict) -> NormalizedPost:
        chat = message.get("chat")
        if not isinstance(chat, dict):
            raise PayloadError("message without chat")
        chat_id = required_str(chat, "id")
        message_id = required_str(message, "message_id")
        text = message.get("text") if message.get("text") is not None else message.get("caption")
        media = _media_description(message)
        if not isinstance(text, str) and not media:
            raise PayloadError("message has no text and no media (a service message, dice or poll)")
        # a photo or voice message is what the person sent: it is described, with its caption
        text = "\n".join(part for part in (media, text if isinstance(text, str) else "") if part)
        # ``sender_chat`` first: an anonymous group admin or a linked channel
        # writes as that chat, and ``from`` is then a placeholder
        # (GroupAnonymousBot, "Telegram")
        sender = next((message[key] for key in ("sender_chat", "from") if isinstance(message.get(key), dict)), chat)
        username = optional_str(sender, "username")
        display_name = " ".join(
            part for part in (optional_str(sender, "first_name"), optional_str(sender, "last_name")) if part
        ) or optional_str(sender, "title")
        reply_to = message.get("reply_to_message") if isinstance(message.get("reply_to_message"), dict) else {}
        topic = optional_str(message, "message_thread_id") if message.get("is_topic_message") else ""
        if reply_to.get("message_id") and not (topic and str(reply_to["message_id"]) == topic):
            parent = f"{chat_id}:{reply_to['message_id']}"
        else:  # a topic's messages all "reply" to the topic's first message: that is its thread
            parent = ""
        return NormalizedPost(
            external_id=f"{chat_id}:{message_id}",
            author=Author(
                external_id=required_str(sender, "id"),
                handle=username or display_name or required_str(sender, "id"),
                display_name=display_name,
                url=f"https://t.me/{username}" if username else "",
            ),
            text=clean_text(text),
            created_at=parse_datetime(message.get("date")),
            kind="message",
            url=_message_url(chat, chat_id, message_id),
            parent_external_id=parent,
            thread_external_id=f"{chat_id}:{topic}" if topic else chat_id,
            language_hint=optional_str(sender, "language_code"),
            edited_at=parse_datetime(message["edit_date"]) if message.get("edit_date") else None,
        )

    # -- writing ---------------------------------------------------------------------
    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        ensure_text_length(self, text)
        chat_id, _sep, message_id = parent.external_id.rpartition(":")
        if not chat_id or not message_id.lstrip("-").isdigit():
            raise ConnectorError(f"Telegram: {parent.external_id!r} is not a Telegram message id")
        result = self._call("sendMessage", {
            "chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
            "text": text,
            "reply_parameters": {"message_id": int(message_id), "allow_sending_without_reply": True},
        })
        try:
            return self._message_post(result)
        except PayloadError as error:
            raise PayloadError(f"Telegram: the message was sent but its echo is unreadable: {error}") from None

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """``sendMessage`` to the channel (the account's publish target, e.g.
        ``@brand``; the bot must be its administrator), ``sendPhoto`` or
        ``sendMediaGroup`` with images.  The Bot API has no idempotency key and
        bots cannot read a channel's history, so a lost answer is never
        retried here: :meth:`find_published` cannot tell, a person checks."""
        ensure_publishable(self, text, media)
        chat = self._channel()
        with self.single_attempt():
            if not media:
                result = self._call("sendMessage", {"chat_id": chat, "text": text})
            elif len(media) == 1:
                result = self._send_files("sendPhoto", {"chat_id": chat, "caption": text},
                                          {"photo": media[0]})
            else:
                album = [{"type": "photo", "media": f"attach://photo{index}"} for index in range(len(media))]
                album[0]["caption"] = text
                result = self._send_files("sendMediaGroup", {"chat_id": chat, "media": json.dumps(album)},
                                          {f"photo{index}": item for index, item in enumerate(media)})
                result = result[0] if isinstance(result, list) and result else result
        try:
            return replace(self._message_post(result), kind="post")
        except PayloadError as error:
            raise PayloadError(f"Telegram: the post was sent but its echo is unreadable: {error}") from None

    def _channel(self) -> str:
        channel = str(self.config.options.get("publish_target") or "").strip()
        if not channel:
            raise ConnectorError("Telegram: set the channel to publish to (@name or id) on the account")
        return channel

    def _send_files(self, method: str, fields: dict, files: dict):
        response = self.http("POST", f"{self.base_url}/{_BOT_SLOT}/{method}", data=fields,
                             files={key: (item.name, item.data, item.mimetype) for key, item in files.items()})
        body = self._body(response)
        if "result" not in body:
            raise PayloadError(f"Telegram: {method} answered without a result")
        return body["result"]

    # -- webhooks --------------------------------------------------------------------
    def parse_webhook(self, request: WebhookRequest) -> list[NormalizedPost]:
        body = ensure_webhook_size(request.body)
        expected = self.config.credentials.get("webhook_secret") or ""
        given = next((value for name, value in request.headers.items() if name.lower() == _HOOK_AUTH_HEADER), "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected("Telegram: missing or wrong secret token")
        update = webhook_json(body)
        try:
            return [self._update_post(update)]
        except PayloadError as error:
            _logger.info("Telegram webhook: update skipped: %s", error)
            self.webhook_skipped.append(SkippedItem(str(error), optional_str(update, "update_id")))
            return []


#: media a person may send instead of (or with) words, as the Bot API names them
_MEDIA = ("photo", "video", "video_note", "voice", "audio", "document", "animation", "sticker", "location", "contact")


def _media_description(message: dict) -> str:
    """``[photo]``, ``[document: invoice.pdf]``, ``[sticker 👍]``, ``[voice 0:07]`` …"""
    kind = next((key for key in _MEDIA if message.get(key)), "")
    if not kind:
        return ""
    media = message[kind] if isinstance(message[kind], dict) else {}
    detail = optional_str(media, "file_name") or optional_str(media, "emoji") or optional_str(media, "phone_number")
    duration = optional_int(media, "duration")
    if not detail and duration:
        detail = f"{duration // 60}:{duration % 60:02d}"
    if kind == "location":
        detail = f"{media.get('latitude')}, {media.get('longitude')}"
    return f"[{kind.replace('_', ' ')} {detail}]".replace(" ]", "]") if detail else f"[{kind.replace('_', ' ')}]"


def _message_url(chat: dict, chat_id: str, message_id: str) -> str:
    """The t.me link of a message: public supergroups and channels by their
    username, private ones (ids ``-100…``) by ``t.me/c/`` for their members;
    private chats and basic groups have no message links."""
    if optional_str(chat, "type") not in ("supergroup", "channel"):
        return ""
    username = optional_str(chat, "username")
    if username:
        return f"https://t.me/{username}/{message_id}"
    return f"https://t.me/c/{chat_id[4:]}/{message_id}" if chat_id.startswith("-100") else ""


CONNECTOR = TelegramConnector
