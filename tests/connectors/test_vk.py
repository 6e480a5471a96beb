"""The VK connector against the imitation of the VK API (tests/imitation/vk.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from social_crm.core.connectors import AccountConfig, WebhookRequest, get_connector_class
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError, WebhookRejected
from social_crm.core.types import StreamSpec
from tests.connectors.reading import read_all
from tests.imitation.server import ImitationServer
from tests.imitation.vk import GROUP_ID, TOKEN, VKImitation

CREDENTIALS = {"access_token": TOKEN, "confirmation_code": "a1b2c3d4", "callback_secret": "cb-secret"}


@pytest.fixture
def api():
    imitation = VKImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make(server, credentials=None, **options):
    return get_connector_class("vk")(
        AccountConfig(external_id=str(GROUP_ID), handle="acme", base_url=f"{server.url}/method",
                      credentials=dict(CREDENTIALS if credentials is None else credentials), options=options),
        sleep=lambda seconds: None,
    )


def test_wall_posts_by_others_page_through_and_later_polls_read_only_new(api):
    imitation, server = api
    posts = [imitation.add_post(f"Вопрос {i}") for i in range(7)]
    imitation.add_post("our own news", from_id=-GROUP_ID)
    imitation.add_post("old pinned", date=1_600_000_000, is_pinned=1)
    connector = make(server, page_size=3)
    read, _skipped, cursor, pages = read_all(connector, StreamSpec("mentions"))
    assert [p.external_id for p in read] == [f"-{GROUP_ID}_{p['id']}" for p in reversed(posts)]
    assert read[0].author.display_name == "Ivan Petrov" and read[0].url == f"https://vk.com/wall-{GROUP_ID}_7"
    assert read[0].metrics.views == 90 and read[0].kind == "mention"
    assert all(params["v"] == "5.199" and "access_token" not in params for _method, params in imitation.calls)
    new = imitation.add_post("Новый вопрос")
    read, _skipped, _cursor, pages = read_all(connector, StreamSpec("mentions"), cursor)
    assert [p.external_id for p in read] == [f"-{GROUP_ID}_{new['id']}"] and pages == 1


def test_backfill_cap_and_resume(api):
    imitation, server = api
    for i in range(9):
        imitation.add_post(f"post {i}")
    first = make(server, page_size=4).fetch_page(StreamSpec("mentions"), "")
    rest, _skipped, _cursor, _pages = read_all(make(server, page_size=4), StreamSpec("mentions"), first.cursor)
    assert len({p.external_id for p in first.posts + rest}) == len(first.posts + rest) == 9
    capped, _skipped, cursor, _pages = read_all(make(server, page_size=4), StreamSpec("mentions", backfill_limit=5))
    assert [p.text for p in capped] == [f"post {i}" for i in range(8, 3, -1)]
    assert read_all(make(server), StreamSpec("mentions", backfill_limit=5), cursor)[0] == []


def test_newsfeed_search_follows_next_from(api):
    imitation, server = api
    for i in range(5):
        imitation.add_post(f"acme роутер {i}", owner_id=501)
    imitation.add_post("other topic", owner_id=502)
    connector = make(server, page_size=2)
    read, _skipped, cursor, pages = read_all(connector, StreamSpec("search", query="acme"))
    assert len(read) == 5 and pages == 3
    assert [params.get("start_from") for method, params in imitation.calls] == [None, "2", "4"]
    new = imitation.add_post("acme again", owner_id=501)
    read, _skipped, _cursor, _pages = read_all(connector, StreamSpec("search", query="acme"), cursor)
    assert [p.external_id for p in read] == [f"501_{new['id']}"]
    assert "start_time" in imitation.calls[-1][1]


def test_comments_of_recent_posts_with_threads(api):
    imitation, server = api
    first, second = imitation.add_post("news 1", from_id=-GROUP_ID), imitation.add_post("news 2", from_id=-GROUP_ID)
    top = [imitation.add_comment(first, f"comment {i}") for i in range(5)]
    reply = imitation.add_comment(first, "a reply", from_id=501, reply_to=top[0])
    other = imitation.add_comment(second, "on the second post")
    connector = make(server, page_size=2)
    read, _skipped, cursor, pages = read_all(connector, StreamSpec("comments"))
    assert sorted(p.text for p in read) == sorted([c["text"] for c in top] + ["a reply", "on the second post"])
    threaded = next(p for p in read if p.text == "a reply")
    thread = f"-{GROUP_ID}_{first['id']}"
    assert threaded.external_id == f"{thread}_{reply['id']}"
    assert threaded.parent_external_id == f"{thread}_{top[0]['id']}"
    assert next(p for p in read if p.text == "comment 1").parent_external_id == thread
    assert pages == 4 and other["id"] > reply["id"]
    new = imitation.add_comment(second, "new comment")
    imitation.calls.clear()
    read, _skipped, cursor, _pages = read_all(connector, StreamSpec("comments"), cursor)
    assert [p.text for p in read] == ["new comment"]
    # sorted newest first, one page per post meets the known comments
    assert len([m for m, _p in imitation.calls if m == "wall.getComments"]) == 2
    assert new["id"] > other["id"]
    listed = read_all(make(server), StreamSpec("comments", query=f"-{GROUP_ID}_{second['id']}"))[0]
    assert [p.text for p in listed] == ["new comment", "on the second post"]
    with pytest.raises(ConnectorError):
        make(server).fetch_page(StreamSpec("comments", query="wall123"), "")


def test_messages_read_new_history_of_active_conversations(api):
    imitation, server = api
    imitation.add_message("Здравствуйте", peer_id=501)
    imitation.add_message("Есть вопрос", peer_id=502)
    imitation.add_message("Ещё тут?", peer_id=501)
    connector = make(server, page_size=1)
    read, _skipped, cursor, pages = read_all(connector, StreamSpec("messages"))
    assert sorted(p.text for p in read) == sorted(["Здравствуйте", "Есть вопрос", "Ещё тут?"]) and pages == 2
    assert read[0].thread_external_id == "501" and read[0].author.handle == "ivan"
    imitation.add_message("Ответьте", peer_id=502)
    imitation.calls.clear()
    read, _skipped, _cursor, _pages = read_all(connector, StreamSpec("messages"), cursor)
    assert [p.text for p in read] == ["Ответьте"]
    assert [m for m, _p in imitation.calls] == ["messages.getConversations", "messages.getHistory",
                                                "messages.getConversations"]


def test_errors_in_200_bodies(api):
    imitation, server = api
    imitation.add_post("x")
    with pytest.raises(AuthError) as raised:
        make(server, {"access_token": "stolen-token"}).fetch_page(StreamSpec("mentions"), "")
    assert "stolen-token" not in str(raised.value)
    before = datetime.now(timezone.utc)
    for code, wait in ((6, 1), (9, 60), (29, 3600)):
        imitation.error_code = code
        with pytest.raises(RateLimited) as raised:
            make(server).fetch_page(StreamSpec("mentions"), "")
        assert raised.value.reset_at >= before + timedelta(seconds=wait)
    imitation.error_code = 14
    with pytest.raises(ConnectorError, match="captcha"):
        make(server).fetch_page(StreamSpec("mentions"), "")
    imitation.error_code = 0
    assert make(server).check_connection() == "acme"


def test_server_errors_are_retried_then_reported(api):
    imitation, server = api
    imitation.add_post("x")
    imitation.fail_next = 3
    assert len(make(server).fetch_page(StreamSpec("mentions"), "").posts) == 1
    imitation.fail_next = 50
    with pytest.raises(TransientError):
        make(server).fetch_page(StreamSpec("mentions"), "")


def test_hostile_and_malformed_items(api):
    imitation, server = api
    texts = ["<script>alert(1)</script>", "مرحبا", "🔥💯", "я" * 100_000]
    for text in texts:
        imitation.add_post(text)
    imitation.add_post("bad date", date=1_700_000_000)["date"] = "вчера"
    imitation.add_post("no id").pop("id")
    imitation.add_post("text")["text"] = ["list"]
    page = make(server).fetch_page(StreamSpec("mentions"), "")
    assert sorted(p.text for p in page.posts) == sorted(texts)
    assert sorted(s.reason for s in page.skipped) == [
        "date is missing or not a number", "id is missing or not a number", "text is a list, not a string"]


def test_replies_to_comments_posts_and_messages(api):
    imitation, server = api
    post = imitation.add_post("our news", from_id=-GROUP_ID)
    comment = imitation.add_comment(post, "how much?")
    imitation.add_message("hello", peer_id=502)
    connector = make(server)
    [parent] = connector.fetch_page(StreamSpec("comments"), "").posts
    reply = connector.reply(parent, "100 ₽")
    method, params = imitation.calls[-1]
    assert method == "wall.createComment"
    assert params["reply_to_comment"] == str(comment["id"]) and params["from_group"] == str(GROUP_ID)
    assert params["owner_id"] == f"-{GROUP_ID}" and params["post_id"] == str(post["id"])
    assert reply.external_id == f"-{GROUP_ID}_{post['id']}_{imitation.next_comment_id}"
    assert reply.author.external_id == f"-{GROUP_ID}" and reply.thread_external_id == parent.thread_external_id
    [message] = connector.fetch_page(StreamSpec("messages"), "").posts
    sent = connector.reply(message, "Добрый день")
    method, params = imitation.calls[-1]
    assert method == "messages.send" and params["peer_id"] == "502"
    assert 0 < int(params["random_id"]) < 2**31 and sent.external_id == str(imitation.messages[-1]["id"])
    with pytest.raises(ConnectorError, match="4096"):
        connector.reply(message, "x" * 4097)
    published = connector.publish("Hello VK")
    assert published.external_id == f"-{GROUP_ID}_{imitation.posts[-1]['id']}"


# -- Callback API -----------------------------------------------------------------------


def callback(event: dict) -> WebhookRequest:
    return WebhookRequest("POST", {"Content-Type": "application/json"}, {}, json.dumps(event).encode())


def test_confirmation_handshake(api):
    _imitation, server = api
    connector = make(server)
    answer = connector.webhook_handshake(callback({"type": "confirmation", "group_id": GROUP_ID}))
    assert answer.body == "a1b2c3d4" and answer.content_type == "text/plain"
    with pytest.raises(WebhookRejected):
        connector.webhook_handshake(callback({"type": "confirmation", "group_id": 999}))
    assert connector.webhook_handshake(callback({"type": "wall_reply_new", "group_id": GROUP_ID})) is None


def test_callback_events(api):
    _imitation, server = api
    connector = make(server)
    base = {"group_id": GROUP_ID, "v": "5.199", "secret": "cb-secret"}
    comment = {"id": 1201, "from_id": 501, "date": 1772355600, "text": "Когда доставка?", "post_id": 7,
               "owner_id": -GROUP_ID, "post_owner_id": -GROUP_ID, "parents_stack": []}
    [new] = connector.parse_webhook(callback({**base, "type": "wall_reply_new", "event_id": "e1", "object": comment}))
    [edited] = connector.parse_webhook(callback({**base, "type": "wall_reply_edit", "event_id": "e2",
                                                 "object": {**comment, "text": "Когда доставка??"}}))
    [deleted] = connector.parse_webhook(callback({**base, "type": "wall_reply_delete", "event_id": "e3", "object": {
        "owner_id": -GROUP_ID, "id": 1201, "post_id": 7, "user_id": 502}}))  # the official schema's form
    assert new.external_id == edited.external_id == deleted.external_id == f"-{GROUP_ID}_7_1201"
    assert new.created_at == datetime.fromtimestamp(1772355600, tz=timezone.utc) and new.edited_at is None
    assert edited.edited_at is not None and edited.text == "Когда доставка??" and deleted.deleted
    assert deleted.author.external_id == "502", "the deleter, not the wall's owner"
    [by_doc] = connector.parse_webhook(callback({**base, "type": "wall_reply_delete", "event_id": "e6", "object": {
        "owner_id": -GROUP_ID, "id": 1202, "post_id": 7, "deleter_id": 503, "user_id": 503}}))
    assert by_doc.author.external_id == "503"
    [message] = connector.parse_webhook(callback({**base, "type": "message_new", "event_id": "e4", "object": {
        "message": {"id": 6001, "date": 1772355600, "peer_id": 501, "from_id": 501, "text": "Привет"},
        "client_info": {}}}))
    assert message.kind == "message" and message.thread_external_id == "501"
    [wall_post] = connector.parse_webhook(callback({**base, "type": "wall_post_new", "event_id": "e5", "object": {
        "id": 9, "owner_id": -GROUP_ID, "from_id": 502, "date": 1772355600, "text": "Отзыв"}}))
    assert wall_post.kind == "mention" and wall_post.external_id == f"-{GROUP_ID}_9"
    assert connector.parse_webhook(callback({**base, "type": "group_join", "object": {"user_id": 1}})) == []
    assert connector.webhook_skipped[-1].reason == "a group_join event, not a post"
    assert connector.parse_webhook(callback({**base, "type": "wall_reply_new", "object": {"id": "x"}})) == []


def test_callback_secret_is_required(api):
    _imitation, server = api
    connector = make(server)
    event = {"type": "message_new", "group_id": GROUP_ID, "object": {}}
    for secret in ({}, {"secret": "guess"}, {"secret": 123}):
        with pytest.raises(WebhookRejected):
            connector.parse_webhook(callback({**event, **secret}))
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(callback({**event, "secret": "cb-secret", "pad": "x" * 1_000_001}))


def test_a_deleted_comment_with_replies_and_its_delete_event(api):
    imitation, server = api
    post = imitation.add_post("news", from_id=-GROUP_ID)
    top = imitation.add_comment(post, "rude words")
    imitation.add_comment(post, "calm down", from_id=503, reply_to=top)
    imitation.delete_comment(top)
    read = read_all(make(server), StreamSpec("comments"))[0]
    deleted = next(p for p in read if p.external_id.endswith(f"_{top['id']}"))
    assert deleted.deleted and deleted.text == ""
    assert [p.text for p in read if not p.deleted] == ["calm down"]
    base = {"group_id": GROUP_ID, "v": "5.199", "secret": "cb-secret", "type": "wall_reply_delete", "event_id": "d1"}
    event = {**base, "object": imitation.reply_delete_event(top, deleter_id=777)}
    [gone] = make(server).parse_webhook(callback(event))
    assert gone.deleted and gone.author.external_id == "777" and gone.external_id == deleted.external_id
