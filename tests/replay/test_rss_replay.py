"""Feeds of feedparser's test suite (the formats as met in the wild) and real
feeds saved by miniflux (``../shared/real-api/rss/``), each served from
127.0.0.1 with the HTTP header its case names, replayed through the
connector: every entry is a post or a counted skip, undated entries are
dated when first seen, and declared encodings are honoured."""

import calendar
import re
from collections import Counter
from datetime import datetime, timezone

import feedparser
import pytest

from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, network_folder

HEADER = re.compile(rb"^\s*Header:\s*([^:]+):\s*(.+?)\s*$", re.M)


@pytest.fixture(scope="module")
def feeds():
    folder = network_folder("rss")
    found = []
    for path in sorted(folder.rglob("*.xml")) + sorted(folder.rglob("*.rdf")) + sorted(folder.rglob("*.atom")):
        data = path.read_bytes()
        head = data[:2000]
        headers = {name.decode().strip().title(): value.decode() for name, value in HEADER.findall(head)}
        headers.setdefault("Content-Type", "application/xml")
        found.append((str(path.relative_to(folder)), data, headers))
    return found


def entry_time(entry):
    for name in ("published", "updated"):
        if dict.get(entry, name) and dict.get(entry, f"{name}_parsed"):
            return datetime.fromtimestamp(calendar.timegm(dict.get(entry, f"{name}_parsed")), tz=timezone.utc)
    return None


def words(html):
    text = re.sub(r"<[^>]+>", " ", html or "")
    return text.split()


def test_every_entry_of_every_feed(feeds):
    checks, skipped, undated, replayed, stored = FieldChecks(), Counter(), 0, 0, 0
    imitation = ReplayImitation()
    for number, (_name, data, headers) in enumerate(feeds):
        imitation.queue(f"/{number}", data, headers=headers)
    with ImitationServer(imitation) as server:
        connector = build_connector("rss", server, {})
        for number, (name, data, headers) in enumerate(feeds):
            reference = feedparser.parse(data, response_headers={k.lower(): v for k, v in headers.items()})
            before = datetime.now(timezone.utc)
            page = connector.fetch_page(StreamSpec("search", f"{server.url}/{number}"), "")
            entry_skips = [s for s in page.skipped if not s.reason.startswith("the feed is not well-formed")]
            assert len(page.posts) + len(entry_skips) == len(reference.entries), name
            replayed += len(reference.entries)
            stored += len(page.posts)
            by_id = {p.external_id: p for p in page.posts}
            for entry in reference.entries:
                key = str(entry.get("id") or entry.get("guid") or entry.get("link") or "")
                post = by_id.get(key) if key else None
                if post is None:
                    continue  # a repeat or an unreadable one: counted among the skips
                checks.equal(post.url, entry.get("link", ""), f"{name}: url")
                title = entry.get("title", "")
                checks.equal(post.text.startswith(title.replace("\x00", "")), True, f"{name}: title first")
                dated = entry_time(entry)
                if dated:
                    checks.equal(post.created_at, dated, f"{name}: created_at")
                else:
                    undated += 1
                    checks.equal(before <= post.created_at <= datetime.now(timezone.utc), True, "first seen")
                checks.equal(
                    post.author.handle,
                    entry.get("author") or reference.feed.get("title") or f"{server.url}/{number}",
                    f"{name}: author",
                )
                checks.equal(post.kind, "post", "kind")
                checks.post()
            skipped.update(re.sub(r"'.*", "…", s.reason) for s in page.skipped)
    assert undated > 60
    checks.report(f"rss ({len(feeds)} feeds, {replayed} entries, {stored} stored, {undated} undated)", skipped)


def test_real_rdf_feed_without_dates(feeds):
    name, data, headers = next(feed for feed in feeds if feed[0].endswith("rdf_UTF8.xml"))
    imitation = ReplayImitation()
    imitation.queue("/rdf", data, headers=headers)
    with ImitationServer(imitation) as server:
        page = build_connector("rss", server, {}).fetch_page(StreamSpec("search", f"{server.url}/rdf"), "")
    links = re.findall(rb"<item\b.*?<link>([^<]+)</link>", data, re.S)
    assert not page.skipped and len(page.posts) == len(links) == 60, name
    assert sorted(p.url for p in page.posts) == sorted(link.decode() for link in links)


@pytest.mark.parametrize(("suffix", "alphabet"), [("ISO-8859-1.xml", "éèàäöü"), ("WINDOWS-1251.xml", "абвгдежз")])
def test_real_feeds_in_declared_encodings(feeds, suffix, alphabet):
    name, data, headers = next(feed for feed in feeds if feed[0].endswith(suffix))
    imitation = ReplayImitation()
    imitation.queue("/feed", data, headers=headers)
    with ImitationServer(imitation) as server:
        page = build_connector("rss", server, {}).fetch_page(StreamSpec("search", f"{server.url}/feed"), "")
    text = "".join(p.text for p in page.posts)
    assert page.posts and not page.skipped, name
    assert "\ufffd" not in text and "Ã" not in text and any(letter in text.lower() for letter in alphabet)
