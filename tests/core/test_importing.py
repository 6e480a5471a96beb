"""Backfill import of listening-tool exports: reading JSON Lines and CSV lazily,
flexible column names, and a clear reason for every rejected row."""

import csv
import io
import json
import tracemalloc
from datetime import datetime, timezone

import pytest

from social_crm.core.importing import (
    MAX_ROW_BYTES,
    MAX_TEXT_LENGTH,
    RawRow,
    RejectedRow,
    RowError,
    detect_format,
    iter_batches,
    iter_rows,
    normalize_row,
    normalize_rows,
)

BASE = {"id": "p1", "text": "Hello", "author": "@jana", "created_at": "2024-03-01T10:00:00Z"}


def jsonl(*rows) -> io.BytesIO:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def read(stream, file_format="jsonl"):
    items = list(iter_rows(stream, file_format))
    rows = [item for item in items if isinstance(item, RawRow)]
    return rows, [item for item in items if isinstance(item, RejectedRow)]


# -- column names ------------------------------------------------------------------


@pytest.mark.parametrize(
    "row",
    [
        {"id": "p1", "text": "Hello", "author": "jana", "created_at": "2024-03-01T10:00:00Z"},
        {"post_id": "p1", "content": "Hello", "author_handle": "@jana", "date": "2024-03-01T10:00:00+00:00"},
        {"External ID": "p1", "Message": "Hello", "Username": "jana", "Published": "2024-03-01 10:00:00"},
        {"external-id": "p1", "body": "Hello", "username": "jana", "published": 1709287200},
        {"tweet_id": "p1", "full_text": "Hello", "user": {"id": "jana", "username": "jana"}, "timestamp": 1709287200e3},
    ],
    ids=["plain", "aliases", "spaced-titles", "epoch-seconds", "nested-author-epoch-ms"],
)
def test_column_name_variants_give_the_same_post(row):
    post = normalize_row(row)
    assert post.external_id == "p1"
    assert post.text == "Hello"
    assert post.author.handle == "jana"
    assert post.created_at == datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)


def test_all_optional_columns_are_read():
    post = normalize_row(
        {
            "post_id": 1234567890123,
            "message": "Díky za rychlou opravu!",
            "username": "@jana_n",
            "author_name": "Jana Nováková",
            "author_id": 42,
            "published": "Fri, 01 Mar 2024 10:00:00 +0100",
            "link": "https://social.example/p/1",
            "language": "cs-CZ",
            "likes": "1,234",
            "replies": 3,
            "retweets": "2.5K",
            "parent_id": "p0",
            "conversation_id": "t0",
            "followers": "15000",
            "network": "demo",
            "profile_url": "https://social.example/@jana_n",
        },
        network="demo",
    )
    assert post.external_id == "1234567890123"
    assert post.author.external_id == "42"
    assert post.author.handle == "jana_n"
    assert post.author.display_name == "Jana Nováková"
    assert post.author.followers == 15000
    assert post.author.url == "https://social.example/@jana_n"
    assert post.created_at == datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
    assert post.url == "https://social.example/p/1"
    assert post.language_hint == "cs"
    assert (post.metrics.likes, post.metrics.replies, post.metrics.reposts) == (1234, 3, 2500)
    assert post.parent_external_id == "p0"
    assert post.thread_external_id == "t0"
    assert post.kind == "comment"  # a reply without an explicit kind


def test_author_id_defaults_to_the_lowercased_handle_so_reimports_match():
    assert normalize_row({**BASE, "author": "@Jana"}).author.external_id == "jana"
    assert normalize_row({**BASE, "author": None, "author_name": "Jana N."}).author.external_id == "Jana N."


def test_kind_column_and_network_names_of_listening_tools():
    assert normalize_row({**BASE, "type": "DM"}).kind == "message"
    assert normalize_row({**BASE, "type": "retweet?"}).kind == "post"
    assert normalize_row({**BASE, "network": "Twitter"}, network="x").external_id == "p1"
    with pytest.raises(RowError, match="network 'facebook'.*account is on 'x'"):
        normalize_row({**BASE, "platform": "FB"}, network="x")


