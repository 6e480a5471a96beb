import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from social_crm.core.connectors import AccountConfig, get_connector_class
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, TransientError
from social_crm.core.types import StreamSpec
from tests.connectors.reading import LIVE_TOKENS, build_connector, read_all
from tests.imitation.google_business import ACCOUNT, CLIENT_ID, CLIENT_SECRET, GoogleBusinessImitation
from tests.imitation.server import ImitationServer, Response
from tests.imitation.youtube import google_error

REVIEWS = StreamSpec("comments")


@pytest.fixture(autouse=True)
def plain_http_oauth(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the imitation speaks plain HTTP


@pytest.fixture
def network():
    imitation = GoogleBusinessImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make_connector(server, saved=None, external_id=ACCOUNT, **credentials):
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **LIVE_TOKENS, **credentials}
    return build_connector("google_business", server, credentials, saved, external_id=external_id)


def test_every_location_every_page_then_only_new_and_updated_reviews(network):
    imitation, server = network
    first = [imitation.add_review(f"review {n}", 4) for n in range(120)]
    imitation.add_review("other shop", 2, location="5550002")
    connector = make_connector(server, external_id="1122334455")  # the bare account id works too
    posts, skipped, cursor, pages = read_all(connector, REVIEWS)
    assert len(posts) == 121 and len({p.external_id for p in posts}) == 121 and not skipped
    assert pages == 4  # 50 + 50 + 20 of the first location, then the second one
    sizes = [r.arg("pageSize") for r in server.requests if r.path.endswith("/reviews")]
    assert set(sizes) == {"50"}
    assert all(r.arg("orderBy") == "updateTime desc" for r in server.requests if r.path.endswith("/reviews"))
    # a later run reads nothing old; a new review and an edited one (new stars, new text) are read again
    assert read_all(connector, REVIEWS, cursor).posts == []
    imitation.edit_review(first[3], text="Changed my mind: broken on arrival", stars=1)
    imitation.add_review("new one", 5)
    again, _, cursor, _ = read_all(connector, REVIEWS, cursor)
    assert {(p.external_id, p.star_rating) for p in again} == {
        (first[3]["name"], 1),
        (imitation.reviews["5550001"][-1]["name"], 5),
    }
    edited = next(p for p in again if p.external_id == first[3]["name"])
    assert edited.text == "Changed my mind: broken on arrival" and edited.edited_at > edited.created_at
    assert read_all(connector, REVIEWS, cursor).posts == []


def test_a_stream_query_names_its_locations(network):
    imitation, server = network
    imitation.add_review("first shop", 5)
    imitation.add_review("second shop", 3, location="5550002")
    posts = read_all(make_connector(server), StreamSpec("comments", query="locations/5550002")).posts
    assert [p.text for p in posts] == ["second shop"]
    assert not any(r.path.endswith("/locations") for r in server.requests), "no listing when the query names them"
    # a location removed from the account is counted, the others are read
    read = read_all(make_connector(server), StreamSpec("comments", query="9990009 5550002"))
    assert [p.text for p in read.posts] == ["second shop"]
    assert [(s.reason, s.external_id) for s in read.skipped] == [
        ("the location no longer exists", f"{ACCOUNT}/locations/9990009")
    ]
    with pytest.raises(ConnectorError, match="no location id"):
        make_connector(server).fetch_page(StreamSpec("comments", query="locations/<script>"), "")
    with pytest.raises(ConnectorError, match="Network ID"):
        make_connector(server, external_id="").fetch_page(REVIEWS, "")


def test_normalisation_stars_anonymity_replies_and_hostile_input(network):
    imitation, server = network
    silent = imitation.add_review(None, 1)  # stars only: no comment field at all
    anonymous = imitation.add_review("ok", 3, anonymous=True)
    unspecified = imitation.add_review("no stars", 0)
    hostile = imitation.add_review("<script>alert(1)</script>\x00 شكراً 🎉 " + "z" * 200_000, 5, who="Eve")
    answered = imitation.add_review("Good", 4)
    answered["reviewReply"] = {"comment": "Thank you!", "updateTime": "2026-11-21T10:00:00.045123456Z"}
    imitation.add_review("bad time", 4)["createTime"] = "yesterday"
    imitation.reviews["5550001"].append({"name": "nonsense", "updateTime": "2026-11-30T00:00:00Z"})
    imitation.reviews["5550001"].append(
        {"name": f"{ACCOUNT}/locations/5550001/reviews/../../../x", "updateTime": "2026-11-30T00:00:00Z"}
    )
    imitation.reviews["5550001"].append({"updateTime": "2026-11-30T00:00:00Z", "starRating": "FIVE"})
    posts, skipped, _, _ = read_all(make_connector(server), StreamSpec("comments", query="5550001"))
    by_id = {p.external_id: p for p in posts}
    assert len(skipped) == 4 and {s.external_id for s in skipped} >= {"nonsense"}
    assert (by_id[silent["name"]].text, by_id[silent["name"]].star_rating) == ("", 1)
    assert by_id[silent["name"]].author.display_name == "Alice Novak"
    assert by_id[silent["name"]].author.external_id.startswith("https://lh3.googleusercontent.com/")
    # anonymous reviewers are never merged into one profile
    assert by_id[anonymous["name"]].author.external_id == f"reviewer-of:{anonymous['name']}"
    assert by_id[anonymous["name"]].author.display_name == ""
    assert by_id[unspecified["name"]].star_rating == 0
    text = by_id[hostile["name"]].text
    assert text.startswith("<script>alert(1)</script> شكراً 🎉") and len(text) == 100_000 and "\x00" not in text
    reply = by_id[f"{answered['name']}/reply"]
    assert (reply.author.external_id, reply.parent_external_id, reply.thread_external_id) == (
        ACCOUNT,
        answered["name"],
        answered["name"],
    )
    assert reply.created_at == datetime(2026, 11, 21, 10, 0, 0, 45123, tzinfo=timezone.utc)
    assert by_id[answered["name"]].thread_external_id == answered["name"]


