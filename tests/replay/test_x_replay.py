"""X traffic recorded by tweepy (API v2 and v1.1) and the v2 answers kept by
python-twitter (``../shared/real-api/x/``), replayed through the connector:
v2 listings as a search stream, DM events, and v1.1 statuses and DM events
as Account Activity deliveries.  Retweets become their original or a counted
skip, never the retweeter's cut ``RT @…`` text."""

import base64
import hashlib
import hmac
import html
import json
from collections import Counter
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest

from social_crm.core.connectors.base import WebhookRequest
from social_crm.core.connectors.x import _snowflake_time
from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, cassette, network_folder

TWEET_LISTS = ("/tweets", "/mentions", "/liked_tweets", "/bookmarks", "/quote_tweets", "/reverse_chronological")
EMPTY = {"meta": {"result_count": 0}}
CREDENTIALS = {"access_token": "t", "client_id": "c", "client_secret": "s"}


@pytest.fixture(scope="module")
def recordings():
    folder = network_folder("x")
    answers = []  # (name, path asked, body)
    for path in sorted(folder.glob("tweepy/*")):
        if path.suffix in (".yaml", ".json"):
            answers += [(path.name, i.path, i.json()) for i in cassette(path) if i.method == "GET" and i.status == 200]
    for path in sorted(folder.glob("python-twitter/*/*.json")):
        answers.append((path.name, f"/2/{path.parent.name}", json.loads(path.read_text("utf-8"))))
    return answers


def is_tweet_listing(name, path, body):
    return (
        isinstance(body, dict)
        and (path.endswith(TWEET_LISTS) or name.startswith(("search_", "tweet_", "tweets_")))
        and (isinstance(body.get("data"), list) or body.get("meta", {}).get("result_count") == 0)
        and all("id" in t and "text" in t for t in body.get("data") or [])
    )


def check_tweet(checks, post, tweet, users):
    stable = tweet.get("edit_history_tweet_ids", [tweet["id"]])[0]
    checks.equal(post.external_id, stable, "id (first of the edit history)")
    checks.equal(post.text, html.unescape(tweet.get("note_tweet", {}).get("text", tweet["text"])), "text")
    created = tweet.get("created_at")
    moment = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else _snowflake_time(tweet["id"])
    checks.equal(post.created_at if stable == tweet["id"] else post.edited_at, moment, "created_at")
    checks.equal(post.author.external_id, tweet["author_id"], "author id")
    user = users.get(tweet["author_id"], {})
    checks.equal(post.author.handle, user.get("username", tweet["author_id"]), "author")
    checks.equal(post.url, f"https://x.com/{post.author.handle}/status/{stable}", "url")
    parent = next((r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "replied_to"), "")
    checks.equal(post.parent_external_id, parent, "parent")
    checks.equal(post.thread_external_id, tweet.get("conversation_id", ""), "thread")
    metrics = tweet.get("public_metrics", {})
    checks.equal(post.metrics.likes, metrics.get("like_count", 0), "likes")
    checks.equal(post.metrics.reposts, metrics.get("retweet_count", 0), "reposts")
    checks.equal(post.metrics.replies, metrics.get("reply_count", 0), "replies")
    checks.equal(post.metrics.quotes, metrics.get("quote_count", 0), "quotes")
    checks.equal(post.language_hint, tweet.get("lang", "") if tweet.get("lang") not in ("und", "zxx") else "", "lang")
    checks.equal(post.kind, "post", "kind")
    checks.post()


def test_v2_tweet_listings(recordings):
    checks, skipped, listings, replayed = FieldChecks(), Counter(), 0, 0
    for name, path, body in recordings:
        if not is_tweet_listing(name, path, body):
            continue
        listings += 1
        imitation = ReplayImitation(empty=EMPTY)
        imitation.queue("/2/tweets/search/recent", body)
        with ImitationServer(imitation) as server:
            reading = read_all(build_connector("x", server, CREDENTIALS, external_id="1"), StreamSpec("search", "q"))
        tweets = body.get("data") or []
        replayed += len(tweets)
        users = {u["id"]: u for u in body.get("includes", {}).get("users", [])}
        originals = {t["id"]: t for t in body.get("includes", {}).get("tweets", [])}
        by_id = {p.external_id: p for p in reading.posts}
        assert len(reading.posts) + len(reading.skipped) == len(tweets), name
        for tweet in tweets:
            retweeted = next((r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "retweeted"), "")
            source = originals.get(retweeted, tweet) if retweeted else tweet
            stable = source.get("edit_history_tweet_ids", [source["id"]])[0]
            if stable in by_id:
                check_tweet(checks, by_id[stable], source, users)
            else:
                assert tweet["text"].startswith("RT @") or "author_id" not in source, (name, tweet)
        for post in reading.posts:
            assert not post.text.startswith("RT @"), name
        skipped.update(s.reason for s in reading.skipped)
    assert listings > 8
    checks.report(f"x v2 listings ({listings} answers, {replayed} tweets)", skipped)


