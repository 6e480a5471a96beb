"""Graph API answers kept by python-facebook (``../shared/real-api/meta/``)
replayed through the Facebook and Instagram connectors: a Page post's
comments over two pages (asked without ``id`` and ``from``: the id comes
from the permalink, the author is "not shown"), Messenger messages whose only
content is a photo, and Instagram replies."""

import json
from collections import Counter
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, network_folder

POST = "19292868552_10158407654328553"
CREDENTIALS = {"access_token": "page-token", "page_id": "2121008874780932", "ig_user_id": "1784"}


@pytest.fixture(scope="module")
def answers():
    folder = network_folder("meta") / "python-facebook"
    return {str(p.relative_to(folder)): json.loads(p.read_text("utf-8")) for p in sorted(folder.rglob("*.json"))}


def when(value):
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def replay(network, queued, stream):
    imitation = ReplayImitation(empty={"data": []})
    for path, bodies in queued.items():
        for body in bodies:
            imitation.queue(path, body)
    with ImitationServer(imitation) as server:
        return read_all(build_connector(network, server, CREDENTIALS, external_id="2121008874780932"), stream)


def test_page_post_comments(answers):
    pages = [
        answers["facebook/apidata/comments/comments_p1.json"],
        answers["facebook/apidata/comments/comments_p2.json"],
    ]
    # the recorded cursor is a placeholder; the second page is served for it
    reading = replay("facebook", {f"/{POST}/comments": pages}, StreamSpec("comments", POST))
    raw = [comment for page in pages for comment in page["data"]]
    checks = FieldChecks()
    assert len(reading.posts) == len(raw) and not reading.skipped
    by_link = {p.url: p for p in reading.posts}
    for comment in raw:
        post = by_link[comment["permalink_url"]]
        query = parse_qs(urlsplit(comment["permalink_url"]).query)
        own = (query.get("reply_comment_id") or query["comment_id"])[0]
        checks.equal(post.external_id, f"{POST.split('_')[1]}_{own}", "id from the permalink")
        parent = f"{POST.split('_')[1]}_{query['comment_id'][0]}" if "reply_comment_id" in query else POST
        checks.equal(post.parent_external_id, parent, "parent")
        checks.equal(post.thread_external_id, POST, "thread")
        checks.equal(post.text, comment["message"], "text")
        checks.equal(post.created_at, when(comment["created_time"]), "created_at")
        checks.equal(post.author.handle, "Facebook user (not shown)", "author not in the answer")
        checks.equal(post.metrics.likes, comment["like_count"], "likes")
        checks.equal(post.metrics.replies, comment["comment_count"], "replies")
        checks.equal(post.kind, "comment", "kind")
        checks.post()
    checks.report("facebook comments (2 pages)", Counter())


def test_messenger_messages_with_attachments(answers):
    messages = [
        *answers["facebook/apidata/messages/messages_info.json"].values(),
        answers["facebook/models/message.json"],
    ]
    conversation = {"id": "t_replay", "updated_time": messages[0]["created_time"], "messages": {"data": messages}}
    reading = replay(
        "facebook", {f"/{CREDENTIALS['page_id']}/conversations": [{"data": [conversation]}]}, StreamSpec("messages")
    )
    checks = FieldChecks()
    # the single message object is the fuller answer about one of the listed ones: the later read wins
    by_id = {post.external_id: post for post in reading.posts}
    expected = {message["id"]: message for message in messages}
    assert set(by_id) == set(expected) and not reading.skipped
    for message_id, message in expected.items():
        post = by_id[message_id]
        names = " ".join(f"[{a['mime_type']}: {a['name']}]" for a in message.get("attachments", {}).get("data", []))
        checks.equal(post.text, "\n".join(part for part in (message.get("message", ""), names) if part), "text")
        checks.equal(post.author.external_id, message["from"]["id"], "author id")
        checks.equal(post.author.display_name, message["from"]["name"], "author")
        checks.equal(post.author.email, "", "the relay address is no e-mail")
        checks.equal(post.created_at, when(message["created_time"]), "created_at")
        checks.equal(post.thread_external_id, "t_replay", "thread")
        checks.equal(post.kind, "message", "kind")
        checks.post()
    checks.report("facebook messages", Counter())


def test_instagram_replies(answers):
    replies = answers["instagram/apidata/comments/replies.json"]
    reading = replay("instagram", {"/1790/comments": [replies]}, StreamSpec("comments", "1790"))
    # asked for id, text and timestamp only: without username nobody can be named
    assert reading.posts == [] and len(reading.skipped) == len(replies["data"])
    skipped = Counter(s.reason for s in reading.skipped)
    print(f"\nreplay instagram replies: {len(replies['data'])} items, skipped {dict(skipped)}")
