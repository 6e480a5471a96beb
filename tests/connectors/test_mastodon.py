from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from social_crm.core.connectors.mastodon import _max_characters_by_instance
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError
from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation import mastodon as imitation_module
from tests.imitation.mastodon import CLIENT_ID, CLIENT_SECRET, OWN_ACCOUNT, TOKEN, MastodonImitation, account
from tests.imitation.server import ImitationServer

ALICE = account("20", "alice")
BOB = account("21", "bob@other.example")


@pytest.fixture(autouse=True)
def plain_http_oauth(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the imitation speaks plain HTTP
    _max_characters_by_instance.clear()


@pytest.fixture
def instance():
    imitation = MastodonImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make_connector(server, **credentials):
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "access_token": TOKEN, **credentials}
    return build_connector("mastodon", server, credentials, external_id="1", handle="shop")


def test_mentions_backfill_every_page_then_poll_only_new(instance):
    imitation, server = instance
    for number in range(95):
        imitation.add_mention(f"<p>mention {number}</p>", ALICE)
    connector = make_connector(server)
    stream = StreamSpec("mentions")

    posts, skipped, cursor, _pages = read_all(connector, stream)
    assert [p.text for p in posts] == [f"mention {n}" for n in reversed(range(95))]
    assert not skipped and all(p.kind == "mention" for p in posts)
    assert len({p.external_id for p in posts}) == 95

    # a later poll reads nothing old; new mentions arrive, also across pages
    assert read_all(connector, stream, cursor)[0] == []
    for number in range(45):
        imitation.add_mention(f"<p>new {number}</p>", BOB)
    new_posts, _, cursor, _pages = read_all(connector, stream, cursor)
    assert sorted(p.text for p in new_posts) == sorted(f"new {n}" for n in range(45))
    assert read_all(connector, stream, cursor)[0] == []
    # polls page forward with min_id, never by number
    assert any("min_id" in r.query for r in server.requests)


def test_resume_from_stored_cursor_does_not_reread(instance):
    imitation, server = instance
    for number in range(60):
        imitation.add_mention(f"m{number}", ALICE)
    stream = StreamSpec("mentions")
    first = make_connector(server).fetch_page(stream, "")
    assert first.has_more and len(first.posts) == 40
    # a new connector (the next cron run) continues from the stored cursor
    rest, _, _, _pages = read_all(make_connector(server), stream, first.cursor)
    assert len(rest) == 20
    assert not {p.external_id for p in rest} & {p.external_id for p in first.posts}


def test_backfill_cap(instance):
    imitation, server = instance
    for number in range(100):
        imitation.add_mention(f"m{number}", ALICE)
    posts, _, cursor, _pages = read_all(make_connector(server), StreamSpec("mentions", backfill_limit=50))
    assert len(posts) == 50 and posts[0].text == "m99"
    imitation.add_mention("after", ALICE)
    assert [p.text for p in read_all(make_connector(server), StreamSpec("mentions"), cursor)[0]] == ["after"]


def test_normalisation_of_status(instance):
    imitation, server = instance
    status = imitation.add_mention(
        '<p>Hi <span class="h-card"><a href="x">@<span>shop</span></a></span> &amp; <script>alert(1)</script>bye</p>',
        ALICE,
        edited_at="2026-11-20T11:00:00.000Z",
        language="cs",
        spoiler_text="CW",
        replies_count=3,
    )
    post = make_connector(server).fetch_page(StreamSpec("mentions"), "").posts[0]
    assert post.external_id == status["id"] and isinstance(post.external_id, str)
    assert post.text == "CW\n\nHi @shop & bye"
    assert post.author.handle == "alice" and post.author.bio == "I like tea"
    assert post.created_at == datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    assert post.edited_at == datetime(2026, 11, 20, 11, 0, tzinfo=timezone.utc)
    assert post.language_hint == "cs" and post.metrics.replies == 3 and post.metrics.likes == 2


