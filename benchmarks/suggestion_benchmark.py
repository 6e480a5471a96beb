"""Latency of the reply wizard's suggested answers (``social.crm.solution._suggest``) at
10,000 and 100,000 solved tickets, on a real Odoo database with social_crm installed.

The solved tickets are generated inside one transaction that is rolled back at the end, so
the database keeps nothing: every indexed ticket gets a question built from a labelled
customer post of ``benchmarks/data`` (``posts_labelled.jsonl`` and ``posts_train_extra.jsonl``)
plus four to eight words drawn from the vocabulary of all posts of that language and an order
number, so no two are alike, and a short answer.  By default all tickets are in ONE language
and ONE company (the hard case: every query competes with every row); ``--languages 8``
spreads them over the eight languages of the sample.  The queries are the posts of
``posts_heldout*.jsonl`` in the indexed language (never indexed themselves), each timed
through the ORM method the wizard calls (Python + SQL), after one warm-up pass.

Create the database once with::

    python3 -m odoo server -d bench --addons-path=<odoo>/addons,<this repository> \\
        -i social_crm --stop-after-init --no-http --max-cron-threads=0

then::

    python3 benchmarks/suggestion_benchmark.py bench --addons-path=<odoo>/addons,<this repository> \\
        [--sizes 10000 100000] [--language cs] [--languages 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
INDEXED_FILES = ("posts_labelled.jsonl", "posts_train_extra.jsonl")
QUERY_FILES = ("posts_heldout.jsonl", "posts_heldout_2.jsonl", "posts_heldout_3.jsonl", "posts_heldout_4.jsonl")
LANGUAGES = ("cs", "en", "pl", "ru", "de", "es", "uk", "fa")
GOAL_MS = 100.0


def texts_by_language(names):
    texts = {}
    for name in names:
        with (DATA / name).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    item = json.loads(line)
                    texts.setdefault(item.get("lang"), []).append(item["text"])
    return texts


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def explain(cr, Solution, text, language, company):
    """Print the plans of the SQL statements of one suggestion."""
    execute = cr.execute

    def explained(query, params=None):
        execute(query, params)
        if "SELECT" in str(query) and "social_crm_solution" in str(query):
            rows = cr.fetchall()
            execute(f"EXPLAIN (ANALYZE, BUFFERS) {cr.mogrify(query, params).decode()}")
            print("\n".join(row[0] for row in cr.fetchall()))
            execute(query, params)  # the caller fetches the real rows
            del rows

    cr.execute = explained
    try:
        Solution._suggest(text, language, company)
    finally:
        cr.execute = execute


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database")
    parser.add_argument("--addons-path", help="Odoo addons path, including this repository")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--language", default="cs", help="the language of the queries (and of every ticket)")
    parser.add_argument("--languages", type=int, default=1, help="spread the tickets over this many languages")
    parser.add_argument("--explain", action="store_true", help="print the query plans of the first query")
    options = parser.parse_args()

    from odoo.tools import config

    args = ["-d", options.database, "--log-level=warn", "--max-cron-threads=0", "--http-interface=127.0.0.1"]
    if options.addons_path:
        args.append(f"--addons-path={options.addons_path}")
    config.parse_config(args)
    from psycopg2.extras import execute_values

    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    from odoo.addons.social_crm.core.routing import fold
    from odoo.addons.social_crm.models.social_crm_solution import words as index_words

    registry = Registry(options.database)
    indexed = texts_by_language(INDEXED_FILES)
    queries = texts_by_language(QUERY_FILES)[options.language]
    languages = [options.language] + [code for code in LANGUAGES if code != options.language][: options.languages - 1]
    vocabulary = {
        code: sorted({word for text in indexed[code] for word in re.findall(r"\w+", text.lower()) if len(word) > 3})
        for code in languages
    }
    rnd = random.Random(15)  # noqa: S311 - reproducible test data
    print(
        f"social_crm suggestion benchmark on {options.database!r}: tickets in {', '.join(languages)}, "
        f"queries in {options.language} ({len(queries)} held-out posts); {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.2f}"
    )
    header = f"{'solved tickets':>15} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'found 3':>8}"
    print(f"{header}  goal: median < {GOAL_MS:.0f} ms")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.company
        Solution = env["social.crm.solution"]
        stage = env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        stored = 0
        for size in sorted(options.sizes):
            while stored < size:
                page = min(5000, size - stored)
                cr.execute(
                    """INSERT INTO helpdesk_ticket (name, description, number, stage_id, company_id, active,
                                                    social_network, create_date, write_date)
                       SELECT 'Benchmark ' || n, '<p>benchmark</p>', 'BENCH-' || n, %s, %s, true, 'demo',
                              now(), now()
                         FROM generate_series(%s, %s) n RETURNING id""",
                    [stage.id, company.id, stored + 1, stored + page],
                )
                rows, counts = [], Counter()
                for (ticket_id,) in cr.fetchall():
                    code = languages[ticket_id % len(languages)]
                    words = rnd.sample(vocabulary[code], rnd.randint(4, 8))
                    question = f"{rnd.choice(indexed[code])} {' '.join(words)} #{rnd.randint(10000, 99999)}"
                    folded = " ".join(re.findall(r"\w+", fold(question)))
                    rows.append((ticket_id, company.id, code, "demo", question, "Answer " + words[0], folded))
                    counts.update((code, word) for word in index_words(question))
                execute_values(
                    cr,
                    """INSERT INTO social_crm_solution (ticket_id, company_id, language, network, question, answer,
                                                        solved_date, create_date, write_date, document)
                       SELECT v.ticket_id, v.company_id, v.language, v.network, v.question, v.answer,
                              now(), now(), now(), to_tsvector('simple', v.folded)
                         FROM (VALUES %s) v (ticket_id, company_id, language, network, question, answer, folded)""",
                    rows,
                )
                execute_values(
                    cr,
                    """INSERT INTO social_crm_solution_term (company_id, language, term, doc_count) VALUES %s
                       ON CONFLICT (company_id, language, term)
                       DO UPDATE SET doc_count = social_crm_solution_term.doc_count + EXCLUDED.doc_count""",
                    [(company.id, code, word, count) for (code, word), count in sorted(counts.items())],
                )
                stored += page
            cr.execute("ANALYZE social_crm_solution; ANALYZE social_crm_solution_term")
            for query in queries:  # warm-up: caches and plans
                Solution._suggest(query, options.language, company)
            if options.explain:
                explain(cr, Solution, queries[0], options.language, company)
            timings, complete = [], 0
            for query in queries:
                started = time.perf_counter()
                found = Solution._suggest(query, options.language, company)
                found.mapped("answer")  # what the wizard shows
                timings.append((time.perf_counter() - started) * 1000)
                complete += len(found) == 3
            print(
                f"{size:>15,} {statistics.median(timings):>10.1f} {percentile(timings, 0.95):>8.1f} "
                f"{max(timings):>8.1f} {complete:>5}/{len(queries)}"
            )
        cr.rollback()
    print("rolled back: the database keeps nothing")


if __name__ == "__main__":
    main()
