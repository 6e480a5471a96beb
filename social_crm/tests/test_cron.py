from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.social_crm.core.connectors.demo import DemoConnector
from odoo.addons.social_crm.core.errors import AuthError, RateLimited
from odoo.addons.social_crm.core.types import Author
from odoo.addons.social_crm.models import social_crm_post

from .common import SAMPLE, SimulatedCommits, SocialCrmCase, incoming


class CrashingConnector(DemoConnector):
    """The Demo network, but the worker dies after ``pages`` pages."""

    pages = 0

    def fetch_page(self, stream, cursor):
        if CrashingConnector.pages == 0:
            raise KeyboardInterrupt("worker killed")
        CrashingConnector.pages -= 1
        return super().fetch_page(stream, cursor)


@tagged("post_install", "-at_install")
class TestCron(SocialCrmCase):
    def setUp(self):
        super().setUp()
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)
        self.Account = self.env["social.crm.account"]
        # other accounts (the demo data's) would share the patched connectors
        self.Account.search([("id", "!=", self.account.id)]).write({"state": "disabled"})
        self.total = len(SAMPLE["posts"])

    def _run_with(self, connector_class, pages):
        connector_class.pages = pages
        original = type(self.account)._connector

        def connector(account):
            base = original(account)
            return connector_class(base.config, on_credentials=account._save_credentials)

        with patch.object(type(self.account), "_connector", connector):
            self.Account._cron_fetch_due()

    def test_an_interrupted_run_resumes_without_loss_or_duplicates(self):
        # not assertRaises: it rolls back to a savepoint of its own, which
        # would undo the simulated commits this test is about
        try:
            self._run_with(CrashingConnector, pages=3)
        except KeyboardInterrupt:
            self.commits.crash()
        else:
            self.fail("the worker should have died")
        kept = self.posts()
        self.assertTrue(0 < len(kept) < self.total, "the committed pages are kept, the rest is not")
        for stream in self.streams:
            # the cursor never runs ahead of the stored posts
            self.assertEqual(int(stream.cursor or 0), len(kept.filtered(lambda p, s=stream: p.stream_id == s)))
        self._run_with(CrashingConnector, pages=100)
        posts = self.posts()
        self.assertEqual(len(posts), self.total)
        self.assertEqual(len(set(posts.mapped("external_id"))), self.total)
        self.assertEqual(self.account.state, "connected")

    def test_due_accounts_only_and_interval_respected(self):
        self.Account._cron_fetch_due()
        self.assertEqual(len(self.posts()), self.total)
        self.assertGreater(self.account.next_fetch_date, fields.Datetime.now())
        self.assertNotIn(self.account, self.Account.search(self.Account._due_domain()))
        self.account.next_fetch_date = fields.Datetime.now() - timedelta(minutes=1)
        self.assertIn(self.account, self.Account.search(self.Account._due_domain()))

    def test_a_failing_account_does_not_stop_the_others(self):
        broken = self.account.copy({"name": "Broken", "network": "demo"})
        self.env["social.crm.stream"].create({"name": "m", "account_id": broken.id, "kind": "mentions"})

        original = type(self.account)._connector

        def patched(account):
            if account == broken:

                class Revoked(DemoConnector):
                    def fetch_page(self, stream, cursor):
                        raise AuthError("token revoked")

                return Revoked(original(account).config)
            return original(account)

        with self.assertLogs("odoo.addons.social_crm.models.social_crm_account", "WARNING") as logs:
            with patch.object(type(self.account), "_connector", patched):
                self.Account._cron_fetch_due()
        self.assertIn("token revoked", logs.output[0])
        self.assertNotIn("secret-token-value", "".join(logs.output))
        self.assertEqual(broken.state, "error")
        self.assertEqual(broken.last_error, "token revoked")
        self.assertEqual(self.account.state, "connected")
        self.assertEqual(len(self.posts()), self.total)

    def test_a_rate_limited_account_waits_for_the_reset(self):
        reset_at = datetime.now(timezone.utc) + timedelta(minutes=20)

        class Limited(DemoConnector):
            def fetch_page(self, stream, cursor):
                raise RateLimited("slow down", reset_at)

        original = type(self.account)._connector
        with patch.object(type(self.account), "_connector", lambda account: Limited(original(account).config)):
            self.Account._cron_fetch_due()
        self.assertAlmostEqual(self.account.rate_limit_reset, reset_at.replace(tzinfo=None), delta=timedelta(seconds=1))
        self.assertEqual(self.account.rate_limit_remaining, 0)
        self.assertNotIn(self.account, self.Account.search(self.Account._due_domain()))
        self.assertFalse(self.posts())


