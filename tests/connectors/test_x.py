"""The X connector against the imitation of X API v2 (tests/imitation/x.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from social_crm.core.connectors import AccountConfig, WebhookRequest, get_connector_class
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError, WebhookRejected
from social_crm.core.types import StreamSpec
from tests.connectors.reading import read_all
from tests.imitation.server import ImitationServer
from tests.imitation.x import OWN_ID, XImitation

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
OAUTH2 = {"client_id": "client-id", "client_secret": "client-secret", "access_token": "good-token",
          "refresh_token": "refresh-1"}


@pytest.fixture(autouse=True)
def _plain_http_oauth(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def api():
    imitation = XImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make(server, credentials=None, saved=None, **options):
    return get_connector_class("x")(
        AccountConfig(external_id=OWN_ID, handle="acme", base_url=server.url,
                      credentials=dict(OAUTH2 if credentials is None else credentials), options=options),
        on_credentials=saved.append if saved is not None else None,
        sleep=lambda seconds: None,
    )


def add_mentions(imitation, count, start=BASE):
    return [imitation.add_tweet(start + timedelta(minutes=i), f"@acme hello {i}") for i in range(count)]


def test_mentions_page_through_and_later_polls_read_only_new(api):
    imitation, server = api
    tweets = add_mentions(imitation, 12)
    connector = make(server, page_size=5)
    posts, _skipped, cursor, pages = read_all(connector, StreamSpec("mentions"))
    assert pages == 3
    assert sorted(p.external_id for p in posts) == sorted(t["id"] for t in tweets)
    assert all(p.kind == "mention" and p.author.handle == "alice" for p in posts)
    assert any("pagination_token" in r.query for r in server.requests)

    new = add_mentions(imitation, 2, start=BASE + timedelta(hours=1))
    server.requests.clear()
    posts, _skipped, _cursor, _pages = read_all(connector, StreamSpec("mentions"), cursor)
    assert [p.external_id for p in posts] == [new[1]["id"], new[0]["id"]]
    assert server.requests[0].arg("since_id") == tweets[-1]["id"]


def test_resuming_from_a_stored_cursor_does_not_reread(api):
    imitation, server = api
    add_mentions(imitation, 10)
    first = make(server, page_size=5).fetch_page(StreamSpec("mentions"), "")
    assert first.has_more
    # a new connector (next cron run) continues from the stored cursor
    rest, _skipped, _cursor, _pages = read_all(make(server, page_size=5), StreamSpec("mentions"), first.cursor)
    ids = [p.external_id for p in first.posts + rest]
    assert len(ids) == len(set(ids)) == 10


def test_backfill_limit_caps_the_first_run(api):
    imitation, server = api
    tweets = add_mentions(imitation, 30)
    connector = make(server, page_size=5)
    posts, _skipped, cursor, _pages = read_all(connector, StreamSpec("mentions", backfill_limit=7))
    assert [p.external_id for p in posts] == [t["id"] for t in reversed(tweets)][:7]
    assert all(int(r.arg("max_results")) <= 5 for r in server.requests)
    assert read_all(connector, StreamSpec("mentions", backfill_limit=7), cursor)[0] == []


def test_search_pages_with_next_token(api):
    imitation, server = api
    for i in range(13):
        imitation.add_tweet(BASE + timedelta(minutes=i), f"I love #acme {i}")
    imitation.add_tweet(BASE, "unrelated", sequence=9)
    posts, _skipped, _cursor, pages = read_all(make(server, page_size=10), StreamSpec("search", query="#acme"))
    assert len(posts) == 13 and pages == 2
    assert all(p.kind == "post" for p in posts)
    assert [r.arg("next_token") for r in server.requests] == ["", "t10"]


def test_comments_follow_replies_to_our_recent_posts(api):
    imitation, server = api
    ours = imitation.add_tweet(BASE, "Our launch", author_id=OWN_ID)
    replies = [
        imitation.add_tweet(BASE + timedelta(minutes=i + 1), f"reply {i}", conversation_id=ours["id"],
                            referenced_tweets=[{"type": "replied_to", "id": ours["id"]}])
        for i in range(3)
    ]
    imitation.add_tweet(BASE, "elsewhere", sequence=5)
    connector = make(server)
    posts, _skipped, cursor, _pages = read_all(connector, StreamSpec("comments"))
    assert sorted(p.external_id for p in posts) == sorted(r["id"] for r in replies)
    assert {p.parent_external_id for p in posts} == {ours["id"]}
    assert {p.thread_external_id for p in posts} == {ours["id"]}
    assert posts[0].kind == "comment"
    # an explicit list of conversations is used as given
    server.requests.clear()
    assert len(read_all(connector, StreamSpec("comments", query=ours["id"]))[0]) == 3
    assert server.requests[0].arg("query") == f"conversation_id:{ours['id']}"
    with pytest.raises(ConnectorError):
        connector.fetch_page(StreamSpec("comments", query="not-an-id"), "")


def test_direct_messages_stop_at_the_previous_run(api):
    imitation, server = api
    for i in range(7):
        imitation.add_dm(BASE + timedelta(minutes=i), f"dm {i}")
    connector = make(server, page_size=3)
    posts, _skipped, cursor, pages = read_all(connector, StreamSpec("messages"))
    assert len(posts) == 7 and pages == 3
    assert posts[0].thread_external_id == f"{OWN_ID}-2000" and posts[0].kind == "message"
    newest = imitation.add_dm(BASE + timedelta(hours=1), "another one")
    posts, _skipped, _cursor, pages = read_all(connector, StreamSpec("messages"), cursor)
    assert [p.external_id for p in posts] == [newest["id"]] and pages == 1


def test_edited_posts_keep_their_first_id(api):
    imitation, server = api
    original = imitation.add_tweet(BASE, "@acme helo")
    edited_at = BASE + timedelta(minutes=5)
    imitation.tweets.remove(original)
    imitation.add_tweet(edited_at, "@acme hello", edit_history_tweet_ids=[original["id"]],
                        conversation_id=original["id"])
    imitation.tweets[-1]["edit_history_tweet_ids"] = [original["id"], imitation.tweets[-1]["id"]]
    post = make(server).fetch_page(StreamSpec("mentions"), "").posts[0]
    assert post.external_id == original["id"]
    assert post.created_at == BASE and post.edited_at == edited_at
    assert post.text == "@acme hello"


def test_rate_limit_headers_and_429(api):
    imitation, server = api
    add_mentions(imitation, 3)
    connector = make(server)
    page = connector.fetch_page(StreamSpec("mentions"), "")
    assert page.rate_limit.remaining == 299 and page.rate_limit.limit == 300
    imitation.remaining["/2/users/:id/mentions"] = 0
    with pytest.raises(RateLimited) as raised:
        connector.fetch_page(StreamSpec("mentions"), "")
    assert raised.value.reset_at == datetime.fromtimestamp(imitation.reset_at, tz=timezone.utc)
    assert len(server.requests) == 2  # a rate limit is never retried inside the connector


def test_server_errors_are_retried_then_reported(api):
    imitation, server = api
    add_mentions(imitation, 2)
    imitation.fail_next = 2
    assert len(make(server).fetch_page(StreamSpec("mentions"), "").posts) == 2
    imitation.fail_next = 50
    with pytest.raises(TransientError):
        make(server).fetch_page(StreamSpec("mentions"), "")


def test_expired_token_is_refreshed_and_the_rotated_refresh_token_saved(api):
    imitation, server = api
    add_mentions(imitation, 1)
    saved = []
    connector = make(server, {**OAUTH2, "expires_at": time.time() - 10}, saved)
    assert len(connector.fetch_page(StreamSpec("mentions"), "").posts) == 1
    assert saved[-1]["access_token"] == "access-2" and saved[-1]["refresh_token"] == "refresh-2"
    assert "refresh-1" not in imitation.refresh_tokens  # single use
    # the old refresh token is dead: a connector still holding it must be reconnected
    imitation.access_tokens.clear()
    with pytest.raises(AuthError) as raised:
        make(server, dict(OAUTH2)).fetch_page(StreamSpec("mentions"), "")
    assert "refresh-1" not in str(raised.value) and "client-secret" not in str(raised.value)


def test_refused_token_is_refreshed_once(api):
    imitation, server = api
    add_mentions(imitation, 1)
    imitation.access_tokens = {"other"}
    saved = []
    connector = make(server, saved=saved)
    assert len(connector.fetch_page(StreamSpec("mentions"), "").posts) == 1
    assert saved[-1]["refresh_token"] == "refresh-2"
    with pytest.raises(AuthError):
        make(server, {"client_id": "client-id", "access_token": "wrong"}).fetch_page(StreamSpec("mentions"), "")


def test_oauth2_pkce_authorization_flow(api):
    imitation, server = api
    connector = make(server, {"client_id": "client-id", "client_secret": "client-secret"})
    url, kept = connector.authorization_url("https://odoo.example/social/callback", "state-1")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://x.com/i/oauth2/authorize")
    assert query["code_challenge_method"] == ["S256"] and query["state"] == ["state-1"]
    assert "offline.access" in query["scope"][0]
    code = imitation.issue_code(kept["code_verifier"])
    credentials = connector.fetch_token(
        "https://odoo.example/social/callback", f"https://odoo.example/social/callback?state=state-1&code={code}", kept
    )
    assert credentials["access_token"] in imitation.access_tokens
    assert credentials["refresh_token"] and credentials["expires_at"] > time.time()
    with pytest.raises(AuthError):  # a code is single use
        connector.fetch_token("https://odoo.example/social/callback",
                              f"https://odoo.example/social/callback?state=state-1&code={code}", kept)
    connector.revoke()
    assert credentials["refresh_token"] not in imitation.refresh_tokens


def test_oauth1_user_tokens_are_signed(api):
    imitation, server = api
    add_mentions(imitation, 2)
    oauth1 = {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "ut", "access_token_secret": "us"}
    connector = make(server, oauth1)
    assert len(connector.fetch_page(StreamSpec("mentions"), "").posts) == 2
    reply = connector.reply(connector.fetch_page(StreamSpec("mentions"), "").posts[0], "Thanks!")
    assert reply.text == "Thanks!"
    with pytest.raises(AuthError):
        make(server, {**oauth1, "access_token_secret": "forged"}).fetch_page(StreamSpec("mentions"), "")


def test_reply_posts_to_the_thread_and_respects_the_rules(api):
    imitation, server = api
    mention = add_mentions(imitation, 1)[0]
    connector = make(server)
    parent = connector.fetch_page(StreamSpec("mentions"), "").posts[0]
    reply = connector.reply(parent, "Hi Alice ✨ <b>")
    sent = server.requests[-1]
    assert sent.path == "/2/tweets"
    assert sent.json() == {"text": "Hi Alice ✨ <b>", "reply": {"in_reply_to_tweet_id": mention["id"]}}
    assert reply.external_id == imitation.tweets[-1]["id"] and reply.parent_external_id == mention["id"]
    assert reply.author.external_id == OWN_ID and reply.kind == "comment"
    count = len(server.requests)
    with pytest.raises(ConnectorError, match="280"):
        connector.reply(parent, "x" * 281)
    assert len(server.requests) == count  # refused before calling X
    # self-serve apps may only answer people who mentioned us: a clear refusal, not an auth failure
    stranger = imitation.add_tweet(BASE, "no mention here", sequence=7)
    with pytest.raises(ConnectorError, match="not been mentioned") as raised:
        connector.reply(parent.__class__(**{**{f: getattr(parent, f) for f in parent.__slots__},
                                            "external_id": stranger["id"]}), "hello")
    assert not isinstance(raised.value, AuthError)


def test_direct_message_reply(api):
    imitation, server = api
    imitation.add_dm(BASE, "help me")
    connector = make(server)
    parent = connector.fetch_page(StreamSpec("messages"), "").posts[0]
    reply = connector.reply(parent, "On it")
    assert server.requests[-1].path == "/2/dm_conversations/with/2000/messages"
    assert server.requests[-1].json() == {"text": "On it"}
    assert reply.kind == "message" and reply.thread_external_id == f"{OWN_ID}-2000"
    assert reply.external_id == imitation.dm_events[-1]["id"]


def test_publish(api):
    imitation, server = api
    post = make(server).publish("Hello world")
    assert post.external_id == imitation.tweets[-1]["id"] and post.kind == "post"


def test_hostile_and_malformed_items(api):
    imitation, server = api
    good = [
        imitation.add_tweet(BASE, "@acme <script>alert(1)</script> & <b>bold</b>", sequence=1),
        imitation.add_tweet(BASE, "@acme مرحبا بالعالم 👋🏽", sequence=2),
        imitation.add_tweet(BASE, "@acme long", sequence=3, note_tweet={"text": "@acme " + "é" * 100_000}),
    ]
    imitation.add_tweet(BASE, "@acme no author", sequence=4, author_id=None)
    imitation.add_tweet(BASE, "@acme bad date", sequence=5, created_at="yesterday")
    imitation.add_tweet(BASE, "@acme", sequence=6)["text"] = ["@acme"]
    page = make(server).fetch_page(StreamSpec("mentions"), "")
    texts = {p.external_id: p.text for p in page.posts}
    assert texts[good[0]["id"]] == "@acme <script>alert(1)</script> & <b>bold</b>"
    assert texts[good[1]["id"]] == "@acme مرحبا بالعالم 👋🏽"
    assert len(texts[good[2]["id"]]) == 100_000
    reasons = sorted(s.reason for s in page.skipped)
    assert len(reasons) == 3
    assert reasons[0].startswith("invalid timestamp 'yesterday'")
    assert reasons[1:] == ["missing author_id", "text is missing or not a string"]
    assert all(s.external_id for s in page.skipped)


# -- webhooks -------------------------------------------------------------------------


def signed(body: bytes, secret="client-secret", header="X-Twitter-Webhooks-Signature-OAuth2") -> WebhookRequest:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return WebhookRequest("POST", {header: f"sha256={digest}"}, {}, body)


def test_crc_handshake(api):
    _imitation, server = api
    answer = make(server).webhook_handshake(WebhookRequest("GET", {}, {"crc_token": "abc"}, b""))
    expected = base64.b64encode(hmac.new(b"client-secret", b"abc", hashlib.sha256).digest()).decode()
    assert json.loads(answer.body) == {"response_token": f"sha256={expected}"}
    assert answer.content_type == "application/json"
    assert make(server).webhook_handshake(signed(b"{}")) is None


def test_webhook_events_are_verified_and_normalised(api):
    _imitation, server = api
    payload = {
        "for_user_id": OWN_ID,
        "tweet_create_events": [
            {"id_str": "1800000000000000001", "text": "@acme short…", "created_at": "Mon May 19 14:01:46 +0000 2025",
             "extended_tweet": {"full_text": "@acme the full &amp; long text"},
             "user": {"id_str": "2000", "screen_name": "alice", "name": "Alice", "followers_count": 3},
             "entities": {"user_mentions": [{"id_str": OWN_ID}]}},
            {"id_str": "broken"},
        ],
        "direct_message_events": [
            {"type": "message_create", "id": "555", "created_timestamp": "1747663306000",
             "message_create": {"sender_id": "2000", "target": {"recipient_id": OWN_ID},
                                "message_data": {"text": "hi there"}}},
        ],
        "tweet_delete_events": [{"status": {"id": "1800000000000000001", "user_id": "2000"},
                                 "timestamp_ms": "1747663400000"}],
        "users": {"2000": {"id": "2000", "screen_name": "alice", "name": "Alice"}},
    }
    body = json.dumps(payload).encode()
    posts = make(server).parse_webhook(signed(body))
    mention, message, deletion = posts
    assert mention.kind == "mention" and mention.text == "@acme the full & long text"
    assert mention.created_at == datetime(2025, 5, 19, 14, 1, 46, tzinfo=timezone.utc)
    assert message.kind == "message" and message.thread_external_id == f"{OWN_ID}-2000"
    assert message.author.handle == "alice"
    assert deletion.deleted and deletion.external_id == mention.external_id
    # the legacy header, signed with the consumer secret, is accepted too
    legacy = make(server, {**OAUTH2, "consumer_secret": "legacy"})
    assert len(legacy.parse_webhook(signed(body, "legacy", "X-Twitter-Webhooks-Signature"))) == 3


def test_webhook_rejections(api):
    _imitation, server = api
    connector = make(server)
    body = b'{"for_user_id": "1000"}'
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(signed(body, secret="wrong"))
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(WebhookRequest("POST", {}, {}, body))
    big = b'{"x": "' + b"a" * 1_100_000 + b'"}'
    with pytest.raises(WebhookRejected):
        connector.parse_webhook(signed(big))


def test_a_retweet_is_stored_as_its_original_never_as_the_retweeters_cut_text(api):
    imitation, server = api
    long_text = "@acme my order #4411 arrived broken and nobody answers my e-mails since last week, " * 2
    original = imitation.add_tweet(BASE, long_text.strip(), author_id="2000")
    imitation.add_retweet(BASE + timedelta(minutes=5), original, author_id="3000")
    posts, skipped, _cursor, _pages = read_all(make(server), StreamSpec("search", "order"))
    assert not skipped
    assert {(p.external_id, p.author.handle, p.text) for p in posts} == {
        (original["id"], "alice", long_text.strip())
    }
    request = [r for r in server.requests if r.path == "/2/tweets/search/recent"][0]
    assert "referenced_tweets.id" in request.arg("expansions").split(",")


def test_an_empty_listing_has_only_meta(api):
    _imitation, server = api
    page = make(server).fetch_page(StreamSpec("mentions"), "")
    assert page.posts == [] and not page.has_more and not page.skipped


def test_a_webhook_retweet_is_its_original_and_bad_events_are_counted(api):
    _imitation, server = api
    original = {"id_str": "1800000000000000007", "text": "@acme where is my refund?",
                "created_at": "Mon May 19 14:01:46 +0000 2025",
                "user": {"id_str": "2000", "screen_name": "alice", "name": "Alice"},
                "entities": {"user_mentions": [{"id_str": OWN_ID}]}}
    retweet = {"id_str": "1800000000000000099", "text": "RT @alice: @acme where is my refund?",
               "created_at": "Mon May 19 15:00:00 +0000 2025", "retweeted_status": original,
               "user": {"id_str": "3000", "screen_name": "bob", "name": "Bob"},
               "entities": {"user_mentions": [{"id_str": "2000"}, {"id_str": OWN_ID}]}}
    body = json.dumps({"for_user_id": OWN_ID, "tweet_create_events": [retweet, {"id_str": "bad"}]}).encode()
    connector = make(server)
    [post] = connector.parse_webhook(signed(body))
    assert (post.external_id, post.author.handle, post.text) == (original["id_str"], "alice", original["text"])
    assert [s.external_id for s in connector.webhook_skipped] == ["bad"]
