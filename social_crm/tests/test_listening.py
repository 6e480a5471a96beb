from datetime import datetime, timedelta, timezone

from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.social_crm.core.types import Author, NormalizedPost

from .common import SimulatedCommits, SocialCrmCase

HAPPY = "Děkuji, všechno funguje skvěle, jsem moc spokojená!"
UNHAPPY = "Internet vůbec nefunguje, je to hrozné, chci vrátit peníze!"


def item(external_id, text, author, hours_ago=24, deleted=False):
    return NormalizedPost(
        external_id=external_id,
        author=author,
        text=text,
        created_at=datetime.now(timezone.utc) - timedelta(hours=hours_ago),
        kind="mention",
        deleted=deleted,
    )


@tagged("post_install", "-at_install")
class TestPartnerSocialFigures(SocialCrmCase):
    """The partner's social figures are stored columns that follow the posts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "Jana Dvořáková", "email": "jana@example.cz"})
        cls.jana = Author("jana-1", "jana", "Jana D.", followers=250000, verified=True, email="jana@example.cz")
        cls.agent = new_test_user(
            cls.env, "listening_agent", groups="social_crm.group_social_crm_user",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip

    def ingest(self, *items, account=None):
        Post = self.env["social.crm.post"]
        account = account or self.account
        Post._ingest(account, list(items), account.stream_ids[:1])
        return Post.search([("account_id", "=", account.id), ("external_id", "in", [i.external_id for i in items])])

    def figures(self, partner=None):
        partner = partner or self.partner
        # read from the database, not from a cache the ORM might still hold
        partner.invalidate_recordset()
        return partner.read(
            ["social_post_count", "social_sentiment_avg", "social_sentiment_latest", "social_complaint_count",
             "social_influence", "social_networks", "social_segment", "social_last_contact_date"]
        )[0]  # fmt: skip

    def test_figures_are_stored_on_insert_and_searchable(self):
        posts = self.ingest(item("f-1", HAPPY, self.jana, 48), item("f-2", UNHAPPY, self.jana, 2))
        self.assertEqual(posts.partner_id, self.partner)
        happy, unhappy = posts.sorted("published_date")
        figures = self.figures()
        self.assertEqual(figures["social_post_count"], 2)
        self.assertAlmostEqual(
            figures["social_sentiment_avg"], (happy.sentiment_score + unhappy.sentiment_score) / 2, places=2
        )
        self.assertAlmostEqual(figures["social_sentiment_latest"], unhappy.sentiment_score, places=2)
        self.assertEqual(figures["social_complaint_count"], 1)
        self.assertEqual(figures["social_networks"], "demo")
        self.assertEqual(figures["social_last_contact_date"], unhappy.published_date)
        self.assertGreater(figures["social_influence"], 0)
        self.assertEqual(figures["social_influence"], posts.profile_id.influence_score)
        # the columns are real: domains, group-by and order run in SQL
        Partner = self.env["res.partner"].with_user(self.agent)
        self.assertIn(self.partner, Partner.search([("social_complaint_count", ">=", 1)]))
        groups = dict(Partner._read_group([("id", "=", self.partner.id)], ["social_networks"], ["__count"]))
        self.assertEqual(groups, {"demo": 1})
        self.assertTrue(Partner._fields["social_influence"].store and Partner._fields["social_influence"].index)
        # a lead domain (CRM team rules, server actions) reaches them through the customer
        lead = self.env["crm.lead"].create({"name": "Router", "partner_id": self.partner.id})
        self.assertEqual(self.env["crm.lead"].search([("partner_id.social_complaint_count", ">", 0)]), lead)

    def test_an_agents_correction_moves_the_figures(self):
        posts = self.ingest(item("c-1", HAPPY, self.jana, 30), item("c-2", HAPPY, self.jana, 3))
        self.assertEqual(self.figures()["social_segment"], "promoter")
        latest = posts.sorted("published_date")[-1]
        latest.with_user(self.agent).write({"sentiment_label": "negative", "intent": "complaint"})
        figures = self.figures()
        self.assertEqual(figures["social_sentiment_latest"], -0.5)
        self.assertEqual(figures["social_complaint_count"], 1)
        self.assertAlmostEqual(
            figures["social_sentiment_avg"], (posts.sorted("published_date")[0].sentiment_score - 0.5) / 2, places=2
        )

    def test_deletion_on_the_network_and_in_odoo_leave_the_figures(self):
        self.ingest(item("d-1", HAPPY, self.jana, 30), item("d-2", UNHAPPY, self.jana, 3))
        self.assertEqual(self.figures()["social_complaint_count"], 1)
        # the network reports the complaint deleted: the next page carries it
        self.ingest(item("d-2", UNHAPPY, self.jana, 3, deleted=True))
        figures = self.figures()
        self.assertEqual((figures["social_post_count"], figures["social_complaint_count"]), (1, 0))
        self.assertEqual(figures["social_segment"], "promoter")
        self.posts().unlink()
        figures = self.figures()
        self.assertEqual((figures["social_post_count"], figures["social_segment"]), (0, False))
        self.assertEqual(figures["social_sentiment_avg"], 0.0)

    def test_figures_follow_an_author_linked_to_another_customer(self):
        posts = self.ingest(item("l-1", UNHAPPY, self.jana, 5))
        other = self.env["res.partner"].create({"name": "Jan Dvořák"})
        posts.profile_id.with_user(self.agent).write({"partner_id": other.id})
        self.assertEqual(self.figures()["social_post_count"], 0)
        self.assertEqual(self.figures()["social_influence"], 0.0)
        self.assertEqual(self.figures(other)["social_complaint_count"], 1)
        self.assertEqual(self.figures(other)["social_influence"], posts.profile_id.influence_score)

    def test_a_company_partner_counts_only_the_posts_of_its_company(self):
        self.partner.company_id = self.company
        self.ingest(item("m-1", HAPPY, self.jana, 5))
        company_b = self.env["res.company"].create({"name": "Social Company B"})
        account_b = self.env["social.crm.account"].create(
            {"name": "B", "network": "demo", "company_id": company_b.id,
             "stream_ids": [(0, 0, {"name": "Mentions", "kind": "mentions"})]}
        )  # fmt: skip
        post_b = self.ingest(item("m-2", UNHAPPY, Author("jana-b", "jana"), 2), account=account_b)
        post_b.partner_id = self.partner  # linked by an administrator across companies
        figures = self.figures()
        self.assertEqual((figures["social_post_count"], figures["social_complaint_count"]), (1, 0))
        # a shared partner (no company) counts the posts of every company
        self.partner.company_id = False
        self.assertEqual(self.figures()["social_post_count"], 2)

    def test_the_daily_refresh_moves_the_trend_with_the_calendar(self):
        posts = self.ingest(item("t-1", UNHAPPY, self.jana, 24 * 45), item("t-2", HAPPY, self.jana, 24 * 2))
        old, new = posts.sorted("published_date")
        self.assertAlmostEqual(self.partner.social_sentiment_trend, new.sentiment_score - old.sentiment_score, 2)
        # a month later both posts are older than 30 days: no recent average, no trend
        self.env.cr.execute(
            "UPDATE social_crm_post SET published_date = published_date - interval '31 days' WHERE id = ANY(%s)",
            [posts.ids],
        )
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        self.env["res.partner"]._cron_social_refresh_trends()
        self.partner.invalidate_recordset()
        self.assertEqual(self.partner.social_sentiment_trend, 0.0)
        self.assertEqual(self.partner.social_post_count, 2)

    def test_saved_filters_list_the_segments(self):
        unhappy = self.ingest(item("s-1", UNHAPPY, self.jana, 5), item("s-2", UNHAPPY, self.jana, 4))
        self.env.cr.execute("UPDATE social_crm_profile SET influence_score = 80 WHERE id = %s", [unhappy.profile_id.id])
        self.env["res.partner"]._social_refresh_stats(self.partner.ids)
        fan = self.env["res.partner"].create({"name": "Fan", "email": "fan@example.cz"})
        self.ingest(item("s-3", HAPPY, Author("fan-1", "fan", email="fan@example.cz"), 5))
        Partner = self.env["res.partner"].with_user(self.agent)
        unhappy_filter = self.env.ref("social_crm.filter_partner_influential_unhappy")
        promoters_filter = self.env.ref("social_crm.filter_partner_promoters")
        self.assertIn(self.partner, Partner.search(safe_eval(unhappy_filter.domain)))
        self.assertNotIn(fan, Partner.search(safe_eval(unhappy_filter.domain)))
        self.assertEqual(Partner.search(safe_eval(promoters_filter.domain)) & (fan | self.partner), fan)
