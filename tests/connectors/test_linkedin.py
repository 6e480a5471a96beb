import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from social_crm.core.connectors import AccountConfig, get_connector_class
from social_crm.core.connectors.linkedin import little_text, next_midnight_utc
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError
from social_crm.core.types import StreamSpec
from tests.connectors.reading import LIVE_TOKENS, build_connector, read_all
from tests.imitation.linkedin import CLIENT_ID, CLIENT_SECRET, ORGANIZATION, LinkedInImitation, linkedin_error
from tests.imitation.server import ImitationServer, Response

COMMENTS, MENTIONS = StreamSpec("comments"), StreamSpec("mentions")


@pytest.fixture(autouse=True)
def plain_http_oauth(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the imitation speaks plain HTTP


@pytest.fixture
def network():
    imitation = LinkedInImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make_connector(server, saved=None, external_id=ORGANIZATION, **credentials):
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **LIVE_TOKENS, **credentials}
    return build_connector("linkedin", server, credentials, saved, external_id=external_id)


def test_comments_and_replies_on_every_post_then_only_new_or_edited(network):
    imitation, server = network
    posts = [imitation.add_post(f"post {n}") for n in range(3)]
    imitation.add_post("somebody else's post", author="urn:li:person:Other")
    comments = [imitation.add_comment(posts[0], f"comment {n}") for n in range(230)]  # three pages
    question = imitation.add_comment(posts[2], "Where can I buy it?", actor="urn:li:person:Q")
    answers = [imitation.add_comment(posts[2], f"reply {n}", parent=question) for n in range(3)]
    connector = make_connector(server, external_id="2414183")  # the bare organization id works too
    read = read_all(connector, COMMENTS)
    assert len(read.posts) == 234 and len({p.external_id for p in read.posts}) == 234 and not read.skipped
    assert read.pages == 3  # one page per watched post
    listing = next(r for r in server.requests if r.path == "/posts")
    assert (listing.arg("author"), listing.arg("q"), listing.arg("sortBy")) == (ORGANIZATION, "author", "LAST_MODIFIED")
    assert all(r.headers["linkedin-version"].isdigit() for r in server.requests)
    by_id = {p.external_id: p for p in read.posts}
    top = by_id[question["commentUrn"]]
    assert (top.parent_external_id, top.thread_external_id, top.metrics.replies) == ("", question["commentUrn"], 3)
    for answer in answers:
        reply = by_id[answer["commentUrn"]]
        assert (reply.parent_external_id, reply.thread_external_id) == (question["commentUrn"], question["commentUrn"])
    comment_query = quote(top.external_id, safe="")
    assert top.url == f"https://www.linkedin.com/feed/update/{posts[2]['id']}?commentUrn={comment_query}"
    assert top.author.external_id == "urn:li:person:Q" and top.metrics.likes == 2
    # the next run reads again what is younger than the clock margin (stored once all the same) ...
    assert len(read_all(connector, COMMENTS, read.cursor).posts) == 234
    # ... and without margin (the imitation and the connector share one clock): nothing old;
    # a new comment, a new reply and an edit are read
    connector.clock_margin_ms = 0
    cursor = read_all(connector, COMMENTS, read.cursor).cursor
    assert read_all(connector, COMMENTS, cursor).posts == []
    imitation.edit_comment(comments[5], "comment 5, edited")
    imitation.add_comment(posts[1], "fresh")
    imitation.add_comment(posts[2], "one more reply", parent=question)
    again = read_all(connector, COMMENTS, cursor).posts
    assert sorted(p.text for p in again) == ["comment 5, edited", "fresh", "one more reply"]
    assert next(p for p in again if p.text == "comment 5, edited").edited_at is not None


def test_a_stream_query_names_its_posts_and_the_backfill_cap_holds(network):
    imitation, server = network
    chosen, other = imitation.add_post("chosen"), imitation.add_post("other")
    for number in range(40):
        imitation.add_comment(chosen, f"c{number}")
    imitation.add_comment(other, "not watched")
    posts = read_all(make_connector(server), StreamSpec("comments", query=chosen["id"], backfill_limit=25)).posts
    assert len(posts) == 25 and "not watched" not in {p.text for p in posts}
    with pytest.raises(ConnectorError, match="no post URN"):
        make_connector(server).fetch_page(StreamSpec("comments", query="https://linkedin.com/x"), "")
    with pytest.raises(ConnectorError, match="Network ID"):
        make_connector(server, external_id="nordlight").fetch_page(COMMENTS, "")


