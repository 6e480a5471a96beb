"""Mastodon traffic recorded by Mastodon.py against a Mastodon 4.6 server
(``../shared/real-api/mastodon/``) replayed through the connector: timelines
with their Link paging, notifications, conversations, a context and a 404,
and every status the recordings created, compared with what was typed."""

import re
from collections import Counter
from datetime import datetime
from urllib.parse import parse_qs

import pytest

from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, cassette, network_folder

TIMELINES = ("/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/list/", "/api/v1/timelines/tag/")
EMPTY_CONTEXT = {"ancestors": [], "descendants": []}


@pytest.fixture(scope="module")
def recordings():
    return {path.name: cassette(path) for path in sorted(network_folder("mastodon").glob("*/*.yaml"))}


def connector(server):
    return build_connector("mastodon", server, {"access_token": "t"}, external_id="1", handle="mastodonpy_test")


def typed_texts(recordings):
    """status id -> the text its author typed (the form the client posted)."""
    typed = {}
    for interactions in recordings.values():
        for interaction in interactions:
            if (
                interaction.method == "POST"
                and interaction.path == "/api/v1/statuses"
                and interaction.status == 200
                and isinstance(interaction.request_body, str)
            ):
                form = parse_qs(interaction.request_body)
                if "status" not in form:
                    continue
                text = form["status"][0]
                warning = form.get("spoiler_text", [""])[0]
                typed[interaction.json()["id"]] = f"{warning}\n\n{text}" if warning else text
    return typed


def check_status(checks, post, status, kind, typed):
    account = status["account"]
    checks.equal(post.external_id, status["id"], "id")
    checks.equal(post.kind, kind, "kind")
    checks.equal(post.author.external_id, account["id"], "author id")
    checks.equal(post.author.handle, account["acct"], "author")
    checks.equal(post.author.display_name, account["display_name"], "display name")
    checks.equal(post.author.url, account["url"], "author url")
    checks.equal(post.author.followers, account["followers_count"], "followers")
    checks.equal(post.created_at, datetime.fromisoformat(status["created_at"].replace("Z", "+00:00")), "created_at")
    checks.equal(post.url, status["url"] or status["uri"], "url")
    checks.equal(post.parent_external_id, status["in_reply_to_id"] or "", "parent")
    checks.equal(post.language_hint, status["language"] or "", "language")
    edited = status["edited_at"]
    checks.equal(post.edited_at, datetime.fromisoformat(edited.replace("Z", "+00:00")) if edited else None, "edited")
    checks.equal(post.metrics.likes, status["favourites_count"], "likes")
    checks.equal(post.metrics.replies, status["replies_count"], "replies")
    checks.equal(post.metrics.reposts, status["reblogs_count"], "reposts")
    checks.equal(post.metrics.quotes, status.get("quotes_count", 0), "quotes")
    if status["id"] in typed and not status["edited_at"]:
        checks.equal(post.text, typed[status["id"]], "text as typed")
    else:  # the HTML's words, the quote fallback excepted
        content = re.sub(r'<p class="quote-inline">.*?</p>', "", status["content"], flags=re.S)
        words = (
            re.sub(r"<[^>]+>", "", re.sub(r"</?(p|br)\b[^>]*>", " ", content))
            .replace("&#39;", "'")
            .replace("&quot;", '"')
            .replace("&amp;", "&")
        )
        checks.equal(post.text.split(), (status["spoiler_text"].split() + words.split()), "text")
    if "quote-inline" in status["content"]:
        assert "RE: " not in post.text


def replay(imitation, stream):
    with ImitationServer(imitation) as server:
        return read_all(connector(server), stream)


def test_timelines_paged_by_link_header(recordings):
    checks, skipped, typed = FieldChecks(), Counter(), typed_texts(recordings)
    pages_read = []
    for name, interactions in recordings.items():
        pages = [i for i in interactions if i.method == "GET" and i.status == 200 and i.path.startswith(TIMELINES)]
        chains = []
        for interaction in pages:  # a page fetched through the previous page's Link stays in its chain
            if chains and "max_id=" in interaction.uri and chains[-1][-1].path == interaction.path:
                chains[-1].append(interaction)
            else:
                chains.append([interaction])
        for chain in chains:
            imitation = ReplayImitation(empty=[])
            for interaction in chain:
                link = interaction.headers.get("link", [""])[0]
                imitation.queue(
                    "/api/v1/timelines/tag/replay", interaction.body, headers={"Link": link} if link else {}
                )
            reading = replay(imitation, StreamSpec("search", "#replay"))
            pages_read.append(reading.pages)
            raw = {s["id"]: s for i in chain for s in i.json()}
            posts = {p.external_id: p for p in reading.posts}
            assert set(posts) | {s.external_id for s in reading.skipped} == set(raw), name
            for external_id, post in posts.items():
                check_status(checks, post, raw[external_id], "post", typed)
                checks.post()
            for item in reading.skipped:
                assert raw[item.external_id]["reblog"], f"{name}: {item.reason}"
            skipped.update(s.reason for s in reading.skipped)
    assert checks.items > 30 and max(pages_read) > 2
    checks.report(f"mastodon timelines (up to {max(pages_read)} pages a listing)", skipped)


