"""The Threads connector against the imitation of the Threads Graph API
(tests/imitation/threads.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from social_crm.core.connectors import AccountConfig, WebhookRequest, get_connector_class
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError, WebhookRejected
from social_crm.core.types import StreamSpec
from tests.connectors.reading import read_all
from tests.imitation import threads, whatsapp
from tests.imitation.server import ImitationServer

CREDENTIALS = {"access_token": threads.TOKEN, "app_secret": threads.APP_SECRET, "verify_token": "verify-th"}
MENTIONS, COMMENTS = StreamSpec("mentions"), StreamSpec("comments")


@pytest.fixture
def api():
    imitation = threads.ThreadsImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make(server=None, credentials=None, **options):
    return get_connector_class("threads")(
        AccountConfig(external_id=threads.USERNAME, handle=threads.USERNAME,
                      base_url=f"{server.url}/{threads.VERSION}" if server else "",
                      credentials=dict(CREDENTIALS if credentials is None else credentials), options=options),
        sleep=lambda seconds: None,
    )


def minutes(n):
    return datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=n)


def test_mentions_page_by_cursor_and_a_later_poll_reads_only_new_ones(api):
    imitation, server = api
    for i in range(5):
        imitation.add_mention(minutes(i), f"@acme.threads my parcel is lost {i}")
    connector = make(server, page_size=2)
    posts, skipped, cursor, pages = read_all(connector, MENTIONS)
    assert [p.text[-1] for p in posts] == ["4", "3", "2", "1", "0"] and pages == 3 and skipped == []
    first = posts[0]
    assert (first.kind, first.author.external_id, first.created_at) == ("mention", "petr.n", minutes(4))
    assert first.url.startswith("https://www.threads.net/@petr.n/post/")
    assert first.thread_external_id == first.external_id and first.parent_external_id == ""
    assert all(r.arg("access_token") == threads.TOKEN for r in server.requests)
    newer = imitation.add_mention(minutes(30), "@acme.threads still nothing")
    assert [p.external_id for p in read_all(connector, MENTIONS, cursor).posts] == [newer["id"]]


def test_replies_under_our_posts_keep_their_thread_and_parent(api):
    imitation, server = api
    old, new = imitation.add_post(minutes(0)), imitation.add_post(minutes(1))
    top = imitation.add_reply(new["id"], minutes(5), "Is size M back in stock?")
    nested = imitation.add_reply(new["id"], minutes(6), "same question", username="eva.b", replied_to=top["id"])
    ours = imitation.add_reply(new["id"], minutes(7), "Next week!", username=threads.USERNAME, replied_to=top["id"])
    imitation.add_reply(old["id"], minutes(2), "Love it")
    connector = make(server, page_size=2)
    posts, _skipped, cursor, _pages = read_all(connector, COMMENTS)
    by_id = {p.external_id: p for p in posts}
    assert len(posts) == 4
    assert by_id[nested["id"]].parent_external_id == top["id"]
    assert by_id[nested["id"]].thread_external_id == new["id"] and by_id[top["id"]].parent_external_id == new["id"]
    assert by_id[ours["id"]].author.external_id == threads.USERNAME, "our own reply is recognisable"
    assert all(r.arg("reverse") == "true" for r in server.requests if r.path.endswith("/conversation"))
    later = imitation.add_reply(old["id"], minutes(60), "When is the sale?")
    assert [p.external_id for p in read_all(connector, COMMENTS, cursor).posts] == [later["id"]]


def test_keyword_and_topic_search(api):
    imitation, server = api
    for i, text in enumerate(["acme bikes are great", "nothing here", "ACME support never answers"]):
        imitation.public.insert(0, imitation.media(f"user{i}", text, minutes(i)))
    posts = read_all(make(server), StreamSpec("search", query="acme")).posts
    assert [p.text for p in posts] == ["ACME support never answers", "acme bikes are great"]
    assert posts[0].kind == "post"
    read_all(make(server), StreamSpec("search", query="#acme"))
    search = [r for r in server.requests if r.path.endswith("/keyword_search")]
    assert search[0].arg("search_type") == "RECENT" and search[-1].arg("search_mode") == "TAG"
    assert search[-1].arg("q") == "acme"
    with pytest.raises(ConnectorError, match="keywords"):
        make(server).fetch_page(StreamSpec("search"), "")


def test_a_reply_is_a_container_published_once_it_is_ready(api):
    imitation, server = api
    mention = imitation.add_mention(minutes(0), "@acme.threads help")
    imitation.processing_checks = 2
    waits = []
    connector = make(server)
    connector._sleep = waits.append
    [parent] = read_all(connector, MENTIONS).posts
    sent = connector.reply(parent, "Sorry! Please send us your order number.")
    assert imitation.published == [{"id": sent.external_id, "text": "Sorry! Please send us your order number.",
                                    "reply_to_id": mention["id"]}]
    assert len(waits) == 2, "the container is checked until it is FINISHED"
    assert (sent.kind, sent.parent_external_id, sent.thread_external_id) == ("comment", mention["id"], mention["id"])
    assert sent.author.external_id == threads.USERNAME
    imitation.processing_checks = 100
    with pytest.raises(ConnectorError, match="still being processed"):
        connector.reply(parent, "again")
    with pytest.raises(ConnectorError, match="500"):
        connector.reply(parent, "x" * 501)


def test_throttling_errors_and_bad_tokens(api):
    imitation, server = api
    imitation.throttle = "code4"
    with pytest.raises(RateLimited) as throttled:
        make(server).fetch_page(MENTIONS, "")
    assert throttled.value.reset_at > datetime.now(timezone.utc)
    imitation.throttle = "429"
    with pytest.raises(RateLimited):
        make(server).fetch_page(MENTIONS, "")
    imitation.throttle = ""
    with pytest.raises(AuthError):
        make(server, {**CREDENTIALS, "access_token": "revoked"}).fetch_page(MENTIONS, "")
    with pytest.raises(AuthError):
        make(server, {}).fetch_page(MENTIONS, "")
    imitation.fail_next = 10
    with pytest.raises(TransientError):
        make(server).fetch_page(MENTIONS, "")
    imitation.fail_next = 1  # one failure is retried
    assert make(server).check_connection() == threads.USERNAME
    with pytest.raises(ConnectorError, match="direct messages"):
        make(server).fetch_page(StreamSpec("messages"), "")


def test_malformed_items_are_skipped_with_a_reason_and_hostile_text_is_kept_as_text(api):
    imitation, server = api
    imitation.add_mention(minutes(1), "<img src=x onerror=alert(1)>")
    imitation.mentions.insert(0, {"id": "1", "text": "no author", "timestamp": threads.threads_time(minutes(2))})
    imitation.mentions.insert(0, {"id": "2", "username": "x", "text": "bad time", "timestamp": "yesterday"})
    imitation.mentions.insert(0, {"id": "3", "username": "y", "text": ["not", "text"], "timestamp": "1763630000"})
    imitation.mentions.insert(0, "not an object")
    posts, skipped, _cursor, _pages = read_all(make(server), MENTIONS)
    assert [p.text for p in posts] == ["<img src=x onerror=alert(1)>"]
    assert sorted(s.reason.split(" ")[0] for s in skipped) == ["invalid", "missing", "missing", "text"]


def test_empty_listings(api):
    _imitation, server = api
    for stream in (MENTIONS, COMMENTS, StreamSpec("search", query="acme")):
        page = make(server).fetch_page(stream, "")
        assert page.posts == [] and not page.has_more


def deliver(connector, payload, secret=threads.APP_SECRET):
    raw, headers = whatsapp.signed(payload, secret)
    return connector.parse_webhook(WebhookRequest("POST", headers, {}, raw))


def test_webhook_replies_and_mentions_signed_with_the_app_secret():
    value = {"id": "8901234", "username": "test_username", "text": "Reply", "media_type": "TEXT_POST",
             "permalink": "https://www.threads.net/@test_username/post/Pp", "replied_to": {"id": "567890"},
             "root_post": {"id": "123456", "owner_id": "123456", "username": "acme.threads"}, "shortcode": "Pp",
             "timestamp": "2024-08-07T10:33:16+0000"}
    connector = make()
    [reply] = deliver(connector, threads.reply_webhook(value))
    assert (reply.kind, reply.parent_external_id, reply.thread_external_id) == ("comment", "567890", "123456")
    [mention] = deliver(connector, threads.reply_webhook({**value, "id": "8901235"}, field="mentions"))
    assert mention.kind == "mention"
    assert deliver(connector, threads.reply_webhook({"id": "1"}, field="delete")) == []
    assert deliver(connector, threads.reply_webhook({"id": "2", "text": "no author"})) == []
    assert [s.reason for s in connector.webhook_skipped] == ["missing username"]
    with pytest.raises(WebhookRejected):
        deliver(connector, threads.reply_webhook(value), secret="forged")
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(WebhookRequest("POST", {}, {}, json.dumps(threads.reply_webhook(value)).encode()))
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-th", "hub.challenge": "42"}
    assert connector.webhook_handshake(WebhookRequest("GET", {}, query, b"")).body == "42"
    with pytest.raises(NotImplementedError, match="dashboard"):
        connector.register_webhook("https://odoo.example/hook")


def test_connect_exchanges_the_code_for_a_long_lived_token(api):
    imitation, server = api
    connector = make(server, {"app_id": threads.APP_ID, "app_secret": threads.APP_SECRET})
    url, kept = connector.authorization_url("https://odoo.example/social_crm/oauth/callback", "state-1")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://threads.net/oauth/authorize?")
    assert query["scope"] == [",".join(connector.oauth_scopes)] and query["response_type"] == ["code"]
    callback = f"https://odoo.example/social_crm/oauth/callback?code={threads.CODE}&state=state-1"
    credentials = connector.fetch_token("https://odoo.example/social_crm/oauth/callback", callback, kept)
    assert credentials["access_token"] == threads.TOKEN and credentials["user_id"] == threads.USER_ID
    assert credentials["expires_at"] > (datetime.now(timezone.utc) + timedelta(days=59)).timestamp()
    with pytest.raises(AuthError, match="state"):
        connector.fetch_token("https://odoo.example/cb", callback.replace("state-1", "forged"), kept)
    with pytest.raises(AuthError):
        connector.fetch_token("https://odoo.example/cb", callback.replace(threads.CODE, "stolen"), kept)


def test_a_token_near_expiry_is_refreshed_and_saved(api):
    imitation, server = api
    soon = (datetime.now(timezone.utc) + timedelta(days=2)).timestamp()
    saved = []
    connector = make(server, {**CREDENTIALS, "expires_at": soon})
    connector._on_credentials = saved.append
    assert connector.check_connection() == threads.USERNAME
    assert saved and saved[-1]["access_token"].startswith("th-refreshed-")
    assert saved[-1]["expires_at"] > (datetime.now(timezone.utc) + timedelta(days=59)).timestamp()
    assert server.requests[-1].arg("access_token") == saved[-1]["access_token"]
    imitation.refused_refresh = True
    assert make(server, {**CREDENTIALS, "expires_at": soon}).check_connection() == threads.USERNAME
    expired = (datetime.now(timezone.utc) - timedelta(hours=1)).timestamp()
    with pytest.raises(AuthError, match="connect the account again"):
        make(server, {**CREDENTIALS, "expires_at": expired}).check_connection()


def test_reading_needs_the_accounts_username():
    connector = get_connector_class("threads")(AccountConfig(credentials=dict(CREDENTIALS)))
    with pytest.raises(ConnectorError, match="Network ID"):
        connector.fetch_page(MENTIONS, "")
