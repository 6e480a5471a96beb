import base64
from contextlib import contextmanager
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from ..core.connectors.mastodon import MastodonConnector, _max_characters_by_instance
from ..core.types import Author, NormalizedPost
from .common import SimulatedCommits, SocialCrmCase, imitations


class WorkerDied(Exception):
    """Stands for the death of the worker in the middle of a call."""


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 32)


@tagged("post_install", "-at_install")
class TestPublication(SocialCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Social Company B"})
        cls.user = new_test_user(
            cls.env, "pub_user", groups="social_crm.group_social_crm_user",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.manager = new_test_user(
            cls.env, "pub_manager", groups="social_crm.group_social_crm_manager",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.user_b = new_test_user(
            cls.env, "pub_user_b", groups="social_crm.group_social_crm_manager",
            company_id=cls.company_b.id, company_ids=[cls.company_b.id],
        )  # fmt: skip
        cls.guarded = cls.env["social.crm.account"].create({
            "name": "Guarded Demo", "network": "demo", "external_id": "demo-guarded", "company_id": cls.company.id,
            "publish_requires_approval": True,
        })
        cls.campaign = cls.env["utm.campaign"].create({"name": "Spring test"})

    def setUp(self):
        super().setUp()
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)

    def compose(self, user, accounts, text="Spring is here https://shop.example/spring #lamps", **values):
        return self.env["social.crm.publication"].with_user(user).with_company(self.company).create({
            "name": "Spring", "text": text, "account_ids": [(6, 0, accounts.ids)], "campaign_id": self.campaign.id,
            "company_id": self.company.id, **values,
        })

    # -- composing ---------------------------------------------------------------------
    def test_variants_follow_accounts_and_show_the_network_length(self):
        publication = self.compose(self.user, self.account | self.guarded, text="a" * 1001)
        self.assertEqual(publication.variant_ids.account_id, self.account | self.guarded)
        variant = publication.variant_ids[0]
        self.assertEqual(variant.length_display, "1001 / 1000")
        self.assertIn("1001", variant.problems)
        with self.assertRaises(UserError):
            publication.action_submit()
        publication.text = "<script>alert(1)</script> https://shop.example"
        self.assertIn("&lt;script&gt;", variant.preview_html)
        self.assertNotIn("<script>", variant.preview_html)
        publication.account_ids = [(3, self.guarded.id)]
        self.assertEqual(publication.variant_ids.account_id, self.account)

    def test_composer_form_as_a_user(self):
        form = Form(self.env["social.crm.publication"].with_user(self.user).with_company(self.company))
        form.name = "From the form"
        form.text = "Hello from the composer"
        form.account_ids.add(self.account)
        self.assertEqual(form.variant_ids._records[0]["length_display"], "23 / 1000", "counted before saving")
        publication = form.save()
        self.assertEqual(len(publication.variant_ids), 1)
        self.assertEqual(publication.variant_ids.text, "Hello from the composer")
        self.assertEqual(publication.variant_ids.length_display, "23 / 1000")

    # -- states and approval ---------------------------------------------------------
    def test_user_schedules_and_the_cron_publishes_with_tracked_links(self):
        publication = self.compose(self.user, self.account, scheduled_date=fields.Datetime.now() - timedelta(minutes=1))
        publication.action_submit()
        self.assertEqual(publication.state, "scheduled")
        self.env["social.crm.publication"]._cron_publish_due()
        self.assertEqual(publication.state, "published")
        variant = publication.variant_ids
        self.assertEqual(variant.state, "published")
        self.assertGreaterEqual(self.commits.count, 1, "the cron commits after each post")
        tracker = variant.link_tracker_ids
        self.assertEqual(tracker.url, "https://shop.example/spring")
        self.assertEqual(
            (tracker.campaign_id, tracker.medium_id.name, tracker.source_id),
            (self.campaign, "Demo Network", publication.source_id),
        )
        self.assertIn(tracker.short_url, variant.sent_text)
        self.assertNotIn("https://shop.example/spring", variant.sent_text)
        self.assertTrue(variant.sent_text.endswith("#lamps"), "hashtags are kept")
        post = variant.post_id
        self.assertEqual((post.direction, post.external_id, post.account_id), ("outgoing", variant.external_id,
                                                                               self.account))

    def test_approval_needs_a_manager_and_goes_to_the_chatter(self):
        publication = self.compose(self.user, self.guarded)
        self.assertTrue(publication.requires_approval)
        publication.action_submit()
        self.assertEqual(publication.state, "waiting")
        with self.assertRaises(AccessError):
            publication.action_approve()
        with self.assertRaises(AccessError):
            publication.write({"state": "scheduled"})
        with self.assertRaises(AccessError):
            publication.write({"approver_id": self.user.id})
        with self.assertRaises(AccessError):
            publication.write({"requires_approval": False})
        with self.assertRaises(AccessError):
            publication.action_publish_now()
        with self.assertRaises(AccessError):
            self.env["social.crm.publication.review"].with_user(self.user).create({"publication_id": publication.id})
        review = self.env["social.crm.publication.review"].with_user(self.manager).create(
            {"publication_id": publication.id, "comment": "Fine, but <b>shorter</b> next time"}
        )
        review.action_approve()
        self.assertEqual((publication.state, publication.approver_id), ("scheduled", self.manager))
        message = publication.message_ids.filtered(lambda m: "shorter" in (m.body or ""))[:1]
        self.assertIn("&lt;b&gt;shorter&lt;/b&gt;", message.body, "the comment is escaped")
        self.assertEqual(message.author_id, self.manager.partner_id)

    def test_rejection_and_expired_approval(self):
        campaign = self.env["utm.campaign"].create({"name": "Guarded", "social_requires_approval": True})
        publication = self.compose(self.user, self.account, campaign_id=campaign.id,
                                   scheduled_date=fields.Datetime.now() - timedelta(hours=1))
        self.assertTrue(publication.requires_approval, "the campaign asks for approval")
        publication.action_submit()
        self.env["social.crm.publication"]._cron_publish_due()
        self.assertEqual(publication.state, "waiting", "never published without approval")
        self.assertTrue(publication.approval_expired)
        publication.with_user(self.manager).action_reject(comment="Not this week")
        self.assertEqual(publication.state, "draft")
        self.assertIn("Not this week", publication.message_ids[0].body)

    # -- idempotent retry --------------------------------------------------------------
    @contextmanager
    def post_whose_answer_is_lost(self, text):
        """``(imitation, publication)``: a Bluesky post that went out, its answer lost
        (the connection dropped), served while the block runs."""
        imitations()
        from tests.imitation import bluesky, publishing

        imitation = publishing.BlueskyPublishing()
        imitation.lose_mode = "drop"
        with publishing.serve(imitation) as server:
            account = self.env["social.crm.account"].create({
                "name": "Bluesky", "network": "bluesky", "handle": bluesky.OWN_HANDLE, "base_url": server.url,
                "company_id": self.company.id,
                "credential_ids": [(0, 0, {"key": "identifier", "value": bluesky.OWN_HANDLE}),
                                   (0, 0, {"key": "app_password", "value": bluesky.APP_PASSWORD})],
            })
            account._connector().check_connection()  # opens the session before the lost post
            publication = self.compose(self.user, account, text=text)
            publication.action_submit()
            imitation.lose_answers.append("/xrpc/com.atproto.repo.createRecord")
            self.env["social.crm.publication"]._cron_publish_due()
            yield imitation, publication

    def test_retry_after_a_timeout_never_posts_twice(self):
        with self.post_whose_answer_is_lost("Once only") as (imitation, publication):
            variant = publication.variant_ids
            self.assertEqual((publication.state, variant.state), ("failed", "failed"))
            self.assertTrue(variant.outcome_unknown)
            self.assertTrue(publication.error)
            publication.with_user(self.user).action_retry()
            self.assertEqual((publication.state, variant.state), ("published", "published"))
            self.assertEqual(len(imitation.posts), 1, "the retry found the post instead of posting it again")
            self.assertEqual(variant.external_id, imitation.posts[0]["uri"])
            self.assertEqual(variant.attempt_count, 1)

    def test_a_network_that_cannot_tell_asks_a_person(self):
        _server, _mastodon, telegram = imitations()
        from tests.imitation import publishing

        imitation = publishing.TelegramPublishing()
        imitation.lose_mode = "drop"
        with publishing.serve(imitation) as server:
            account = self.env["social.crm.account"].create({
                "name": "Channel", "network": "telegram", "base_url": server.url, "company_id": self.company.id,
                "publish_target": "@acme_news",
                "credential_ids": [(0, 0, {"key": "bot_token", "value": telegram.TOKEN})],
            })
            publication = self.compose(self.user, account, text="Channel news")
            publication.action_submit()
            imitation.lose_answers.append(f"/bot{telegram.TOKEN}/sendMessage")
            self.env["social.crm.publication"]._cron_publish_due()
            publication.with_user(self.user).action_retry()
            variant = publication.variant_ids
            self.assertEqual(variant.state, "needs_check")
            self.assertEqual(len(imitation.sent), 1, "no second message while nobody checked")
            variant.with_user(self.user).action_mark_published()
            self.assertEqual(publication.state, "published")

    # -- rate limits -------------------------------------------------------------------
    def test_rate_limit_during_publishing_waits_for_the_account(self):
        server_module, mastodon, _telegram = imitations()
        from tests.imitation import publishing

        _max_characters_by_instance.clear()
        imitation = publishing.MastodonPublishing()
        with server_module.ImitationServer(imitation) as server:
            account = self.env["social.crm.account"].create({
                "name": "Mastodon", "network": "mastodon", "base_url": server.url, "company_id": self.company.id,
                "external_id": mastodon.OWN_ACCOUNT["id"],
                "credential_ids": [(0, 0, {"key": "access_token", "value": mastodon.TOKEN})],
            })
            first = self.compose(self.user, account, text="First")
            second = self.compose(self.user, account, text="Second")
            (first | second).action_submit()
            imitation.remaining = 1  # the first status, then 429
            self.patch(MastodonConnector, "instance_max_characters", lambda connector: 500)
            self.env["social.crm.publication"]._cron_publish_due()
            states = sorted((first | second).mapped("state"))
            self.assertEqual(states, ["published", "scheduled"])
            self.assertTrue(account.rate_limit_reset, "the account waits as the network asked")
            waiting = (first | second).filtered(lambda p: p.state == "scheduled")
            self.assertIn("Rate limited", waiting.variant_ids.error)
            imitation.remaining = 100
            self.env["social.crm.publication"]._cron_publish_due()
            self.assertEqual(waiting.state, "scheduled", "no call before the reset time")
            account.rate_limit_reset = fields.Datetime.now() - timedelta(seconds=1)
            self.env["social.crm.publication"]._cron_publish_due()
            self.assertEqual(waiting.state, "published")
            texts = [s.get("posted_text") for s in imitation.statuses.values() if s.get("posted_text")]
            self.assertEqual(sorted(texts), ["First", "Second"])

    def test_a_refused_post_is_edited_and_retried_with_the_new_text(self):
        server_module, mastodon, _telegram = imitations()
        from tests.imitation import publishing

        imitation = publishing.MastodonPublishing()
        imitation.max_characters = 20  # the instance is stricter than it says
        with server_module.ImitationServer(imitation) as server:
            account = self.env["social.crm.account"].create({
                "name": "Mastodon", "network": "mastodon", "base_url": server.url, "company_id": self.company.id,
                "external_id": mastodon.OWN_ACCOUNT["id"],
                "credential_ids": [(0, 0, {"key": "access_token", "value": mastodon.TOKEN})],
            })
            self.patch(MastodonConnector, "instance_max_characters", lambda connector: 500)
            publication = self.compose(self.user, account, text="A spring sale on every lamp in the shop")
            publication.action_publish_now()
            variant = publication.variant_ids
            self.assertEqual(variant.state, "failed")
            self.assertFalse(variant.outcome_unknown, "the network answered: nothing went out")
            self.assertIn("character limit", variant.error)
            first_key = variant.idempotency_key
            variant.with_user(self.user).text = "Spring sale!"
            publication.with_user(self.user).action_retry()
            self.assertEqual(variant.state, "published")
            texts = [s.get("posted_text") for s in imitation.statuses.values() if s.get("posted_text")]
            self.assertEqual(texts, ["Spring sale!"], "the edited text went out, once")
            self.assertEqual(variant.sent_text, "Spring sale!")
            self.assertNotEqual(variant.idempotency_key, first_key, "new content, new key")

    def test_the_text_of_a_post_that_may_have_gone_out_stays_as_sent(self):
        with self.post_whose_answer_is_lost("Once only") as (imitation, publication):
            variant = publication.variant_ids
            self.assertTrue(variant.outcome_unknown)
            publication.with_user(self.user).text = "Twice?"
            self.assertEqual(variant.text, "Once only", "an unknown outcome keeps the variant as sent")
            publication.with_user(self.user).action_retry()
            self.assertEqual([p["record"]["text"] for p in imitation.posts], ["Once only"])

    # -- images, engagement, replies, campaign -------------------------------------------
    def test_images_engagement_replies_and_campaign_return(self):
        image = self.env["ir.attachment"].with_user(self.user).create(
            {"name": "lamp.png", "datas": PNG, "mimetype": "image/png"}
        )
        publication = self.compose(self.user, self.account, attachment_ids=[(6, 0, image.ids)])
        self.assertEqual(publication.variant_ids._media()[0].data[:4], b"\x89PNG")
        publication.action_publish_now()
        variant = publication.variant_ids
        self.assertEqual(publication.state, "published")
        tracker = variant.link_tracker_ids
        self.env["link.tracker.click"].sudo().add_click(tracker.code, ip="127.0.0.1", country_code="CZ")
        self.env["social.crm.publication.metric"]._cron_read_engagement()
        metric = variant.metric_ids
        self.assertEqual(len(metric), 1)
        self.assertEqual(metric.clicks, 1)
        self.assertGreater(metric.views, 0)
        self.assertEqual(variant.post_id.view_count, metric.views)
        # a reply to our post arrives through the streams, threaded under it
        reply = NormalizedPost(external_id="reply-1", author=Author(external_id="fan-1", handle="fan"),
                               text="Love the lamps", created_at=fields.Datetime.now().astimezone(),
                               kind="comment", parent_external_id=variant.external_id,
                               thread_external_id=variant.external_id)
        # a rule of the account makes a ticket of it
        self.env["social.crm.rule"].create({"name": "Replies to our posts", "company_id": self.company.id,
                                            "account_ids": [(6, 0, self.account.ids)], "action": "ticket"})
        self.env["social.crm.post"]._ingest(self.account, [reply], self.streams[2])
        stored = self.posts().filtered(lambda post: post.external_id == "reply-1")
        self.assertEqual(stored.parent_id, variant.post_id)
        self.assertEqual(stored.direction, "incoming")
        self.env["social.crm.post"]._process_new()
        ticket = stored.ticket_id
        self.assertTrue(ticket, "the rule made a ticket of the reply")
        ticket.message_post(body="We answer", author_id=self.manager.partner_id.id, message_type="comment")
        lead = self.env["crm.lead"].create({"name": "Lamp order", "campaign_id": self.campaign.id,
                                            "source_id": publication.source_id.id, "expected_revenue": 250,
                                            "type": "opportunity", "company_id": self.company.id})
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        lead.stage_id = won_stage
        campaign = self.campaign.with_user(self.user)
        campaign.invalidate_recordset()
        self.assertEqual(campaign.social_published_count, 1)
        self.assertEqual(campaign.social_click_count, 1)
        self.assertEqual(campaign.social_reach, metric.views)
        self.assertEqual(campaign.social_opportunity_count, 1)
        self.assertEqual(campaign.social_won_revenue, 250)
        self.assertEqual(campaign.social_ticket_count, 1)
        self.assertIn("<table", campaign.social_response_html)

    def test_own_account_figures_and_best_hours(self):
        for hour, text in ((9, "Morning post"), (16, "Afternoon post")):
            publication = self.compose(self.user, self.account, text=text)
            publication.action_publish_now()
            publication.variant_ids.published_date = fields.Datetime.now().replace(hour=hour, minute=5)
        self.env["social.crm.publication.metric"]._cron_read_engagement()
        stat = self.account.stat_ids
        self.assertEqual(len(stat), 1)
        self.assertEqual(stat.posts, 2)
        self.assertGreater(stat.followers, 1000, "the demo network reports its follower count")
        engagement = sum(self.env["social.crm.publication.metric"].search(
            [("account_id", "=", self.account.id)]).mapped("engagement"))
        self.assertEqual(stat.engagement, engagement)
        self.assertAlmostEqual(stat.engagement_rate, 100.0 * engagement / 2 / stat.followers, places=2)
        metrics = self.env["social.crm.publication.metric"].search([("account_id", "=", self.account.id)])
        morning = metrics.filtered(lambda metric: metric.variant_id.published_date.hour == 9)
        morning.likes += 1000
        self.account.invalidate_recordset(["best_hours"])
        self.assertTrue(self.account.best_hours.startswith("09:00"), self.account.best_hours)
        self.assertIn("16:00", self.account.best_hours)
        self.assertEqual(self.env["social.crm.account.stat"].with_user(self.user_b).search_count([]), 0)

    def test_posting_slots_give_the_next_free_time(self):
        self.account.publish_slot_ids = [(0, 0, {"weekday": "0", "hour": 9.5}), (0, 0, {"weekday": "3", "hour": 16})]
        monday = fields.Datetime.from_string("2026-03-02 08:00:00")
        self.assertEqual(self.account._next_free_slot(monday), fields.Datetime.from_string("2026-03-02 09:30:00"))
        self.compose(self.user, self.account, scheduled_date="2026-03-02 09:30:00").action_submit()
        self.assertEqual(self.account._next_free_slot(monday), fields.Datetime.from_string("2026-03-05 16:00:00"))
        queued = self.compose(self.user, self.account)
        queued.action_add_to_queue()
        self.assertEqual(queued.scheduled_date, self.account._next_free_slot())
        with self.assertRaises(UserError):
            self.compose(self.user, self.guarded).action_add_to_queue()

    def test_a_crash_during_the_call_is_looked_up_before_sending_again(self):
        publication = self.compose(self.user, self.account, text="Crash test")
        publication.action_submit()
        calls = []
        original = type(self.account._connector()).publish

        def publish_then_die(connector, *args, **kwargs):
            calls.append(kwargs["idempotency_key"])
            original(connector, *args, **kwargs)
            raise WorkerDied  # the worker dies before storing the answer

        self.patch(type(self.account._connector()), "publish", publish_then_die)
        # not assertRaises: its savepoint would straddle the simulated commits
        try:
            # this post only: the demo data may hold other due posts
            publication._publish_pending(commit=True)
        except WorkerDied:
            self.commits.crash()
        else:
            self.fail("the worker was meant to die")
        variant = publication.variant_ids
        self.assertTrue(variant.outcome_unknown, "committed before the call")
        self.patch(type(self.account._connector()), "publish", original)
        publication._publish_pending(commit=True)
        self.assertEqual(variant.state, "published")
        self.assertEqual(variant.external_id, f"demo-post-{calls[0][:12]}", "the same key: the same post")

    # -- companies ---------------------------------------------------------------------
    def test_other_company_sees_no_publication(self):
        publication = self.compose(self.user, self.account)
        publication.action_publish_now()
        for model in ("social.crm.publication", "social.crm.publication.variant", "social.crm.publication.metric"):
            self.assertEqual(self.env[model].with_user(self.user_b).search_count([]), 0, model)
        with self.assertRaises(AccessError):
            publication.with_user(self.user_b).read(["text"])
