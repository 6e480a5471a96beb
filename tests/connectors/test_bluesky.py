from datetime import datetime, timezone

import pytest

from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError
from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.bluesky import APP_PASSWORD, OWN_DID, OWN_HANDLE, BlueskyImitation, author
from tests.imitation.server import ImitationServer

ALICE = author("did:plc:alice", "alice.bsky.social")
BOB = author("did:plc:bob", "bob.bsky.social")


@pytest.fixture
def network():
    imitation = BlueskyImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make_connector(server, saved=None, **credentials):
    credentials = {"identifier": OWN_HANDLE, "app_password": APP_PASSWORD, **credentials}
    return build_connector("bluesky", server, credentials, saved, handle=OWN_HANDLE)


def test_session_is_created_and_saved(network):
    imitation, server = network
    saved = []
    connector = make_connector(server, saved)
    assert connector.check_connection() == OWN_HANDLE
    assert saved[-1]["did"] == OWN_DID and saved[-1]["access_jwt"].startswith("access-")
    assert saved[-1]["refresh_jwt"] in imitation.refresh_tokens
    assert imitation.sessions_created == 1


def test_expired_token_on_http_400_refreshes_rotates_and_retries(network):
    imitation, server = network
    imitation.add_post("hello coffee", ALICE)
    saved = []
    connector = make_connector(server, saved)
    connector.check_connection()
    old_refresh = saved[-1]["refresh_jwt"]
    imitation.expire_access_tokens()
    page = connector.fetch_page(StreamSpec("search", "coffee"), "")
    assert [p.text for p in page.posts] == ["hello coffee"]
    assert saved[-1]["refresh_jwt"] != old_refresh and old_refresh not in imitation.refresh_tokens
    assert imitation.sessions_created == 1  # refreshed, not signed in again
    refreshes = [r for r in server.requests if r.path.endswith("refreshSession")]
    assert refreshes[0].headers["authorization"] == f"Bearer {old_refresh}"


def test_dead_refresh_token_signs_in_again_and_wrong_password_is_auth_error(network):
    imitation, server = network
    saved = []
    connector = make_connector(server, saved, access_jwt="access-old", refresh_jwt="refresh-revoked")
    imitation.access_tokens["access-old"] = False
    assert connector.check_connection() == OWN_HANDLE
    assert imitation.sessions_created == 1 and saved[-1]["refresh_jwt"] in imitation.refresh_tokens
    with pytest.raises(AuthError) as raised:
        make_connector(server, app_password="wrong-password").check_connection()
    assert "wrong-password" not in str(raised.value)


def test_mentions_all_pages_resume_and_poll_only_new(network):
    imitation, server = network
    for number in range(120):
        imitation.notify(imitation.add_post(f"@shop n{number}", ALICE), ["mention", "reply", "quote"][number % 3])
    imitation.notify(imitation.add_post("liked", BOB), "like")
    connector = make_connector(server)
    stream = StreamSpec("mentions")
    first = connector.fetch_page(stream, "")
    assert first.has_more and len(first.posts) == 50
    rest, _, cursor, _pages = read_all(make_connector(server), stream, first.cursor)
    posts = first.posts + rest
    assert [p.text for p in posts] == [f"@shop n{n}" for n in reversed(range(120))]
    assert {p.kind for p in posts} == {"mention", "comment"}
    sent = [r for r in server.requests if r.path.endswith("listNotifications")][0]
    assert sent.query["reasons"] == ["mention", "reply", "quote"]
    assert read_all(connector, stream, cursor)[0] == []
    for number in range(3):
        imitation.notify(imitation.add_post(f"new {number}", BOB), "mention")
    assert [p.text for p in read_all(connector, stream, cursor)[0]] == ["new 2", "new 1", "new 0"]


def test_backfill_cap(network):
    imitation, server = network
    for number in range(80):
        imitation.add_post(f"tea {number}", ALICE)
    posts, _, cursor, _pages = read_all(make_connector(server), StreamSpec("search", "tea", backfill_limit=60))
    assert len(posts) == 60 and posts[0].text == "tea 79"
    imitation.add_post("tea later", BOB)
    assert [p.text for p in read_all(make_connector(server), StreamSpec("search", "tea"), cursor)[0]] == ["tea later"]


def test_normalisation_and_hostile_payloads(network):
    imitation, server = network
    good = imitation.add_post("<script>alert(1)</script> مرحبا 👩‍👩‍👧 " + "z" * 100_000, ALICE, langs=["ar"])
    imitation.add_post("bad time", ALICE)["record"]["createdAt"] = "not a time"
    imitation.add_post("bad no author", ALICE)["author"] = None
    imitation.add_post("bad missing uri", ALICE)["uri"] = ""
    page = make_connector(server).fetch_page(StreamSpec("search", "bad"), "")
    assert page.posts == [] and len(page.skipped) == 3
    assert any("timestamp" in s.reason for s in page.skipped) and any("author" in s.reason for s in page.skipped)
    numeric = imitation.add_post("numeric", ALICE)
    numeric["record"]["text"] = 12
    imitation.notify(numeric, "mention")
    assert make_connector(server).fetch_page(StreamSpec("mentions"), "").skipped[0].reason == "text is a int"
    post = make_connector(server).fetch_page(StreamSpec("search", "مرحبا"), "").posts[0]
    assert post.external_id == good["uri"] and post.text == good["record"]["text"]
    assert post.language_hint == "ar" and post.metrics.likes == 3
    assert post.url == f"https://bsky.app/profile/alice.bsky.social/post/{good['uri'].rsplit('/', 1)[1]}"
    assert post.created_at.tzinfo == timezone.utc