def test_hostile_and_malformed_items(instance):
    imitation, server = instance
    imitation.add_mention("<p>שלום עולם 👋🏽</p>", ALICE)
    imitation.add_mention("<p>" + "x" * 100_000 + "</p>", ALICE)
    imitation.add_mention("bad time", ALICE, created_at="yesterday")
    imitation.add_mention("no account", ALICE)["account"] = "nobody"
    imitation.add_mention("wrong id", ALICE)["id"] = ["1"]
    imitation.notifications.append({"id": imitation.next_id(), "type": "mention", "status": None})
    page = make_connector(server).fetch_page(StreamSpec("mentions"), "")
    texts = [p.text for p in page.posts]
    assert texts == ["x" * 100_000, "שלום עולם 👋🏽"]
    reasons = sorted(item.reason for item in page.skipped)
    assert len(reasons) == 4
    assert any("timestamp" in r for r in reasons) and any("missing account" in r for r in reasons)
    assert any("missing status" in r for r in reasons) and any("not a string" in r for r in reasons)


def test_search_and_hashtag(instance):
    imitation, server = instance
    for number in range(50):
        imitation.add_status(f"<p>coffee {number}</p>", ALICE, tags=["Coffee"] if number % 2 else [])
    connector = make_connector(server)
    found, _, cursor, _pages = read_all(connector, StreamSpec("search", "coffee"))
    assert len(found) == 50
    imitation.add_status("<p>more coffee</p>", BOB)
    assert [p.text for p in read_all(connector, StreamSpec("search", "coffee"), cursor)[0]] == ["more coffee"]
    tagged, _, _, _pages = read_all(connector, StreamSpec("search", "#coffee"))
    assert len(tagged) == 25
    assert any(r.path == "/api/v1/timelines/tag/coffee" for r in server.requests)
    with pytest.raises(ConnectorError):
        connector.fetch_page(StreamSpec("search", " "), "")


def test_comments_on_own_statuses_and_listed_ids(instance):
    imitation, server = instance
    mine = [imitation.add_status(f"<p>our post {n}</p>", imitation_module.OWN_ACCOUNT) for n in range(2)]
    imitation.add_status("<p>reply a</p>", ALICE, in_reply_to_id=mine[0]["id"])
    imitation.add_status("<p>reply b</p>", BOB, in_reply_to_id=mine[1]["id"])
    connector = make_connector(server)
    posts, _, cursor, _pages = read_all(connector, StreamSpec("comments"))
    assert sorted(p.text for p in posts) == ["reply a", "reply b"]
    assert {p.thread_external_id for p in posts} == {mine[0]["id"], mine[1]["id"]}
    # the next poll reads only new replies
    imitation.add_status("<p>reply c</p>", ALICE, in_reply_to_id=mine[0]["id"])
    assert [p.text for p in read_all(connector, StreamSpec("comments"), cursor)[0]] == ["reply c"]
    # explicit ids in the query
    listed, _, _, _pages = read_all(connector, StreamSpec("comments", f"{mine[1]['id']}"))
    assert [p.text for p in listed] == ["reply b"]


def test_direct_conversations(instance):
    imitation, server = instance
    status = imitation.add_status("<p>@shop my order?</p>", ALICE, visibility="direct")
    imitation.conversations.append({"id": "c1", "unread": True, "accounts": [ALICE], "last_status": status})
    page = make_connector(server).fetch_page(StreamSpec("messages"), "")
    assert [(p.kind, p.text, p.thread_external_id) for p in page.posts] == [("message", "@shop my order?", "c1")]


def test_reply_mirrors_visibility_mentions_author_and_is_idempotent(instance):
    imitation, server = instance
    imitation.add_status("<p>dm</p>", BOB, visibility="direct")
    parent_status = list(imitation.statuses.values())[-1]
    connector = make_connector(server)
    parent = connector.fetch_page(StreamSpec("search", "dm"), "").posts[0]
    reply = connector.reply(parent, "We will help")
    sent = [r for r in server.requests if r.method == "POST" and r.path == "/api/v1/statuses"][-1]
    assert sent.json() == {
        "status": "@bob@other.example We will help",
        "in_reply_to_id": parent_status["id"],
        "visibility": "direct",
    }
    assert reply.kind == "message" and reply.parent_external_id == parent_status["id"]
    assert reply.text == "@bob@other.example We will help"
    # a retried reply (lost response) carries the same key and is not posted twice
    again = connector.reply(parent, "We will help")
    keys = [
        r.headers["idempotency-key"] for r in server.requests if r.path == "/api/v1/statuses" and r.method == "POST"
    ]
    assert keys[0] == keys[1] and again.external_id == reply.external_id
    assert len([s for s in imitation.statuses.values() if s.get("posted_text")]) == 1


