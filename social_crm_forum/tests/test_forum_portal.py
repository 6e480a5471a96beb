from datetime import timedelta
from unittest import SkipTest

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.social_crm.tests.common import skip_without_browser

#: what the customers type as their ticket's subject (the tour types the Czech one)
CZECH_SUBJECT = "Nefunguje mi tiskárna, hlásí chybu E42"
ENGLISH_SUBJECT = "How can I reset my forgotten password?"


class ForumPortalCase(HttpCase):
    """Forum articles for the portal customer: answered questions they may
    read, and the same question where they may not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website = cls.env.ref("website.default_website")
        cls.portal = cls.env.ref("base.demo_user0", raise_if_not_found=False)
        if not cls.portal:
            raise SkipTest("the portal routes are called as the demo portal user: install with demo data")
        # questions are searchable only when their author has karma (website_forum's can_view)
        cls.expert = new_test_user(cls.env, "forum_expert", groups="base.group_user", karma=5000)
        cls.forum = cls.env["forum.forum"].create({"name": "Podpora", "website_id": cls.website.id})
        cls.printer = cls.article(
            cls.forum,
            "Tiskárna hlásí chybu E42",
            "<p>Po zapnutí tiskárny se na displeji objeví chyba E42.</p>",
            "<p>Vyměňte <b>válec</b> tonerové kazety, chyba E42 zmizí. <i>a &lt; b</i></p>",
        )
        cls.password = cls.article(
            cls.forum,
            "Reset a forgotten password",
            "<p>I cannot log in any more.</p>",
            "<p>Click <b>Forgot password</b> on the login page and follow the e-mail you receive.</p>",
        )
        cls.unanswered = (
            cls.env["forum.post"]
            .with_user(cls.expert)
            .create({"forum_id": cls.forum.id, "name": "Tiskárna hlásí chybu E42 i po výměně válce"})
            .with_env(cls.env)
        )
        # the same question where the portal customer may not read it
        employees = cls.env["forum.forum"].create(
            {
                "name": "Internal",
                "website_id": cls.website.id,
                "privacy": "private",
                "authorized_group_id": cls.env.ref("base.group_user").id,
            }
        )
        cls.private = cls.article(employees, "Tiskárna hlásí chybu E42 (interní)", "<p>Servis.</p>", "<p>Servis.</p>")
        other_company = cls.env["res.company"].create({"name": "Jiná firma"})
        other_website = cls.env["website"].create({"name": "Jiná firma", "company_id": other_company.id})
        other_forum = cls.env["forum.forum"].create({"name": "Jiné fórum", "website_id": other_website.id})
        cls.elsewhere = cls.article(other_forum, "Tiskárna hlásí chybu E42 jinde", "<p>Jinde.</p>", "<p>Jinde.</p>")

    @classmethod
    def article(cls, forum, title, question, answer):
        """A question of the expert's with an accepted answer."""
        Post = cls.env["forum.post"].with_user(cls.expert)
        post = Post.create({"forum_id": forum.id, "name": title, "content": question})
        Post.create({"forum_id": forum.id, "parent_id": post.id, "content": answer}).write({"is_correct": True})
        return post.with_env(cls.env)

    def answers(self, subject, **params):
        return self.make_jsonrpc_request("/social_crm_forum/answers", {"subject": subject, **params})

    def deflected(self, post, subject=CZECH_SUBJECT):
        return self.make_jsonrpc_request("/social_crm_forum/deflected", {"post_id": post.id, "subject": subject})

    def deflections(self):
        return self.env["social.crm.forum.deflection"].search([("partner_id", "=", self.portal.partner_id.id)])



