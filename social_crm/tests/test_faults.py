"""Faults survived, nothing lost: a failing analysis, a webhook flood with
duplicates and forgeries, networks answering storms of 500, 429 and timeouts.

(A database connection killed in the middle of a page needs a real second
process: see ``tests/odoo_integration/test_connection_loss.py``.)"""

import json
import random
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.social_crm.core.analysis import Analyzer
from odoo.addons.social_crm.core.connectors.mastodon import MastodonConnector
from odoo.addons.social_crm.core.types import Author, NormalizedPost

from .common import SimulatedCommits, SocialCrmCase, telegram_bot_account

BROKEN = "BREAKS-THE-ANALYZER"


def post(external_id, text, **values):
    return NormalizedPost(
        external_id=external_id,
        author=Author(external_id=f"author-{external_id}", handle=f"h{external_id}"),
        text=text,
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        kind="mention",
        **values,
    )


@tagged("post_install", "-at_install")
class TestAnalysisFailure(SocialCrmCase):
    """The analyzer raising on one post: that post is stored with the error,
    the others of its page are analysed as usual."""

    def setUp(self):
        super().setUp()
        analyse = Analyzer.analyse

        def analyse_or_fail(analyzer, text, *args, **kwargs):
            if BROKEN in text:
                raise ValueError("the analyzer cannot read this text")
            return analyse(analyzer, text, *args, **kwargs)

        self.startPatcher(patch.object(Analyzer, "analyse", analyse_or_fail))
        self.Post = self.env["social.crm.post"]

    def test_a_post_whose_analysis_fails_is_stored_with_the_error(self):
        page = [
            post("f1", "The router stopped working again, I want a refund!"),
            post("f2", f"Something the analyzer chokes on {BROKEN}"),
            post("f3", "Děkuji, všechno funguje skvěle!"),
        ]
        self.assertEqual(self.Post._ingest(self.account, page, self.streams[0]), 3)
        posts = {p.external_id: p for p in self.posts()}
        self.assertEqual(set(posts), {"f1", "f2", "f3"})
        broken = posts["f2"]
        self.assertEqual(broken.analysis_error, "ValueError: the analyzer cannot read this text")
        self.assertIn(BROKEN, broken.text, "the text is kept as received")
        self.assertFalse(broken.language)
        self.assertEqual(broken.state, "new")
        for external_id in ("f1", "f3"):
            self.assertFalse(posts[external_id].analysis_error)
            self.assertTrue(posts[external_id].language)
            self.assertTrue(posts[external_id].sentiment_label)

    def test_an_edit_whose_analysis_fails_keeps_the_post_and_the_new_text(self):
        self.Post._ingest(self.account, [post("e1", "Great service, thank you!")], self.streams[0])
        stored = self.posts()
        self.assertFalse(stored.analysis_error)
        edited = post("e1", f"Edited: {BROKEN}", edited_at=datetime(2026, 1, 2, tzinfo=timezone.utc))
        self.assertEqual(self.Post._ingest(self.account, [edited], self.streams[0]), 0)
        self.assertEqual(self.posts(), stored, "still one post")
        self.assertEqual(stored.text, f"Edited: {BROKEN}")
        self.assertIn("ValueError", stored.analysis_error)