def test_empty_location_and_empty_account(network):
    imitation, server = network
    posts, skipped, cursor, _ = read_all(make_connector(server), REVIEWS)
    assert (posts, skipped) == ([], [])
    imitation.reviews.clear()
    assert read_all(make_connector(server), REVIEWS, cursor).posts == []


def test_reply_sets_the_one_reply_of_a_review_and_respects_limits(network):
    imitation, server = network
    review = imitation.add_review("Cold pizza, slow delivery", 2)
    connector = make_connector(server)
    stored = read_all(connector, REVIEWS).posts[0]
    answer = connector.reply(stored, "Sorry, we will do better.")
    sent = [r for r in server.requests if r.method == "PUT"][0]
    assert sent.path == f"/v4/{review['name']}/reply" and sent.json() == {"comment": "Sorry, we will do better."}
    assert (answer.external_id, answer.parent_external_id) == (f"{review['name']}/reply", review["name"])
    assert answer.author.external_id == ACCOUNT
    # replying again (also to our own reply) replaces the one reply
    connector.reply(answer, "Update: refund sent.")
    assert review["reviewReply"]["comment"] == "Update: refund sent."
    with pytest.raises(ConnectorError, match="4096 bytes"):
        connector.reply(stored, "ž" * 2049)  # 2049 characters, 4098 bytes
    with pytest.raises(ConnectorError, match="empty"):
        connector.reply(stored, "  ")
    with pytest.raises(ConnectorError, match="only reviews"):
        connector.reply(replace(stored, external_id="x", thread_external_id="accounts/1/../../v4"), "hi")
    imitation.unverified.add("5550001")
    with pytest.raises(ConnectorError, match="not verified"):
        connector.reply(stored, "hello")


def test_rate_limit_server_errors_and_permission(network):
    imitation, server = network
    imitation.add_review("r", 5)
    exhausted = {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}
    imitation.failures = [Response.json(exhausted, 429, {"Retry-After": "30"})]
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as raised:
        make_connector(server).fetch_page(REVIEWS, "")
    assert before + timedelta(seconds=25) < raised.value.reset_at < before + timedelta(seconds=40)
    imitation.failures = [google_error(503, "backendError")] * 2
    assert read_all(make_connector(server), REVIEWS).posts
    imitation.failures = [google_error(500, "backendError")] * 10
    with pytest.raises(TransientError):
        make_connector(server).fetch_page(REVIEWS, "")
    imitation.failures = [google_error(403, "forbidden", "The caller does not have permission")]
    with pytest.raises(AuthError, match="permission"):
        make_connector(server).fetch_page(REVIEWS, "")
    imitation.failures = [Response(200, b"<html>proxy</html>", {"Content-Type": "text/html"})]
    with pytest.raises(ConnectorError):
        make_connector(server).fetch_page(REVIEWS, "")


def test_expired_or_revoked_token_refreshes_once_then_fails_cleanly(network):
    imitation, server = network
    imitation.add_review("r", 5)
    saved = []
    assert make_connector(server, saved, expires_at=time.time() - 1).fetch_page(REVIEWS, "").posts
    assert saved[-1]["access_token"].startswith("ya29.gbp") and saved[-1]["refresh_token"] == "refresh-1"
    saved.clear()
    assert make_connector(server, saved, access_token="revoked").fetch_page(REVIEWS, "").posts  # 401 → refresh
    assert saved and saved[-1]["access_token"] != "revoked"
    imitation.refresh_tokens.clear()
    with pytest.raises(AuthError, match="invalid_grant") as raised:
        make_connector(server, access_token="stale").fetch_page(REVIEWS, "")
    assert "refresh-1" not in str(raised.value) and CLIENT_SECRET not in str(raised.value)


def test_oauth_flow_scope_and_revoke(network):
    imitation, server = network
    connector = make_connector(server, access_token="", refresh_token="")
    url, kept = connector.authorization_url("https://odoo.example/cb", "st")
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == ["https://www.googleapis.com/auth/business.manage"]
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    credentials = connector.fetch_token(
        "https://odoo.example/cb", f"https://odoo.example/cb?code={imitation.authorize()}&state=st", kept
    )
    assert credentials["refresh_token"] in imitation.refresh_tokens
    assert connector.check_connection() == f"{ACCOUNT} (2 locations)"
    connector.revoke()
    assert imitation.revoked == [credentials["refresh_token"]]
    default = get_connector_class("google_business")(AccountConfig())
    assert default.oauth_token_endpoint() == "https://oauth2.googleapis.com/token"
    assert default.base_url == "https://mybusiness.googleapis.com"
