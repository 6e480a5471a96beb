"""Bluesky views of the reference AppView (vitest snapshots of
bluesky-social/atproto) and a real bsky.social thread (MarshalX/atproto),
from ``../shared/real-api/bluesky/``, replayed through the connector:
notifications of every reason, threads with deleted and blocked replies,
and the post views of author feeds and timelines."""

import json
from collections import Counter

import pytest

from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, network_folder, snapshots

XRPC = "/xrpc/app.bsky."
SESSION = {"access_jwt": "a", "refresh_jwt": "r", "did": "user(99)", "identifier": "me.test", "app_password": "p"}


@pytest.fixture(scope="module")
def views():
    folder = network_folder("bluesky")
    found = {}
    for path in sorted(folder.glob("*/*.snap")):
        found.update({f"{path.stem}: {name}": value for name, value in snapshots(path).items()})
    for path in sorted(folder.glob("*/*.json")):
        found[path.name] = json.loads(path.read_text("utf-8"))
    return found


def replay(queued: dict, stream):
    imitation = ReplayImitation()
    for path, bodies in queued.items():
        for body in bodies:
            imitation.queue(path, body)
    with ImitationServer(imitation) as server:
        return read_all(build_connector("bluesky", server, SESSION, handle="me.test"), stream)


def check_post(checks, post, view, kind, thread=None):
    record = view["record"]
    reply = record.get("reply") or {}
    checks.equal(post.external_id, view["uri"], "uri")
    checks.equal(post.kind, kind, "kind")
    checks.equal(post.author.external_id, view["author"]["did"], "author id")
    checks.equal(post.author.handle, view["author"]["handle"], "author")
    checks.equal(post.author.display_name, view["author"].get("displayName", ""), "display name")
    checks.equal(post.text, record["text"], "text")
    checks.equal(post.created_at.isoformat()[:19], record["createdAt"][:19], "created_at")
    checks.equal(post.parent_external_id, reply.get("parent", {}).get("uri", ""), "parent")
    checks.equal(post.thread_external_id, thread or reply.get("root", {}).get("uri", ""), "thread")
    checks.equal(post.language_hint, (record.get("langs") or [""])[0], "language")
    rkey = view["uri"].rsplit("/", 1)[-1]
    expected_url = f"https://bsky.app/profile/{view['author']['handle']}/post/{rkey}"
    checks.equal(post.url, expected_url if "/app.bsky.feed.post/" in view["uri"] else "", "url")
    for metric, key in (("likes", "likeCount"), ("replies", "replyCount"), ("reposts", "repostCount")):
        checks.equal(getattr(post.metrics, metric), view.get(key, 0), metric)
    checks.equal(post.metrics.quotes, view.get("quoteCount", 0), "quotes")
    checks.post()


def test_notifications_of_every_reason(views):
    checks, skipped, reasons = FieldChecks(), Counter(), Counter()
    for name, value in views.items():
        if not name.startswith("notifications"):
            continue
        notifications = value["notifications"] if isinstance(value, dict) else value
        reasons.update(n["reason"] for n in notifications)
        reading = replay(
            {XRPC + "notification.listNotifications": [{"notifications": notifications}]}, StreamSpec("mentions")
        )
        posts = {p.external_id: p for p in reading.posts}
        addressed = [n for n in notifications if n["reason"] in ("mention", "reply", "quote")]
        assert set(posts) == {n["uri"] for n in addressed}, name
        for notification in addressed:
            kind = "comment" if notification["reason"] == "reply" else "mention"
            check_post(checks, posts[notification["uri"]], notification, kind)
        assert len(reading.skipped) == len(notifications) - len(addressed), name
        skipped.update(s.reason for s in reading.skipped)
    assert reasons["like"] and reasons["follow"] and reasons["mention"], reasons
    checks.report(f"bluesky notifications {dict(reasons)}", skipped)


def thread_nodes(node):
    for reply in node.get("replies") or []:
        yield reply
        yield from thread_nodes(reply)


def test_thread_replies_deleted_and_blocked_ones_counted(views):
    checks, skipped, replayed = FieldChecks(), Counter(), 0
    for name, value in views.items():
        thread = value.get("thread", value) if isinstance(value, dict) else None
        if not isinstance(thread, dict) or not thread.get("$type", "").startswith("app.bsky.feed.defs#"):
            continue
        root = thread.get("post", thread)["uri"]
        reading = replay({XRPC + "feed.getPostThread": [{"thread": thread}]}, StreamSpec("comments", root))
        nodes = list(thread_nodes(thread))
        replayed += len(nodes)
        posts = {p.external_id: p for p in reading.posts}
        readable = [n for n in nodes if n.get("$type", "").endswith("#threadViewPost")]
        assert set(posts) == {n["post"]["uri"] for n in readable}, name
        blocked_root = not thread["$type"].endswith("#threadViewPost")
        assert len(reading.skipped) == len(nodes) - len(readable) + blocked_root, name
        for node in readable:
            check_post(checks, posts[node["post"]["uri"]], node["post"], "comment", thread=root)
        skipped.update(s.reason for s in reading.skipped)
    assert replayed >= 3 and skipped
    checks.report("bluesky threads", skipped)


def test_post_views_of_feeds(views):
    checks, skipped = FieldChecks(), Counter()
    for name, value in views.items():
        if not name.startswith(("author-feed", "timeline")):
            continue
        posts_of_feed = list({item["post"]["uri"]: item["post"] for item in value}.values())
        reading = replay({XRPC + "feed.searchPosts": [{"posts": posts_of_feed}]}, StreamSpec("search", "x"))
        assert not reading.skipped, name
        by_uri = {p.external_id: p for p in reading.posts}
        assert set(by_uri) == {p["uri"] for p in posts_of_feed}, name
        for view in posts_of_feed:
            check_post(checks, by_uri[view["uri"]], view, "post")
    assert checks.items > 50
    checks.report("bluesky feeds", skipped)
