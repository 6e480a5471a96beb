import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from social_crm.core.connectors import AccountConfig, get_connector_class
from social_crm.core.connectors.youtube import next_quota_reset
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError
from social_crm.core.types import StreamSpec
from tests.connectors.reading import LIVE_TOKENS, build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.imitation.youtube import CHANNEL, CLIENT_ID, CLIENT_SECRET, YouTubeImitation, google_error


@pytest.fixture(autouse=True)
def plain_http_oauth(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the imitation speaks plain HTTP


@pytest.fixture
def network():
    imitation = YouTubeImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make_connector(server, saved=None, external_id=CHANNEL, **credentials):
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **LIVE_TOKENS, **credentials}
    return build_connector("youtube", server, credentials, saved, external_id=external_id)


def test_threads_every_page_with_all_replies_then_only_new(network):
    imitation, server = network
    threads = [imitation.add_thread(f"comment {n}") for n in range(150)]
    for number in range(8):  # more than the partial list a thread carries
        imitation.add_reply(threads[10], f"reply {number}")
    connector = make_connector(server, external_id="")
    first = connector.fetch_page(StreamSpec("comments"), "")
    assert first.has_more
    rest, _, cursor, _pages = read_all(make_connector(server), StreamSpec("comments"), first.cursor)
    posts = first.posts + rest
    assert len(posts) == 158 and len({p.external_id for p in posts}) == 158
    replies = [p for p in posts if p.parent_external_id == threads[10]["id"]]
    assert [p.text for p in replies] == [f"reply {n}" for n in range(8)]
    assert all(p.thread_external_id == threads[10]["id"] for p in replies)
    assert any(r.path == "/comments" and r.arg("parentId") == threads[10]["id"] for r in server.requests)
    assert [r for r in server.requests if r.path == "/commentThreads"][0].arg("allThreadsRelatedToChannelId") == CHANNEL
    # later polls: nothing old; a new thread and a new reply on the newest thread are read
    assert read_all(connector, StreamSpec("comments"), cursor)[0] == []
    imitation.add_reply(threads[-1], "late answer")
    imitation.add_thread("brand new")
    texts = {p.text for p in read_all(connector, StreamSpec("comments"), cursor)[0]}
    assert {"brand new", "late answer"} <= texts and "comment 0" not in texts


def test_backfill_cap_counts_threads(network):
    imitation, server = network
    for number in range(150):
        imitation.add_thread(f"c{number}")
    posts, _, _, _pages = read_all(make_connector(server), StreamSpec("comments", backfill_limit=30))
    assert [p.text for p in posts] == [f"c{n}" for n in range(149, 119, -1)]


def test_normalisation_edits_and_hostile_comments(network):
    imitation, server = network
    imitation.add_thread("<b>bold</b> <script>x()</script> שלום 🎉 " + "y" * 100_000)
    edited = imitation.add_thread("edited", updatedAt="2026-11-21T09:00:00Z")
    imitation.add_thread("bad time", publishedAt="31/12/2026")
    broken = imitation.add_thread("broken")
    broken["snippet"]["topLevelComment"] = "oops"
    imitation.threads.append({"id": "Ugx", "snippet": None})
    posts, skipped, _, _pages = read_all(make_connector(server), StreamSpec("comments"))
    assert [p.text[:6] for p in posts] == ["edited", "<b>bol"]
    assert posts[0].edited_at == datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
    assert posts[0].url == f"https://www.youtube.com/watch?v=vid1&lc={edited['id']}"
    assert posts[1].edited_at is None and len(posts[1].text) == 100_000
    assert posts[1].author.external_id == "UCalice" and posts[1].metrics.likes == 4
    assert len(skipped) == 3


def test_reply_goes_to_the_thread_and_respects_can_reply_and_length(network):
    imitation, server = network
    thread = imitation.add_thread("question?")
    imitation.add_reply(thread, "me too")
    connector = make_connector(server)
    posts, _, _, _pages = read_all(connector, StreamSpec("comments"))
    answer = connector.reply(posts[1], "Here is the answer")  # replying to a reply answers in its thread
    sent = [r for r in server.requests if r.method == "POST"][0]
    assert sent.arg("part") == "snippet"
    assert sent.json() == {"snippet": {"parentId": thread["id"], "textOriginal": "Here is the answer"}}
    assert answer.parent_external_id == thread["id"] and answer.author.external_id == CHANNEL
    with pytest.raises(ConnectorError, match="at most 10000"):
        connector.reply(posts[0], "z" * 10_001)
    thread["snippet"]["canReply"] = False
    with pytest.raises(ConnectorError, match="turned off"):
        connector.reply(posts[0], "hello")


