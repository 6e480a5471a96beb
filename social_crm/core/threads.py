"""Which conversation a post belongs to, for networks that name only a parent.

Some networks give every post its thread (X ``conversation_id``, a Bluesky
reply's root, a Telegram chat); others give only the post it answers (a
Mastodon status's ``in_reply_to_id``).  There the thread is the parent's
thread, found up the chain of parents, in the same page or among the posts
already stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .types import NormalizedPost


def thread_ids(items: Iterable[NormalizedPost], stored_threads: Mapping[str, str]) -> dict[str, str]:
    """``{external_id: thread id}`` of ``items``.

    The thread the network gives wins; else the parent's thread (the parent
    in this page, or in ``stored_threads``: ``{external_id: thread}`` of
    stored posts); else, while the parent is not stored, the parent's id (the
    caller re-threads the post when the parent arrives); a post without a
    parent is a thread of its own."""
    by_id = {item.external_id: item for item in items}
    threads: dict[str, str] = {}
    for item in by_id.values():
        chain: dict[str, NormalizedPost] = {}  # posts taking an ancestor's thread, walked up (chains can be long)
        current = item
        while current.external_id not in threads:
            if current.thread_external_id or not current.parent_external_id:
                threads[current.external_id] = current.thread_external_id or current.external_id
                break
            chain[current.external_id] = current
            parent = by_id.get(current.parent_external_id)
            if parent is None or parent.external_id in chain:  # outside the page, or a cycle
                threads[current.external_id] = (
                    stored_threads.get(current.parent_external_id) or current.parent_external_id
                )
                break
            current = parent
        thread = threads[current.external_id]
        for external_id in chain:
            threads.setdefault(external_id, thread)
    return threads


def parents_to_look_up(items: Iterable[NormalizedPost]) -> set[str]:
    """Parents whose stored thread :func:`thread_ids` needs: those of posts
    without a thread of their own, outside the page."""
    items = list(items)
    in_page = {item.external_id for item in items}
    return {
        item.parent_external_id
        for item in items
        if item.parent_external_id and not item.thread_external_id and item.parent_external_id not in in_page
    }
