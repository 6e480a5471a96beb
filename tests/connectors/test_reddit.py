import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from social_crm.core.connectors import AccountConfig, get_connector_class
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError
from social_crm.core.types import NormalizedPost, StreamSpec
from tests.connectors.reading import LIVE_TOKENS, build_connector, read_all
from tests.imitation.reddit import CLIENT_ID, CLIENT_SECRET, START, RedditImitation
from tests.imitation.server import ImitationServer, Response


@pytest.fixture(autouse=True)
def plain_http_oauth(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the imitation speaks plain HTTP


@pytest.fixture
def network():
    imitation = RedditImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make_connector(server, saved=None, options=None, **credentials):
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **LIVE_TOKENS, **credentials}
    return build_connector("reddit", server, credentials, saved, handle="shop", options=options or {})


def test_mentions_every_page_resume_poll_and_user_agent(network):
    imitation, server = network
    for number in range(230):
        imitation.add("mentions", body=f"u/shop m{number}")
    connector = make_connector(server)
    first = connector.fetch_page(StreamSpec("mentions"), "")
    assert len(first.posts) == 100 and first.has_more
    rest, _, cursor, _pages = read_all(make_connector(server), StreamSpec("mentions"), first.cursor)
    posts = first.posts + rest
    assert [p.text for p in posts] == [f"u/shop m{n}" for n in reversed(range(230))]
    assert all(p.kind == "mention" and p.external_id.startswith("t1_") for p in posts)
    assert read_all(connector, StreamSpec("mentions"), cursor)[0] == []
    imitation.add("mentions", body="fresh")
    assert [p.text for p in read_all(connector, StreamSpec("mentions"), cursor)[0]] == ["fresh"]
    assert set(imitation.user_agents) == {"python:social_crm:19.0 (by /u/shop)"}
    listing_request = [r for r in server.requests if r.path == "/message/mentions"][0]
    assert listing_request.arg("raw_json") == "1"


def test_custom_user_agent_and_backfill_cap(network):
    imitation, server = network
    for number in range(150):
        imitation.add("messages", "t4", f"pm {number}")
    connector = make_connector(server, options={"user_agent": "web:acme-crm:2.0 (by /u/acme)"})
    posts, _, cursor, _pages = read_all(connector, StreamSpec("messages", backfill_limit=120))
    assert len(posts) == 120 and posts[0].text == "pm 149" and posts[0].kind == "message"
    assert imitation.user_agents[-1] == "web:acme-crm:2.0 (by /u/acme)"
    imitation.add("messages", "t4", "new pm")
    assert [p.text for p in read_all(connector, StreamSpec("messages"), cursor)[0]] == ["new pm"]


def test_comments_read_both_inbox_boxes(network):
    imitation, server = network
    imitation.add("comments", body="reply to our comment")
    imitation.add("selfreply", body="reply to our post")
    connector = make_connector(server)
    posts, _, cursor, _pages = read_all(connector, StreamSpec("comments"))
    assert [p.text for p in posts] == ["reply to our comment", "reply to our post"]
    imitation.add("selfreply", body="another on our post")
    assert [p.text for p in read_all(connector, StreamSpec("comments"), cursor)[0]] == ["another on our post"]


def test_search_edits_deletions_and_hostile_items(network):
    imitation, server = network
    imitation.add("search", "t3", "coffee <script>alert(1)</script> &amp; قهوة ☕", selftext="x" * 100_000)
    imitation.add("search", "t3", "coffee edited", edited=START + 500)
    imitation.add("search", "t3", "coffee [removed]", author="[deleted]", selftext="[removed]")
    imitation.add("search", "t3", "coffee bad time", created_utc="never")
    imitation.add("search", "t3", "coffee no author", author=None)
    imitation.posts.append({"kind": "more", "data": {"title": "coffee", "children": ["a"]}})
    posts, skipped, _, _pages = read_all(make_connector(server), StreamSpec("search", "coffee"))
    assert [p.text[:16] for p in posts] == ["coffee [removed]", "coffee edited", "coffee <script>a"]
    assert posts[2].text.startswith("coffee <script>alert(1)</script> &amp; قهوة ☕\n\nxxx")
    assert posts[0].deleted and posts[0].author.handle == "[deleted]"
    assert posts[1].edited_at == datetime.fromtimestamp(START + 500, tz=timezone.utc)
    assert len(posts[2].text) == 100_000 and posts[2].url.startswith("https://www.reddit.com/r/shop/")
    assert len(skipped) == 3
    request = [r for r in server.requests if r.path == "/search"][0]
    assert request.arg("sort") == "new" and request.arg("q") == "coffee"


def test_expired_token_is_refreshed_with_basic_auth_and_saved(network):
    imitation, server = network
    imitation.add("mentions")
    saved = []
    connector = make_connector(server, saved, expires_at=time.time() - 10)
    assert len(connector.fetch_page(StreamSpec("mentions"), "").posts) == 1
    refresh = [r for r in server.requests if r.path == "/api/v1/access_token"][0]
    assert refresh.headers["authorization"].startswith("Basic ")
    assert parse_qs(refresh.body.decode())["grant_type"] == ["refresh_token"]
    assert saved[-1]["access_token"] in imitation.access_tokens and saved[-1]["refresh_token"] == "refresh-1"
    assert saved[-1]["expires_at"] > time.time() + 86000  # honours expires_in


def test_revoked_access_token_refreshes_once_then_auth_error(network):
    imitation, server = network
    imitation.add("mentions")
    saved = []
    connector = make_connector(server, saved, access_token="dead")
    assert connector.fetch_page(StreamSpec("mentions"), "").posts
    assert len(saved) == 1
    imitation.refresh_tokens.clear()
    with pytest.raises(AuthError) as raised:
        make_connector(server, access_token="dead").fetch_page(StreamSpec("mentions"), "")
    assert "refresh-1" not in str(raised.value) and CLIENT_SECRET not in str(raised.value)


