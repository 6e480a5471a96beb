"""Listening intelligence on a large database: detector, backtest, phrases,
clusters, share of voice, and the cost of the partner figures per ingested post.

It generates ``--posts`` stored posts (default 1,000,000) in SQL in one
statement (about 60% about the brand "nordlight", 15% about the competitor
"voltik", in Czech, Polish and English, one in eight negative, spread over 90
days, 30% written by authors linked to ``--partners`` customers), plants a
negative wave in the last ten hours, and times with the addon's own methods:

* the hourly detector of the brand topic (its last 8 days of counts, one query);
* the backtest of 90 days (every hour's evaluation over all stored posts);
* rising phrases of the week and complaint clusters (bounded samples);
* share of voice per topic and week over 30 days (a grouped query on the view);
* ingestion of ``--pages`` pages of 100 new posts through ``_ingest`` on that
  table, and the time the partner figures' refresh takes in it, per post; with
  ``--workers N``, also by N processes at once, as N cron workers fetching
  different accounts (their customers overlap: a page that loses a race is
  stored again, and counted).

Create the database once (``-i social_crm``, no demo data needed), then::

    python3 benchmarks/listening_benchmark.py DB --addons-path=<odoo>/addons,<this repository> \\
        [--posts N] [--workers N] [--repeat N] [--cleanup]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from process_memory import resident_mb

ROOT = Path(__file__).resolve().parent.parent

BRAND_TEXTS = [
    ("cs", "neutral", "other", "Nordlight router běží bez problémů už měsíc."),
    ("cs", "positive", "praise", "Nordlight funguje skvěle, děkuji za rychlou instalaci!"),
    ("cs", "negative", "complaint", "Nordlight mi zase zdražil tarif, to se mi nelíbí."),
    ("pl", "neutral", "other", "Nowa taryfa Nordlight jest w porządku."),
    ("pl", "positive", "praise", "Dziękuję Nordlight za szybką pomoc z routerem."),
    ("pl", "negative", "complaint", "Nordlight, czemu faktura jest wyższa niż zwykle?"),
    ("en", "neutral", "question", "Does Nordlight offer fibre in my street?"),
    ("en", "positive", "praise", "Happy with my Nordlight plan so far."),
]
COMPETITOR_TEXTS = [
    ("cs", "neutral", "other", "Voltik má nový tarif, docela zajímavý."),
    ("pl", "neutral", "question", "Voltik ma tańszy internet niż rok temu?"),
]
OTHER_TEXTS = [
    ("en", "neutral", "other", "Great weather for a bike ride today."),
    ("cs", "neutral", "other", "Dobrý den."),
]
WAVE_TEXTS = [
    ("cs", "negative", "complaint", "Nordlight, už šest hodin žádný signál v Brně! Tohle je katastrofa."),
    ("cs", "negative", "complaint", "Žádný signál v Brně už od rána, Nordlight je nejhorší operátor."),
    ("pl", "negative", "complaint", "Nordlight, brak zasięgu w Krakowie od rana! Fatalna obsługa."),
    ("pl", "negative", "complaint", "Brak zasięgu w Krakowie, a Nordlight nic nie mówi. Okropne."),
]


class Bench:
    def __init__(self, options):
        sys.path.insert(0, str(ROOT))
        import odoo
        from odoo.tools import config

        args = ["-d", options.database, "--log-level=warn", "--max-cron-threads=0", "--http-interface=127.0.0.1"]
        if options.addons_path:
            args.append(f"--addons-path={options.addons_path}")
        config.parse_config(args)
        from odoo import api
        from odoo.modules.registry import Registry

        self.odoo, self.api, self.options = odoo, api, options
        self.registry = Registry(options.database)
        self.tag = uuid.uuid4().hex[:8]
        self.ids = {}

    def env(self, cr):
        return self.api.Environment(cr, self.odoo.SUPERUSER_ID, {})

    def timed(self, label, function, repeat=1):
        """Run ``function(env)`` ``repeat`` times, each in a transaction rolled back; print and return the seconds."""
        seconds = []
        result = None
        for _round in range(repeat):
            with self.registry.cursor() as cr:
                env = self.env(cr)
                started = time.perf_counter()
                result = function(env)
                env.flush_all()
                seconds.append(time.perf_counter() - started)
                cr.rollback()
        best = min(seconds)
        print(f"  {label:<58} {best:8.3f} s (best of {repeat})")
        return best, result

    # -- data --------------------------------------------------------------------
    def generate(self):
        options = self.options
        with self.registry.cursor() as cr:
            env = self.env(cr)
            company = env.company
            Partner = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
            partner_ids = []
            for start in range(0, options.partners, 1000):
                partner_ids += Partner.create(
                    [
                        {"name": f"Listening customer {number}", "email": f"listen-{self.tag}-{number}@example.com"}
                        for number in range(start, min(start + 1000, options.partners))
                    ]
                ).ids
            account = env["social.crm.account"].create(
                {
                    "name": f"Listening benchmark {self.tag}",
                    "network": "demo",
                    "state": "disabled",
                    "stream_ids": [(0, 0, {"name": "Mentions", "kind": "mentions", "backfill_limit": 0})],
                }
            )
            topics = env["social.crm.topic"].create(
                [
                    {"name": f"Nordlight {self.tag}", "keyword_ids": [(0, 0, {"keyword": "nordlight"})]},
                    {
                        "name": f"Voltik {self.tag}",
                        "kind": "competitor",
                        "keyword_ids": [(0, 0, {"keyword": "voltik"})],
                    },
                ]
            )
            env.flush_all()
            authors = options.posts // 20
            started = time.perf_counter()
            cr.execute(
                """INSERT INTO social_crm_profile (network, external_id, company_id, handle, name, followers,
                          verified, influence_score, partner_id, create_uid, create_date, write_uid, write_date)
                   SELECT 'demo', %(tag)s || '-a' || g, %(company)s, 'author' || g, 'Author ' || g, (g * 37) %% 100000,
                          g %% 500 = 0, (g * 13) %% 80,
                          CASE WHEN g %% 10 < 3 THEN (%(partners)s::int[])[1 + g %% %(partner_count)s] END,
                          1, now(), 1, now()
                     FROM generate_series(1, %(authors)s) g""",
                {"tag": self.tag, "company": company.id, "partners": partner_ids,
                 "partner_count": len(partner_ids), "authors": authors},
            )  # fmt: skip
            cr.execute("SELECT id, partner_id FROM social_crm_profile WHERE external_id LIKE %s ORDER BY id",
                       [f"{self.tag}-a%"])  # fmt: skip
            profiles = cr.fetchall()
            profile_ids = [row[0] for row in profiles]
            profile_partners = [row[1] for row in profiles]
            texts = BRAND_TEXTS * 5 + COMPETITOR_TEXTS * 6 + OTHER_TEXTS * 5
            self.insert_posts(cr, account, company, texts, profile_ids, profile_partners, options.posts, 90 * 24 * 60)
            self.insert_posts(cr, account, company, WAVE_TEXTS, profile_ids, profile_partners, options.wave, 10 * 60,
                              prefix="wave")  # fmt: skip
            cr.execute("ANALYZE social_crm_post")
            cr.execute("ANALYZE social_crm_profile")
            generated = time.perf_counter() - started
            # the stored figures of the generated customers, as ingestion would have left them
            started = time.perf_counter()
            env["res.partner"]._social_refresh_stats(partner_ids)
            refreshed = time.perf_counter() - started
            cr.commit()
            cr.execute("SELECT count(*) FROM social_crm_post")
            total = cr.fetchone()[0]
        self.ids = {"account": account.id, "topics": topics.ids, "partners": partner_ids, "profiles": profile_ids}
        print(
            f"generated {options.posts:,} posts and a wave of {options.wave:,} in SQL in {generated:.1f} s "
            f"({total:,} posts in the table); figures of {len(partner_ids):,} customers in {refreshed:.1f} s"
        )

    def insert_posts(self, cr, account, company, texts, profile_ids, profile_partners, count, minutes, prefix="p"):
        cr.execute(
            """INSERT INTO social_crm_post (account_id, network, company_id, external_id, direction, kind, profile_id,
                      partner_id, text, published_date, is_deleted, thread_external_id, language, sentiment_score,
                      sentiment_label, sentiment_supported, intent, like_count, reply_count, repost_count,
                      view_count, state, create_uid, create_date, write_uid, write_date)
               SELECT %(account)s, 'demo', %(company)s, %(prefix)s || g, 'incoming', 'mention', p.profile_id,
                      p.partner_id, t.text,
                      now() at time zone 'utc' - make_interval(mins => ((g::bigint * 7919) %% %(minutes)s)::int),
                      FALSE, %(prefix)s || g, t.language,
                      CASE t.label WHEN 'negative' THEN -0.6 WHEN 'positive' THEN 0.6 ELSE 0 END,
                      t.label, TRUE, t.intent, g %% 17, g %% 3, g %% 5, g %% 100, 'processed', 1, now(), 1, now()
                 FROM generate_series(1, %(count)s) g
                 JOIN LATERAL (SELECT (%(languages)s::text[])[1 + g %% %(text_count)s] AS language,
                                      (%(labels)s::text[])[1 + g %% %(text_count)s] AS label,
                                      (%(intents)s::text[])[1 + g %% %(text_count)s] AS intent,
                                      (%(texts)s::text[])[1 + g %% %(text_count)s] AS text) t ON TRUE
                 JOIN LATERAL (
                      SELECT (%(profiles)s::int[])[1 + (g * 31) %% %(profile_count)s] AS profile_id,
                             (%(partners)s::int[])[1 + (g * 31) %% %(profile_count)s] AS partner_id) p ON TRUE""",
            {
                "account": account.id, "company": company.id, "prefix": f"{self.tag}-{prefix}-", "minutes": minutes,
                "count": count, "text_count": len(texts), "languages": [t[0] for t in texts],
                "labels": [t[1] for t in texts], "intents": [t[2] for t in texts], "texts": [t[3] for t in texts],
                "profiles": profile_ids, "partners": profile_partners, "profile_count": len(profile_ids),
            },
        )  # fmt: skip

    # -- measures ----------------------------------------------------------------
    def measure(self):
        brand, competitor = self.ids["topics"]
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        week = timedelta(days=7)
        print("timings (each in a transaction rolled back):")
        # the first phrases of a worker (the detector's drivers) load the lemma dictionaries of their languages
        before_phrases = resident_mb()
        _seconds, alerts = self.timed(
            "detector: brand topic, last 24 h vs 7 days (hourly)",
            lambda env: [(alert.signal, alert.volume) for alert in env["social.crm.topic"].browse(brand)._detect()],
            repeat=3,
        )
        print(f"    -> alerts opened: {alerts}")
        _seconds, found = self.timed(
            "backtest: brand topic, 90 days of hourly evaluations",
            lambda env: env["social.crm.topic"].browse(brand).backtest(days=90),
        )
        print(f"    -> episodes: {[(item['start'], item['signals']) for item in found]}")
        _seconds, rising = self.timed(
            "rising phrases of the week vs the 4 before (bounded sample)",
            lambda env: [item.phrase for _language, item in
                         env["social.crm.topic"].browse(brand)._rising_phrases(now - week, now, 4)],
            repeat=2,
        )  # fmt: skip
        print(f"    -> {rising[:6]}")
        print(f"  resident memory before the detector and after the phrases (cs, pl, en lemmas loaded): "
              f"{before_phrases:.0f} -> {resident_mb():.0f} MB")  # fmt: skip
        _seconds, clusters = self.timed(
            "complaint clusters of the week (at most 5,000 negative posts)",
            lambda env: env["social.crm.topic"].browse(brand)._complaint_clusters(now - week, now),
            repeat=2,
        )
        print(f"    -> {[(label, count) for label, count, _examples in clusters[:4]]}")
        _seconds, voice = self.timed(
            "share of voice: posts per topic and week, 30 days",
            lambda env: env["social.crm.topic.post"]._read_group(
                [("topic_id", "in", [brand, competitor]), ("published_date", ">=", now - timedelta(days=30))],
                ["topic_id", "published_date:week"],
                ["__count", "sentiment_score:avg"],
            ),
        )
        print(f"    -> {len(voice)} groups")
        self.timed(
            "influencers of the brand topic: top 50 authors",
            lambda env: env["social.crm.topic.author"].search([("topic_id", "=", brand)], limit=50).ids,
        )

    def ingestion(self, worker=0, barrier=None, repetition=0):
        """New pages through ``_ingest`` on the big table, as a fetching cron
        worker stores them (a page that loses a race with another worker is
        rolled back and stored again); returns the figures of this worker."""
        from psycopg2.extensions import TransactionRollbackError

        from odoo.addons.social_crm.core.types import Author, NormalizedPost

        pages = self.options.pages
        rnd = random.Random(5 + worker + 100 * repetition)  # noqa: S311 - reproducible test data; each worker its own authors
        spent = {"refresh": 0.0, "calls": 0, "retries": 0}
        Partner = self.registry["res.partner"]
        original = Partner._social_refresh_stats

        def timed_refresh(partner_model, partner_ids):
            started = time.perf_counter()
            try:
                return original(partner_model, partner_ids)
            finally:
                spent["refresh"] += time.perf_counter() - started
                spent["calls"] += 1

        Partner._social_refresh_stats = timed_refresh
        emails = [f"listen-{self.tag}-{number}@example.com" for number in range(self.options.partners)]
        stored = 0
        started = time.time()
        try:
            # page 0 loads the analyzer's models and lexicons, once per worker: not timed
            for page in range(pages + 1):
                if page == 1:
                    if barrier is not None:
                        barrier.wait()  # every worker starts its timed pages at once
                    stored, started, spent["refresh"], spent["calls"], spent["retries"] = 0, time.time(), 0.0, 0, 0
                items = []
                for index in range(100):
                    number = page * 100 + index
                    customer = rnd.random() < 0.3
                    author_number = rnd.randrange(len(emails)) if customer else 10**6 + rnd.randrange(10**5)
                    language, _label, _intent, text = rnd.choice(BRAND_TEXTS)
                    items.append(
                        NormalizedPost(
                            external_id=f"{self.tag}-new-{repetition}-{worker}-{number}",
                            author=Author(
                                external_id=f"{self.tag}-n{repetition}-{worker}-{author_number}",
                                handle=f"n{repetition}-{worker}-{author_number}",
                                email=emails[author_number] if customer else "",
                            ),
                            text=text,
                            created_at=datetime.now(timezone.utc),
                            kind="mention",
                            language_hint=language,
                        )
                    )
                while True:
                    with self.registry.cursor() as cr:
                        try:
                            env = self.env(cr)
                            account = env["social.crm.account"].browse(self.ids["account"])
                            new = env["social.crm.post"]._ingest(account, items)
                            cr.commit()
                        except TransactionRollbackError:
                            cr.rollback()
                            spent["retries"] += 1
                            continue
                    stored += new
                    break
        finally:
            Partner._social_refresh_stats = original
        return {"stored": stored, "started": started, "ended": time.time(), **spent}

    def report_ingestion(self, runs):
        """Print the figures of one measurement (one run per worker) and return its posts per second."""
        stored = sum(run["stored"] for run in runs)
        elapsed = max(run["ended"] for run in runs) - min(run["started"] for run in runs)
        refresh = sum(run["refresh"] for run in runs)
        workers = f"{len(runs)} workers, " if len(runs) > 1 else ""
        print(
            f"ingestion on the big table ({workers}{self.options.pages} pages of 100 each): {stored:,} new posts in "
            f"{elapsed:.1f} s ({stored / elapsed:,.0f} posts/s, analysis included); pages stored again after a "
            f"concurrent update: {sum(run['retries'] for run in runs)}; partner figures: "
            f"{sum(run['calls'] for run in runs)} refreshes, {refresh:.2f} s, "
            f"{refresh / max(stored, 1) * 1000:.2f} ms per post ({refresh / elapsed / len(runs):.0%} of the time)"
        )
        return stored / elapsed

    def cleanup(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            cr.execute("DELETE FROM social_crm_post WHERE account_id = %s", [self.ids["account"]])
            cr.execute("DELETE FROM social_crm_profile WHERE external_id LIKE %s", [f"{self.tag}-%"])
            env["social.crm.topic"].browse(self.ids["topics"]).unlink()
            env["social.crm.account"].browse(self.ids["account"]).unlink()
            cr.execute("DELETE FROM res_partner WHERE email LIKE %s", [f"listen-{self.tag}-%"])
            cr.commit()
        print("cleaned up")


def ingestion_worker(options, tag, ids, worker, barrier, results, repetition):
    """One ingesting process (a cron worker of its own, with its own registry)."""
    bench = Bench(options)
    bench.tag, bench.ids = tag, ids
    results.put(bench.ingestion(worker, barrier, repetition))


def parallel_ingestion(bench, workers, repetition):
    context = multiprocessing.get_context("spawn")  # a fork would share the parent's database connections
    barrier, results = context.Barrier(workers), context.Queue()
    processes = [
        # worker 0 was the single run: new posts and authors for each of these
        context.Process(
            target=ingestion_worker,
            args=(bench.options, bench.tag, bench.ids, worker, barrier, results, repetition),
        )
        for worker in range(1, workers + 1)
    ]
    for process in processes:
        process.start()
    runs = [results.get() for _process in processes]
    for process in processes:
        process.join()
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database")
    parser.add_argument("--addons-path")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--wave", type=int, default=3000, help="negative posts planted in the last 10 hours")
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=30, help="pages of 100 new posts ingested at the end")
    parser.add_argument(
        "--workers", type=int, default=1, help="also ingest with this many processes at once (as cron workers do)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure the ingestion this many times, new posts and authors each time"
    )
    parser.add_argument("--cleanup", action="store_true", help="delete what the run generated")
    options = parser.parse_args()
    bench = Bench(options)
    print(f"social_crm listening benchmark on {options.database!r}, run {bench.tag}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    bench.generate()
    bench.measure()
    rates = {1: [], options.workers: []}
    for repetition in range(options.repeat):
        rates[1].append(bench.report_ingestion([bench.ingestion(repetition=repetition)]))
        if options.workers > 1:
            rates[options.workers].append(
                bench.report_ingestion(parallel_ingestion(bench, options.workers, repetition))
            )
    if options.repeat > 1:
        for workers, measured in rates.items():
            print(
                f"ingestion, {workers} worker(s), {options.repeat} measurements: median "
                f"{statistics.median(measured):,.0f} posts/s (min {min(measured):,.0f}, max {max(measured):,.0f})"
            )
    print(f"memory (RSS): {resident_mb():.0f} MB; load average after: {os.getloadavg()[0]:.2f}")
    if options.cleanup:
        bench.cleanup()


if __name__ == "__main__":
    main()
