from datetime import datetime, timedelta, timezone

from odoo import fields
from odoo.tests import new_test_user, tagged

from odoo.addons.social_crm.core.types import Author, NormalizedPost
from odoo.addons.social_crm.models.social_crm_post import SENTIMENT_LABELS

from .common import SocialCrmCase


def post(external_id, text, author, days_ago=1):
    return NormalizedPost(
        external_id=external_id,
        author=author,
        text=text,
        created_at=datetime.now(timezone.utc) - timedelta(days=days_ago),
        kind="mention",
    )


@tagged("post_install", "-at_install")
class TestAnalysisInOdoo(SocialCrmCase):
    def ingest(self, *items):
        Post = self.env["social.crm.post"]
        Post._ingest(self.account, list(items), self.streams[0])
        return Post.search([("external_id", "in", [item.external_id for item in items])])

    def test_posts_get_the_right_labels_in_every_language(self):
        author = Author("an-1", "zakaznik")
        cases = {
            "Internet vůbec nefunguje, je to hrozné, chci vrátit peníze!": ("cs", "negative", "complaint"),
            "Bardzo dziękuję, wszystko działa świetnie!": ("pl", "positive", None),
            "Интернет не работает уже третий день, это ужасно!": ("ru", "negative", "complaint"),
            "اینترنت از دیروز قطع است و هیچکس جواب نمی‌دهد!": ("fa", "negative", "complaint"),
            "Thank you so much, the new router is fantastic!": ("en", "positive", "praise"),
        }
        for number, (text, (language, sentiment, intent)) in enumerate(cases.items()):
            stored = self.ingest(post(f"lang-{number}", text, author))
            self.assertEqual((stored.language, stored.sentiment_label), (language, sentiment), text)
            if intent:
                self.assertEqual(stored.intent, intent, text)
            self.assertTrue(stored.analyzer_version and stored.language_confidence > 0.5)
            label = dict(SENTIMENT_LABELS)[sentiment]
            self.assertTrue(stored.analysis_explanation.startswith(f"Sentiment {label} ("), text)

    def test_the_explanation_is_worded_in_the_readers_language(self):
        stored = self.ingest(post("why-cs", "Internet vůbec nefunguje, je to hrozné!", Author("w-cs", "w")))
        self.assertEqual(stored.analysis_reasons["sentiment"], "negative")
        self.assertIn("hrozné", stored.analysis_explanation)
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.env["ir.module.module"]._load_module_terms(["social_crm"], ["cs_CZ"], overwrite=True)
        czech = stored.with_context(lang="cs_CZ")
        negative = dict(czech._fields["sentiment_label"]._description_selection(czech.env))["negative"]
        self.assertNotEqual(negative, "Negative", "the Czech terms are loaded")
        self.assertIn(negative, czech.analysis_explanation)
        self.assertNotIn("Sentiment Negative", czech.analysis_explanation)
        self.assertIn("hrozné", czech.analysis_explanation, "the post's own words stay as written")

    def test_the_explanation_is_shown_escaped_on_the_post_form(self):
        stored = self.ingest(post("why-1", "Terrible service <script>x()</script>, refund me", Author("w", "w")))
        self.assertIn("terrible", stored.analysis_explanation)
        agent = new_test_user(
            self.env, "social_reader", groups="social_crm.group_social_crm_user",
            company_id=self.company.id, company_ids=[self.company.id],
        )  # fmt: skip
        view = stored.with_user(agent).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="analysis_explanation"', view)
        # a plain text field: the web client renders it as text, never as HTML
        field = stored.with_user(agent).fields_get(["analysis_explanation"])["analysis_explanation"]
        self.assertEqual(field["type"], "text")

    def test_an_agents_correction_is_kept_and_moves_the_aggregates(self):
        partner = self.env["res.partner"].create({"name": "Eva", "email": "eva@example.cz"})
        eva = Author("eva", "eva", email="eva@example.cz")
        first = self.ingest(post("c-1", "Všechno funguje skvěle, děkuji!", eva))
        second = self.ingest(post("c-2", "Tak to je teda super, zase nejde internet", eva, days_ago=0))
        self.assertEqual(second.partner_id, partner)
        before = partner.social_sentiment_avg
        agent = new_test_user(
            self.env, "social_agent", groups="social_crm.group_social_crm_user",
            company_id=self.company.id, company_ids=[self.company.id],
        )  # fmt: skip
        second.with_user(agent).write({"sentiment_label": "negative", "intent": "complaint"})
        correction = self.env["social.crm.analysis.correction"].search([("post_id", "=", second.id)])
        self.assertEqual(len(correction), 1)
        self.assertEqual((correction.corrected_sentiment, correction.corrected_intent), ("negative", "complaint"))
        self.assertEqual(correction.text, second.text)
        self.assertEqual(second.sentiment_score, -0.5)
        partner.invalidate_recordset()
        self.assertAlmostEqual(partner.social_sentiment_avg, (first.sentiment_score - 0.5) / 2, places=2)
        self.assertNotEqual(partner.social_sentiment_avg, before)
        self.assertEqual(partner.social_sentiment_latest, -0.5)
        self.assertEqual(partner.social_complaint_count, 1)
        # a post deleted on the network leaves the aggregates
        second.is_deleted = True
        partner.invalidate_recordset()
        self.assertAlmostEqual(partner.social_sentiment_avg, first.sentiment_score, places=2)
        self.assertEqual(partner.social_complaint_count, 0)

    def test_the_30_day_trend_compares_with_the_30_days_before(self):
        partner = self.env["res.partner"].create({"name": "Olga", "email": "olga@example.ru"})
        olga = Author("olga", "olga", email="olga@example.ru")
        old = self.ingest(post("t-old", "Всё ужасно, ничего не работает!", olga, days_ago=45))
        new = self.ingest(post("t-new", "Спасибо, теперь всё отлично работает!", olga, days_ago=2))
        self.assertLess(old.sentiment_score, 0)
        self.assertGreater(new.sentiment_score, 0)
        self.assertAlmostEqual(partner.social_sentiment_trend, new.sentiment_score - old.sentiment_score, places=2)

    def test_managers_extend_the_intent_keywords(self):
        author = Author("kw", "buyer")
        text = "Ahoj všichni, právě jsem viděl Quantum 5000 v televizi u sousedů."
        self.assertNotEqual(self.ingest(post("kw-1", text, author)).intent, "purchase_intent")
        self.env["social.crm.intent.keyword"].create(
            {"company_id": self.company.id, "language": "cs", "intent": "purchase_intent", "keyword": "quantum 5000"}
        )
        self.assertEqual(self.ingest(post("kw-2", text, author)).intent, "purchase_intent")

    def test_analysis_failures_keep_the_post(self):
        stored = self.ingest(post("empty", "", Author("e", "e")))
        self.assertTrue(stored)
        self.assertEqual(stored.language, "und")
        self.assertEqual(fields.Datetime.to_string(stored.create_date)[:4], str(datetime.now().year))
