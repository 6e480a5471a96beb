"""YouTube Data API answers kept by python-youtube (``../shared/real-api/youtube/``)
replayed through the connector: comment threads over two pages, several and
single threads, a thread with its replies; a reply the thread counts but
comments.list does not return is a counted skip."""

import json
from collections import Counter
from datetime import datetime

import pytest

from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, network_folder

CREDENTIALS = {"access_token": "t", "refresh_token": "r", "client_id": "c", "client_secret": "s"}
EMPTY_COMMENTS = {"kind": "youtube#commentListResponse", "items": []}


@pytest.fixture(scope="module")
def answers():
    folder = network_folder("youtube") / "python-youtube"
    return {path.name: json.loads(path.read_text("utf-8")) for path in sorted(folder.rglob("*.json"))}


def when(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_comment(checks, post, comment, thread, replies=0):
    snippet = comment["snippet"]
    checks.equal(post.external_id, comment["id"], "id")
    checks.equal(post.author.external_id, snippet["authorChannelId"]["value"], "author id")
    checks.equal(post.author.handle, snippet["authorDisplayName"], "author")
    checks.equal(post.author.url, snippet["authorChannelUrl"], "author url")
    checks.equal(post.text, snippet["textOriginal"], "text")
    checks.equal(post.created_at, when(snippet["publishedAt"]), "created_at")
    edited = snippet["updatedAt"] != snippet["publishedAt"]
    checks.equal(post.edited_at, when(snippet["updatedAt"]) if edited else None, "edited_at")
    video = snippet.get("videoId") or thread["snippet"]["videoId"]
    checks.equal(post.url, f"https://www.youtube.com/watch?v={video}&lc={comment['id']}", "url")
    checks.equal(post.parent_external_id, snippet.get("parentId", ""), "parent")
    checks.equal(post.thread_external_id, thread["id"], "thread")
    checks.equal(post.metrics.likes, snippet["likeCount"], "likes")
    checks.equal(post.metrics.replies, replies, "replies")
    checks.equal(post.kind, "comment", "kind")
    checks.post()


def replay(pages):
    imitation = ReplayImitation(empty=EMPTY_COMMENTS)
    for page in pages:
        imitation.queue("/commentThreads", page)
    with ImitationServer(imitation) as server:
        return read_all(build_connector("youtube", server, CREDENTIALS), StreamSpec("comments", "video-id"))


def test_comment_threads(answers):
    thread = {**answers["comment_thread_info.json"], "replies": answers["comment_thread_replies.json"]}
    listings = [
        [answers["comment_threads_by_video_paged_1.json"], answers["comment_threads_by_video_paged_2.json"]],
        [answers["comment_threads_multi.json"]],
        [answers["comment_thread_single.json"]],
        [answers["comment_thread_api_response.json"]],
        [{"kind": "youtube#commentThreadListResponse", "items": [thread]}],
    ]
    checks, skipped = FieldChecks(), Counter()
    for pages in listings:
        reading = replay(pages)
        by_id = {p.external_id: p for p in reading.posts}
        expected, announced = {}, 0
        for page in pages:  # the recorded second page repeats the first one's threads
            for item in page["items"]:
                top = item["snippet"]["topLevelComment"]
                expected[top["id"]] = (top, item, item["snippet"]["totalReplyCount"])
                carried = item.get("replies", {}).get("comments", [])
                expected.update({reply["id"]: (reply, item, 0) for reply in carried})
                announced += item["snippet"]["totalReplyCount"] - len(carried)
        assert set(by_id) == set(expected) and len(reading.skipped) == announced
        for comment_id, (comment, thread, replies) in expected.items():
            check_comment(checks, by_id[comment_id], comment, thread, replies)
        skipped.update(s.reason for s in reading.skipped)
    checks.report("youtube comment threads", skipped)