@tagged("post_install", "-at_install")
class TestWebhookFlood(HttpCase):
    """1,000 Telegram deliveries: 850 distinct valid updates, 100 repeats of
    them and 50 with a wrong secret; exactly the 850 are stored."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = telegram_bot_account(cls.env, "Flooded bot", "123:flood-token", "flood-secret_1")
        cls.url = f"/social_crm/webhook/{cls.account.webhook_token}"

    @staticmethod
    def update(update_id):
        chat = 1000 + update_id % 37
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "from": {"id": chat, "is_bot": False, "first_name": "Jana", "username": f"user{chat}"},
                "chat": {"id": chat, "type": "private"},
                "date": 1763800000 + update_id,
                "text": f"Objednávka {update_id} stále nedorazila, co se děje?",
            },
        }

    def test_a_flood_stores_exactly_the_valid_unique_events(self):
        rnd = random.Random(6)  # noqa: S311 - a reproducible delivery order
        valid = list(range(1, 851))
        deliveries = [(update_id, "flood-secret_1") for update_id in valid]
        deliveries += [(rnd.choice(valid), "flood-secret_1") for _repeat in range(100)]
        deliveries += [(5000 + number, "forged-secret") for number in range(50)]
        rnd.shuffle(deliveries)
        self.assertEqual(len(deliveries), 1000)
        statuses = {}
        for update_id, secret in deliveries:
            response = self.url_open(
                self.url,
                data=json.dumps(self.update(update_id)),
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        self.assertEqual(statuses, {200: 950, 403: 50})
        posts = self.env["social.crm.post"].search([("account_id", "=", self.account.id)])
        chat_of = {update_id: 1000 + update_id % 37 for update_id in valid}
        self.assertEqual(len(posts), 850)
        self.assertEqual(set(posts.mapped("external_id")), {f"{chat_of[update_id]}:{update_id}" for update_id in valid})


class StormServer:
    """A Mastodon instance on 127.0.0.1 that answers what ``mode`` says:
    ``500``, ``429`` (Retry-After), ``timeout`` (answers too late) or ``ok``
    (two mentions)."""

    def __init__(self):
        self.mode = "ok"
        self.requests = 0
        self.abandoned = 0
        self.delay = 0.0
        storm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                storm.requests += 1
                if storm.mode == "500":
                    return self.answer(500, {"error": "Internal Server Error"})
                if storm.mode == "429":
                    return self.answer(429, {"error": "Too many requests"}, {"Retry-After": "600"})
                if storm.mode == "timeout":
                    time.sleep(storm.delay)
                return self.answer(200, [storm.mention(number) for number in (2, 1)])

            def answer(self, status, payload, headers=None):
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    storm.abandoned += 1  # the client gave up waiting (timeout mode)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def mention(number):
        return {
            "id": f"n{number}",
            "type": "mention",
            "status": {
                "id": f"10{number}",
                "created_at": f"2026-01-0{number}T10:00:00.000Z",
                "content": f"<p>@brand my parcel {number} is lost, nobody answers!</p>",
                "url": f"https://mastodon.test/@jana/10{number}",
                "account": {"id": "7", "acct": "jana", "username": "jana", "display_name": "Jana"},
            },
        }

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install")
class TestNetworkStorms(SocialCrmCase):
    """The scheduled fetch against a network answering 500s, 429s or too late:
    the account records it and waits, nothing is stored half-way, the
    network is not hammered, and once it recovers the posts come in."""

    def setUp(self):
        super().setUp()
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)
        self.Account = self.env["social.crm.account"]
        self.Account.search([]).write({"state": "disabled"})
        self.storm = StormServer().__enter__()  # not enterContext: Python 3.10 has none
        self.addCleanup(self.storm.__exit__, None, None, None)
        self.mastodon = self.Account.create(
            {
                "name": "Brand on a stormy instance",
                "network": "mastodon",
                "base_url": self.storm.url,
                "company_id": self.company.id,
                "credential_ids": [(0, 0, {"key": "access_token", "value": "storm-token"})],
                "stream_ids": [(0, 0, {"name": "Mentions", "kind": "mentions", "backfill_limit": 0})],
            }
        )
        # no real waiting between retries; one timeout for connecting and
        # reading (Odoo's test runner raises any timeout below 10 s to 10 s)
        self.startPatcher(patch.object(MastodonConnector, "backoff_seconds", 0.0))
        self.startPatcher(patch.object(MastodonConnector, "timeout", 10))

    def stored(self):
        return self.posts(self.mastodon)

    def due(self):
        return self.mastodon in self.Account.search(self.Account._due_domain())

    def recover(self):
        """The network is healthy again and the account's wait is over."""
        self.storm.mode = "ok"
        past = fields.Datetime.now() - timedelta(minutes=1)
        self.mastodon.write({"next_fetch_date": past, "rate_limit_reset": False})
        self.Account._cron_fetch_due()
        self.assertEqual(sorted(self.stored().mapped("external_id")), ["101", "102"])
        self.assertEqual(self.mastodon.state, "connected")
        self.assertFalse(self.mastodon.last_error)

    def test_a_429_storm_leaves_the_account_waiting(self):
        self.storm.mode = "429"
        self.Account._cron_fetch_due()
        self.assertEqual(self.storm.requests, 1, "a rate limit is not retried at once")
        reset = self.mastodon.rate_limit_reset
        self.assertTrue(reset)
        self.assertAlmostEqual(reset, fields.Datetime.now() + timedelta(seconds=600), delta=timedelta(seconds=30))
        self.assertEqual(self.mastodon.rate_limit_remaining, 0)
        self.assertNotEqual(self.mastodon.state, "error", "a rate limit is no error of the account")
        self.assertFalse(self.due())
        self.assertFalse(self.stored())
        for _run in range(5):  # the cron keeps running: the waiting account is left alone
            self.Account._cron_fetch_due()
        self.assertEqual(self.storm.requests, 1)
        self.recover()

    def test_a_500_storm_is_retried_a_few_times_then_recorded(self):
        self.storm.mode = "500"
        with self.assertLogs("odoo.addons.social_crm.models.social_crm_account", "WARNING") as logs:
            self.Account._cron_fetch_due()
        self.assertIn("HTTP 500", logs.output[0])
        self.assertNotIn("storm-token", "".join(logs.output))
        self.assertEqual(self.storm.requests, 1 + MastodonConnector.max_retries)
        self.assertEqual(self.mastodon.state, "error")
        self.assertIn("HTTP 500", self.mastodon.last_error)
        self.assertFalse(self.due(), "the account waits for its interval before trying again")
        self.assertFalse(self.stored())
        self.recover()

    def test_a_network_timeout_is_recorded_and_the_next_run_recovers(self):
        # retries of timeouts go the same way as those of 500s (above); one
        # attempt keeps this test within Odoo's 10-second timeout floor
        self.startPatcher(patch.object(MastodonConnector, "max_retries", 0))
        self.storm.mode, self.storm.delay = "timeout", 10.5
        with self.assertLogs("odoo.addons.social_crm.models.social_crm_account", "WARNING") as logs:
            self.Account._cron_fetch_due()
        self.assertIn("Timeout", logs.output[0])
        self.assertEqual(self.storm.requests, 1)
        self.assertEqual(self.mastodon.state, "error")
        self.assertFalse(self.stored())
        self.recover()

    def test_an_unreachable_network_is_retried_then_recorded(self):
        self.mastodon.base_url = "http://127.0.0.1:9"  # discard port: connection refused
        with self.assertLogs("odoo.addons.social_crm.models.social_crm_account", "WARNING") as logs:
            self.Account._cron_fetch_due()
        self.assertIn("ConnectionError", logs.output[0])
        self.assertEqual(self.mastodon.state, "error")
        self.assertFalse(self.stored())
        self.mastodon.base_url = self.storm.url
        self.recover()
