"""Throughput, SQL queries and memory of social_crm's ingestion on a real Odoo database.

It generates ``--posts`` realistic multilingual posts (en, cs, pl, ru, fa, uk, de, es; about
10% complaints, 5% purchase intent, 30% written by authors whose e-mail belongs to an existing
partner), serves them through a connector defined here, and feeds them through the normal path:
``social.crm.stream._fetch`` (connector page -> authors upserted and matched to partners ->
posts analysed and stored -> cursor committed), in runs of ``--pages-per-run`` pages with a
fresh cursor per run, as the cron does.  It prints:

* posts per second stored and analysed, with no rule action;
* posts per second when about 15% of the posts become tickets or leads (needs the routing
  rules: it calls the post processing method when the addon has one, else says so);
* SQL queries per stored post (Odoo's own counter, ``odoo.sql_db.sql_counter``);
* resident memory after each tenth of the run and at its peak (it must not grow with N);
* the time Odoo takes to create as many plain ``crm.lead`` records (``create`` of a list per
  page, rolled back afterwards), as a ratio.

Every run uses accounts, partners and authors of its own (a run tag), so a database can be
reused; ``--cleanup`` deletes what the run stored.  Create the database once with::

    python3 -m odoo server -d bench --addons-path=<odoo>/addons,<this repository> \\
        -i social_crm --stop-after-init --no-http --max-cron-threads=0

then::

    python3 benchmarks/ingestion_benchmark.py bench --addons-path=<odoo>/addons,<this repository> \\
        [--posts 20000] [--page-size 100] [--pages-per-run 10] [--profile] [--cleanup]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from process_memory import peak_resident_mb, resident_mb

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TEXT_FILES = ("posts_labelled.jsonl", "posts_heldout.jsonl", "posts_heldout_2.jsonl", "posts_heldout_3.jsonl")
LANGUAGES = ("en", "cs", "pl", "ru", "fa", "uk", "de", "es")
GOALS = {
    "ingest": 1000.0,  # posts/s stored and analysed
    "routed": 200.0,  # posts/s with tickets and leads
    "queries": 3.0,  # SQL queries per stored post
}
FIRST_NAMES = ("Jana", "Piotr", "Olga", "Reza", "Taras", "Anna", "Lucía", "Tom", "Marta", "Dmitri", "Sara", "Jonas")
LAST_NAMES = ("Nováková", "Kowalski", "Ivanova", "Karimi", "Shevchenko", "Müller", "García", "Smith", "Dvořák")
#: the post processing (routing) entry points, preferred first: a cron method
#: loops and commits by itself, ``_process_new(limit)`` handles one batch
PROCESSING_METHODS = ("_cron_process_new", "_process_new")


def load_texts():
    """The labelled sample texts, by intent group: ``complaint``,
    ``purchase_intent`` and ``rest`` (questions, praise, other)."""
    groups = {"complaint": [], "purchase_intent": [], "rest": [], "by_language": {}}
    for name in TEXT_FILES:
        with (DATA / name).open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                item = json.loads(line)
                if item.get("lang") not in LANGUAGES:
                    continue
                group = item.get("intent") if item.get("intent") in groups else "rest"
                groups[group].append(item["text"])
                groups["by_language"].setdefault(item["lang"], []).append(item["text"])
    return groups


class PostgresCpu:
    """CPU seconds the PostgreSQL backends of this process used (read from
    /proc, so it only works with PostgreSQL on this machine): with other
    processes on the machine, CPU time says more than the wall clock."""

    def __init__(self, registry):
        from odoo.tools import config

        self.registry = registry
        self.app_name = config["db_app_name"].replace("{pid}", str(os.getpid()))[:63]
        self.start = {}
        self.last = {}

    @staticmethod
    def _cpu(pid):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def sample(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [self.app_name])
            pids = [row[0] for row in cr.fetchall()]
        for pid in pids:
            cpu = self._cpu(pid)
            if cpu is not None:
                self.last[pid] = cpu

    def begin(self):
        self.last = {}
        self.sample()
        self.start = dict(self.last)

    def seconds(self):
        """CPU seconds since :meth:`begin` (a backend opened since counts whole)."""
        self.sample()
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.last.items())


def make_connector_class(core):
    """The generator connector, built on the addon's core classes once Odoo
    has imported the addon."""
    Connector = core["Connector"]
    Author, Metrics, NormalizedPost, Page = core["Author"], core["Metrics"], core["NormalizedPost"], core["Page"]

    class GeneratorConnector(Connector):
        """Serves ``total`` posts, ``page_size`` a page, made on demand from
        the post's index (so nothing but the current page is in memory); the
        cursor is the number of posts served."""

        network = "demo"
        label = "Benchmark generator"
        stream_kinds = ("mentions",)

        def __init__(self, config, *, total, page_size, tag, texts, authors, partner_authors, **kwargs):
            super().__init__(config, **kwargs)
            self.total = total
            self.page_size = page_size
            self.tag = tag
            self.texts = texts
            self.authors = authors
            self.partner_authors = partner_authors
            self.anchor = datetime.now(timezone.utc)

        def author(self, index, rnd):
            # 30% of the posts come from authors who are partners already
            if rnd.random() < 0.30:
                number = rnd.randrange(self.partner_authors)
                email = f"bench-{self.tag}-{number}@example.com"
            else:
                number = self.partner_authors + rnd.randrange(self.authors - self.partner_authors)
                email = ""
            first, last = FIRST_NAMES[number % len(FIRST_NAMES)], LAST_NAMES[number % len(LAST_NAMES)]
            return Author(
                external_id=f"{self.tag}-a{number}",
                handle=f"{first.lower()}{number}",
                display_name=f"{first} {last}",
                url=f"https://bench.invalid/@{first.lower()}{number}",
                followers=int(rnd.paretovariate(1.2) * 40),
                verified=rnd.random() < 0.01,
                email=email,
            )

        def post(self, index):
            rnd = random.Random(index)  # noqa: S311 - reproducible test data
            roll = rnd.random()
            group = "complaint" if roll < 0.10 else "purchase_intent" if roll < 0.15 else "rest"
            text = rnd.choice(self.texts[group])
            is_reply = index > 10 and rnd.random() < 0.10
            return NormalizedPost(
                external_id=f"{self.tag}-p{index}",
                author=self.author(index, rnd),
                text=text,
                created_at=self.anchor - timedelta(seconds=self.total - index),
                kind="mention",
                url=f"https://bench.invalid/posts/{self.tag}-p{index}",
                parent_external_id=f"{self.tag}-p{rnd.randrange(index)}" if is_reply else "",
                metrics=Metrics(likes=rnd.randrange(20), replies=rnd.randrange(4), reposts=rnd.randrange(3)),
            )

        def fetch_page(self, stream, cursor):
            served = int(cursor or 0)
            end = min(served + self.page_size, self.total)
            return Page(
                posts=[self.post(index) for index in range(served, end)], cursor=str(end), has_more=end < self.total
            )

    return GeneratorConnector


class Bench:
    def __init__(self, options):
        import odoo
        from odoo.tools import config

        args = ["-d", options.database, "--log-level=warn", "--max-cron-threads=0", "--http-interface=127.0.0.1"]
        if options.addons_path:
            args.append(f"--addons-path={options.addons_path}")
        config.parse_config(args)
        from odoo import api
        from odoo.modules.registry import Registry

        self.odoo = odoo
        self.api = api
        self.options = options
        self.registry = Registry(options.database)
        self.tag = uuid.uuid4().hex[:8]
        from odoo.addons.social_crm.core.connectors.base import AccountConfig, Connector
        from odoo.addons.social_crm.core.types import Author, Metrics, NormalizedPost, Page

        self.AccountConfig = AccountConfig
        self.Connector = make_connector_class(
            {
                "Connector": Connector,
                "Author": Author,
                "Metrics": Metrics,
                "NormalizedPost": NormalizedPost,
                "Page": Page,
            }
        )
        self.texts = load_texts()
        self.authors = max(options.posts // 4, 10)
        self.partner_authors = max(self.authors * 3 // 10, 1)
        self.accounts = []
        self.pg_cpu = PostgresCpu(self.registry)

    def env(self, cr):
        return self.api.Environment(cr, self.odoo.SUPERUSER_ID, {})

    @staticmethod
    def queries():
        from odoo import sql_db

        return sql_db.sql_counter

    # -- setup ---------------------------------------------------------------
    def setup(self):
        """Partners whose e-mails 30% of the authors use, and one account
        with one mentions stream per phase."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            Partner = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
            for start in range(0, self.partner_authors, 1000):
                stop = min(start + 1000, self.partner_authors)
                Partner.create(
                    [
                        {"name": f"Bench customer {number}", "email": f"bench-{self.tag}-{number}@example.com"}
                        for number in range(start, stop)
                    ]
                )
            cr.commit()

    def warm_up(self):
        """Load the analyzer of the company's languages as a running worker
        has it (the language model, each language's lexicon and lemma table
        load on first use), by analysing the first 50 posts of every language
        through the addon's own analysis method; returns the seconds."""
        started = time.perf_counter()
        with self.registry.cursor() as cr:
            env = self.env(cr)
            Post = env["social.crm.post"]
            analyzer = Post._analyzer(env.company)
            for texts in self.texts["by_language"].values():
                for text in texts[:50]:
                    # _analyse keeps a failure as the post's error: a warm-up that failed would load nothing
                    if error := Post._analyse(analyzer, text, "", "")["analysis_error"]:
                        raise RuntimeError(f"warm-up analysis failed: {error}")
            cr.rollback()
        return time.perf_counter() - started

    def new_stream(self, phase):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            account = env["social.crm.account"].create(
                {
                    "name": f"Benchmark {self.tag} {phase}",
                    "network": "demo",
                    "handle": "@bench",
                    "external_id": f"{self.tag}-brand",
                    "state": "disabled",  # never fetched by a cron meanwhile
                    "stream_ids": [(0, 0, {"name": "Mentions", "kind": "mentions", "backfill_limit": 0})],
                }
            )
            self.accounts.append(account.id)
            return account.stream_ids.id

    def connector(self, total):
        return self.Connector(
            self.AccountConfig(external_id=f"{self.tag}-brand", handle="@bench"),
            total=total,
            page_size=self.options.page_size,
            tag=self.tag,
            texts=self.texts,
            authors=self.authors,
            partner_authors=self.partner_authors,
        )

    # -- phases --------------------------------------------------------------
    def ingest(self, total, process=None, profiler=None):
        """Fetch ``total`` posts run by run (a run: a new cursor and
        environment, ``pages_per_run`` pages, each committed), and
        optionally process new posts after each run.  Returns the figures."""
        stream_id = self.new_stream("routed" if process else "ingest")
        connector = self.connector(total)
        memory = []
        checkpoints = {total * step // 10 for step in range(1, 11)}
        stored = 0
        self.pg_cpu.begin()
        queries = self.queries()
        cpu = time.process_time()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        while True:
            with self.registry.cursor() as cr:
                env = self.env(cr)
                stream = env["social.crm.stream"].browse(stream_id)
                before = stream.fetched_count
                stream._fetch(connector, self.options.pages_per_run)
                if process:
                    process(env)
                    cr.commit()
                stored = stream.fetched_count
                done = int(stream.cursor or 0) >= total
            self.pg_cpu.sample()
            for checkpoint in sorted(checkpoints):
                if stored >= checkpoint:
                    memory.append((checkpoint, resident_mb()))
                    checkpoints.discard(checkpoint)
            if done or stored == before:
                break
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        return {
            "stored": stored,
            "seconds": elapsed,
            "cpu": time.process_time() - cpu,
            "pg_cpu": self.pg_cpu.seconds(),
            "rate": stored / elapsed if elapsed else 0.0,
            "queries": self.queries() - queries,
            "memory": memory,
        }

    def processing(self, env):
        """The addon's method that routes new posts (rules -> tickets and
        leads), or ``None`` while the addon has none."""
        Post = type(env["social.crm.post"])
        for name in PROCESSING_METHODS:
            if hasattr(Post, name):
                return name
        return None

    def prepare_routing(self):
        """Rules for the routed phase: complaints open tickets, purchase
        intent opens leads (about 15% of the posts); posts of earlier
        benchmark accounts are set aside so only this phase's posts are
        routed.  Returns the processing callable, or a reason it is missing."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            method = self.processing(env)
            if not method or "social.crm.rule" not in env:
                return None, "not available yet"
            cr.execute(
                """UPDATE social_crm_post p SET state = 'ignored' FROM social_crm_account a
                    WHERE p.account_id = a.id AND p.state = 'new' AND a.name LIKE 'Benchmark %%'"""
            )
            cr.execute("SELECT count(*) FROM social_crm_post WHERE state = 'new'")
            others = cr.fetchone()[0]
            if others:
                print(f"note: {others} new posts of other accounts will be routed in the timed phase too")
            Rule = env["social.crm.rule"]
            # the benchmark's rules act first; those of the database stay
            Rule.create(
                [
                    {"name": f"Benchmark {self.tag}: complaints", "sequence": -2, "intent": "complaint",
                     "action": "ticket"},
                    {"name": f"Benchmark {self.tag}: purchase intent", "sequence": -1,
                     "intent": "purchase_intent", "action": "lead"},
                ]
            )  # fmt: skip
            cr.commit()

        def process(env):
            Post = env["social.crm.post"]
            if method == "_cron_process_new":
                Post._cron_process_new()
            else:
                while Post._process_new():
                    env.cr.commit()
            env.cr.commit()

        return process, method

    def routed_outcome(self, account_id):
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT count(*), count(ticket_id), count(lead_id), count(DISTINCT ticket_id),
                          count(DISTINCT lead_id)
                     FROM social_crm_post WHERE account_id = %s""",
                [account_id],
            )
            return cr.fetchone()

    def leads(self, total):
        """Create ``total`` plain leads, a page at a time, as the same user;
        every page is flushed and then rolled back so the database keeps
        nothing."""
        queries = self.queries()
        rnd = random.Random(1)  # noqa: S311 - reproducible test data
        self.pg_cpu.begin()
        cpu = time.process_time()
        started = time.perf_counter()
        created = 0
        with self.registry.cursor() as cr:
            env = self.env(cr)
            Lead = env["crm.lead"]
            while created < total:
                size = min(self.options.page_size, total - created)
                Lead.create(
                    [
                        {
                            "name": f"Lead from post {created + index}",
                            "description": rnd.choice(self.texts["purchase_intent"]),
                            "contact_name": f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}",
                            "type": "lead",
                        }
                        for index in range(size)
                    ]
                )
                env.flush_all()
                self.pg_cpu.sample()
                cr.rollback()
                env.invalidate_all()
                created += size
        elapsed = time.perf_counter() - started
        return {
            "stored": created,
            "seconds": elapsed,
            "cpu": time.process_time() - cpu,
            "pg_cpu": self.pg_cpu.seconds(),
            "rate": created / elapsed,
            "queries": self.queries() - queries,
        }

    def cleanup(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            accounts = env["social.crm.account"].browse(self.accounts)
            cr.execute(
                "DELETE FROM social_crm_post WHERE account_id = ANY(%s)", [self.accounts]
            )  # cascade of the account would do it row by row
            cr.execute("DELETE FROM social_crm_profile WHERE external_id LIKE %s", [f"{self.tag}-%"])
            accounts.unlink()
            env["res.partner"].search([("email", "=like", f"bench-{self.tag}-%")]).unlink()
            cr.commit()


class SqlProfile:
    """Time spent in each kind of SQL statement (its first words, numbers
    and lists folded), measured around Odoo's ``Cursor.execute``."""

    def __init__(self):
        self.totals = {}

    def install(self):
        import re

        from odoo import sql_db

        original = sql_db.Cursor.execute
        folded = re.compile(r"\s+")
        totals = self.totals

        def execute(cursor, query, params=None, log_exceptions=True):
            started = time.perf_counter()
            try:
                return original(cursor, query, params, log_exceptions)
            finally:
                code = query.code if hasattr(query, "code") else str(query)
                key = folded.sub(" ", code).strip()[:110]
                count, seconds = totals.get(key, (0, 0.0))
                totals[key] = (count + 1, seconds + time.perf_counter() - started)

        sql_db.Cursor.execute = execute

    def report(self, limit=15):
        lines = ["SQL statements by total time (calls, seconds, statement):"]
        for key, (count, seconds) in sorted(self.totals.items(), key=lambda item: -item[1][1])[:limit]:
            lines.append(f"  {count:6d} {seconds:8.2f}s  {key}")
        return "\n".join(lines)


def format_memory(memory):
    return ", ".join(f"{count}: {mb:.0f} MB" for count, mb in memory)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database")
    parser.add_argument("--addons-path", help="Odoo addons path, including this repository")
    parser.add_argument("--posts", type=int, default=20000)
    parser.add_argument("--page-size", type=int, default=100, help="posts per connector page")
    parser.add_argument("--pages-per-run", type=int, default=10, help="pages per cron run (one cursor)")
    parser.add_argument("--routed-posts", type=int, help="posts of the phase with tickets and leads (default: --posts)")
    parser.add_argument("--skip-routed", action="store_true", help="skip the phase with tickets and leads")
    parser.add_argument("--skip-leads", action="store_true", help="skip the plain crm.lead comparison")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the ingestion phase")
    parser.add_argument("--sql-profile", action="store_true", help="print the time spent per kind of SQL statement")
    parser.add_argument("--cleanup", action="store_true", help="delete the posts, authors and partners of this run")
    options = parser.parse_args()

    bench = Bench(options)
    print(f"social_crm ingestion benchmark on database {options.database!r}, run {bench.tag}")
    print(
        f"{options.posts} posts, {options.page_size} per page, {options.pages_per_run} pages per run, "
        f"{bench.authors} authors of whom {bench.partner_authors} are partners; "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    bench.setup()
    setup_rss = resident_mb()
    warm_up = bench.warm_up()
    baseline_rss = resident_mb()

    profiler = cProfile.Profile() if options.profile else None
    sql_profile = SqlProfile() if options.sql_profile else None
    if sql_profile:
        sql_profile.install()
    ingest = bench.ingest(options.posts, profiler=profiler)
    if sql_profile:
        ingest_sql = sql_profile.report()
        sql_profile.totals.clear()

    process, method = (None, "skipped") if options.skip_routed else bench.prepare_routing()
    routed = None
    if process:
        routed_total = options.routed_posts or options.posts
        routed = bench.ingest(routed_total, process=process)
        routed["outcome"] = bench.routed_outcome(bench.accounts[-1])
        if sql_profile:
            routed["sql"] = sql_profile.report()
    leads = None if options.skip_leads else bench.leads(ingest["stored"])

    rows = [
        ("phase", "posts", "seconds", "Odoo CPU s", "PG CPU s", "posts/s", "posts/CPU s", "SQL/post", "goal"),
        (
            "stored + analysed (no rules)",
            ingest["stored"],
            f"{ingest['seconds']:.1f}",
            f"{ingest['cpu']:.1f}",
            f"{ingest['pg_cpu']:.1f}",
            f"{ingest['rate']:.0f}",
            f"{ingest['stored'] / max(ingest['cpu'] + ingest['pg_cpu'], 1e-9):.0f}",
            f"{ingest['queries'] / max(ingest['stored'], 1):.2f}",
            f">= {GOALS['ingest']:.0f}/s, <= {GOALS['queries']:.0f} SQL",
        ),
    ]
    if routed:
        rows.append(
            (
                f"with tickets and leads ({method})",
                routed["stored"],
                f"{routed['seconds']:.1f}",
                f"{routed['cpu']:.1f}",
                f"{routed['pg_cpu']:.1f}",
                f"{routed['rate']:.0f}",
                f"{routed['stored'] / max(routed['cpu'] + routed['pg_cpu'], 1e-9):.0f}",
                f"{routed['queries'] / max(routed['stored'], 1):.2f}",
                f">= {GOALS['routed']:.0f}/s",
            )
        )
    else:
        rows.append(("with tickets and leads", "-", "-", "-", "-", method, "-", "-", f">= {GOALS['routed']:.0f}/s"))
    if leads:
        rows.append(
            (
                "plain crm.lead create (rolled back)",
                leads["stored"],
                f"{leads['seconds']:.1f}",
                f"{leads['cpu']:.1f}",
                f"{leads['pg_cpu']:.1f}",
                f"{leads['rate']:.0f}",
                f"{leads['stored'] / max(leads['cpu'] + leads['pg_cpu'], 1e-9):.0f}",
                f"{leads['queries'] / max(leads['stored'], 1):.2f}",
                "",
            )
        )
    widths = [max(len(str(row[column])) for row in rows) for column in range(len(rows[0]))]
    print()
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print()
    if routed:
        total, tickets, leads_linked, distinct_tickets, distinct_leads = routed["outcome"]
        print(
            f"routed phase: {tickets} of {total} posts have a ticket ({distinct_tickets} tickets), "
            f"{leads_linked} a lead ({distinct_leads} leads): {(tickets + leads_linked) / max(total, 1):.0%}"
        )
    if leads:
        print(
            f"ingestion time / plain lead creation time for the same number of records: "
            f"{ingest['seconds'] / leads['seconds']:.2f} in wall-clock time, "
            f"{(ingest['cpu'] + ingest['pg_cpu']) / (leads['cpu'] + leads['pg_cpu']):.2f} in CPU time "
            "(below 1: storing and analysing a post is cheaper than creating a bare lead)"
        )
    print(
        f"memory (RSS): {setup_rss:.0f} MB after setup, {baseline_rss:.0f} MB after the first 50 posts of each "
        f"language were analysed ({warm_up:.1f} s, once per worker, not timed): the analyzer adds "
        f"{baseline_rss - setup_rss:.0f} MB to every Odoo worker process; after each tenth of the posts: "
        f"{format_memory(ingest['memory'])}"
    )
    print(f"peak memory (ru_maxrss): {peak_resident_mb():.0f} MB")
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average after: {load} (other processes on the machine slow the wall-clock figures)")
    verdicts = [
        ("stored + analysed", ingest["rate"] >= GOALS["ingest"]),
        ("SQL per stored post", ingest["queries"] / max(ingest["stored"], 1) <= GOALS["queries"]),
    ]
    if routed:
        verdicts.append(("with tickets and leads", routed["rate"] >= GOALS["routed"]))
    print("goals: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in verdicts))
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    if sql_profile:
        print("ingestion phase " + ingest_sql)
        if routed:
            print("phase with tickets and leads " + routed["sql"])
    if options.cleanup:
        bench.cleanup()
        print("cleaned up")


if __name__ == "__main__":
    main()