def test_thread_replies_new_only_and_deleted_or_blocked_skipped(network):
    imitation, server = network
    ours = imitation.add_post("our launch", author(OWN_DID, OWN_HANDLE))
    first = imitation.add_post("congrats", ALICE, ours)
    imitation.add_post("nested", BOB, first)
    imitation.threads[ours["uri"]] = [
        {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://did:plc:x/app.bsky.feed.post/gone", "notFound": True},
        {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://did:plc:y/app.bsky.feed.post/blk", "blocked": True},
    ]
    connector = make_connector(server)
    posts, skipped, cursor, _pages = read_all(connector, StreamSpec("comments"))
    assert sorted(p.text for p in posts) == ["congrats", "nested"]
    assert all(p.thread_external_id == ours["uri"] for p in posts)
    assert sorted(s.reason for s in skipped) == ["the post is blocked", "the post was deleted"]
    imitation.add_post("late reply", ALICE, ours)
    assert [p.text for p in read_all(connector, StreamSpec("comments"), cursor)[0]] == ["late reply"]
    listed, _, _, _pages = read_all(connector, StreamSpec("comments", first["uri"]))
    assert [p.text for p in listed] == ["nested"]


def test_reply_sets_root_and_parent_and_checks_length(network):
    imitation, server = network
    root = imitation.add_post("root post", BOB)
    middle = imitation.add_post("middle coffee", ALICE, root)
    connector = make_connector(server)
    parent = connector.fetch_page(StreamSpec("search", "middle"), "").posts[0]
    reply = connector.reply(parent, "Thanks! 🙏")
    body = [r for r in server.requests if r.path.endswith("createRecord")][0].json()
    assert body["repo"] == OWN_DID and body["collection"] == "app.bsky.feed.post"
    assert body["record"]["text"] == "Thanks! 🙏"
    assert body["record"]["reply"] == {
        "root": {"uri": root["uri"], "cid": root["cid"]},
        "parent": {"uri": middle["uri"], "cid": middle["cid"]},
    }
    assert reply.external_id.startswith(f"at://{OWN_DID}/") and reply.parent_external_id == middle["uri"]
    assert reply.thread_external_id == root["uri"]
    # a reply to a top-level post uses the post as root
    connector.reply(connector.fetch_page(StreamSpec("search", "root post"), "").posts[0], "hi")
    body = [r for r in server.requests if r.path.endswith("createRecord")][1].json()
    assert (
        body["record"]["reply"]["root"] == body["record"]["reply"]["parent"] == {"uri": root["uri"], "cid": root["cid"]}
    )
    with pytest.raises(ConnectorError, match="at most 300"):
        connector.reply(parent, "x" * 301)


def test_rate_limit_and_server_errors(network):
    imitation, server = network
    imitation.add_post("coffee", ALICE)
    connector = make_connector(server)
    page = connector.fetch_page(StreamSpec("search", "coffee"), "")
    assert page.rate_limit.remaining == imitation.remaining and page.rate_limit.limit == 3000
    imitation.remaining = 0
    with pytest.raises(RateLimited) as raised:
        connector.fetch_page(StreamSpec("search", "coffee"), "")
    assert raised.value.reset_at == datetime.fromtimestamp(imitation.reset, tz=timezone.utc)
    imitation.remaining = 100
    imitation.failures = [502, 500]
    assert connector.fetch_page(StreamSpec("search", "coffee"), "").posts
    imitation.failures = [500] * 10
    with pytest.raises(TransientError):
        connector.fetch_page(StreamSpec("search", "coffee"), "")


def test_likes_reposts_and_follows_are_never_mentions_even_unfiltered(network):
    imitation, server = network
    ours = imitation.add_post("our spring sale", author(OWN_DID, OWN_HANDLE))
    mention = imitation.add_post("@shop.bsky.social is my order late?", ALICE)
    imitation.notify(mention, "mention")
    imitation.notify_interaction(ours, BOB, "like")
    imitation.notify_interaction(ours, BOB, "repost")
    imitation.notify_interaction(ours, ALICE, "follow")
    imitation.ignores_reasons = True
    posts, skipped, _cursor, _pages = read_all(make_connector(server), StreamSpec("mentions"))
    assert [(p.kind, p.text) for p in posts] == [("mention", "@shop.bsky.social is my order late?")]
    assert sorted(s.reason for s in skipped) == [
        "a follow notification, not a mention",
        "a like notification, not a mention",
        "a repost notification, not a mention",
    ]
