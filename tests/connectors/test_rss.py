from datetime import datetime, timedelta, timezone

import pytest

from social_crm.core.connectors import AccountConfig, get_connector_class
from social_crm.core.errors import ConnectorError, RateLimited, TransientError
from social_crm.core.types import StreamSpec
from tests.imitation.rss import (
    LAST_MODIFIED,
    FeedImitation,
    atom_document,
    atom_entry,
    rdf_document,
    rdf_item,
    rss_document,
    rss_item,
)
from tests.imitation.server import ImitationServer, Response


@pytest.fixture
def feeds():
    imitation = FeedImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make_connector(server):
    return get_connector_class("rss")(AccountConfig(base_url=f"{server.url}/feed.xml"), sleep=lambda seconds: None)


def test_rss_first_fetch_then_conditional_get_and_only_new_items(feeds):
    imitation, server = feeds
    items = [rss_item(f"item-{n}", f"Title {n}", f"&lt;p&gt;Body {n}&lt;/p&gt;") for n in range(3)]
    imitation.publish("/feed.xml", rss_document(items))
    connector = make_connector(server)
    stream = StreamSpec("search")  # empty query: the account's base URL is the feed
    page = connector.fetch_page(stream, "")
    assert not page.has_more and not page.skipped
    assert sorted(p.text for p in page.posts) == [f"Title {n}\n\nBody {n}" for n in range(3)]
    post = page.posts[0]
    assert post.created_at == datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc) and post.language_hint == "cs"
    assert post.url.startswith("https://blog.example/item-") and post.external_id.startswith("item-")
    # unchanged: a conditional GET answered 304, nothing read
    again = connector.fetch_page(stream, page.cursor)
    assert again.posts == [] and again.cursor == page.cursor
    conditional = server.requests[-1]
    assert conditional.headers["if-none-match"] == imitation.etags["/feed.xml"]
    assert conditional.headers["if-modified-since"] == LAST_MODIFIED
    # one new item among the old ones
    imitation.publish("/feed.xml", rss_document([rss_item("item-9", "New", "fresh"), *items]))
    assert [p.external_id for p in connector.fetch_page(stream, page.cursor).posts] == ["item-9"]


def test_atom_updated_change_is_an_edit_and_query_holds_the_url(feeds):
    imitation, server = feeds
    imitation.publish("/atom", atom_document([atom_entry("urn:e:1", "First", "2026-11-20T08:00:00Z")]))
    connector = make_connector(server)
    stream = StreamSpec("mentions", query=f"{server.url}/atom")
    page = connector.fetch_page(stream, "")
    assert [(p.external_id, p.text, p.edited_at, p.author.handle) for p in page.posts] == [
        ("urn:e:1", "First\n\nHello", None, "Jana")
    ]
    imitation.publish("/atom", atom_document([atom_entry("urn:e:1", "First (fixed)", "2026-11-20T12:30:00Z")]))
    edited = connector.fetch_page(stream, page.cursor).posts
    assert [(p.external_id, p.text) for p in edited] == [("urn:e:1", "First (fixed)\n\nHello")]
    assert edited[0].edited_at == datetime(2026, 11, 20, 12, 30, tzinfo=timezone.utc)


def test_dedupe_by_guid_then_link_and_malformed_entries(feeds):
    imitation, server = feeds
    items = [
        rss_item("", "No guid", "uses the link", link="https://blog.example/by-link"),
        rss_item("same", "Twice", "first copy"),
        rss_item("same", "Twice", "second copy"),
        rss_item("bad-date", "Bad date", "x", pub_date="the day after tomorrow"),
        "<item><description>no id, no link, no title</description></item>",
        rss_item("hostile", "&lt;script&gt;alert(1)&lt;/script&gt; עברית 😀", "x" * 100_000),
    ]
    imitation.publish("/feed.xml", rss_document(items))
    page = make_connector(server).fetch_page(StreamSpec("search"), "")
    ids = sorted(p.external_id for p in page.posts)
    assert ids[:3] == ["hostile", "https://blog.example/by-link", "same"] and ids[3].startswith("sha256:")
    # an item with neither id nor link is still an item: its text identifies it
    assert next(p for p in page.posts if p.external_id == ids[3]).text == "no id, no link, no title"
    hostile = next(p for p in page.posts if p.external_id == "hostile")
    assert hostile.text.startswith("<script>alert(1)</script> עברית 😀\n\nxxx") and len(hostile.text) == 100_000
    reasons = sorted(s.reason for s in page.skipped)
    assert len(reasons) == 2 and "timestamp" in reasons[0] and reasons[1] == "the feed repeats this entry"


def test_bozo_feed_never_crashes(feeds):
    imitation, server = feeds
    broken = rss_document([rss_item("ok", "Readable", "fine")]).replace("</channel></rss>", "<item><title>cut")
    imitation.publish("/feed.xml", broken)
    page = make_connector(server).fetch_page(StreamSpec("search"), "")
    assert any("not well-formed" in s.reason for s in page.skipped)
    assert "ok" in [p.external_id for p in page.posts]
    imitation.publish("/feed.xml", "<html><body>Not a feed at all</body></html>")
    assert make_connector(server).fetch_page(StreamSpec("search"), "").posts == []


