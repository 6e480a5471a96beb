"""The database connection of a fetching Odoo process dies in the middle of a
page: the pages committed before stay, the next run resumes from the cursor,
nothing is lost and nothing is stored twice."""

from __future__ import annotations

import time

import pytest

TOTAL, PAGE, STALL = 600, 50, 275


@pytest.fixture(scope="module")
def account(odoo_db):
    result = odoo_db.run("setup", "--accounts", "0")
    return result["generated"]


def wait_for_file(path, process, timeout=120):
    deadline = time.time() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.time() < deadline, "the worker never reached the stalled post"
        time.sleep(0.05)


def test_a_connection_killed_mid_page_loses_nothing_and_stores_nothing_twice(odoo_db, account, tmp_path):
    common = ("--account", str(account), "--posts", str(TOTAL), "--page-size", str(PAGE))
    worker = odoo_db.start("fetch_generated", *common, "--stall-at", str(STALL), "--signal-dir", str(tmp_path))
    wait_for_file(tmp_path / "stalled", worker)
    # the worker is analysing a page inside its transaction: kill its connections
    killed = odoo_db.sql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )[0][0]
    assert killed >= 1
    (tmp_path / "go").write_text("1")
    result = odoo_db.finish(worker)
    assert result["returncode"] != 0, "the worker lost its database and stopped"
    assert "terminat" in result["stderr"] or "closed" in result["stderr"], result["stderr"]

    kept = STALL // PAGE * PAGE  # the pages committed before the stalled one
    assert odoo_db.sql("SELECT count(*) FROM social_crm_post WHERE account_id = %s", account) == [(kept,)]
    assert odoo_db.sql("SELECT cursor FROM social_crm_stream WHERE account_id = %s", account) == [(str(kept),)]

    # the next run (a new process) resumes at the cursor and completes
    resumed = odoo_db.run("fetch_generated", *common)
    assert resumed["cursor"] == str(TOTAL)
    rows = odoo_db.sql(
        "SELECT count(*), count(DISTINCT external_id), count(analysis_error) FROM social_crm_post "
        "WHERE account_id = %s",
        account,
    )
    assert rows == [(TOTAL, TOTAL, 0)]
    expected = {f"gen-{index}" for index in range(TOTAL)}
    stored = {row[0] for row in odoo_db.sql("SELECT external_id FROM social_crm_post WHERE account_id = %s", account)}
    assert stored == expected
