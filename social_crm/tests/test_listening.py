from datetime import datetime, timedelta, timezone

from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.social_crm.core.types import Author, NormalizedPost
from odoo.addons.social_crm.models.social_crm_topic import DEMO_COMPARISONS, DEMO_WAVE

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


WAVE_TEXTS = [
    "Zase žádný signál v Brně, Nordlight je hrozný!",
    "Nordlight: v Brně nemám signál už od rána",
    "Brak zasięgu w Brnie, Nordlight znowu nie działa",
    "Nordlight signál v Brně nefunguje, chci zpět peníze",
]
CALM_TEXTS = ["Nordlight router funguje dobře", "Díky Nordlight za rychlou instalaci", "Nordlight faktura přišla"]


@tagged("post_install", "-at_install")
class TestListeningAlerts(SocialCrmCase):
    """Spike detection per topic: thresholds, one alert per episode, followers told once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.now = datetime(2026, 3, 10, 12, 30)
        cls.marketing = new_test_user(
            cls.env, "listening_marketing", email="marketing@example.com",
            groups="social_crm.group_social_crm_manager,sales_team.group_sale_salesman,base.group_partner_manager",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.topic = (
            cls.env["social.crm.topic"]
            .with_user(cls.marketing)
            .create(
                {
                    "name": "Nordlight",
                    "company_id": cls.company.id,
                    "user_id": cls.marketing.id,
                    "alert_min_volume": 20,
                    "keyword_ids": [(0, 0, {"keyword": "nordlight"})],
                }
            )
        )
        cls.topic.with_user(cls.marketing).message_subscribe(partner_ids=cls.marketing.partner_id.ids)
        cls.author = cls.env["social.crm.profile"].create(
            {"network": "demo", "external_id": "wave-author", "company_id": cls.company.id, "influence_score": 70}
        )

    def make_posts(self, start, hours, per_hour, texts, negative_every=1, account=None, prefix="p"):
        """``per_hour`` posts an hour for ``hours`` hours from ``start``; one
        in ``negative_every`` is negative (0: none)."""
        account = account or self.account
        values = []
        for hour in range(hours):
            for number in range(per_hour):
                index = hour * per_hour + number
                negative = negative_every and index % negative_every == 0
                values.append(
                    {
                        "account_id": account.id,
                        "company_id": account.company_id.id,
                        "network": "demo",
                        "external_id": f"{prefix}-{start:%Y%m%d%H}-{index}",
                        "profile_id": self.author.id if account == self.account else False,
                        "text": texts[index % len(texts)],
                        "language": "cs",
                        "published_date": start + timedelta(hours=hour, minutes=number),
                        "sentiment_label": "negative" if negative else "neutral",
                        "sentiment_score": -0.6 if negative else 0.1,
                        "state": "processed",
                    }
                )
        return self.env["social.crm.post"].create(values)

    def calm_history(self, days=9):
        # two posts every hour, one in ten negative
        start = self.now.replace(minute=0) - timedelta(days=days)
        return self.make_posts(start, days * 24, 2, CALM_TEXTS, negative_every=10, prefix="calm")

    def wave(self, hours_ago=10, hours=8, per_hour=6):
        start = self.now.replace(minute=0) - timedelta(hours=hours_ago)
        return self.make_posts(start, hours, per_hour, WAVE_TEXTS, prefix=f"wave{hours_ago}")

    def alerts(self):
        return self.env["social.crm.alert"].search([("topic_id", "=", self.topic.id)])

    def test_a_calm_week_raises_nothing(self):
        self.calm_history()
        self.assertFalse(self.topic._detect(self.now))
        self.assertEqual(self.topic.last_check_date, self.now)

    def test_a_negative_wave_opens_one_alert_with_its_drivers_and_notifies_once(self):
        self.calm_history()
        wave = self.wave()
        alert = self.topic._detect(self.now)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.signal, "crisis")
        self.assertGreaterEqual(alert.volume, 48)
        self.assertGreater(alert.volume, alert.volume_threshold)
        self.assertGreater(alert.negative_share, alert.share_threshold)
        self.assertAlmostEqual(alert.baseline_share, 0.1, places=2)
        self.assertEqual(set(alert.post_ids.mapped("sentiment_label")), {"negative"})
        self.assertGreaterEqual(len(alert.post_ids & wave), 8, "the driving posts are the wave's")
        phrases = {item["phrase"] for item in alert.phrase_data}
        self.assertTrue(phrases & {"signál", "brno", "signál brno", "brno signál"}, phrases)
        self.assertNotIn("nordlight", phrases, "the topic's own name is in every post: it does not rise")
        # the follower is told once: follows the alert, which has one alert message; a line on the topic; an activity
        subtype = self.env.ref("social_crm.mt_listening_alert")

        def alert_messages():
            return (alert.message_ids | self.topic.message_ids).filtered(lambda message: message.subtype_id == subtype)

        self.assertIn(self.marketing.partner_id, alert.message_partner_ids)
        self.assertEqual(len(alert_messages()), 2)
        self.assertIn("Nordlight", alert_messages()[-1].body)
        self.assertEqual(alert.activity_ids.user_id, self.marketing)
        # the wave goes on for hours: the same episode, nobody told again
        for hours_later in (1, 2, 5):
            self.assertFalse(self.topic._detect(self.now + timedelta(hours=hours_later)))
        self.assertEqual(self.alerts(), alert)
        self.assertEqual(len(alert_messages()), 2)
        self.assertEqual(len(alert.activity_ids), 1)
        self.assertGreater(alert.last_seen_date, alert.window_end - timedelta(hours=1))

    def test_a_later_wave_after_the_cooldown_is_a_new_episode(self):
        self.calm_history(days=20)
        self.wave(hours_ago=24 * 10)
        self.wave()
        first = self.topic._detect(self.now - timedelta(days=9, hours=12))
        second = self.topic._detect(self.now)
        self.assertEqual((len(first), len(second)), (1, 1))
        self.assertNotEqual(first, second)

    def test_thresholds_k_and_minimum_volume(self):
        self.calm_history()
        self.wave(per_hour=2, hours=8)  # 16 posts in a wave: below the minimum volume of 20
        self.topic.with_user(self.marketing).write({"alert_min_volume": 100})
        self.assertFalse(self.topic._detect(self.now))
        self.topic.with_user(self.marketing).write({"alert_min_volume": 20, "alert_k": 40})
        self.assertFalse(self.topic._detect(self.now), "k = 40: nothing is that far above the week")
        self.topic.with_user(self.marketing).write({"alert_k": 3})
        self.assertEqual(self.topic._detect(self.now).signal, "negative", "a share spike, the volume is usual")

    def test_backtest_lists_the_alert_it_would_have_raised_and_stores_nothing(self):
        self.calm_history(days=20)
        self.wave(hours_ago=24 * 10)
        self.patch(type(self.env["social.crm.topic"]), "_backtest_now", lambda topic: self.now)
        found = self.topic.with_user(self.marketing).backtest(days=15)
        self.assertEqual(len(found), 1)
        self.assertIn("crisis", found[0]["signals"])
        self.assertGreaterEqual(found[0]["volume"], 48)
        self.assertFalse(self.alerts())
        self.topic.with_user(self.marketing).action_backtest()
        self.assertIn("90 days: 1 alerts", self.topic.message_ids[0].body)

    def test_topics_see_the_posts_of_their_company_only(self):
        company_b = self.env["res.company"].create({"name": "Listening B"})
        account_b = self.env["social.crm.account"].create({"name": "B", "network": "demo", "company_id": company_b.id})
        self.calm_history()
        self.wave()
        topic_b = self.env["social.crm.topic"].create(
            {"name": "Nordlight B", "company_id": company_b.id, "keyword_ids": [(0, 0, {"keyword": "nordlight"})]}
        )
        def volume(topic):
            hourly = topic._hourly_counts(self.now - timedelta(days=1), self.now)[topic.id]
            return sum(total for total, _negative in hourly.values())

        self.assertEqual(volume(topic_b), 0)
        volume_a = volume(self.topic)
        self.make_posts(self.now.replace(minute=0) - timedelta(hours=3), 3, 10, WAVE_TEXTS, account=account_b)
        self.assertEqual(volume(topic_b), 30)
        self.assertEqual(volume(self.topic), volume_a)
        alert_a = self.topic._detect(self.now)
        self.assertTrue(alert_a)
        user_b = new_test_user(
            self.env, "listening_b", groups="social_crm.group_social_crm_user",
            company_id=company_b.id, company_ids=[company_b.id],
        )  # fmt: skip
        self.assertFalse(self.env["social.crm.alert"].with_user(user_b).search([("id", "=", alert_a.id)]))
        topic_posts = self.env["social.crm.topic.post"].with_user(user_b).search([])
        self.assertEqual(set(topic_posts.mapped("company_id").ids), {company_b.id})

    def test_a_marketing_user_acknowledges_and_turns_an_influencer_into_a_lead(self):
        self.calm_history(days=2)
        agent = new_test_user(
            self.env, "listening_user", groups="social_crm.group_social_crm_user,sales_team.group_sale_salesman",
            company_id=self.company.id, company_ids=[self.company.id],
        )  # fmt: skip
        self.wave()
        alert = self.topic._detect(self.now) or self.env["social.crm.alert"].create(
            {"topic_id": self.topic.id, "signal": "volume", "window_start": self.now}
        )
        alert.with_user(agent).action_acknowledge()
        self.assertEqual(alert.state, "acknowledged")
        authors = self.env["social.crm.topic.author"].with_user(agent).search([("topic_id", "=", self.topic.id)])
        self.assertEqual(authors.profile_id, self.author)
        self.assertFalse(authors.is_customer)
        action = authors.with_user(agent).action_create_lead()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertIn("Nordlight", lead.name)
        self.assertIn("Nordlight", lead.description)
        action = authors.with_user(self.marketing).action_create_partner()
        self.assertEqual(self.author.partner_id.id, action["res_id"])
        self.assertEqual(self.author.partner_id.social_post_count, len(self.author.post_ids))

    def test_the_weekly_digest_tells_the_followers_the_week(self):
        self.calm_history(days=15)
        self.wave()
        self.topic._detect(self.now)
        message = self.topic._post_weekly_digest(self.now)
        self.assertEqual(message.subtype_id, self.env.ref("social_crm.mt_listening_digest"))
        self.assertIn(self.marketing.partner_id, self.topic.message_follower_ids.filtered(
            lambda follower: message.subtype_id in follower.subtype_ids).partner_id)  # fmt: skip
        TopicPost = self.env["social.crm.topic.post"]

        def count(start, end):
            return TopicPost.search_count(
                [("topic_id", "=", self.topic.id), ("published_date", ">=", start), ("published_date", "<", end)]
            )

        week = timedelta(days=7)
        this_week, week_before = count(self.now - week, self.now), count(self.now - 2 * week, self.now - week)
        self.assertGreater(this_week, week_before)
        self.assertIn(f"{this_week} posts (the week before: {week_before})", message.body)
        self.assertIn("Crisis", message.body)
        # Odoo's own digest counts the company's social posts of the period
        digest = self.env["digest.digest"].create(
            {"name": "Social", "kpi_social_crm_posts": True, "company_id": self.company.id}
        )
        start, end = self.now - timedelta(days=1), self.now
        digest = digest.with_context(start_datetime=start, end_datetime=end)
        self.assertGreater(digest.kpi_social_crm_posts_value, 0)
        self.assertEqual(
            digest.kpi_social_crm_posts_value,
            self.env["social.crm.post"].search_count(
                [("company_id", "=", self.company.id), ("published_date", ">=", start), ("published_date", "<", end)]
            ),
        )


@tagged("post_install", "-at_install")
class TestListeningDemo(SocialCrmCase):
    """The demo data, seen by a marketing manager: the planted wave raised one
    alert, with the planted posts and phrases; the competitor's share of voice;
    the influential unhappy customers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.topic = cls.env.ref("social_crm.demo_topic_nordlight", raise_if_not_found=False)
        if not cls.topic:
            return
        cls.manager = new_test_user(
            cls.env, "listening_demo_manager", groups="social_crm.group_social_crm_manager,base.group_partner_manager",
            company_id=cls.topic.company_id.id, company_ids=[cls.topic.company_id.id],
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        if not self.topic:
            self.skipTest("the database was installed without demo data")

    def test_the_planted_wave_raised_one_alert_with_its_posts_and_phrases(self):
        topic = self.topic.with_user(self.manager)
        (alert,) = topic.alert_ids
        self.assertEqual(alert.signal, "crisis")
        planted = {text for texts in DEMO_WAVE.values() for text in texts} | set(DEMO_COMPARISONS.values())
        self.assertTrue(set(alert.post_ids.mapped("text")) <= planted, "the driving posts are planted ones")
        self.assertEqual(set(alert.post_ids.mapped("language")), {"cs", "pl"})
        phrases = [item["phrase"] for item in alert.phrase_data]
        self.assertTrue({"signál brno", "zasięg kraków"} <= set(phrases[:6]), phrases)
        # an hour later the same episode goes on; today the wave is over: still one alert
        self.assertFalse(topic._detect(alert.last_seen_date + timedelta(minutes=30)))
        self.assertFalse(topic._detect(datetime.now()))
        self.assertEqual(len(topic.alert_ids), 1)
        # the backtest over the stored posts finds this episode only
        self.assertEqual(len(topic.backtest(days=35)), 1)

    def test_the_rising_phrases_and_clusters_of_the_week_are_the_planted_ones(self):
        topic = self.topic.with_user(self.manager)
        now = datetime.now()
        rising = [item.phrase for _language, item in topic._rising_phrases(now - timedelta(days=7), now, 4)]
        self.assertTrue({"signál brno", "zasięg kraków"} <= set(rising[:6]), rising)
        labels = [label for label, _count, _examples in topic._complaint_clusters(now - timedelta(days=7), now)]
        self.assertTrue(any("signál" in label and "brno" in label for label in labels[:2]), labels)
        self.assertTrue(any("zasięg" in label and "kraków" in label for label in labels[:2]), labels)
        self.assertIn("signál brno", topic.overview_html)

    def test_share_of_voice_against_the_competitor_and_posts_comparing_us(self):
        TopicPost = self.env["social.crm.topic.post"].with_user(self.manager)
        voice = dict(TopicPost._read_group([], ["topic_kind"], ["__count"]))
        self.assertGreater(voice["brand"], voice["competitor"] > 0)
        comparing = TopicPost.search([("compares_us", "=", True)])
        self.assertTrue(comparing)
        self.assertTrue(all("Voltik" in text and "Nordlight" in text for text in comparing.mapped("text")))

    def test_influential_and_unhappy_customers_are_listed(self):
        unhappy_filter = self.env.ref("social_crm.filter_partner_influential_unhappy")
        partners = self.env["res.partner"].with_user(self.manager).search(safe_eval(unhappy_filter.domain))
        self.assertEqual(
            set(partners.ids),
            {self.env.ref("social_crm.demo_partner_tomas").id, self.env.ref("social_crm.demo_partner_katarzyna").id},
        )
        promoters_filter = self.env.ref("social_crm.filter_partner_promoters")
        promoters = self.env["res.partner"].with_user(self.manager).search(safe_eval(promoters_filter.domain))
        self.assertIn(self.env.ref("social_crm.demo_partner_eliska"), promoters)