def test_notifications_only_mentions(recordings):
    checks, skipped, typed = FieldChecks(), Counter(), typed_texts(recordings)
    kinds = Counter()
    for interactions in recordings.values():
        for interaction in interactions:
            if (
                interaction.method == "GET"
                and interaction.path == "/api/v1/notifications"
                and interaction.status == 200
            ):
                imitation = ReplayImitation(empty=[])
                imitation.queue("/api/v1/notifications", interaction.body)
                reading = replay(imitation, StreamSpec("mentions"))
                raw = interaction.json()
                kinds.update(n["type"] for n in raw)
                posts = {p.external_id: p for p in reading.posts}
                mentions = [n for n in raw if n["type"] == "mention"]
                assert set(posts) == {n["status"]["id"] for n in mentions}
                for notification in mentions:
                    check_status(checks, posts[notification["status"]["id"]], notification["status"], "mention", typed)
                    checks.post()
                assert sorted(s.external_id for s in reading.skipped) == sorted(
                    n["id"] for n in raw if n["type"] != "mention"
                )
                skipped.update(s.reason for s in reading.skipped)
    assert kinds["mention"] and len(kinds) > 1, kinds
    checks.report(f"mastodon notifications {dict(kinds)}", skipped)


def test_conversations_and_their_earlier_messages(recordings):
    checks, typed = FieldChecks(), typed_texts(recordings)
    for interactions in recordings.values():
        for interaction in interactions:
            if interaction.method == "GET" and interaction.path.startswith("/api/v1/conversations"):
                imitation = ReplayImitation(empty=[])
                imitation.queue("/api/v1/conversations", interaction.body)
                for conversation in interaction.json():
                    imitation.queue(f"/api/v1/statuses/{conversation['last_status']['id']}/context", EMPTY_CONTEXT)
                reading = replay(imitation, StreamSpec("messages"))
                assert not reading.skipped
                for conversation, post in zip(interaction.json(), reading.posts, strict=True):
                    check_status(checks, post, conversation["last_status"], "message", typed)
                    checks.equal(post.thread_external_id, conversation["id"], "thread")
                    checks.post()
    assert checks.items
    checks.report("mastodon conversations", Counter())


def test_a_missing_parent_is_skipped_and_the_next_read(recordings):
    missing = next(i for i in recordings["test_status_missing.yaml"] if i.status == 404)
    context = next(i for i in recordings["test_status_context.yaml"] if i.path.endswith("/context"))
    imitation = ReplayImitation()
    imitation.queue("/api/v1/statuses/0/context", missing.body, status=404)
    imitation.queue(context.path, context.body)
    reading = replay(imitation, StreamSpec("comments", f"0 {context.path.split('/')[4]}"))
    assert reading.posts == [] and reading.pages == 2
    assert [(s.external_id, s.reason) for s in reading.skipped] == [
        ("0", "the status whose replies are read is gone (HTTP 404)")
    ]


def test_every_recorded_status_reads_as_typed(recordings):
    checks, typed = FieldChecks(), typed_texts(recordings)
    statuses = {}
    for interactions in recordings.values():
        for interaction in interactions:
            if (
                interaction.status != 200
                or interaction.method == "DELETE"
                or not interaction.body.startswith(("{", "["))
            ):
                continue
            body = interaction.json()
            for item in body if isinstance(body, list) else [body]:
                if isinstance(item, dict) and "uri" in item and "account" in item and not item.get("reblog"):
                    statuses[item["id"]] = item  # the last answer about a status is its latest state
    imitation = ReplayImitation(empty={"accounts": [], "statuses": [], "hashtags": []})
    imitation.queue("/api/v2/search", {"accounts": [], "statuses": list(statuses.values()), "hashtags": []})
    reading = replay(imitation, StreamSpec("search", "replay"))
    assert not reading.skipped and len(reading.posts) == len(statuses)
    for post in reading.posts:
        check_status(checks, post, statuses[post.external_id], "post", typed)
        checks.post()
    quotes = [s for s in statuses.values() if "quote-inline" in s["content"]]
    assert quotes and len(statuses) > 100
    checks.report(f"mastodon statuses ({len(quotes)} quote posts)", Counter())
