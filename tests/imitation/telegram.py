"""Imitation of the Telegram Bot API after the contract sheet: the token in the
path, ``{"ok": …}`` envelopes, an update queue whose ``offset`` confirms (and
forgets) earlier updates, negative offsets, 409 while a webhook is set, 429
with ``parameters.retry_after``, and ``sendMessage`` with ``reply_parameters``."""

from __future__ import annotations

import time

from .server import Request, Response

TOKEN = "123456:AAH-secret_token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Acme Support", "username": "acme_bot"}


def error(code: int, description: str, **parameters) -> Response:
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Response.json(body, code)


class TelegramImitation:
    def __init__(self):
        self.updates: list[dict] = []
        self.next_update_id = 500
        self.next_message_id = {}
        self.webhook_url = ""
        self.secret_token = ""
        self.fail_next = 0
        self.flood_wait = 0
        self.blocked_chats: set[int] = set()
        self.sent: list[dict] = []

    # -- data -----------------------------------------------------------------------
    def user(self, user_id=42, first_name="Alice", username="alice"):
        return {"id": user_id, "is_bot": False, "first_name": first_name, "username": username, "language_code": "en"}

    def add_message(self, text="hello", chat=None, sender=None, kind="message", **fields) -> dict:
        chat = chat or {"id": 42, "type": "private", "first_name": "Alice", "username": "alice"}
        message_id = fields.pop("message_id", None)
        if message_id is None:
            message_id = self.next_message_id.get(chat["id"], 1)
            self.next_message_id[chat["id"]] = message_id + 1
        message = {"message_id": message_id, "from": sender or self.user(), "chat": chat,
                   "date": int(time.time()), "text": text, **fields}
        if message["text"] is None:
            del message["text"]
        return self.add_update({kind: message})

    #: the placeholder Telegram puts in ``from`` of an anonymous group admin's message
    ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}

    @staticmethod
    def supergroup(chat_id=-1001573807542, title="Acme Community", username=None, forum=False) -> dict:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        if username:
            chat["username"] = username
        if forum:
            chat["is_forum"] = True
        return chat

    def add_anonymous_admin_message(self, text, group: dict, signature="Support Lead") -> dict:
        """A message an anonymous admin sent in the group's name: ``sender_chat``
        is the group and ``from`` the GroupAnonymousBot placeholder."""
        return self.add_message(text, chat=group, sender=self.ANONYMOUS_ADMIN, sender_chat=group,
                                author_signature=signature)

    def add_topic(self, name, group: dict) -> dict:
        """A forum topic: its creation service message opens the topic's thread."""
        return self.add_message(None, chat=group, forum_topic_created={"name": name, "icon_color": 7322096})

    def add_topic_message(self, text, group: dict, topic: dict, reply_to: dict | None = None) -> dict:
        """A message in a topic: it carries the topic id and, unless it answers
        a message, ``reply_to_message`` is the topic's creation message."""
        return self.add_message(text, chat=group, message_thread_id=topic["message_id"], is_topic_message=True,
                                reply_to_message=reply_to or topic)

    def add_update(self, content: dict) -> dict:
        update = {"update_id": self.next_update_id, **content}
        self.next_update_id += 1
        self.updates.append(update)
        return update

    # -- HTTP -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.fail_next:
            self.fail_next -= 1
            return Response(502, "Bad Gateway")
        prefix, _sep, method = request.path[1:].partition("/")
        if not prefix.startswith("bot") or ":" not in prefix:
            return error(404, "Not Found")
        if prefix[3:] != TOKEN:
            return error(401, "Unauthorized")
        params = request.json() if request.body else {k: v[0] for k, v in request.query.items()}
        if self.flood_wait:
            return error(429, f"Too Many Requests: retry after {self.flood_wait}", retry_after=self.flood_wait)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return error(404, "Not Found: method not found")
        return handler(params or {})

    @staticmethod
    def ok(result) -> Response:
        return Response.json({"ok": True, "result": result})

    def _getMe(self, params):
        return self.ok(BOT)

    def _getUpdates(self, params):
        if self.webhook_url:
            return error(409, "Conflict: can't use getUpdates method while webhook is active; "
                              "use deleteWebhook to delete the webhook first")
        limit = int(params.get("limit", 100))
        if not 1 <= limit <= 100:
            return error(400, "Bad Request: limit must be in 1-100")
        offset = int(params.get("offset", 0))
        if offset < 0:
            self.updates = self.updates[offset:]  # the older ones are forgotten
        elif offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        allowed = params.get("allowed_updates")
        served = [u for u in self.updates if not allowed or any(key in u for key in allowed)]
        return self.ok(served[:limit])

    def _setWebhook(self, params):
        self.webhook_url = params["url"]
        self.secret_token = params.get("secret_token", "")
        return self.ok(True)

    def _deleteWebhook(self, params):
        self.webhook_url = ""
        return self.ok(True)

    def _sendMessage(self, params):
        text = params.get("text")
        chat_id = params.get("chat_id")
        if not isinstance(text, str) or not 1 <= len(text) <= 4096:
            return error(400, "Bad Request: message is too long" if text else "Bad Request: message text is empty")
        if chat_id in self.blocked_chats:
            return error(403, "Forbidden: bot was blocked by the user")
        known_chats = {u[k]["chat"]["id"]: u[k]["chat"] for u in self.updates for k in u if k != "update_id"}
        chat = known_chats.get(chat_id) or {"id": chat_id, "type": "private"}
        message_id = self.next_message_id.get(chat_id, 1)
        self.next_message_id[chat_id] = message_id + 1
        message = {"message_id": message_id, "from": BOT, "chat": chat, "date": int(time.time()), "text": text}
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        if reply_to:
            message["reply_to_message"] = {"message_id": reply_to, "chat": chat, "date": int(time.time())}
        self.sent.append(params)
        return self.ok(message)