@tagged("post_install", "-at_install")
class TestForumPortal(ForumPortalCase):
    """The new-ticket form of the portal suggests the accepted answers of the
    forums the customer may read, and counts the tickets they avoided."""

    def test_czech_and_english_subjects(self):
        self.authenticate("portal", "portal")
        found = self.answers(CZECH_SUBJECT)
        self.assertEqual([answer["id"] for answer in found], [self.printer.id], "only the readable answered article")
        self.assertEqual(found[0]["name"], "Tiskárna hlásí chybu E42")
        self.assertEqual(found[0]["url"], self.printer.website_url)
        self.assertIn("Vyměňte válec tonerové kazety", found[0]["excerpt"])
        # plain text, shown as text by the page: no markup, no entities
        self.assertNotIn("<b>", found[0]["excerpt"])
        self.assertIn("a < b", found[0]["excerpt"])
        found = self.answers(ENGLISH_SUBJECT)
        self.assertEqual([answer["id"] for answer in found], [self.password.id])
        # the answer's words count too
        found = self.answers("login page e-mail")
        self.assertEqual([answer["id"] for answer in found], [self.password.id])

    def test_other_forms_of_the_words_match(self):
        """Czech declines its nouns: "displej na tiskárně" is the article's "na displeji tiskárny";
        neither word is written so in the article."""
        self.authenticate("portal", "portal")
        found = self.answers("Displej na tiskárně")
        self.assertEqual([answer["id"] for answer in found], [self.printer.id])
        found = self.answers("Lost passwords")
        self.assertEqual([answer["id"] for answer in found], [self.password.id])

    def test_no_match(self):
        self.authenticate("portal", "portal")
        self.assertEqual(self.answers("Faktura má špatnou sazbu DPH"), [])
        self.assertEqual(self.answers("The invoice shows the wrong VAT rate"), [])
        self.assertEqual(self.answers(""), [])
        self.assertEqual(self.answers("E4"), [], "words this short match nearly everything")

    def test_hostile_subjects(self):
        self.authenticate("portal", "portal")
        self.assertEqual(self.answers("'); DROP TABLE forum_post; -- \\ % _ & | ! :*"), [])
        self.assertTrue(self.env["forum.post"].search_count([]), "the subject is a parameter, not SQL")
        found = self.answers("<script>alert(1)</script> Tiskárna hlásí chybu E42")
        self.assertEqual([answer["id"] for answer in found], [self.printer.id])
        found = self.answers(CZECH_SUBJECT + " " + "x" * 100_000, description="y" * 100_000)
        self.assertEqual([answer["id"] for answer in found], [self.printer.id], "only the start of the text is read")
        found = self.answers("tiskárna\x00 hlásí chybu")
        self.assertEqual([answer["id"] for answer in found], [self.printer.id], "PostgreSQL refuses NUL in text")
        self.assertEqual(self.answers({"subject": "tiskárna"}), [])
        self.assertEqual(self.answers(["tiskárna", "chybu"]), [])

    def test_deflection_counted_once_a_day(self):
        self.authenticate("portal", "portal")
        self.assertTrue(self.deflected(self.printer))
        self.assertTrue(self.deflected(self.printer, "tiskárna hlásí chybu\x00"))
        deflection = self.deflections()
        self.assertEqual(len(deflection), 1, "one row per customer, question and day")
        self.assertEqual(deflection.forum_post_id, self.printer)
        self.assertEqual(deflection.subject, CZECH_SUBJECT)
        self.assertEqual(deflection.company_id, self.website.company_id)
        self.assertEqual(deflection.date, fields.Date.context_today(deflection))
        # yesterday's row does not stop today's
        deflection.date -= timedelta(days=1)
        self.assertTrue(self.deflected(self.printer))
        self.assertEqual(len(self.deflections()), 2)
        self.assertEqual(self.printer.deflection_count, 2)
        self.assertEqual(self.password.deflection_count, 0)

    def test_deflection_of_what_cannot_be_read(self):
        self.authenticate("portal", "portal")
        for post in (self.private, self.elsewhere, self.unanswered, self.printer.child_ids):
            with self.subTest(post=post.name):
                self.assertFalse(self.deflected(post))
        self.assertFalse(self.make_jsonrpc_request("/social_crm_forum/deflected", {"post_id": "1 OR 1=1"}))
        self.assertFalse(self.deflections())

    def test_deflections_of_own_companies_only(self):
        other_company = self.env["res.company"].create({"name": "Třetí firma"})
        Deflection = self.env["social.crm.forum.deflection"]
        ours = Deflection.create({"forum_post_id": self.printer.id, "partner_id": self.portal.partner_id.id})
        theirs = Deflection.create(
            {"forum_post_id": self.printer.id, "partner_id": self.expert.partner_id.id, "company_id": other_company.id}
        )
        agent = new_test_user(self.env, "deflection_agent", groups="base.group_user,social_crm.group_social_crm_user")
        self.assertEqual(Deflection.with_user(agent).search([("id", "in", (ours | theirs).ids)]), ours)


@tagged("post_install", "-at_install")
class TestForumPortalTour(ForumPortalCase):
    """The customer's side in a real headless Chromium."""

    def setUp(self):
        super().setUp()
        skip_without_browser()

    def test_answer_found_on_the_new_ticket_form(self):
        self.start_tour("/new/ticket", "social_crm_forum_deflection_tour", login="portal")
        deflection = self.deflections()
        self.assertEqual(deflection.forum_post_id, self.printer)
        self.assertEqual(deflection.subject, CZECH_SUBJECT)