# -- rejections ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "missing id"),
        ({"id": ""}, "missing id"),
        ({"text": "   "}, "missing text"),
        ({"text": None}, "missing text"),
        ({"created_at": None}, "missing date"),
        ({"created_at": "yesterday"}, "invalid date"),
        ({"created_at": "2024-13-45T99:00:00Z"}, "invalid date"),
        ({"created_at": "2024"}, "invalid date"),  # a year alone is 1970 in epoch seconds
        ({"created_at": "2999-01-01T00:00:00Z"}, "invalid date"),
        ({"created_at": {"$date": 1}}, "invalid date"),
        ({"created_at": True}, "invalid date"),
        ({"author": None}, "missing author"),
        ({"id": {"a": 1}}, "id is an object"),
        ({"id": [1, 2]}, "id is a list"),
        ({"id": 1.5}, "id is a fraction"),
        ({"id": True}, "id is a boolean"),
        ({"text": ["a"]}, "text is a list"),
        ({"text": {"html": "<b>x</b>"}}, "text is an object"),
        ({"author": ["x"]}, "author handle is a list"),
        ({"id": "x" * 300}, "oversized id"),
        ({"text": "x" * (MAX_TEXT_LENGTH + 1)}, "oversized text"),
    ],
)
def test_rows_that_cannot_be_posts_say_why(change, reason):
    with pytest.raises(RowError, match=reason):
        normalize_row({**BASE, **change})


def test_wrong_types_of_optional_values_are_ignored_not_fatal():
    post = normalize_row({**BASE, "likes": "many", "replies": -4, "views": float("nan"), "lang": 12, "url": 7})
    assert (post.metrics.likes, post.metrics.replies, post.metrics.views) == (0, 0, 0)
    assert post.language_hint == ""
    assert post.url == ""


def test_only_http_links_are_kept():
    assert normalize_row({**BASE, "url": "javascript:alert(1)"}).url == ""
    assert normalize_row({**BASE, "url": "data:text/html,<script>x</script>"}).url == ""
    assert normalize_row({**BASE, "url": "HTTPS://ok.example/1"}).url == "HTTPS://ok.example/1"


# -- hostile texts are kept as written ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '<script>alert("x")</script><img src=x onerror=alert(1)>',
        "' OR 1=1; DROP TABLE social_crm_post; --",
        "سلام، سفارش من هنوز نرسیده \u202eگ\u202c",
        "שלום עולם",
        "👍🏽👨‍👩‍👧‍👦🇨🇿 super",
        "x" * MAX_TEXT_LENGTH,
        "line\r\nbreaks\u2028and\ttabs",
    ],
    ids=["html-script", "sql", "rtl-persian-override", "rtl-hebrew", "emoji-zwj", "100k", "control"],
)
def test_hostile_texts_survive_jsonl_and_csv_unchanged(text):
    rows, rejected = read(jsonl({**BASE, "text": text}))
    assert not rejected
    assert normalize_row(rows[0].data).text == text

    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(BASE))
    writer.writeheader()
    writer.writerow({**BASE, "text": text})
    rows, rejected = read(io.BytesIO(buffer.getvalue().encode("utf-8")), "csv")
    assert not rejected
    assert normalize_row(rows[0].data).text == text


def test_nul_characters_are_removed():
    assert normalize_row({**BASE, "text": "a\x00b"}).text == "ab"


# -- reading JSON Lines ---------------------------------------------------------------------


def test_jsonl_line_numbers_empty_lines_and_bad_json():
    stream = jsonl(BASE, "", "   ", "{not json", "[1, 2]", "42", {**BASE, "id": "p2"}, "null")
    rows, rejected = read(stream)
    assert [row.line for row in rows] == [1, 7]
    assert [(item.line, item.reason.split(":")[0]) for item in rejected] == [
        (4, "bad JSON"),
        (5, "bad JSON"),
        (6, "bad JSON"),
        (8, "bad JSON"),
    ]
    assert "expected an object, got a list" in rejected[1].reason


def test_jsonl_oversized_line_is_rejected_and_reading_goes_on():
    huge = json.dumps({**BASE, "text": "x" * (MAX_ROW_BYTES + 10)})
    rows, rejected = read(jsonl(BASE, huge, {**BASE, "id": "p3"}))
    assert [row.line for row in rows] == [1, 3]
    assert rejected[0].line == 2
    assert rejected[0].reason.startswith("oversized row")


def test_jsonl_invalid_utf8_and_bom():
    stream = io.BytesIO(b"\xef\xbb\xbf" + json.dumps(BASE).encode() + b"\n\xff\xfe{}\n")
    rows, rejected = read(stream)
    assert rows[0].data["id"] == "p1"
    assert rejected[0].line == 2 and "not UTF-8" in rejected[0].reason