def test_v2_dm_events(recordings):
    skipped, events = Counter(), 0
    for name, path, body in recordings:
        if "dm_events" not in path:
            continue
        imitation = ReplayImitation(empty=EMPTY)
        imitation.queue("/2/dm_events", body)
        with ImitationServer(imitation) as server:
            reading = read_all(build_connector("x", server, CREDENTIALS, external_id="1"), StreamSpec("messages"))
        events += len(body.get("data") or [])
        assert len(reading.posts) + len(reading.skipped) == len(body.get("data") or []), name
        skipped.update(s.reason for s in reading.skipped)
    print(f"\nreplay x v2 dm events: {events} events, skipped {dict(skipped)}")


def signed(payload):
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(b"s", body, hashlib.sha256).digest()).decode()
    return WebhookRequest("POST", {"X-Twitter-Webhooks-Signature-OAuth2": f"sha256={digest}"}, {}, body)


def test_v1_statuses_and_dm_events_as_webhook_deliveries(recordings):
    checks, statuses = FieldChecks(), []
    for _name, path, body in recordings:
        if path.startswith("/1.1/statuses/") or path.startswith("/1.1/search/"):
            items = body.get("statuses", body) if isinstance(body, dict) else body
            statuses += items if isinstance(items, list) else [items]
    connector = build_connector("x", type("Server", (), {"url": "http://127.0.0.1:9"})(), CREDENTIALS, external_id="1")
    posts = connector.parse_webhook(signed({"for_user_id": "1", "tweet_create_events": statuses}))
    assert len(posts) + len(connector.webhook_skipped) == len(statuses) and not connector.webhook_skipped
    retweets = 0
    for post, status in zip(posts, statuses, strict=True):
        retweets += "retweeted_status" in status
        source = status.get("retweeted_status", status)
        checks.equal(post.external_id, source["id_str"], "id")
        checks.equal(post.author.external_id, source["user"]["id_str"], "author id")
        checks.equal(post.author.handle, source["user"]["screen_name"], "author")
        text = source.get("extended_tweet", {}).get("full_text") or source.get("full_text") or source["text"]
        checks.equal(post.text, html.unescape(text), "text")
        checks.equal(post.created_at, parsedate_to_datetime(source["created_at"]).astimezone(timezone.utc), "created")
        checks.equal(post.parent_external_id, source.get("in_reply_to_status_id_str") or "", "parent")
        checks.equal(post.metrics.likes, source.get("favorite_count", 0), "likes")
        checks.equal(post.metrics.reposts, source.get("retweet_count", 0), "reposts")
        # a native retweet is its original; a manual "RT @…" typed by its author is a post of theirs
        assert "retweeted_status" not in status or not post.text.startswith("RT @")
        checks.post()
    assert retweets, "the recordings hold retweets"
    events = [e for _n, path, body in recordings if path.startswith("/1.1/direct_messages/") for e in body["events"]]
    messages = connector.parse_webhook(signed({"for_user_id": "1", "direct_message_events": events}))
    assert len(messages) == len(events)
    for post, event in zip(messages, events, strict=True):
        create = event["message_create"]
        checks.equal(post.external_id, event["id"], "dm id")
        checks.equal(post.author.external_id, create["sender_id"], "dm sender")
        checks.equal(post.text, html.unescape(create["message_data"]["text"]), "dm text")
        checks.equal(
            post.created_at, datetime.fromtimestamp(int(event["created_timestamp"]) / 1000, timezone.utc), "dm time"
        )
        checks.post()
    checks.report(f"x v1.1 ({len(statuses)} statuses, {retweets} retweets, {len(events)} dm events)", Counter())
