from dataclasses import replace

from odoo.tests import tagged

from .common import SAMPLE, SimulatedCommits, SocialCrmCase, imitations


@tagged("post_install", "-at_install")
class TestFetch(SocialCrmCase):
    def setUp(self):
        super().setUp()
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)

    def test_fetch_stores_every_sample_post_once(self):
        self.account._fetch()
        self.assertEqual(len(self.posts()), len(SAMPLE["posts"]))
        self.assertEqual(self.account.state, "connected")
        self.assertTrue(self.account.last_fetch_date)
        self.assertGreater(self.commits.count, len(self.streams), "each page is committed")
        # a second fetch, and a fetch from scratch, store nothing twice
        self.account._fetch()
        self.streams.action_reset_cursor()
        self.account._fetch()
        self.assertEqual(len(self.posts()), len(SAMPLE["posts"]))

    def test_posts_are_analysed_and_linked(self):
        self.account._fetch()
        posts = self.posts()
        self.assertFalse(posts.filtered(lambda p: not p.language or not p.sentiment_label or not p.intent))
        languages = set(posts.mapped("language"))
        self.assertTrue({"en", "cs", "pl", "ru", "fa"} <= languages, languages)
        first = posts.filtered(lambda p: p.external_id == SAMPLE["posts"][0]["id"])
        self.assertEqual(first.text, SAMPLE["posts"][0]["text"], "text is stored exactly as received")
        replies = posts.filtered("parent_external_id")
        self.assertTrue(replies)
        self.assertEqual(replies.mapped("parent_id.external_id"), replies.mapped("parent_external_id"))

    def test_authors_with_a_partner_email_are_linked(self):
        emails = {author["email"].lower() for author in SAMPLE["authors"].values() if author.get("email")}
        # the demo data may hold these partners already; an e-mail shared by
        # two partners would rightly link nothing
        partners = self.env["res.partner"].search([("email_normalized", "in", list(emails))])
        missing = emails - set(partners.mapped("email_normalized"))
        partners |= self.env["res.partner"].create([{"name": email, "email": email} for email in sorted(missing)])
        self.account._fetch()
        profiles = self.env["social.crm.profile"].search([("company_id", "=", self.company.id)])
        linked = profiles.filtered("partner_id")
        self.assertEqual(set(linked.mapped("email")), emails)
        self.assertEqual(set(linked.mapped("match_reason")), {"e-mail"})
        for partner in partners:
            posts = self.posts().filtered(lambda p, partner=partner: p.partner_id == partner)
            self.assertTrue(posts, partner.email)
            self.assertEqual(partner.social_post_count, len(posts))
            self.assertAlmostEqual(
                partner.social_sentiment_avg, sum(posts.mapped("sentiment_score")) / len(posts), places=2
            )
            self.assertEqual(partner.social_complaint_count, len(posts.filtered(lambda p: p.intent == "complaint")))

    def test_authors_get_an_influence_score_with_its_breakdown(self):
        self.account._fetch()
        profiles = self.env["social.crm.profile"].search([("company_id", "=", self.company.id)])
        for profile in profiles:
            self.assertAlmostEqual(profile.influence_score, sum(profile.influence_breakdown.values()), delta=0.2)
        journalist = profiles.filtered(lambda p: p.followers >= 100000 and p.verified)
        unknown = profiles.filtered(lambda p: p.followers < 100 and not p.verified)
        self.assertTrue(journalist and unknown)
        self.assertGreater(min(journalist.mapped("influence_score")), max(unknown.mapped("influence_score")))

    def test_an_edited_or_deleted_post_updates_the_stored_one(self):
        self.account._fetch()
        post = self.posts()[0]
        item = self.account._connector().fetch_page(post.stream_id._spec(), "").posts[0]
        post = self.posts().filtered(lambda p: p.external_id == item.external_id)
        edited = replace(item, text="Edited text")
        self.env["social.crm.post"]._ingest(self.account, [edited], post.stream_id)
        self.assertEqual(post.text, "Edited text")
        self.assertTrue(post.edited_date)
        deleted = replace(item, deleted=True)
        self.env["social.crm.post"]._ingest(self.account, [deleted], post.stream_id)
        self.assertTrue(post.is_deleted)
        self.assertEqual(post.text, "Edited text", "a deleted post is kept")
        self.assertEqual(len(self.posts()), len(SAMPLE["posts"]))

    def test_our_own_posts_coming_back_are_not_customer_posts(self):
        stream = self.streams[0]
        parent = self.account._connector().fetch_page(stream._spec(), "").posts[0]
        reply = self.account._connector().reply(parent, "Thank you, we are on it.")
        self.env["social.crm.post"]._ingest(self.account, [reply], stream)
        stored = self.posts().filtered(lambda p: p.external_id == reply.external_id)
        self.assertEqual((stored.direction, stored.state), ("outgoing", "processed"))

    def test_demo_data_fills_on_one_cron_run(self):
        demo_account = self.env.ref("social_crm.demo_account", raise_if_not_found=False)
        if not demo_account:
            self.skipTest("the database was installed without demo data")
        self.env["social.crm.account"]._cron_fetch_due()
        posts = self.posts(demo_account)
        self.assertEqual(len(posts), len(SAMPLE["posts"]))
        self.assertTrue(posts.filtered("partner_id"), "demo partners are linked by e-mail")
        self.assertFalse(posts.filtered(lambda p: not p.language or not p.sentiment_label))


@tagged("post_install", "-at_install")
class TestStreamSkips(SocialCrmCase):
    """Items a network sends that are not posts of the stream are counted on
    the stream by reason, with the time of the last one, for the form."""

    def test_skipped_items_are_counted_by_reason_on_the_stream(self):
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        server_module, mastodon, _telegram = imitations()
        imitation = mastodon.MastodonImitation()
        imitation.ignores_types = True
        alice = mastodon.account("20", "alice")
        imitation.add_mention("<p>@shop the app crashes</p>", alice)
        ours = imitation.add_status("<p>our news</p>", mastodon.OWN_ACCOUNT)
        imitation.add_notification("favourite", alice, ours)
        imitation.add_notification("favourite", mastodon.account("21", "bob"), ours)
        imitation.add_notification("follow", alice)
        with server_module.ImitationServer(imitation) as server:
            account = self.env["social.crm.account"].create(
                {
                    "name": "Brand on Mastodon",
                    "network": "mastodon",
                    "company_id": self.company.id,
                    "base_url": server.url,
                    "external_id": "1",
                    "credential_ids": [(0, 0, {"key": "access_token", "value": mastodon.TOKEN})],
                    "stream_ids": [(0, 0, {"name": "Mentions", "kind": "mentions"})],
                }
            )
            account._fetch()
        stream = account.stream_ids
        self.assertEqual(account.state, "connected", account.last_error)
        self.assertEqual(self.posts(account).mapped("text"), ["@shop the app crashes"])
        self.assertEqual(stream.skipped_count, 3)
        self.assertEqual(
            stream.skip_reason_counts,
            {"a favourite notification, not a mention": 2, "a follow notification, not a mention": 1},
        )
        self.assertTrue(stream.last_skip_date)
        self.assertEqual(
            stream.skip_summary,
            "2 × a favourite notification, not a mention\n1 × a follow notification, not a mention",
        )
