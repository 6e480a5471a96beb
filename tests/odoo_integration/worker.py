"""One Odoo worker process for the integration tests: it opens the database's
registry, does one action and prints a JSON line with what it did.

    python3 worker.py --db DB --addons PATHS ACTION [options]

Actions:

* ``setup``: demo-network accounts with their four streams (and, when the
  addon routes posts, rules: complaints open tickets, purchase intent leads);
* ``cron``: the scheduled fetch of due accounts, then the routing of new posts;
* ``ingest``: ``social.crm.post._ingest`` of generated, overlapping pages
  straight away, to race another worker on the same posts and authors;
* ``route``: the routing of new posts only;
* ``fetch_generated``: ``account._fetch()`` of an account whose connector
  serves generated posts; ``--stall-at`` makes the analysis of one post wait
  (telling the test through a file) until the test lets it go, so the test
  can kill the database connection in the middle of a page.

Every action that has to race another worker first waits until ``--start``
(a Unix time), so both run their work at the same moment.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

TEXTS = (
    "Internet nefunguje už druhý den, nikdo mi nevolá zpět!",
    "My order never arrived and support ignores me. Terrible service.",
    "Ile kosztuje pakiet dla firmy? Chcę kupić dziesięć licencji.",
    "Спасибо за быструю помощь, всё работает отлично!",
    "سفارش من هنوز نرسیده و هیچ کس جواب نمی دهد",
    "Де можна купити ваш роутер? Хочу замовити два.",
    "Wann kommt endlich die Rückerstattung? Ich warte seit Wochen.",
    "¿Tienen descuentos para estudiantes? Quiero comprar el plan anual.",
)


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons", required=True)
    parser.add_argument("action")
    parser.add_argument("--start", type=float, default=0.0)
    parser.add_argument("--accounts", type=int, default=2)
    parser.add_argument("--account", type=int)
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--offset", type=int, default=0, help="first post of the first page (ingest)")
    parser.add_argument("--reverse", action="store_true", help="pages in reverse order (ingest)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stall-at", type=int, default=-1, help="post index whose analysis waits (fetch_generated)")
    parser.add_argument("--signal-dir", default=".")
    return parser.parse_args()


def open_registry(options):
    from odoo.tools import config

    config.parse_config(
        ["-d", options.db, f"--addons-path={options.addons}", "--log-level=warn", "--max-cron-threads=0",
         "--http-interface=127.0.0.1"]
    )  # fmt: skip
    from odoo.modules.registry import Registry

    return Registry(options.db)


def environment(cr):
    from odoo import SUPERUSER_ID, api

    return api.Environment(cr, SUPERUSER_ID, {})


def wait_for(start):
    delay = start - time.time()
    if delay > 0:
        time.sleep(delay)


def generated_post(index, tag="gen", authors=40):
    """Post ``index`` of a deterministic generated stream: authors recur,
    some posts answer earlier ones."""
    from odoo.addons.social_crm.core.types import Author, Metrics, NormalizedPost

    rnd = random.Random(index)
    number = rnd.randrange(authors)
    return NormalizedPost(
        external_id=f"{tag}-{index}",
        author=Author(external_id=f"{tag}-author-{number}", handle=f"author{number}", followers=number * 10),
        text=f"{TEXTS[index % len(TEXTS)]} #{index}",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=index),
        kind="mention",
        parent_external_id=f"{tag}-{rnd.randrange(index)}" if index > 5 and rnd.random() < 0.2 else "",
        metrics=Metrics(likes=index % 7),
    )


def pages(options):
    """Pages of generated posts, starting at ``offset`` and wrapping round, so
    two workers with different offsets cover the same posts in overlapping
    pages; the authors within a page come in a shuffled order."""
    total, size = options.posts, options.page_size
    order = [(options.offset + index) % total for index in range(total)]
    chunks = [order[start : start + size] for start in range(0, total, size)]
    if options.reverse:
        chunks.reverse()
    rnd = random.Random(options.seed)
    for chunk in chunks:
        rnd.shuffle(chunk)
        yield [generated_post(index) for index in chunk]


# -- actions -----------------------------------------------------------------
def setup(registry, options):
    with registry.cursor() as cr:
        env = environment(cr)
        accounts = env["social.crm.account"].create(
            [
                {
                    "name": f"Race account {number}",
                    "network": "demo",
                    "handle": "@nordlight",
                    "external_id": "demo-brand",
                    "stream_ids": [
                        (0, 0, {"name": kind, "kind": kind, "backfill_limit": 0})
                        for kind in ("mentions", "search", "comments", "messages")
                    ],
                }
                for number in range(options.accounts)
            ]
        )
        generated = env["social.crm.account"].create(
            {
                "name": "Generated",
                "network": "demo",
                "state": "disabled",  # read by the tests only, never by the cron
                "stream_ids": [(0, 0, {"name": "Mentions", "kind": "mentions", "backfill_limit": 0})],
            }
        )
        rules = "social.crm.rule" in env
        if rules and not env["social.crm.rule"].search_count([]):
            env["social.crm.rule"].create(
                [
                    {"name": "Complaints", "sequence": 1, "intent": "complaint", "action": "ticket"},
                    {"name": "Purchase intent", "sequence": 2, "intent": "purchase_intent", "action": "lead"},
                ]
            )
        env["ir.config_parameter"].set_param("social_crm.pages_per_run", 1000)
        cr.commit()
        return {"accounts": accounts.ids, "generated": generated.id, "rules": rules}


def route(env):
    """Route new posts with the addon's processing method, if it has one."""
    Post = env["social.crm.post"]
    if hasattr(type(Post), "_cron_process_new"):
        Post._cron_process_new()
        return True
    if hasattr(type(Post), "_process_new"):
        while Post._process_new():
            env.cr.commit()
        return True
    return False