def test_mentions_read_the_mentioning_posts_in_little_text(network):
    imitation, server = network
    mention = imitation.add_mention(
        r"Thanks @[Nordlight](urn:li:organization:2414183) for the fix {hashtag|\#|support} \(really\)"
    )
    gone = imitation.add_mention("deleted later")
    del imitation.posts[gone["id"]]
    connector = make_connector(server)
    read = read_all(connector, MENTIONS)
    assert [p.text for p in read.posts] == ["Thanks @Nordlight for the fix #support (really)"]
    post = read.posts[0]
    assert (post.kind, post.external_id, post.author.external_id) == ("mention", mention["id"], "urn:li:person:Zed9")
    assert post.url == f"https://www.linkedin.com/feed/update/{mention['id']}/"
    assert [s.reason for s in read.skipped] == ["the mentioning post was deleted"]
    asked = next(r for r in server.requests if r.path == "/organizationalEntityNotifications")
    assert asked.arg("actions") == "List(SHARE_MENTION)" and asked.arg("organizationalEntity") == ORGANIZATION
    # a later run asks from where the last one ended (a mention of that very millisecond may come
    # twice: it is stored once) and finds the new mention
    later = read_all(connector, MENTIONS, read.cursor)
    assert {p.external_id for p in later.posts} <= {mention["id"]}
    imitation.add_mention("second mention")
    assert "second mention" in [p.text for p in read_all(connector, MENTIONS, later.cursor).posts]
    windows = [r.arg("timeRange") for r in server.requests if r.path == "/organizationalEntityNotifications"]
    assert windows[1].split(",")[0] == windows[0].split(",")[1].replace("end", "(start").rstrip(")")


def test_mentions_paging_and_other_notifications_are_counted(network):
    imitation, server = network
    for number in range(130):
        imitation.add_mention(f"m{number}")
    imitation.notifications.append({"action": "LIKE", "actor": "urn:li:person:L", "lastModifiedAt": imitation._now()})
    read = read_all(make_connector(server), MENTIONS)
    assert len(read.posts) == 130 and read.pages == 2
    assert [s.reason for s in read.skipped] == ["notification LIKE is no mention"]


def test_reply_to_a_comment_a_reply_and_a_mention(network):
    imitation, server = network
    post = imitation.add_post()
    question = imitation.add_comment(post, "Does it ship to Brno?")
    connector = make_connector(server)
    stored = {p.external_id: p for p in read_all(connector, COMMENTS).posts}
    answer = connector.reply(stored[question["commentUrn"]], "Yes, within two days.")
    sent = [r for r in server.requests if r.method == "POST"][-1]
    assert sent.path == f"/socialActions/{quote(question['commentUrn'], safe='')}/comments"
    assert sent.json() == {
        "actor": ORGANIZATION,
        "object": question["object"],
        "message": {"text": "Yes, within two days."},
        "parentComment": question["commentUrn"],
    }
    assert (answer.parent_external_id, answer.thread_external_id) == (question["commentUrn"],) * 2
    assert answer.author.external_id == ORGANIZATION
    # answering our own reply answers under the top-level comment (LinkedIn nests one level)
    imitation.header_only_answers = True  # some versions answer 201 with the URN in x-restli-id only
    second = connector.reply(answer, "And shipping is free.")
    assert second.parent_external_id == question["commentUrn"] and second.text == "And shipping is free."
    mention = imitation.add_mention("@[Nordlight](urn:li:organization:2414183) is great")
    imitation.header_only_answers = False
    mention_post = read_all(connector, MENTIONS).posts[0]
    on_mention = connector.reply(mention_post, "Thank you!")
    assert on_mention.parent_external_id == ""
    assert imitation.comments[mention["id"]][-1]["message"]["text"] == "Thank you!"
    with pytest.raises(ConnectorError, match="at most 1250"):
        connector.reply(mention_post, "x" * 1251)


def test_errors_daily_quota_and_server_errors(network):
    imitation, server = network
    imitation.add_comment(imitation.add_post(), "c")
    imitation.failures = [linkedin_error(429, "TOO_MANY_REQUESTS", "Resource level throttle limit reached")]
    with pytest.raises(RateLimited) as raised:
        make_connector(server).fetch_page(COMMENTS, "")
    assert raised.value.reset_at in (next_midnight_utc(datetime.now(timezone.utc)),
                                     next_midnight_utc(datetime.now(timezone.utc) - timedelta(minutes=1)))  # fmt: skip
    assert next_midnight_utc(datetime(2026, 12, 2, 23, 59, tzinfo=timezone.utc)) == datetime(
        2026, 12, 3, tzinfo=timezone.utc
    )
    imitation.failures = [linkedin_error(504, "GATEWAY_TIMEOUT", "timeout")] * 2
    assert read_all(make_connector(server), COMMENTS).posts
    imitation.failures = [linkedin_error(500, "INTERNAL_SERVER_ERROR", "boom")] * 10
    with pytest.raises(TransientError):
        make_connector(server).fetch_page(COMMENTS, "")
    imitation.failures = [linkedin_error(403, "ACCESS_DENIED", "Not enough permissions to access: posts", 100)]
    with pytest.raises(AuthError, match="ACCESS_DENIED"):
        make_connector(server).fetch_page(COMMENTS, "")
    imitation.failures = [Response(200, b"[1, 2]", {"Content-Type": "application/json"})]
    with pytest.raises(ConnectorError, match="not a JSON object"):
        make_connector(server).fetch_page(COMMENTS, "")


