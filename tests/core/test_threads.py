from datetime import datetime, timezone

from social_crm.core.threads import parents_to_look_up, thread_ids
from social_crm.core.types import Author, NormalizedPost

JANA = Author("77", "jana")


def status(external_id, parent="", thread=""):
    return NormalizedPost(
        external_id, JANA, "text", datetime(2026, 11, 20, tzinfo=timezone.utc),
        parent_external_id=parent, thread_external_id=thread,
    )  # fmt: skip


def test_a_post_without_parent_is_its_own_thread():
    assert thread_ids([status("1")], {}) == {"1": "1"}


def test_the_thread_the_network_gives_wins():
    assert thread_ids([status("2", parent="1", thread="conv-9")], {"1": "1"}) == {"2": "conv-9"}


def test_a_reply_takes_its_stored_parents_thread():
    assert thread_ids([status("3", parent="2")], {"2": "1"}) == {"3": "1"}


def test_a_chain_in_one_page_takes_the_roots_thread_in_any_order():
    page = [status("4", parent="3"), status("3", parent="2"), status("2", parent="1"), status("1")]
    assert thread_ids(page, {}) == {"1": "1", "2": "1", "3": "1", "4": "1"}


def test_a_chain_in_one_page_under_a_stored_parent():
    page = [status("5", parent="4"), status("4", parent="3")]
    assert parents_to_look_up(page) == {"3"}
    assert thread_ids(page, {"3": "1"}) == {"4": "1", "5": "1"}


def test_a_reply_whose_parent_is_not_stored_yet_waits_in_the_parents_id():
    assert thread_ids([status("9", parent="8")], {}) == {"9": "8"}


def test_a_long_chain_does_not_hit_the_recursion_limit():
    page = [status(str(n), parent=str(n - 1) if n else "") for n in range(5000)]
    assert set(thread_ids(page, {}).values()) == {"0"}


def test_a_cycle_ends():
    assert thread_ids([status("a", parent="b"), status("b", parent="a")], {}) == {"a": "a", "b": "a"}