def as_cron(registry, job):
    """Run ``job(env)`` as Odoo's cron runner would, again while it fails on
    a concurrency error (a serialization failure or a deadlock): Odoo logs
    the failed run and calls the job again at its next run."""
    from psycopg2.extensions import TransactionRollbackError

    failures = 0
    with registry.cursor() as cr:
        env = environment(cr)
        while True:
            try:
                result = job(env)
                cr.commit()
                return result, failures
            except TransactionRollbackError as error:
                cr.rollback()
                env.invalidate_all()
                failures += 1
                print(f"run failed on a concurrency error, run again: {error}", file=sys.stderr)
                if failures > 20:
                    raise
                time.sleep(random.random() / 5)


def cron(registry, options):
    wait_for(options.start)
    _fetched, fetch_failures = as_cron(registry, lambda env: env["social.crm.account"]._cron_fetch_due())
    routed, route_failures = as_cron(registry, route)
    return {"routed": routed, "failed_runs": fetch_failures + route_failures}


def route_only(registry, options):
    wait_for(options.start)
    routed, failures = as_cron(registry, route)
    return {"routed": routed, "failed_runs": failures}


def ingest(registry, options):
    """Store overlapping pages straight through ``_ingest``, committing each;
    a page that loses a deadlock is rolled back and stored again, as the
    next cron run would."""
    from psycopg2 import errors

    stored = deadlocks = serialization_failures = 0
    with registry.cursor() as cr:
        env = environment(cr)
        account = env["social.crm.account"].browse(options.account)
        stream = account.stream_ids[:1]
        batches = list(pages(options))
        wait_for(options.start)
        for batch in batches:
            for _attempt in range(20):
                try:
                    stored += env["social.crm.post"]._ingest(account, batch, stream)
                    cr.commit()
                    break
                except (errors.DeadlockDetected, errors.SerializationFailure) as error:
                    cr.rollback()
                    env.invalidate_all()
                    if isinstance(error, errors.DeadlockDetected):
                        deadlocks += 1
                    else:
                        serialization_failures += 1
            else:
                raise RuntimeError("a page could not be stored in 20 attempts")
    return {"stored": stored, "deadlocks": deadlocks, "serialization_failures": serialization_failures}


def fetch_generated(registry, options):
    """``account._fetch()`` (the cron's path) of the generated account."""
    from odoo.addons.social_crm.core.analysis import Analyzer
    from odoo.addons.social_crm.core.connectors.base import AccountConfig, Connector
    from odoo.addons.social_crm.core.types import Page

    signal_dir = Path(options.signal_dir)

    class Generated(Connector):
        network = "demo"
        label = "Generated"
        stream_kinds = ("mentions",)

        def fetch_page(self, stream, cursor):
            served = int(cursor or 0)
            end = min(served + options.page_size, options.posts)
            return Page(
                posts=[generated_post(index) for index in range(served, end)],
                cursor=str(end),
                has_more=end < options.posts,
            )

    stall_text = f"#{options.stall_at}"
    analyse = Analyzer.analyse

    def stalling(analyzer, text, *args, **kwargs):
        """The real analysis; that of one post waits for the test."""
        if text.endswith(stall_text):
            (signal_dir / "stalled").write_text("1")
            while not (signal_dir / "go").exists():
                time.sleep(0.05)
        return analyse(analyzer, text, *args, **kwargs)

    Analyzer.analyse = stalling
    Account = registry["social.crm.account"]  # the model class of this registry
    Account._connector = lambda account: Generated(AccountConfig())
    with registry.cursor() as cr:
        env = environment(cr)
        account = env["social.crm.account"].browse(options.account)
        account._fetch()
        stream = account.stream_ids[:1]
        return {"cursor": stream.cursor, "state": account.state}


ACTIONS = {"setup": setup, "cron": cron, "ingest": ingest, "route": route_only, "fetch_generated": fetch_generated}


def main():
    options = parse()
    registry = open_registry(options)
    result = ACTIONS[options.action](registry, options)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