def test_hostile_and_broken_comments_are_skipped_with_reasons(network):
    imitation, server = network
    post = imitation.add_post()
    huge = imitation.add_comment(post, "<img src=x onerror=alert(1)>\x00 Привет 👋 " + "w" * 150_000)
    imitation.comments[post["id"]] += [
        "not an object",
        {"commentUrn": "urn:li:comment:bogus", "actor": "urn:li:person:X", "message": {"text": "x"},
         "created": {"time": 1}},  # fmt: skip
        {"commentUrn": huge["commentUrn"].replace(")", "9)"), "message": {"text": "no actor"}, "created": {"time": 1}},
        {**huge, "commentUrn": huge["commentUrn"].replace(")", "8)"), "created": {"time": "soon"}},
    ]
    read = read_all(make_connector(server), COMMENTS)
    assert len(read.posts) == 1 and len(read.posts[0].text) == 100_000 and "\x00" not in read.posts[0].text
    assert read.posts[0].text.startswith("<img src=x onerror=alert(1)> Привет 👋")
    assert len(read.skipped) == 4
    # a watched post deleted, or a comment deleted while its replies are read: counted, the rest read
    deleted = imitation.add_post("deleted")
    imitation.comments.pop(deleted["id"])
    asked = imitation.add_comment(post, "with replies")
    imitation.add_comment(post, "a reply", parent=asked)
    imitation.comments.pop(asked["commentUrn"])
    later = read_all(make_connector(server), StreamSpec("comments", query=f"{deleted['id']} {post['id']}"))
    assert {s.reason for s in later.skipped} >= {
        "the post no longer exists",
        "the comment was deleted while its replies were read",
    }
    assert "with replies" in {p.text for p in later.posts}
    # a post without comments reads nothing
    assert read_all(make_connector(server), StreamSpec("comments", query=imitation.add_post()["id"])).posts == []


def test_little_text_format():
    assert little_text(r"a \@ b \\ c \[d\]") == r"a @ b \ c [d]"
    assert little_text("@[ACME \\] Corp](urn:li:organization:1) hi") == "@ACME ] Corp hi"
    assert little_text("plain") == "plain"


def test_token_refresh_sends_the_client_in_the_body_and_saves(network):
    imitation, server = network
    imitation.add_comment(imitation.add_post(), "c")
    saved = []
    assert make_connector(server, saved, expires_at=time.time() - 1).fetch_page(COMMENTS, "").posts
    assert imitation.refresh_bodies[-1]["client_id"] == CLIENT_ID
    assert saved[-1]["access_token"].startswith("AQV") and saved[-1]["expires_at"] > time.time() + 5_000_000
    # a 401 with a refresh token refreshes once; without one, the account must reconnect
    assert make_connector(server, access_token="expired").fetch_page(COMMENTS, "").posts
    with pytest.raises(AuthError, match="refused"):
        make_connector(server, access_token="expired", refresh_token="").fetch_page(COMMENTS, "")
    imitation.refresh_tokens.clear()
    with pytest.raises(AuthError, match="invalid_grant") as raised:
        make_connector(server, access_token="expired").fetch_page(COMMENTS, "")
    assert CLIENT_SECRET not in str(raised.value)


def test_oauth_flow_scopes_check_and_revoke(network):
    imitation, server = network
    connector = make_connector(server, access_token="", refresh_token="")
    url, kept = connector.authorization_url("https://odoo.example/cb", "st")
    assert urlsplit(url).path == "/oauth/v2/authorization"
    assert set(parse_qs(urlsplit(url).query)["scope"][0].split()) == {
        "r_organization_social",
        "w_organization_social",
        "rw_organization_admin",
    }
    credentials = connector.fetch_token(
        "https://odoo.example/cb", f"https://odoo.example/cb?code={imitation.authorize()}&state=st", kept
    )
    assert credentials["access_token"].startswith("AQV") and "," in credentials["scope"]
    assert connector.check_connection() == "nordlight"
    connector.revoke()
    assert imitation.revoked == ["refresh-1"]
    default = get_connector_class("linkedin")(AccountConfig())
    assert default.oauth_token_endpoint() == "https://www.linkedin.com/oauth/v2/accessToken"


def test_an_organization_without_posts_or_mentions_reads_nothing(network):
    _imitation, server = network
    connector = make_connector(server)
    for stream in (COMMENTS, MENTIONS):
        read = read_all(connector, stream)
        assert (read.posts, read.skipped, read.pages) == ([], [], 1)
        assert read_all(connector, stream, read.cursor).posts == []