def test_reply_length_uses_instance_limit(instance):
    imitation, server = instance
    imitation.max_characters = 1000
    parent_status = imitation.add_status("<p>hello</p>", ALICE)
    connector = make_connector(server)
    parent = connector.fetch_page(StreamSpec("search", "hello"), "").posts[0]
    assert len(connector.reply(parent, "y" * 900).text) == len("@alice ") + 900
    with pytest.raises(ConnectorError, match="at most 1000"):
        connector.reply(parent, "y" * 1001)
    assert parent_status["id"] == parent.external_id
    # the limit is read once per instance
    assert len([r for r in server.requests if r.path == "/api/v2/instance"]) == 1


def test_publish(instance):
    _, server = instance
    post = make_connector(server).publish("Opening hours changed")
    assert post.kind == "post" and post.text == "Opening hours changed"
    with pytest.raises(ConnectorError):
        make_connector(server).publish("   ")


def test_rate_limit_raises_with_iso_reset(instance):
    imitation, server = instance
    imitation.add_mention("m", ALICE)
    imitation.remaining = 1
    connector = make_connector(server)
    page = connector.fetch_page(StreamSpec("mentions"), "")
    assert page.rate_limit.remaining == 0 and page.rate_limit.limit == 300
    with pytest.raises(RateLimited) as raised:
        connector.fetch_page(StreamSpec("mentions"), page.cursor)
    assert raised.value.reset_at == imitation.reset_at


def test_server_errors_retry_then_give_up(instance):
    imitation, server = instance
    imitation.add_mention("m", ALICE)
    imitation.failures = [500, 502]
    assert len(make_connector(server).fetch_page(StreamSpec("mentions"), "").posts) == 1
    imitation.failures = [503] * 10
    with pytest.raises(TransientError):
        make_connector(server).fetch_page(StreamSpec("mentions"), "")


def test_invalid_token_is_auth_error_without_secret(instance):
    _, server = instance
    connector = make_connector(server, access_token="stolen-or-revoked")
    with pytest.raises(AuthError) as raised:
        connector.fetch_page(StreamSpec("mentions"), "")
    assert "stolen-or-revoked" not in str(raised.value) and CLIENT_SECRET not in str(raised.value)


def test_oauth_pkce_flow_check_connection_and_revoke(instance):
    imitation, server = instance
    connector = make_connector(server, access_token="")
    url, kept = connector.authorization_url("https://odoo.example/social/callback", "state-1")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{server.url}/oauth/authorize?")
    assert query["code_challenge_method"] == ["S256"] and query["state"] == ["state-1"]
    assert "read:notifications" in query["scope"][0] and query["client_id"] == [CLIENT_ID]
    code = imitation.authorize("https://odoo.example/social/callback", query["code_challenge"][0])
    callback = f"https://odoo.example/social/callback?code={code}&state=state-1"
    credentials = connector.fetch_token("https://odoo.example/social/callback", callback, kept)
    assert credentials["access_token"].startswith("token-") and "refresh_token" not in credentials
    assert connector.check_connection() == "shop"
    connector.revoke()
    assert imitation.revoked == [credentials["access_token"]]
    with pytest.raises(AuthError):
        connector.check_connection()


def test_oauth_rejects_forged_state_and_bad_code(instance):
    _, server = instance
    connector = make_connector(server, access_token="")
    _, kept = connector.authorization_url("https://odoo.example/cb", "good")
    with pytest.raises(AuthError):
        connector.fetch_token("https://odoo.example/cb", "https://odoo.example/cb?code=x&state=forged", kept)
    with pytest.raises(AuthError, match="invalid_grant"):
        connector.fetch_token("https://odoo.example/cb", "https://odoo.example/cb?code=unknown&state=good", kept)


