"""Two real Odoo processes on one database: a post is never stored twice and
never opens two tickets or leads.

Each worker is a separate OS process with its own registry and connections
(see ``worker.py``); both start their work at the same instant.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "social_crm" / "core" / "connectors" / "demo_posts.json").read_text("utf-8")
)


@pytest.fixture(scope="module")
def setup(odoo_db):
    return odoo_db.run("setup", "--accounts", "2")


def race(odoo_db, *workers, delay=4.0):
    """Start the workers (action, args) together and wait for all of them."""
    start = str(time.time() + delay)  # after both have loaded their registry
    processes = [odoo_db.start(action, "--start", start, *args) for action, *args in workers]
    results = [odoo_db.finish(process) for process in processes]
    for result in results:
        assert result["returncode"] == 0, result["stderr"]
        if result.get("failed_runs"):
            # Odoo runs a cron again after it failed; say how often it had to
            reasons = {line for line in result["stderr"].splitlines() if line.startswith("run failed")}
            print(f"{result['failed_runs']} runs failed on a concurrency error and ran again: {reasons}")
    return results


def duplicates(odoo_db):
    return odoo_db.sql(
        "SELECT account_id, external_id, count(*) FROM social_crm_post GROUP BY 1, 2 HAVING count(*) > 1"
    )


def orphan_records(odoo_db):
    """Tickets and leads that no post points to: the trace a second ticket or
    lead for the same post would leave (the post keeps only one)."""
    return odoo_db.sql(
        """SELECT 'ticket', t.id FROM helpdesk_ticket t
            WHERE NOT EXISTS (SELECT 1 FROM social_crm_post p WHERE p.ticket_id = t.id)
           UNION ALL
           SELECT 'lead', l.id FROM crm_lead l
            WHERE NOT EXISTS (SELECT 1 FROM social_crm_post p WHERE p.lead_id = l.id)"""
    )


def unrouted(odoo_db):
    """Incoming posts left new, with the error that stopped their routing."""
    return odoo_db.sql(
        "SELECT external_id, processing_error FROM social_crm_post WHERE state = 'new' AND direction = 'incoming'"
    )


def test_two_cron_workers_store_every_post_once(odoo_db, setup):
    accounts = setup["accounts"]
    total = len(SAMPLE["posts"])
    race(odoo_db, ("cron",), ("cron",))
    assert duplicates(odoo_db) == []
    counts = dict(
        odoo_db.sql("SELECT account_id, count(*) FROM social_crm_post WHERE account_id = ANY(%s) GROUP BY 1", accounts)
    )
    assert counts == dict.fromkeys(accounts, total), "every account has every sample post, once"
    # both read everything again from the start at the same time
    odoo_db.sql("UPDATE social_crm_stream SET cursor = NULL WHERE account_id = ANY(%s)", accounts)
    odoo_db.sql("UPDATE social_crm_account SET next_fetch_date = NULL WHERE id = ANY(%s)", accounts)
    race(odoo_db, ("cron",), ("cron",))
    assert duplicates(odoo_db) == []
    assert odoo_db.sql("SELECT count(*) FROM social_crm_post WHERE account_id = ANY(%s)", accounts) == [
        (total * len(accounts),)
    ]
    assert odoo_db.sql(
        "SELECT count(*) FROM social_crm_post WHERE account_id = ANY(%s) AND parent_external_id IS NOT NULL "
        "AND parent_id IS NULL AND parent_external_id IN (SELECT external_id FROM social_crm_post)",
        accounts,
    ) == [(0,)], "every reply whose parent is stored is linked to it"
    if setup["rules"]:
        assert orphan_records(odoo_db) == []
        assert unrouted(odoo_db) == []


def test_two_workers_ingesting_overlapping_pages_store_each_post_once(odoo_db, setup):
    """The same 600 posts in pages of 50, shifted by half a page and in the
    opposite order in the second worker, authors shuffled within each page:
    ``_ingest`` itself, with no lock of the account, must keep one row per
    post and per author, and count each post as new exactly once."""
    account, total = str(setup["generated"]), 600
    first, second = race(
        odoo_db,
        ("ingest", "--account", account, "--posts", str(total), "--seed", "1"),
        ("ingest", "--account", account, "--posts", str(total), "--offset", "25", "--reverse", "--seed", "2"),
    )
    assert duplicates(odoo_db) == []
    assert odoo_db.sql("SELECT count(*) FROM social_crm_post WHERE account_id = %s", int(account)) == [(total,)]
    assert first["stored"] + second["stored"] == total, "each post is reported new by exactly one worker"
    assert (
        odoo_db.sql(
            "SELECT external_id, count(*) FROM social_crm_profile WHERE external_id LIKE 'gen-author-%%' "
            "GROUP BY 1 HAVING count(*) > 1"
        )
        == []
    )
    assert odoo_db.sql(
        "SELECT count(*) FROM social_crm_post c JOIN social_crm_post p "
        "ON p.account_id = c.account_id AND p.external_id = c.parent_external_id "
        "WHERE c.account_id = %s AND c.parent_id IS DISTINCT FROM p.id",
        int(account),
    ) == [(0,)], "replies are linked to their parents whichever worker stored them"
    print(
        f"pages stored again after a deadlock: {first['deadlocks']} + {second['deadlocks']}, "
        f"after a serialization failure: {first['serialization_failures']} + {second['serialization_failures']} "
        f"(of {2 * total // 50})"
    )


def test_two_workers_routing_at_once_open_one_record_per_post(odoo_db, setup):
    if not setup["rules"]:
        pytest.skip("the addon has no routing rules yet (social.crm.rule)")
    account = str(setup["generated"])
    # the generated account's posts were stored by the previous test and
    # nobody routed them yet
    new = odoo_db.sql("SELECT count(*) FROM social_crm_post WHERE account_id = %s AND state = 'new'", int(account))
    assert new[0][0]
    race(odoo_db, ("route",), ("route",))
    assert orphan_records(odoo_db) == []
    assert unrouted(odoo_db) == []
    routed = odoo_db.sql(
        "SELECT count(*) FILTER (WHERE ticket_id IS NOT NULL), count(*) FILTER (WHERE lead_id IS NOT NULL) "
        "FROM social_crm_post WHERE account_id = %s",
        int(account),
    )[0]
    assert routed[0] and routed[1], "complaints became tickets and purchase intent leads"