def test_jsonl_without_final_newline_and_with_crlf():
    rows, rejected = read(io.BytesIO((json.dumps(BASE) + "\r\n" + json.dumps({**BASE, "id": "p2"})).encode()))
    assert [row.data["id"] for row in rows] == ["p1", "p2"] and not rejected


# -- reading CSV --------------------------------------------------------------------------


def test_csv_semicolons_multiline_records_and_line_numbers():
    text = (
        "Post ID;Text;Author;Date\n"
        'a1;"first\nsecond line";@jana;2024-03-01\n'
        "\n"
        "a2;plain;@petr;2024-03-02\n"
        "a3;too;many;values;here\n"
        "a4;short\n"
    )
    rows, rejected = read(io.BytesIO(text.encode()), "csv")
    assert [(row.line, row.data["Post ID"]) for row in rows] == [(2, "a1"), (5, "a2"), (7, "a4")]
    assert rejected == [RejectedRow(6, "bad CSV: 5 values for 4 columns")]
    posts, refused = normalize_rows(rows)
    assert [(line, post.external_id) for line, post in posts] == [(2, "a1"), (5, "a2")]
    assert refused[0].line == 7 and "missing date" in refused[0].reason and refused[0].external_id == "a4"


def test_csv_oversized_field_is_rejected_and_reading_goes_on():
    text = 'id,text,author,date\n1,"' + "y" * 200_000 + '",a,2024-01-01\n2,ok,b,2024-01-02\n'
    rows, rejected = read(io.BytesIO(text.encode()), "csv")
    assert [row.data["id"] for row in rows] == ["2"]
    assert rejected[0].line == 2 and rejected[0].reason.startswith("oversized row")


def test_csv_leaves_the_callers_stream_open_and_handles_an_empty_file():
    stream = io.BytesIO(b"")
    assert read(stream, "csv") == ([], [])
    assert not stream.closed


def test_csv_tab_separated_with_bom():
    rows, _ = read(io.BytesIO("\ufeffid\ttext\tusername\tcreated_at\n1\thi\tz\t1709287200\n".encode()), "csv")
    assert normalize_row(rows[0].data).author.handle == "z"


# -- batches and memory ----------------------------------------------------------------------


def test_batches_keep_rejections_with_the_rows_they_were_met_among():
    stream = jsonl(*[{**BASE, "id": str(n)} for n in range(5)], "oops", *[{**BASE, "id": str(n)} for n in range(5, 7)])
    batches = list(iter_batches(stream, "jsonl", batch_size=3))
    assert [[row.line for row in rows] for rows, _ in batches] == [[1, 2, 3], [4, 5, 7], [8]]
    assert [[item.line for item in rejected] for _, rejected in batches] == [[], [6], []]
    with pytest.raises(ValueError, match="at least 1"):
        next(iter_batches(jsonl(BASE), "jsonl", batch_size=0))


def test_a_large_file_is_read_with_bounded_memory():
    """20,000 rows (about 10 MB) read in batches of 500: the peak of memory
    allocated while reading stays far below the file's size."""
    line = (json.dumps({**BASE, "text": "z" * 400}) + "\n").encode()
    count = 20_000
    data = line * count
    stream = io.BytesIO(data)
    tracemalloc.start()
    seen = 0
    for rows, _rejected in iter_batches(stream, "jsonl", batch_size=500):
        seen += len(rows)
        del rows
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seen == count
    assert peak < len(data) / 4, (peak, len(data))


def test_normalize_rows_numbers_plain_dicts_by_line_key_or_position():
    posts, rejected = normalize_rows([{**BASE, "_line": 10}, {"id": "x"}, "not a row"])
    assert [line for line, _ in posts] == [10]
    assert [(item.line, item.reason) for item in rejected] == [
        (2, "missing text"),
        (3, "expected an object, got a str"),
    ]
    assert rejected[0].as_dict() == {"line": 2, "reason": "missing text", "external_id": "x"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("A.CSV", "csv"), ("x.tsv", "csv"), ("b.json", "jsonl")],
)
def test_detect_format(name, expected):
    assert detect_format(name) == expected


def test_detect_format_refuses_unknown_names():
    with pytest.raises(ValueError, match="cannot tell the format"):
        detect_format("export.xlsx")
