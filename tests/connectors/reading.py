"""Building a connector against an imitation server, and reading a whole
stream the way the addon does: page after page, each time from the cursor
the previous page returned."""

from typing import NamedTuple

from social_crm.core.connectors import AccountConfig, get_connector_class

#: credentials of an OAuth account whose token is valid
LIVE_TOKENS = {"access_token": "live-token", "refresh_token": "refresh-1"}


def build_connector(network, server, credentials, saved=None, **config):
    """A connector of ``network`` talking to ``server``, that never sleeps
    between retries and appends refreshed credentials to ``saved``."""
    account = AccountConfig(base_url=server.url, credentials=dict(credentials), **config)
    on_credentials = saved.append if saved is not None else None
    return get_connector_class(network)(account, on_credentials=on_credentials, sleep=lambda seconds: None)


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
