"""Reddit inbox listings recorded by praw (``../shared/real-api/reddit/``)
replayed through the connector: every comment and message, the nested
replies of messages included, arrives with each field as Reddit sent it."""

from collections import Counter
from datetime import datetime, timezone

import pytest

from social_crm.core.types import StreamSpec
from tests.connectors.reading import LIVE_TOKENS, build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, cassette, network_folder

#: inbox box recorded -> the stream that reads it and the path it asks for
BOXES = {
    "/message/mentions": ("mentions", "/message/mentions"),
    "/message/comments/": ("comments", "/message/comments"),
    "/message/selfreply/": ("comments", "/message/selfreply"),
    "/message/messages/": ("messages", "/message/messages"),
}
KINDS = {"mentions": "mention", "comments": "comment", "messages": "message"}


@pytest.fixture(autouse=True)
def plain_http_oauth(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def recorded_listings():
    """``(stream kind, path, [listing pages])`` of every recorded inbox read;
    pages chained by ``after`` stay together; a single conversation
    (``/message/messages/<id>``) is a listing of its own."""
    for path in sorted(network_folder("reddit").glob("*/*.json")):
        chains = {}
        for interaction in cassette(path):
            if interaction.method != "GET" or interaction.status != 200:
                continue
            box = interaction.path if interaction.path in BOXES else ""
            if not box and interaction.path.startswith("/message/messages/"):
                box = "/message/messages/"
            if box:
                key = (box, "after=" in interaction.uri)
                if key[1] and (box, False) in chains:  # the next page of the listing before
                    chains[(box, False)].append(interaction.json())
                else:
                    chains.setdefault((box, len(chains)), []).append(interaction.json())
        for (box, _), pages in chains.items():
            yield path.name, *BOXES[box], pages


def raw_items(listing):
    for child in listing["data"]["children"]:
        yield child
        replies = child["data"].get("replies")
        if isinstance(replies, dict):
            yield from replies["data"]["children"]


def check_post(checks, post, child, kind):
    data = child["data"]
    checks.equal(post.kind, kind, "kind")
    checks.equal(post.text, data["body"], "text")
    checks.equal(post.created_at, datetime.fromtimestamp(data["created_utc"], timezone.utc), "created_at")
    checks.equal(post.parent_external_id, data.get("parent_id") or "", "parent")
    checks.equal(post.metrics.likes, max(data.get("score") or 0, 0), "likes")
    checks.equal(post.metrics.replies, 0, "replies of an inbox item are not its post's num_comments")
    if data["author"]:
        checks.equal(post.author.handle, data["author"], "author")
        checks.equal(post.author.external_id, data.get("author_fullname") or data["author"], "author id")
    else:
        checks.equal(post.author.handle, data["subreddit_name_prefixed"], "a subreddit's message is the subreddit's")
    if child["kind"] == "t1":
        context = data["context"].split("?")[0]
        checks.equal(post.url, f"https://www.reddit.com{context}", "url")
        checks.equal(post.thread_external_id, "t3_" + context.split("/")[4], "thread")
    else:
        checks.equal(post.url, "", "url of a private message")
        checks.equal(post.thread_external_id, data["first_message_name"] or data["name"], "thread")
    checks.equal(post.deleted, data["author"] == "[deleted]" or data["body"] in ("[deleted]", "[removed]"), "deleted")


def test_every_recorded_inbox_item_arrives_with_its_fields():
    checks, skipped, replayed = FieldChecks(), Counter(), 0
    for name, kind, path, pages in recorded_listings():
        imitation = ReplayImitation(empty={"kind": "Listing", "data": {"children": [], "after": None}})
        for listing in pages:
            imitation.queue(path, listing)
        with ImitationServer(imitation) as server:
            connector = build_connector("reddit", server, {"client_id": "c", "client_secret": "s", **LIVE_TOKENS})
            reading = read_all(connector, StreamSpec(kind))
        raw = {child["data"]["name"]: child for listing in pages for child in raw_items(listing)}
        posts = {post.external_id: post for post in reading.posts}
        skips = {item.external_id for item in reading.skipped}
        assert set(posts) | skips == set(raw), f"{name}: items dropped silently: {set(raw) - set(posts) - skips}"
        for external_id, post in posts.items():
            check_post(checks, post, raw[external_id], KINDS[kind])
            checks.post()
        skipped.update(item.reason for item in reading.skipped)
        replayed += len(raw)
    assert replayed > 700 and not skipped, skipped
    checks.report("reddit", skipped)