class MovedDemo(DemoConnector):
    """The Demo network, answering like a feed that moved for good."""

    def fetch_page(self, stream, cursor):
        self.moved_to = "https://feeds.example/new.xml"
        return super().fetch_page(stream, cursor)


@tagged("post_install", "-at_install")
class TestMovedFeed(SocialCrmCase):
    def test_a_feed_that_moved_for_good_is_read_from_its_new_address(self):
        stream = self.streams.filtered(lambda s: s.kind == "search")
        stream.query = "https://feeds.example/old.xml"
        original = type(self.account)._connector
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        with patch.object(type(self.account), "_connector", lambda account: MovedDemo(original(account).config)):
            self.account._fetch()
        self.assertEqual(stream.query, "https://feeds.example/new.xml")


@tagged("post_install", "-at_install")
class TestBuggyConnector(SocialCrmCase):
    def test_a_connector_bug_fails_its_account_only(self):
        class Buggy(DemoConnector):
            def fetch_page(self, stream, cursor):
                raise KeyError("unexpected payload key")

        healthy = self.account
        buggy = healthy.copy({"name": "Buggy"})
        self.env["social.crm.stream"].create({"name": "m", "account_id": buggy.id, "kind": "mentions"})
        self.env["social.crm.account"].search([("id", "not in", (healthy | buggy).ids)]).write({"state": "disabled"})
        original = type(healthy)._connector

        def connector(account):
            return Buggy(original(account).config) if account == buggy else original(account)

        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        with (
            patch.object(type(healthy), "_connector", connector),
            self.assertLogs("odoo.addons.social_crm.models.social_crm_account", "ERROR"),
        ):
            self.env["social.crm.account"]._cron_fetch_due()
        self.assertEqual((buggy.state, healthy.state), ("error", "connected"))
        self.assertIn("unexpected payload key", buggy.last_error)
        self.assertTrue(self.posts(healthy))


@tagged("post_install", "-at_install")
class TestRoutingWakeUp(SocialCrmCase):
    def test_every_page_keeps_routing_due_and_wakes_the_workers_once_a_second(self):
        cron = self.env.ref("social_crm.ir_cron_process_new_posts")
        Post = self.env["social.crm.post"]
        triggers = self.env["ir.cron.trigger"].sudo()

        def wake_ups():
            return sum(1 for func in self.env.cr.postcommit._funcs if getattr(func, "__name__", "") == "_notifydb")

        def page(number):
            author = Author(external_id=f"wake-{number}", handle=f"wake{number}")
            return [incoming(f"wake-{number}-{index}", "Kdy přijede technik?", author) for index in range(3)]

        before = triggers.search_count([("cron_id", "=", cron.id)])
        clock = [1000.0]
        with (
            patch.dict(social_crm_post._routing_woken, clear=True),  # other tests' pages woke the workers already
            patch.object(social_crm_post, "monotonic", lambda: clock[0]),
        ):
            Post._ingest(self.account, page(1))
            Post._ingest(self.account, page(2))  # the same second: the trigger row, no second wake-up
            self.assertEqual(wake_ups(), 1)
            clock[0] += 1.5
            Post._ingest(self.account, page(3))
            self.assertEqual(wake_ups(), 2)
            Post._ingest(self.account, page(3))  # nothing new: nothing to route
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id), ("call_at", "<=", fields.Datetime.now())]),
                         before + 3)  # fmt: skip
        # due by Odoo's own definition, so a worker's next poll runs it even without a wake-up
        self.env.cr.execute(
            SQL("SELECT id FROM ir_cron WHERE id = %s AND %s", cron.id, cron._get_ready_sql_condition(self.env.cr))
        )
        self.assertTrue(self.env.cr.fetchall())