def test_reply_posts_form_and_handles_ratelimit_errors(network):
    imitation, server = network
    imitation.add("mentions", body="help please")
    connector = make_connector(server)
    parent = connector.fetch_page(StreamSpec("mentions"), "").posts[0]
    reply = connector.reply(parent, "We're on it ✅")
    sent = [r for r in server.requests if r.path == "/api/comment"][0].form()
    assert sent == {"api_type": "json", "thing_id": parent.external_id, "text": "We're on it ✅"}
    assert reply.parent_external_id == parent.external_id and reply.text == "We're on it ✅"
    imitation.reply_errors = [["RATELIMIT", "You are doing that too much. Try again in 9 minutes.", "ratelimit"]]
    with pytest.raises(RateLimited) as raised:
        connector.reply(parent, "again")
    expected = datetime.now(timezone.utc) + timedelta(minutes=9)
    assert abs((raised.value.reset_at - expected).total_seconds()) < 60
    imitation.reply_errors = [["THREAD_LOCKED", "Comments are locked.", "parent"]]
    with pytest.raises(ConnectorError, match="THREAD_LOCKED"):
        connector.reply(parent, "again")
    with pytest.raises(ConnectorError, match="at most 10000"):
        connector.reply(parent, "x" * 10_001)
    message_parent = NormalizedPost("t4_abc", parent.author, "pm", parent.created_at, kind="message")
    assert connector.reply(message_parent, "hi").kind == "message"


def test_rate_limit_headers_429_html_and_server_errors(network):
    imitation, server = network
    imitation.add("mentions")
    connector = make_connector(server)
    page = connector.fetch_page(StreamSpec("mentions"), "")
    assert page.rate_limit.remaining == 599 and page.rate_limit.limit == 600
    imitation.remaining = 0
    with pytest.raises(RateLimited) as raised:
        connector.fetch_page(StreamSpec("mentions"), "")
    expected = datetime.now(timezone.utc) + timedelta(seconds=321)
    assert abs((raised.value.reset_at - expected).total_seconds()) < 5
    imitation.remaining = 50
    imitation.failures = [Response(503, "<html>Our CDN was unable to reach our servers</html>")] * 2
    assert connector.fetch_page(StreamSpec("mentions"), "").posts
    imitation.failures = [Response(500, "<html>down</html>")] * 10
    with pytest.raises(TransientError):
        connector.fetch_page(StreamSpec("mentions"), "")
    imitation.failures = [Response(404, "<html><body>404</body></html>")]
    with pytest.raises(ConnectorError, match="HTML page"):
        connector.fetch_page(StreamSpec("mentions"), "")


def test_oauth_permanent_grant_token_url_option_and_revoke(network):
    imitation, server = network
    connector = make_connector(server, access_token="", refresh_token="")
    url, kept = connector.authorization_url("https://odoo.example/cb", "s1")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{server.url}/api/v1/authorize?") and query["duration"] == ["permanent"]
    assert query["scope"] == ["identity read history privatemessages submit"]
    credentials = connector.fetch_token(
        "https://odoo.example/cb", f"https://odoo.example/cb?state=s1&code={imitation.authorize()}", kept
    )
    assert credentials["refresh_token"].startswith("refresh-") and credentials["expires_at"] > time.time()
    assert connector.check_connection() == "shop"
    connector.revoke()
    assert imitation.revoked == [credentials["refresh_token"]]
    # the token endpoint can be set apart from the API host
    other = make_connector(server, options={"token_url": f"{server.url}/api/v1/access_token"})
    assert other.oauth_token_endpoint() == f"{server.url}/api/v1/access_token"
    assert (
        get_connector_class("reddit")(AccountConfig()).oauth_token_endpoint()
        == "https://www.reddit.com/api/v1/access_token"
    )


def test_inbox_comments_take_url_and_thread_from_context_not_the_posts_counts(network):
    imitation, server = network
    mention = imitation.add("mentions", body="u/shop broken zipper")
    posts = read_all(make_connector(server), StreamSpec("mentions"))[0]
    name = mention["data"]["id"]
    assert posts[0].url == f"https://www.reddit.com/r/shop/comments/root/our_launch_post/{name}/"
    assert posts[0].thread_external_id == "t3_root" and posts[0].parent_external_id == "t3_root"
    assert posts[0].metrics.replies == 0, "num_comments of an inbox comment counts its post's comments"


def test_a_conversation_is_read_with_its_nested_replies_as_one_thread(network):
    imitation, server = network
    first = imitation.add("messages", "t4", "where is my order?")
    imitation.add("messages", "t4", "you are an approved user", author=None)
    imitation.reply_to_message(first, "it left yesterday", author="shop")
    imitation.reply_to_message(first, "thanks!")
    connector = make_connector(server)
    posts, skipped, cursor, _pages = read_all(connector, StreamSpec("messages"))
    assert not skipped
    assert [p.text for p in posts] == [
        "where is my order?", "it left yesterday", "thanks!", "you are an approved user"
    ]
    assert {p.thread_external_id for p in posts[:3]} == {first["data"]["name"]}
    assert posts[3].author.handle == "r/shop" and posts[3].thread_external_id == posts[3].external_id
    # a new reply to the oldest conversation moves it to the top: the next poll reads it
    imitation.reply_to_message(first, "one more question")
    again = read_all(connector, StreamSpec("messages"), cursor)[0]
    assert "one more question" in [p.text for p in again]
