"""Reading a whole stream the way the addon does: page after page, each
time from the cursor the previous page returned."""

from typing import NamedTuple


class Reading(NamedTuple):
    posts: list
    skipped: list
    cursor: str
    pages: int


def read_all(connector, stream, cursor=""):
    posts, skipped, pages = [], [], 0
    while True:
        page = connector.fetch_page(stream, cursor)
        posts += page.posts
        skipped += page.skipped
        cursor, pages = page.cursor, pages + 1
        if not page.has_more:
            return Reading(posts, skipped, cursor, pages)
