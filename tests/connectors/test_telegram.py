"""The Telegram connector against the imitation of the Bot API (tests/imitation/telegram.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from social_crm.core.connectors import AccountConfig, WebhookRequest, get_connector_class
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError, WebhookRejected
from social_crm.core.types import StreamSpec
from tests.connectors.reading import read_all
from tests.imitation.server import ImitationServer
from tests.imitation.telegram import TOKEN, TelegramImitation

MESSAGES = StreamSpec("messages")


@pytest.fixture
def api():
    imitation = TelegramImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make(server, token=TOKEN, saved=None, **options):
    return get_connector_class("telegram")(
        AccountConfig(external_id="123456", base_url=server.url,
                      credentials={"bot_token": token, "webhook_secret": "hook-secret"}, options=options),
        on_credentials=saved.append if saved is not None else None,
        sleep=lambda seconds: None,
    )


def test_updates_page_through_and_later_polls_read_only_new(api):
    imitation, server = api
    for i in range(7):
        imitation.add_message(f"hello {i}")
    connector = make(server, page_size=3)
    posts, _skipped, cursor, pages = read_all(connector, MESSAGES)
    assert [p.text for p in posts] == [f"hello {i}" for i in range(7)]
    assert pages == 3
    assert posts[0].external_id == "42:1" and posts[0].thread_external_id == "42"
    assert posts[0].author.handle == "alice" and posts[0].kind == "message" and posts[0].language_hint == "en"
    imitation.add_message("new one")
    posts, _skipped, cursor, _pages = read_all(connector, MESSAGES, cursor=cursor)
    assert [p.text for p in posts] == ["new one"]
    # the stored offset confirmed the first batch: Telegram forgot it
    assert [u["update_id"] for u in imitation.updates] == [507]
    assert read_all(make(server), MESSAGES, cursor=cursor)[0] == []


def test_resuming_from_a_stored_cursor(api):
    imitation, server = api
    for i in range(5):
        imitation.add_message(f"m{i}")
    first = make(server, page_size=2).fetch_page(MESSAGES, "")
    rest, _skipped, _cursor, _pages = read_all(make(server, page_size=2), MESSAGES, cursor=first.cursor)
    assert [p.text for p in first.posts + rest] == [f"m{i}" for i in range(5)]


def test_backfill_limit_keeps_only_the_latest_updates(api):
    imitation, server = api
    for i in range(10):
        imitation.add_message(f"m{i}")
    posts, _skipped, cursor, _pages = read_all(make(server), StreamSpec("messages", backfill_limit=4))
    assert [p.text for p in posts] == ["m6", "m7", "m8", "m9"]
    imitation.add_message("later")
    assert [p.text for p in read_all(make(server), MESSAGES, cursor=cursor)[0]] == ["later"]


def test_edits_replies_channels_and_skipped_updates(api):
    imitation, server = api
    original = imitation.add_message("helo")["message"]
    imitation.add_message("hello", kind="edited_message", message_id=original["message_id"],
                          edit_date=original["date"] + 60, date=original["date"])
    imitation.add_message("answer", reply_to_message={"message_id": original["message_id"]})
    channel = {"id": -1001234567890123, "type": "channel", "title": "Acme News", "username": "acmenews"}
    imitation.add_message("channel post", chat=channel, sender=None, kind="channel_post")
    imitation.updates[-1]["channel_post"].pop("from")
    imitation.add_message(None, photo=[{"file_id": "x"}])  # a bare photo
    imitation.add_update({"message": {"message_id": 9, "chat": {"id": 42}, "date": "not a date", "text": "x"}})
    imitation.add_update({"message": "garbage"})
    page = make(server).fetch_page(MESSAGES, "")
    first, edit, answer, post, photo = page.posts
    assert photo.text == "[photo]", "a photo without caption is a message, described"
    assert edit.external_id == first.external_id and edit.text == "hello"
    assert edit.edited_at == first.created_at + timedelta(seconds=60)
    assert answer.parent_external_id == first.external_id
    assert post.external_id == "-1001234567890123:1" and post.author.display_name == "Acme News"
    assert post.url == "https://t.me/acmenews/1"
    assert len(page.skipped) == 2 and "timestamp" in page.skipped[0].reason
    # skipped updates still move the offset on: they are not read again
    assert make(server).fetch_page(MESSAGES, page.cursor).posts == []


def test_hostile_texts_pass_through_as_data(api):
    imitation, server = api
    texts = ["<script>alert(1)</script><b>x</b>", "שלום עולם", "🙂👍🏽🇨🇿", "ж" * 100_000, "a\x00b"]
    for text in texts:
        imitation.add_message(text)
    posts = make(server).fetch_page(MESSAGES, "").posts
    assert [p.text for p in posts] == texts[:4] + ["ab"]


def test_reply_threads_to_the_message_and_respects_the_limit(api):
    imitation, server = api
    imitation.add_message("need help")
    connector = make(server)
    parent = connector.fetch_page(MESSAGES, "").posts[0]
    reply = connector.reply(parent, "We are on it 👍")
    assert imitation.sent[-1] == {"chat_id": 42, "text": "We are on it 👍",
                                  "reply_parameters": {"message_id": 1, "allow_sending_without_reply": True}}
    assert reply.external_id == "42:2" and reply.parent_external_id == parent.external_id
    assert reply.author.handle == "acme_bot"
    requests_before = len(server.requests)
    with pytest.raises(ConnectorError, match="4096"):
        connector.reply(parent, "x" * 4097)
    assert len(server.requests) == requests_before
    imitation.blocked_chats.add(42)
    with pytest.raises(ConnectorError, match="blocked") as raised:
        connector.reply(parent, "still there?")
    assert not isinstance(raised.value, AuthError)


def test_flood_control_raises_rate_limited_with_retry_after(api):
    imitation, server = api
    imitation.flood_wait = 34
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as raised:
        make(server).fetch_page(MESSAGES, "")
    assert before + timedelta(seconds=33) <= raised.value.reset_at <= datetime.now(timezone.utc) + timedelta(seconds=35)
    assert len(server.requests) == 1


def test_server_errors_are_retried_then_reported(api):
    imitation, server = api
    imitation.add_message("hi")
    imitation.fail_next = 2
    assert len(make(server).fetch_page(MESSAGES, "").posts) == 1
    imitation.fail_next = 50
    with pytest.raises(TransientError) as raised:
        make(server).fetch_page(MESSAGES, "")
    assert TOKEN not in str(raised.value)


def test_bad_token_and_webhook_conflict(api, caplog):
    imitation, server = api
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as raised:
        make(server, token="123456:wrong").fetch_page(MESSAGES, "")
    assert "wrong" not in str(raised.value)
    assert make(server).check_connection() == "acme_bot"
    imitation.webhook_url = "https://odoo.example/hook"
    with pytest.raises(ConnectorError, match="webhook is set"):
        make(server).fetch_page(MESSAGES, "")
    assert TOKEN not in caplog.text and "123456:wrong" not in caplog.text


def test_connection_errors_never_show_the_token(caplog):
    caplog.set_level(logging.DEBUG)
    connector = get_connector_class("telegram")(
        AccountConfig(base_url="http://127.0.0.1:9", credentials={"bot_token": TOKEN}), sleep=lambda s: None
    )
    with pytest.raises(TransientError) as raised:
        connector.fetch_page(MESSAGES, "")
    assert TOKEN not in str(raised.value) and TOKEN not in caplog.text


def test_register_webhook_makes_and_saves_a_secret(api):
    imitation, server = api
    saved = []
    connector = get_connector_class("telegram")(
        AccountConfig(base_url=server.url, credentials={"bot_token": TOKEN}), on_credentials=saved.append,
        sleep=lambda s: None,
    )
    connector.register_webhook("https://odoo.example/social/webhook/telegram/7")
    assert imitation.webhook_url == "https://odoo.example/social/webhook/telegram/7"
    assert imitation.secret_token == saved[-1]["webhook_secret"] and len(imitation.secret_token) >= 32
    connector.delete_webhook()
    assert imitation.webhook_url == ""


def test_webhook_updates_need_the_secret_token(api):
    _imitation, server = api
    connector = make(server)
    body = (b'{"update_id": 9, "message": {"message_id": 5, "date": 1767225600, "text": "via hook",'
            b' "chat": {"id": 42, "type": "private"}, "from": {"id": 42, "first_name": "Alice"}}}')
    [post] = connector.parse_webhook(WebhookRequest("POST", {"X-Telegram-Bot-Api-Secret-Token": "hook-secret"}, {},
                                                    body))
    assert post.external_id == "42:5" and post.text == "via hook"
    assert post.created_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
        with pytest.raises(WebhookRejected):
            connector.parse_webhook(WebhookRequest("POST", headers, {}, body))
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(WebhookRequest("POST", {"X-Telegram-Bot-Api-Secret-Token": "hook-secret"}, {},
                                               b" " * 1_000_001))
    assert connector.parse_webhook(
        WebhookRequest("POST", {"x-telegram-bot-api-secret-token": "hook-secret"}, {}, b'{"update_id": 10}')
    ) == []


def test_private_chats_have_no_link_anonymous_admins_write_as_the_group_topics_thread(api):
    imitation, server = api
    imitation.add_message("my card was charged twice")  # a private chat with a username
    group = imitation.supergroup(username="acme_talk", forum=True)
    imitation.add_anonymous_admin_message("Maintenance tonight at 22:00", group)
    topic = imitation.add_topic("Billing", group)["message"]
    question = imitation.add_topic_message("invoice missing", group, topic)["message"]
    imitation.add_topic_message("which month?", group, topic, reply_to=question)
    hidden = imitation.supergroup(chat_id=-1009876543210, title="Acme VIP")
    imitation.add_message("hi from a private group", chat=hidden)
    posts, skipped, _cursor, _pages = read_all(make(server), MESSAGES)
    private, admin, in_topic, answer, in_private_group = posts
    assert private.url == "" and private.author.handle == "alice"
    assert (admin.author.handle, admin.author.display_name) == ("acme_talk", "Acme Community")
    assert admin.author.external_id == str(group["id"]) and admin.url == f"https://t.me/acme_talk/{admin.external_id[-1]}"
    assert in_topic.thread_external_id == f"{group['id']}:{topic['message_id']}" and not in_topic.parent_external_id
    assert answer.thread_external_id == in_topic.thread_external_id
    assert answer.parent_external_id == in_topic.external_id
    assert in_private_group.url == "https://t.me/c/9876543210/1"
    assert [s.reason for s in skipped] == ["message has no text and no media (a service message, dice or poll)"]


def test_media_messages_are_stored_with_a_description(api):
    imitation, server = api
    imitation.add_message(None, voice={"file_id": "v1", "duration": 67, "mime_type": "audio/ogg"})
    imitation.add_message(None, document={"file_id": "d1", "file_name": "invoice-1042.pdf"},
                          caption="this one is wrong")
    imitation.add_message(None, sticker={"file_id": "s1", "emoji": "😡"})
    posts, skipped, _cursor, _pages = read_all(make(server), MESSAGES)
    assert not skipped
    assert [p.text for p in posts] == ["[voice 1:07]", "[document invoice-1042.pdf]\nthis one is wrong", "[sticker 😡]"]
