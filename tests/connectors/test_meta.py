"""The Facebook Page and Instagram connectors against the imitation of the
Meta Graph API (tests/imitation/meta.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from social_crm.core.connectors import AccountConfig, WebhookRequest, get_connector_class
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError, WebhookRejected
from social_crm.core.types import StreamSpec
from tests.connectors.reading import read_all
from tests.imitation.meta import IG_ID, PAGE_ID, PAGE_TOKEN, VERSION, MetaImitation
from tests.imitation.server import ImitationServer

CREDENTIALS = {"app_id": "app-1", "app_secret": "app-secret", "verify_token": "verify-me",
               "access_token": PAGE_TOKEN, "page_id": PAGE_ID}
COMMENTS, MENTIONS, MESSAGES = StreamSpec("comments"), StreamSpec("mentions"), StreamSpec("messages")


@pytest.fixture
def api():
    imitation = MetaImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make(server, network="facebook", credentials=None, **options):
    external_id = PAGE_ID if network == "facebook" else IG_ID
    return get_connector_class(network)(
        AccountConfig(external_id=external_id, handle="acme", base_url=f"{server.url}/{VERSION}",
                      credentials=dict(CREDENTIALS if credentials is None else credentials), options=options),
        sleep=lambda seconds: None,
    )


def minutes(n):
    return datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=n)


def fill_comments(imitation):
    first, second = imitation.add_post(minutes(0)), imitation.add_post(minutes(1))
    a = [imitation.add_comment(first["id"], minutes(10 + i), f"first {i}") for i in range(7)]
    b = [imitation.add_comment(second["id"], minutes(20 + i), f"second {i}") for i in range(2)]
    b.append(imitation.add_comment(second["id"], minutes(30), "nested", parent=b[0]["id"]))
    return first, second, a, b


def test_facebook_comments_page_through_posts_and_later_polls_read_only_new(api):
    imitation, server = api
    first, second, a, b = fill_comments(imitation)
    connector = make(server, page_size=3)
    posts, _skipped, cursor, pages = read_all(connector, COMMENTS)
    assert sorted(p.external_id for p in posts) == sorted(c["id"] for c in a + b)
    assert pages == 4  # 3 + 3 + 1 comments of the first post, 3 of the second
    nested = next(p for p in posts if p.text == "nested")
    assert nested.parent_external_id == b[0]["id"] and nested.thread_external_id == second["id"]
    assert next(p for p in posts if p.text == "first 0").parent_external_id == first["id"]
    assert all(r.arg("order") == "reverse_chronological" for r in server.requests if r.path.endswith("/comments"))

    new = imitation.add_comment(first["id"], minutes(60), "a new one")
    server.requests.clear()
    posts, _skipped, cursor, pages = read_all(connector, COMMENTS, cursor)
    assert [p.external_id for p in posts] == [new["id"]]
    # newest first: one page per post is enough to meet the previous run
    assert len([r for r in server.requests if r.path.endswith("/comments")]) == 2
    assert read_all(connector, COMMENTS, cursor)[0] == []


def test_comments_resume_from_a_stored_cursor_and_respect_the_backfill_cap(api):
    imitation, server = api
    fill_comments(imitation)
    first = make(server, page_size=3).fetch_page(COMMENTS, "")
    rest, _skipped, _cursor, _pages = read_all(make(server, page_size=3), COMMENTS, first.cursor)
    ids = [p.external_id for p in first.posts + rest]
    assert len(ids) == len(set(ids)) == 10

    posts, _skipped, cursor, _pages = read_all(make(server, page_size=3), StreamSpec("comments", backfill_limit=4))
    assert len(posts) == 4
    later = imitation.add_comment(imitation.feed[0]["id"], minutes(90), "later")
    assert [p.external_id for p in read_all(make(server), COMMENTS, cursor)[0]] == [later["id"]]


def test_comments_of_listed_posts(api):
    imitation, server = api
    first, _second, a, _b = fill_comments(imitation)
    posts, _skipped, _cursor, _pages = read_all(make(server), StreamSpec("comments", query=first["id"]))
    assert sorted(p.external_id for p in posts) == sorted(c["id"] for c in a)
    assert not any(r.path.endswith("/feed") for r in server.requests)


def test_facebook_mentions_are_tagged_posts(api):
    imitation, server = api
    for i in range(5):
        imitation.tagged.insert(0, {"id": f"777_{i}", "message": f"Thanks @Acme {i}",
                                    "created_time": minutes(i).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                                    "from": {"id": "5002", "name": "Dana"}})
    connector = make(server, page_size=2)
    posts, _skipped, cursor, pages = read_all(connector, MENTIONS)
    assert [p.external_id for p in posts] == [f"777_{i}" for i in reversed(range(5))] and pages == 3
    assert posts[0].kind == "mention" and posts[0].created_at == minutes(4)
    imitation.tagged.insert(0, {"id": "777_9", "message": "again", "created_time": "2026-03-01T10:00:00+0000",
                                "from": {"id": "5002", "name": "Dana"}})
    assert [p.external_id for p in read_all(connector, MENTIONS, cursor)[0]] == ["777_9"]


def test_messenger_conversations_and_later_polls(api):
    imitation, server = api
    alice, bob = {"id": "psid-1", "name": "Alice", "email": "psid-1@facebook.com"}, {"id": "psid-2", "name": "Bob"}
    imitation.add_conversation(minutes(5), [(minutes(1), "hi", alice), (minutes(5), "anyone?", alice)])
    imitation.add_conversation(minutes(3), [(minutes(3), "question", bob)])
    imitation.add_conversation(minutes(2), [(minutes(2), "old", bob)])
    connector = make(server, page_size=2)
    posts, _skipped, cursor, pages = read_all(connector, MESSAGES)
    assert sorted(p.text for p in posts) == ["anyone?", "hi", "old", "question"] and pages == 2
    # Messenger's relay address is not the person's e-mail: matching must not take it for one
    assert posts[0].kind == "message" and posts[0].author.email == ""
    assert all(r.arg("platform") == "messenger" for r in server.requests)
    conversation = imitation.conversations[-1]
    conversation["messages"]["data"].insert(0, {"id": "m_new", "message": "back again", "from": bob,
                                                "created_time": "2026-03-01T10:00:00+0000"})
    conversation["updated_time"] = "2026-03-01T10:00:00+0000"
    imitation.conversations.sort(key=lambda c: c["updated_time"], reverse=True)
    server.requests.clear()
    posts, _skipped, _cursor, _pages = read_all(connector, MESSAGES, cursor)
    assert [p.text for p in posts] == ["back again"]


def test_instagram_comments_replies_mentions_and_messages(api):
    imitation, server = api
    media = imitation.add_media(minutes(0))
    top = imitation.add_ig_comment(media["id"], minutes(1), "love it", replies=["me too"])
    imitation.add_ig_comment(media["id"], minutes(3), "price?")
    imitation.ig_tags.append({"id": "1795", "caption": "with @acme.ig", "timestamp": "2026-03-01T09:00:00+0000",
                              "username": "dave.ig", "permalink": "https://instagram.com/p/y"})
    connector = make(server, "instagram")
    posts, _skipped, cursor, _pages = read_all(connector, COMMENTS)
    assert [p.text for p in posts] == ["love it", "me too", "price?"]
    assert posts[1].parent_external_id == top["id"] and posts[1].thread_external_id == media["id"]
    assert posts[0].author.handle == "bob.ig" and posts[0].author.url == "https://www.instagram.com/bob.ig"
    imitation.add_ig_comment(media["id"], minutes(9), "any news?")
    assert [p.text for p in read_all(connector, COMMENTS, cursor)[0]] == ["any news?"]
    [mention] = connector.fetch_page(MENTIONS, "").posts
    assert mention.kind == "mention" and mention.author.handle == "dave.ig" and mention.text == "with @acme.ig"
    connector.fetch_page(MESSAGES, "")
    assert server.requests[-1].path == f"/{VERSION}/{PAGE_ID}/conversations"
    assert server.requests[-1].arg("platform") == "instagram"


def test_throttling_codes_are_rate_limits(api):
    imitation, server = api
    imitation.add_post(minutes(0))
    connector = make(server)
    page = connector.fetch_page(COMMENTS, "")
    assert page.rate_limit.remaining == 88 and page.rate_limit.limit == 100
    imitation.throttle = (400, 80001, 7)
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as raised:
        connector.fetch_page(COMMENTS, "")
    assert before + timedelta(minutes=7) <= raised.value.reset_at <= datetime.now(timezone.utc) + timedelta(minutes=7)
    imitation.throttle = (403, 4, 0)  # no estimate: the default wait
    with pytest.raises(RateLimited) as raised:
        connector.fetch_page(COMMENTS, "")
    assert raised.value.reset_at >= before + timedelta(minutes=10)
    assert len(server.requests) == 4  # never retried inside the connector


def test_server_errors_are_retried_then_reported(api):
    imitation, server = api
    imitation.add_post(minutes(0))
    imitation.fail_next = 2
    make(server).fetch_page(COMMENTS, "")
    imitation.fail_next = 50
    with pytest.raises(TransientError):
        make(server).fetch_page(COMMENTS, "")


def test_invalid_token_is_an_auth_error(api):
    _imitation, server = api
    with pytest.raises(AuthError) as raised:
        make(server, credentials={**CREDENTIALS, "access_token": "expired-secret"}).fetch_page(COMMENTS, "")
    assert "expired-secret" not in str(raised.value)
    assert make(server).check_connection() == "Acme Page"
    assert make(server, "instagram").check_connection() == "acme.ig"


def test_facebook_replies_and_publish(api):
    imitation, server = api
    fill_comments(imitation)
    connector = make(server)
    posts = read_all(connector, COMMENTS)[0]
    top = next(p for p in posts if p.text == "second 0")
    nested = next(p for p in posts if p.text == "nested")
    reply = connector.reply(top, "Thanks <3")
    assert imitation.posted[-1] == (f"/{top.external_id}/comments", {"message": "Thanks <3"})
    assert reply.parent_external_id == top.external_id and reply.author.external_id == PAGE_ID
    connector.reply(nested, "Facebook nests one level only")
    assert imitation.posted[-1][0] == f"/{top.external_id}/comments"
    with pytest.raises(ConnectorError, match="8000"):
        connector.reply(top, "x" * 8001)
    post = connector.publish("Big news")
    assert imitation.posted[-1] == (f"/{PAGE_ID}/feed", {"message": "Big news"})
    assert post.external_id == imitation.feed[0]["id"]


def test_message_replies_use_the_send_api_within_the_window(api):
    imitation, server = api
    recent = {"id": "psid-1", "name": "Alice"}
    imitation.add_conversation(imitation.now, [(imitation.now - timedelta(hours=1), "help!", recent)])
    imitation.add_conversation(minutes(0), [(minutes(0), "long ago", {"id": "psid-2", "name": "Bob"})])
    connector = make(server)
    fresh, stale = sorted(connector.fetch_page(MESSAGES, "").posts, key=lambda p: p.text)
    reply = connector.reply(fresh, "Hello Alice")
    assert imitation.posted[-1] == (f"/{PAGE_ID}/messages", {
        "recipient": {"id": "psid-1"}, "messaging_type": "RESPONSE", "message": {"text": "Hello Alice"}})
    assert reply.kind == "message" and reply.thread_external_id == fresh.thread_external_id
    with pytest.raises(ConnectorError, match="24 hours"):
        connector.reply(stale, "Sorry for the delay")
    count = len(server.requests)
    with pytest.raises(ConnectorError, match="2000"):
        connector.reply(fresh, "x" * 2001)
    assert len(server.requests) == count


def test_instagram_replies_go_to_top_level_comments_and_mentions(api):
    imitation, server = api
    media = imitation.add_media(minutes(0))
    imitation.add_ig_comment(media["id"], minutes(1), "love it", replies=["me too"])
    imitation.ig_tags.append({"id": "1795", "caption": "@acme.ig", "timestamp": "2026-03-01T09:00:00+0000",
                              "username": "dave.ig"})
    connector = make(server, "instagram")
    top, nested = read_all(connector, COMMENTS)[0]
    connector.reply(nested, "Thanks both")
    assert imitation.posted[-1] == (f"/{top.external_id}/replies", {"message": "Thanks both"})
    [mention] = connector.fetch_page(MENTIONS, "").posts
    connector.reply(mention, "Thanks for the tag")
    assert imitation.posted[-1] == (f"/{IG_ID}/mentions", {"media_id": "1795", "message": "Thanks for the tag"})
    with pytest.raises(ConnectorError, match="2200"):
        connector.reply(top, "x" * 2201)


def test_facebook_login_exchanges_for_a_long_lived_page_token(api):
    imitation, server = api
    connector = make(server, credentials={"app_id": "app-1", "app_secret": "app-secret"})
    url, kept = connector.authorization_url("https://odoo.example/cb", "st-1")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"https://www.facebook.com/{VERSION}/dialog/oauth")
    assert query["client_id"] == ["app-1"] and query["state"] == ["st-1"] and "pages_messaging" in query["scope"][0]
    credentials = connector.fetch_token("https://odoo.example/cb", "https://odoo.example/cb?code=good-code&state=st-1",
                                        kept)
    assert credentials["access_token"] == PAGE_TOKEN and credentials["page_id"] == PAGE_ID
    assert credentials["user_access_token"] == "long-user" and credentials["ig_user_id"] == IG_ID
    assert credentials["user_token_expires_at"] > datetime.now(timezone.utc).timestamp() + 50 * 86400
    exchange = [r for r in server.requests if r.arg("grant_type") == "fb_exchange_token"]
    assert exchange and exchange[0].arg("fb_exchange_token") == "short-user"
    instagram = make(server, "instagram", credentials={"app_id": "app-1", "app_secret": "app-secret"})
    assert instagram.fetch_token("https://odoo.example/cb", "https://odoo.example/cb?code=good-code&state=st-1",
                                 kept)["page_id"] == PAGE_ID
    with pytest.raises(AuthError):
        connector.fetch_token("https://odoo.example/cb", "https://odoo.example/cb?code=good-code&state=forged", kept)
    with pytest.raises(AuthError) as raised:
        connector.fetch_token("https://odoo.example/cb", "https://odoo.example/cb?code=bad&state=st-1", kept)
    assert "app-secret" not in str(raised.value)


def test_hostile_and_malformed_comments(api):
    imitation, server = api
    post = imitation.add_post(minutes(0))
    texts = ["<script>alert('x')</script><img src=x onerror=y>", "سلام دنیا", "😀🎉👩🏽‍💻", "z" * 100_000]
    for i, text in enumerate(texts):
        imitation.add_comment(post["id"], minutes(i + 1), text)
    imitation.add_comment(post["id"], minutes(10), "no author").pop("from")
    imitation.add_comment(post["id"], minutes(11), "bad time")["created_time"] = "31/02/2026"
    imitation.add_comment(post["id"], minutes(12), "x")["message"] = {"html": "<b>"}
    page = make(server).fetch_page(COMMENTS, "")
    # a comment without ``from`` is a comment of a person Facebook does not show, kept
    assert sorted(p.text for p in page.posts) == sorted([*texts, "no author"])
    assert len(page.skipped) == 2 and all(s.external_id for s in page.skipped)
    assert {s.reason.split(" ")[0] for s in page.skipped} == {"invalid", "message"}


# -- webhooks -------------------------------------------------------------------------


def signed(payload, secret="app-secret") -> WebhookRequest:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return WebhookRequest("POST", {"X-Hub-Signature-256": f"sha256={digest}"}, {}, body)


def test_pages_install_the_app_for_webhooks(api):
    imitation, server = api
    make(server).register_webhook("https://odoo.example/social_crm/webhook/t")
    assert imitation.posted[-1] == (f"/{PAGE_ID}/subscribed_apps", {"subscribed_fields": "feed,mention,messages"})
    make(server, "instagram").register_webhook("https://odoo.example/social_crm/webhook/t")
    assert imitation.posted[-1] == (f"/{PAGE_ID}/subscribed_apps", {"subscribed_fields": "feed"})


def test_verification_handshake(api):
    _imitation, server = api
    connector = make(server)
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "verify-me"}
    assert connector.webhook_handshake(WebhookRequest("GET", {}, query, b"")).body == "1158201444"
    with pytest.raises(WebhookRejected):
        connector.webhook_handshake(WebhookRequest("GET", {}, {**query, "hub.verify_token": "guess"}, b""))
    assert connector.webhook_handshake(WebhookRequest("GET", {}, {}, b"")) is None


def test_page_webhooks_comments_edits_deletions_and_messages(api):
    _imitation, server = api
    value = {"item": "comment", "comment_id": "901_1", "post_id": "111_901", "parent_id": "111_901",
             "message": "Great!", "from": {"id": "5001", "name": "Alice"}, "created_time": 1772355600}
    payload = {"object": "page", "entry": [{"id": PAGE_ID, "time": 1772355700, "changes": [
        {"field": "feed", "value": {**value, "verb": "add"}},
        {"field": "feed", "value": {**value, "verb": "edited", "message": "Great!!"}},
        {"field": "feed", "value": {**value, "verb": "remove"}},
        {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "111_901"}},
        {"field": "feed", "value": {"item": "comment", "verb": "add"}},
    ], "messaging": [
        {"sender": {"id": "psid-1"}, "recipient": {"id": PAGE_ID}, "timestamp": 1772355650000,
         "message": {"mid": "m_1", "text": "Hello <b>page</b>"}},
    ]}]}
    added, edited, removed, message = make(server).parse_webhook(signed(payload))
    assert added.external_id == edited.external_id == removed.external_id == "901_1"
    assert added.kind == "comment" and added.thread_external_id == "111_901" and added.edited_at is None
    assert edited.text == "Great!!" and edited.edited_at == datetime.fromtimestamp(1772355700, tz=timezone.utc)
    assert removed.deleted
    assert message.kind == "message" and message.text == "Hello <b>page</b>" and message.external_id == "m_1"


def test_instagram_comment_webhook(api):
    _imitation, server = api
    payload = {"object": "instagram", "entry": [{"id": IG_ID, "time": 1772355700, "changes": [
        {"field": "comments", "value": {"id": "1781", "text": "nice", "from": {"id": "6001", "username": "bob.ig"},
                                        "media": {"id": "1790", "media_product_type": "FEED"}}},
        {"field": "mentions", "value": {"media_id": "1790", "comment_id": "1782"}},
    ]}]}
    [comment] = make(server, "instagram").parse_webhook(signed(payload))
    assert comment.external_id == "1781" and comment.thread_external_id == "1790" and comment.author.handle == "bob.ig"


def test_webhook_signatures_are_required(api):
    _imitation, server = api
    connector = make(server)
    payload = {"object": "page", "entry": []}
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(signed(payload, secret="wrong"))
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(WebhookRequest("POST", {}, {}, json.dumps(payload).encode()))
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(signed({"object": "page", "pad": "x" * 1_000_001}))


def test_comments_of_hidden_people_and_photo_messages_are_kept(api):
    imitation, server = api
    post = imitation.add_post(minutes(0))
    first = imitation.add_comment(post["id"], minutes(1), "my parcel never came")
    imitation.add_hidden_author_comment(post["id"], minutes(2), "same here!")
    imitation.add_hidden_author_comment(post["id"], minutes(3), "me too", reply_to=first)
    posts, skipped, _cursor, _pages = read_all(make(server), StreamSpec("comments", post["id"]))
    assert not skipped
    by_text = {p.text: p for p in posts}
    post_number = post["id"].split("_")[-1]
    hidden = by_text["same here!"]
    assert hidden.author.handle == "Facebook user (not shown)" and hidden.external_id.startswith(f"{post_number}_")
    assert by_text["me too"].parent_external_id == f"{post_number}_{first['id'].split('_')[-1]}"
    alice = {"id": "psid-1", "name": "Alice"}
    conversation = imitation.add_conversation(minutes(5), [(minutes(5), "", alice)])
    imitation.attach(conversation["messages"]["data"][0], "image/jpeg", "broken-lamp.jpg")
    [message] = read_all(make(server), MESSAGES)[0]
    assert message.text == "[image/jpeg: broken-lamp.jpg]"