def test_a_server_ignoring_types_sends_other_notifications_none_is_a_mention(instance):
    imitation, server = instance
    ours = imitation.add_status("<p>our launch</p>", OWN_ACCOUNT)
    imitation.add_mention("<p>@shop help</p>", ALICE)
    imitation.add_notification("favourite", ALICE, ours)
    imitation.add_notification("reblog", BOB, ours)
    imitation.add_notification("follow", BOB)
    imitation.ignores_types = True
    posts, skipped, _cursor, _pages = read_all(make_connector(server), StreamSpec("mentions"))
    assert [p.text for p in posts] == ["@shop help"]
    assert sorted(s.reason for s in skipped) == [
        "a favourite notification, not a mention",
        "a follow notification, not a mention",
        "a reblog notification, not a mention",
    ]


def test_earlier_messages_of_a_conversation_come_from_the_context(instance):
    imitation, server = instance
    messages = [
        imitation.add_status("<p>@shop my parcel is lost</p>", ALICE, visibility="direct"),
        imitation.add_status("<p>@alice which order?</p>", OWN_ACCOUNT, visibility="direct"),
        imitation.add_status("<p>@shop 1042</p>", ALICE, visibility="direct"),
    ]
    imitation.add_conversation("c7", messages)
    posts, skipped, _cursor, _pages = read_all(make_connector(server), StreamSpec("messages"))
    assert not skipped
    assert sorted((p.text, p.thread_external_id, p.kind) for p in posts) == [
        ("@alice which order?", "c7", "message"),
        ("@shop 1042", "c7", "message"),
        ("@shop my parcel is lost", "c7", "message"),
    ]
    assert {p.parent_external_id for p in posts} == {"", messages[0]["id"], messages[1]["id"]}


def test_a_deleted_parent_is_skipped_and_the_other_parents_read(instance):
    imitation, server = instance
    mine = [imitation.add_status(f"<p>ours {n}</p>", OWN_ACCOUNT) for n in range(2)]
    imitation.add_status("<p>reply</p>", ALICE, in_reply_to_id=mine[1]["id"])
    query = f"{mine[0]['id']} 999 {mine[1]['id']}"
    posts, skipped, _cursor, _pages = read_all(make_connector(server), StreamSpec("comments", query))
    assert [p.text for p in posts] == ["reply"]
    assert [(s.external_id, s.reason) for s in skipped] == [
        ("999", "the status whose replies are read is gone (HTTP 404)")
    ]


def test_a_quote_post_keeps_only_what_its_author_wrote(instance):
    imitation, server = instance
    quoted = imitation.add_status("<p>our new coffee</p>", OWN_ACCOUNT)
    imitation.add_quote("<p>coffee tastes burnt</p>", ALICE, quoted)
    posts = read_all(make_connector(server), StreamSpec("search", "burnt"))[0]
    assert [p.text for p in posts] == ["coffee tastes burnt"]
    quoted_post = read_all(make_connector(server), StreamSpec("search", "new coffee"))[0][0]
    assert quoted_post.metrics.quotes == 1


def test_an_edited_reply_is_read_again_as_an_edit(instance):
    imitation, server = instance
    ours = imitation.add_status("<p>our launch</p>", OWN_ACCOUNT)
    reply = imitation.add_status("<p>it broke</p>", ALICE, in_reply_to_id=ours["id"])
    connector = make_connector(server)
    posts, _skipped, cursor, _pages = read_all(connector, StreamSpec("comments", ours["id"]))
    assert [p.text for p in posts] == ["it broke"]
    assert read_all(connector, StreamSpec("comments", ours["id"]), cursor)[0] == []
    reply.update(content="<p>it broke, fixed now, thanks</p>", edited_at="2026-11-20T11:00:00.000Z")
    edits, _skipped, cursor, _pages = read_all(connector, StreamSpec("comments", ours["id"]), cursor)
    assert [(p.external_id, p.text) for p in edits] == [(reply["id"], "it broke, fixed now, thanks")]
    assert edits[0].edited_at == datetime(2026, 11, 20, 11, 0, tzinfo=timezone.utc)
    assert read_all(connector, StreamSpec("comments", ours["id"]), cursor)[0] == []