def test_backfill_cap_keeps_newest(feeds):
    imitation, server = feeds
    items = [rss_item(f"i{n}", f"T{n}", "b", pub_date=f"Fri, 20 Nov 2026 {n:02d}:00:00 GMT") for n in range(10)]
    imitation.publish("/feed.xml", rss_document(items))
    page = make_connector(server).fetch_page(StreamSpec("search", backfill_limit=3), "")
    assert [p.external_id for p in page.posts] == ["i9", "i8", "i7"]
    imitation.publish("/feed.xml", rss_document([*items, rss_item("i10", "T10", "b")]))
    assert [p.external_id for p in make_connector(server).fetch_page(StreamSpec("search"), page.cursor).posts] == [
        "i10"
    ]


def test_permanent_redirect_is_recorded_temporary_is_not(feeds):
    imitation, server = feeds
    imitation.publish("/new.xml", rss_document([rss_item("a", "A", "a")]))
    imitation.redirects["/feed.xml"] = (301, "/new.xml")
    connector = make_connector(server)
    page = connector.fetch_page(StreamSpec("search"), "")
    assert [p.external_id for p in page.posts] == ["a"] and connector.moved_to == f"{server.url}/new.xml"
    connector.fetch_page(StreamSpec("search"), page.cursor)
    assert server.requests[-1].path == "/new.xml" and connector.moved_to == ""
    imitation.redirects["/moving.xml"] = (302, "/new.xml")
    other = make_connector(server)
    page = other.fetch_page(StreamSpec("search", f"{server.url}/moving.xml"), "")
    assert other.moved_to == "" and [p.external_id for p in page.posts] == ["a"]
    other.fetch_page(StreamSpec("search", f"{server.url}/moving.xml"), page.cursor)
    assert server.requests[-2].path == "/moving.xml"


def test_gone_feed_stops_with_clear_error(feeds):
    imitation, server = feeds
    imitation.gone.add("/feed.xml")
    with pytest.raises(ConnectorError, match="gone"):
        make_connector(server).fetch_page(StreamSpec("search"), "")


def test_retry_after_rate_limits_and_outages(feeds):
    imitation, server = feeds
    imitation.publish("/feed.xml", rss_document([rss_item("a", "A", "a")]))
    imitation.failures = [Response(429, "slow down", {"Retry-After": "120"})]
    before = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as raised:
        make_connector(server).fetch_page(StreamSpec("search"), "")
    assert (
        before + timedelta(seconds=119) <= raised.value.reset_at <= datetime.now(timezone.utc) + timedelta(seconds=121)
    )
    imitation.failures = [Response(503, "maintenance", {"Retry-After": "Sat, 21 Nov 2026 06:00:00 GMT"})]
    with pytest.raises(RateLimited) as raised:
        make_connector(server).fetch_page(StreamSpec("search"), "")
    assert raised.value.reset_at == datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)
    imitation.failures = [Response(502, "bad gateway")] * 2
    assert make_connector(server).fetch_page(StreamSpec("search"), "").posts
    imitation.failures = [Response(500, "down")] * 10
    with pytest.raises(TransientError):
        make_connector(server).fetch_page(StreamSpec("search"), "")


def test_read_only(feeds):
    _, server = feeds
    connector = make_connector(server)
    assert not connector.can_reply and not connector.can_publish and not connector.uses_oauth


def test_undated_rdf_items_are_dated_when_first_seen_and_kept(feeds):
    imitation, server = feeds
    items = [rdf_item(f"https://news.example/{n}", f"Headline {n}", f"Teaser {n}") for n in range(3)]
    imitation.publish("/rdf", rdf_document(items))
    connector = make_connector(server)
    before = datetime.now(timezone.utc)
    page = connector.fetch_page(StreamSpec("search", f"{server.url}/rdf"), "")
    assert not page.skipped and len(page.posts) == 3
    assert all(before <= p.created_at <= datetime.now(timezone.utc) for p in page.posts)
    assert {p.url for p in page.posts} == {f"https://news.example/{n}" for n in range(3)}
    # read again: nothing new; an undated item whose text changed is an edit
    assert connector.fetch_page(StreamSpec("search", f"{server.url}/rdf"), page.cursor).posts == []
    items[0] = rdf_item("https://news.example/0", "Headline 0 (updated)", "Teaser 0")
    imitation.publish("/rdf", rdf_document(items))
    edited = connector.fetch_page(StreamSpec("search", f"{server.url}/rdf"), page.cursor).posts
    assert [(p.external_id, p.text) for p in edited] == [("https://news.example/0", "Headline 0 (updated)\n\nTeaser 0")]
    assert edited[0].edited_at


def test_a_feed_in_its_declared_encoding(feeds):
    imitation, server = feeds
    document = rss_document([rss_item("k1", "Новости", "Привет, мир")])
    document = document.replace('encoding="utf-8"', 'encoding="windows-1251"')
    imitation.publish("/cp1251", document.encode("windows-1251"), content_type="application/rss+xml")
    post = make_connector(server).fetch_page(StreamSpec("search", f"{server.url}/cp1251"), "").posts[0]
    assert post.text == "Новости\n\nПривет, мир"
