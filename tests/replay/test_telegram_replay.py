"""Bot API objects of teloxide's tests, many pasted from real Bot API answers
(``../shared/real-api/telegram/``), replayed through the connector: by
``getUpdates`` and by webhook.  Private chats get no link, an anonymous
admin's message is the group's, topic messages thread by topic, and every
update without a message text is a counted skip."""

import json
from collections import Counter
from datetime import datetime, timezone

import pytest

from social_crm.core.connectors.base import WebhookRequest
from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, network_folder

TOKEN = "123:replay"
MESSAGE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post")


@pytest.fixture(scope="module")
def updates():
    """Every recorded object as an update: Message objects wrapped the way the
    Bot API delivers them (channel messages as ``channel_post``)."""
    found = []
    for path in sorted(network_folder("telegram").glob("*/*.json")):
        for name, value in json.loads(path.read_text("utf-8")).items():
            if "update_id" not in value:
                key = "channel_post" if value.get("chat", {}).get("type") == "channel" else "message"
                value = {"update_id": len(found) + 1, key: value}
            found.append((f"{path.name}:{name}", value))
    return found


def message_of(update):
    return next((update[key] for key in MESSAGE_KEYS if isinstance(update.get(key), dict)), None)


def expected_url(chat, message_id):
    if chat["type"] not in ("supergroup", "channel"):
        return ""
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    return f"https://t.me/c/{str(chat['id'])[4:]}/{message_id}"


def check_post(checks, post, message):
    chat = message["chat"]
    sender = message.get("sender_chat") or message.get("from") or chat
    topic = message.get("message_thread_id") if message.get("is_topic_message") else None
    reply_to = (message.get("reply_to_message") or {}).get("message_id")
    checks.equal(post.external_id, f"{chat['id']}:{message['message_id']}", "id")
    checks.equal(post.author.external_id, str(sender["id"]), "author id (sender_chat before from)")
    name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p) or sender.get("title", "")
    checks.equal(post.author.handle, sender.get("username") or name or str(sender["id"]), "author")
    checks.equal(post.text, message.get("text", message.get("caption")), "text")
    checks.equal(post.created_at, datetime.fromtimestamp(message["date"], timezone.utc), "created_at")
    checks.equal(post.url, expected_url(chat, message["message_id"]), "url")
    checks.equal(post.thread_external_id, f"{chat['id']}:{topic}" if topic else str(chat["id"]), "thread")
    parent = f"{chat['id']}:{reply_to}" if reply_to and reply_to != topic else ""
    checks.equal(post.parent_external_id, parent, "parent")
    edited = message.get("edit_date")
    checks.equal(post.edited_at, datetime.fromtimestamp(edited, timezone.utc) if edited else None, "edited")
    checks.equal(post.kind, "message", "kind")
    checks.post()


def test_get_updates(updates):
    imitation = ReplayImitation()
    imitation.queue(f"/bot{TOKEN}/getUpdates", {"ok": True, "result": [update for _name, update in updates]})
    with ImitationServer(imitation) as server:
        connector = build_connector("telegram", server, {"bot_token": TOKEN}, external_id="123")
        reading = read_all(connector, StreamSpec("messages"))
    checks, by_id = FieldChecks(), {p.external_id: p for p in reading.posts}
    texts = [(n, u) for n, u in updates if (m := message_of(u)) and isinstance(m.get("text", m.get("caption")), str)]
    assert len(reading.posts) == len(texts) and len(reading.skipped) == len(updates) - len(texts)
    for _name, update in texts:
        message = message_of(update)
        check_post(checks, by_id[f"{message['chat']['id']}:{message['message_id']}"], message)
    skipped = Counter(s.reason for s in reading.skipped)
    assert any(m.get("sender_chat") and m.get("from") for _n, u in texts if (m := message_of(u)))
    checks.report(f"telegram getUpdates ({len(updates)} updates)", skipped)


def test_webhook(updates):
    connector = build_connector(
        "telegram", type("Server", (), {"url": "http://127.0.0.1:9"})(), {"bot_token": TOKEN, "webhook_secret": "s"}
    )
    checks = FieldChecks()
    for _name, update in updates:
        request = WebhookRequest("POST", {"X-Telegram-Bot-Api-Secret-Token": "s"}, {}, json.dumps(update).encode())
        posts = connector.parse_webhook(request)
        message = message_of(update)
        if message and isinstance(message.get("text", message.get("caption")), str):
            check_post(checks, posts[0], message)
        else:
            assert posts == [] and connector.webhook_skipped[-1].external_id == str(update["update_id"])
    skipped = Counter(s.reason for s in connector.webhook_skipped)
    assert sum(skipped.values()) == len(updates) - checks.items
    checks.report("telegram webhook", skipped)