def test_quota_exceeded_waits_until_midnight_pacific(network):
    imitation, server = network
    imitation.add_thread("c")
    imitation.quota_left = 0
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as raised:
        make_connector(server).fetch_page(StreamSpec("comments"), "")
    assert raised.value.reset_at == next_quota_reset(before) or raised.value.reset_at == next_quota_reset(
        datetime.now(timezone.utc)
    )
    # the rule: next midnight in Los Angeles (PST, UTC-8, in winter; PDT, UTC-7, in summer)
    assert next_quota_reset(datetime(2026, 1, 15, 7, 59, tzinfo=timezone.utc)) == datetime(
        2026, 1, 15, 8, 0, tzinfo=timezone.utc
    )
    assert next_quota_reset(datetime(2026, 7, 15, 7, 0, tzinfo=timezone.utc)) == datetime(
        2026, 7, 16, 7, 0, tzinfo=timezone.utc
    )


def test_burst_rate_limit_and_server_errors(network):
    imitation, server = network
    imitation.add_thread("c")
    imitation.failures = [google_error(403, "rateLimitExceeded", domain="youtube.api")]
    with pytest.raises(RateLimited) as raised:
        make_connector(server).fetch_page(StreamSpec("comments"), "")
    assert raised.value.reset_at < datetime.now(timezone.utc) + timedelta(minutes=5)
    imitation.failures = [google_error(503, "backendError")] * 2
    assert make_connector(server).fetch_page(StreamSpec("comments"), "").posts
    imitation.failures = [google_error(500, "backendError")] * 10
    with pytest.raises(TransientError):
        make_connector(server).fetch_page(StreamSpec("comments"), "")


def test_expired_token_refreshes_and_saves_keeping_refresh_token(network):
    imitation, server = network
    imitation.add_thread("c")
    saved = []
    connector = make_connector(server, saved, expires_at=time.time() - 1)
    assert connector.fetch_page(StreamSpec("comments"), "").posts
    assert saved[-1]["access_token"].startswith("ya29.") and saved[-1]["refresh_token"] == "refresh-1"
    assert saved[-1]["expires_at"] > time.time() + 3000
    # a refresh token revoked by the user: AuthError without secrets in the message
    imitation.refresh_tokens.clear()
    with pytest.raises(AuthError, match="invalid_grant") as raised:
        make_connector(server, access_token="stale").fetch_page(StreamSpec("comments"), "")
    assert "refresh-1" not in str(raised.value) and CLIENT_SECRET not in str(raised.value)


def test_oauth_offline_access_flow_and_revoke(network):
    imitation, server = network
    connector = make_connector(server, access_token="", refresh_token="")
    url, kept = connector.authorization_url("https://odoo.example/cb", "st")
    query = parse_qs(urlsplit(url).query)
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["scope"] == ["https://www.googleapis.com/auth/youtube.force-ssl"]
    credentials = connector.fetch_token(
        "https://odoo.example/cb", f"https://odoo.example/cb?code={imitation.authorize()}&state=st", kept
    )
    assert credentials["refresh_token"] in imitation.refresh_tokens
    assert connector.check_connection() == "@shop"
    connector.revoke()
    assert imitation.revoked == [credentials["refresh_token"]]
    assert (
        get_connector_class("youtube")(AccountConfig()).oauth_token_endpoint() == "https://oauth2.googleapis.com/token"
    )


def test_replies_the_thread_counts_but_nobody_lists_are_counted(network):
    imitation, server = network
    thread = imitation.add_thread("is the shop open on Sunday?")
    imitation.add_reply(thread, "yes, 10 to 16")
    imitation.hold_reply(thread)
    posts, skipped, _cursor, _pages = read_all(make_connector(server), StreamSpec("comments"))
    assert [p.text for p in posts] == ["is the shop open on Sunday?", "yes, 10 to 16"]
    assert [(s.external_id, s.reason) for s in skipped] == [
        (thread["id"], "a reply the thread counts is not readable (held for review or removed)")
    ]
