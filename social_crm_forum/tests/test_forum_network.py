from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.social_crm.core.types import Author
from odoo.addons.social_crm.tests.common import COMPLAINT, SimulatedCommits, incoming


class ForumCase(TransactionCase):
    """A company with its own website, forum and community account; a
    customer on the portal and an agent on the desk."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Forum Company"})
        cls.website = cls.env["website"].create({"name": "Forum Company Web", "company_id": cls.company.id})
        cls.forum = cls.env["forum.forum"].create({"name": "Help", "website_id": cls.website.id})
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "Community Care", "company_id": cls.company.id})
        cls.unanswered_rule = cls.env["social.crm.rule"].create(
            {
                "name": "Unanswered to Community Care",
                "company_id": cls.company.id,
                "forum_unanswered_only": True,
                "action": "ticket",
                "helpdesk_team_id": cls.team.id,
            }
        )
        cls.complaint_rule = cls.env["social.crm.rule"].create(
            {
                "name": "Complaints",
                "company_id": cls.company.id,
                "intent": "complaint",
                "action": "ticket",
                "helpdesk_team_id": cls.team.id,
            }
        )
        cls.account = cls.env["social.crm.account"].create(
            {
                "name": "Community",
                "network": "forum",
                "company_id": cls.company.id,
                "forum_id": cls.forum.id,
                "forum_unanswered_rule_id": cls.unanswered_rule.id,
                "forum_unanswered_hours": 4,
            }
        )
        cls.customer = new_test_user(
            cls.env, "forum_customer", groups="base.group_portal", name="Jana Nováková",
            email="jana@example.cz", company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.agent = new_test_user(
            cls.env, "forum_agent", groups="social_crm.group_social_crm_user,helpdesk_mgmt.group_helpdesk_user",
            name="Petr Agent", company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.customer.karma = 100
        cls.Post = cls.env["social.crm.post"]

    def setUp(self):
        super().setUp()
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)
        # other companies' new posts (demo data) stay out of these routing batches
        self.Post.search([("company_id", "!=", self.company.id), ("state", "=", "new")]).write({"state": "ignored"})

    def ask(self, title, content, user=None):
        """A question asked on the website by ``user`` (the customer)."""
        return (
            self.env["forum.post"]
            .with_user(user or self.customer)
            .create({"forum_id": self.forum.id, "name": title, "content": f"<p>{content}</p>"})
        )

    def stored(self, forum_post):
        return self.Post.search([("account_id", "=", self.account.id), ("external_id", "=", str(forum_post.id))])

    def route_all(self):
        while self.Post._process_new(50):
            pass


@tagged("post_install", "-at_install")
class TestForumNetwork(ForumCase):
    def test_question_is_stored_at_once_with_its_author_as_partner(self):
        question = self.ask("Internet nefunguje", COMPLAINT)
        post = self.stored(question)
        self.assertEqual(len(post), 1)
        self.assertEqual((post.kind, post.direction, post.network), ("mention", "incoming", "forum"))
        self.assertEqual(post.partner_id, self.customer.partner_id, "forum authors are partners: identity is exact")
        self.assertEqual(post.profile_id.match_reason, "forum")
        self.assertIn("Internet nefunguje", post.text)
        self.assertEqual(post.thread_external_id, str(question.id))

    def test_a_question_waiting_for_moderation_is_stored_once_accepted(self):
        self.customer.karma = 5  # may ask, but below the forum's karma to post without moderation
        self.forum.karma_post = 50
        question = self.ask("Spam?", "Kupte levné hodinky")
        self.assertEqual(question.state, "pending")
        self.assertFalse(self.stored(question))
        self.account._fetch()
        self.assertFalse(self.stored(question), "the fetch does not read it either")
        question.sudo().state = "active"
        self.assertEqual(len(self.stored(question)), 1)

    def test_fetch_reads_what_was_missed_and_stores_nothing_twice(self):
        self.account.state = "disabled"  # nothing is pushed while disabled
        questions = self.ask("První otázka", "Jak nastavit router?") | self.ask("Druhá", "Kde je faktura?")
        self.assertFalse(self.stored(questions[0]))
        self.account.state = "connected"
        self.account._fetch()
        self.account._fetch()
        posts = self.Post.search([("account_id", "=", self.account.id)])
        self.assertEqual(sorted(posts.mapped("external_id")), sorted(str(question.id) for question in questions))
        self.assertEqual(self.account.state, "connected", self.account.last_error)

    def test_negative_question_becomes_ticket_by_the_ordinary_rules(self):
        question = self.ask("Nefunguje to", COMPLAINT)
        self.route_all()
        ticket = self.stored(question).ticket_id
        self.assertTrue(ticket)
        self.assertEqual((ticket.team_id, ticket.partner_id), (self.team, self.customer.partner_id))

    def test_agent_answer_from_the_ticket_appears_on_the_forum_as_the_agent(self):
        question = self.ask("Nefunguje to", COMPLAINT)
        self.route_all()
        post = self.stored(question)
        reply = post.with_user(self.agent)._reply("Omlouváme se, restartujte prosím modem <b>hned</b>.")
        answer = question.child_ids
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer.create_uid, self.agent, "the forum shows who answered")
        as_customer = answer.with_user(self.customer)
        self.assertTrue(as_customer.can_view, "an agent without karma is seen on the forum")
        self.assertIn(answer, as_customer.search([("can_view", "=", True), ("parent_id", "=", question.id)]))
        self.assertIn("&lt;b&gt;hned&lt;/b&gt;", answer.content, "the agent's text is escaped into the forum's HTML")
        self.assertEqual((reply.direction, reply.parent_id), ("outgoing", post))
        self.assertEqual(post.state, "replied")
        self.assertEqual(len(self.Post.search([("account_id", "=", self.account.id)])), 2, "the answer is stored once")

        answer.with_user(self.customer).is_correct = True
        self.assertIn("accepted this answer", post.ticket_id.message_ids[0].body)

    def test_reply_to_a_closed_question_is_refused(self):
        question = self.ask("Nefunguje to", COMPLAINT)
        post = self.stored(question)
        question.sudo().state = "close"
        with self.assertRaises(UserError):
            post.with_user(self.agent)._reply("Pozdě.")

    def test_unanswered_question_goes_to_the_rule_once(self):
        waiting = self.ask("Router", "Jak nastavím router na 5 GHz?")
        answered = self.ask("Faktura", "Kde najdu fakturu?")
        fresh = self.ask("Tarif", "Jaký mám tarif?")
        self.route_all()
        self.assertFalse(self.stored(waiting).ticket_id, "a rule for unanswered questions is not one for new posts")
        old = fields.Datetime.now() - timedelta(hours=5)
        (self.stored(waiting) | self.stored(answered)).write({"published_date": old})
        self.env["forum.post"].with_user(self.agent).sudo().create(
            {"forum_id": self.forum.id, "parent_id": answered.id, "content": "<p>V portálu.</p>"}
        )
        self.env["social.crm.account"]._cron_forum_unanswered()
        self.env["social.crm.account"]._cron_forum_unanswered()
        ticket = self.stored(waiting).ticket_id
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([("team_id", "=", self.team.id)]), 1, "once")
        self.assertFalse(self.stored(answered).ticket_id)
        self.assertFalse(self.stored(fresh).ticket_id)

    def test_a_forum_of_another_companys_website_is_refused(self):
        other = self.env["res.company"].create({"name": "Other"})
        website = self.env["website"].create({"name": "Other Web", "company_id": other.id})
        forum = self.env["forum.forum"].create({"name": "Other Help", "website_id": website.id})
        with self.assertRaises(ValidationError):
            self.env["social.crm.account"].create(
                {"name": "Wrong", "network": "forum", "company_id": self.company.id, "forum_id": forum.id}
            )

    @mute_logger("odoo.sql_db")
    def test_a_forum_has_one_account(self):
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["social.crm.account"].create(
                {"name": "Twice", "network": "forum", "company_id": self.company.id, "forum_id": self.forum.id}
            )


@tagged("post_install", "-at_install")
class TestForumShare(ForumCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo_account = cls.env["social.crm.account"].create(
            {"name": "Shop", "network": "demo", "handle": "@shop", "external_id": "demo-brand",
             "company_id": cls.company.id,
             "stream_ids": [(0, 0, {"name": "Mentions", "kind": "mentions"})]}
        )  # fmt: skip

    def social_question(self):
        author = Author(external_id="cust-1", handle="@jana", display_name="Jana")
        self.Post._ingest(
            self.demo_account,
            [incoming("m-1", "Jak nastavím router na 5 GHz?", author)],
            self.demo_account.stream_ids,
        )
        return self.Post.search([("account_id", "=", self.demo_account.id), ("external_id", "=", "m-1")])

    def share(self, post, **values):
        wizard = (
            self.env["social.crm.forum.share"]
            .with_user(self.agent)
            .with_context(default_post_id=post.id)
            .create({"forum_id": self.forum.id, **values})
        )
        return wizard.action_publish()

    def test_without_consent_nothing_is_published(self):
        post = self.social_question()
        with self.assertRaises(UserError):
            self.share(post, consent=False)
        self.assertFalse(post.forum_question_ids)

    def test_accepted_answer_goes_back_to_the_customers_network(self):
        post = self.social_question()
        self.share(post, consent=True)
        question = post.forum_question_ids
        self.assertEqual(question.name, "Jak nastavím router na 5 GHz?")
        told = self.Post.search([("parent_id", "=", post.id), ("direction", "=", "outgoing")])
        self.assertIn(question._social_crm_absolute_url(), told.text, "the customer is told where the question is")
        self.assertFalse(self.stored(question).filtered(lambda stored: stored.direction == "incoming"),
                         "our own question on the forum is not routed as a customer's")  # fmt: skip
        with self.assertRaises(UserError):
            self.share(post, consent=True)

        answer = self.env["forum.post"].with_user(self.customer).create(
            {"forum_id": self.forum.id, "parent_id": question.id, "content": "<p>V nastavení Wi-Fi zvolte 5 GHz.</p>"}
        )
        answer.sudo().is_correct = True
        replies = self.Post.search([("parent_id", "=", post.id), ("direction", "=", "outgoing")])
        self.assertEqual(len(replies), 2, question.message_ids.mapped("body"))
        self.assertIn("zvolte 5 GHz", (replies - told).text)
        self.assertTrue(question.social_crm_answer_sent)
        answer.sudo().is_correct = False
        answer.sudo().is_correct = True
        self.assertEqual(
            self.Post.search_count([("parent_id", "=", post.id), ("direction", "=", "outgoing")]), 2, "sent once"
        )
