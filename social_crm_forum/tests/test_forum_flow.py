from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.social_crm.tests.common import SimulatedCommits, skip_without_browser

#: what the tours type (static/src/tours/forum_flow_tour.js has the same texts)
TITLE = "Internet nefunguje už třetí den"
BODY = "Internet nefunguje už třetí den, je to hrozné! Chci vrátit peníze."
REPLY = "Dobrý den, omlouváme se, restartujte prosím modem, porucha je odstraněna."
SUBJECT = "Nefunguje mi internet už třetí den"


@tagged("post_install", "-at_install")
class TestForumFlow(HttpCase):
    """The issue's "Done when", tried as the customers and the agent would,
    in a real headless Chromium: a question asked on the forum becomes a
    ticket, the agent answers it from the ticket, the answer is on the forum,
    the customer accepts it, and the next customer finds it on the portal's
    new-ticket form before sending a ticket of their own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website = cls.env.ref("website.default_website")
        cls.company = cls.website.company_id
        # no "Thanks for posting" sharing dialog over the page after the question
        cls.forum = cls.env["forum.forum"].create(
            {"name": "Zákaznická podpora", "website_id": cls.website.id, "allow_share": False}
        )
        cls.account = cls.env["social.crm.account"].create(
            {"name": "Komunita", "network": "forum", "company_id": cls.company.id, "forum_id": cls.forum.id}
        )
        cls.agent = new_test_user(
            cls.env, "flow_agent", groups="social_crm.group_social_crm_user,helpdesk_mgmt.group_helpdesk_user",
            name="Petr Agent", company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Komunitní péče", "company_id": cls.company.id, "user_ids": [(4, cls.agent.id)]}
        )
        # before the demo rules of social_crm: this account's complaints go to this team
        cls.rule = cls.env["social.crm.rule"].create(
            {
                "name": "Stížnosti z fóra",
                "sequence": 0,
                "company_id": cls.company.id,
                "account_ids": [(6, 0, cls.account.ids)],
                "intent": "complaint",
                "action": "ticket",
                "helpdesk_team_id": cls.team.id,
            }
        )
        # karma to post without a moderator's validation and to accept an answer
        cls.customer = new_test_user(
            cls.env, "flow_customer", groups="base.group_portal", name="Jana Nováková",
            email="jana.flow@example.cz", karma=100, company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.next_customer = new_test_user(
            cls.env, "flow_next_customer", groups="base.group_portal", name="Karel Dvořák",
            email="karel.flow@example.cz", company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        skip_without_browser()
        # routing commits its batches: simulated, so the test's data is rolled back
        commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", commits.commit)
        # the other accounts' new posts (demo data) stay out of this routing
        self.Post = self.env["social.crm.post"]
        self.Post.search([("account_id", "!=", self.account.id), ("state", "=", "new")]).write({"state": "ignored"})

    def stored(self, forum_post):
        return self.Post.search([("account_id", "=", self.account.id), ("external_id", "=", str(forum_post.id))])

    def test_question_to_ticket_to_answer_to_deflection(self):
        ForumPost = self.env["forum.post"]

        # 1. the customer asks on the forum, through the website's form
        self.start_tour(f"/forum/{self.env['ir.http']._slug(self.forum)}", "social_crm_forum_flow_ask_tour",
                        login=self.customer.login)  # fmt: skip
        self.env.invalidate_all()
        question = ForumPost.search([("forum_id", "=", self.forum.id), ("parent_id", "=", False)])
        self.assertEqual(len(question), 1, "the form created one question")
        self.assertEqual((question.name, question.create_uid), (TITLE, self.customer))
        self.assertIn("je to hrozné", question.plain_content, "the body typed in the editor was posted")
        self.assertEqual(question.state, "active", "the customer's karma needs no moderator")
        post = self.stored(question)
        self.assertEqual(len(post), 1, "the question was stored the moment it was asked")
        self.assertEqual(post.partner_id, self.customer.partner_id)

        # 2. the ordinary routing rules make a ticket of the complaint
        while self.Post._process_new(200):
            pass
        self.assertEqual((post.intent, post.rule_id), ("complaint", self.rule))
        ticket = post.ticket_id
        self.assertTrue(ticket, "the complaint became a ticket")
        self.assertEqual((ticket.team_id, ticket.partner_id), (self.team, self.customer.partner_id))

        # 3. the agent answers from the ticket, with the reply wizard
        self.start_tour(f"/odoo/helpdesk.ticket/{ticket.id}", "social_crm_forum_flow_reply_tour",
                        login=self.agent.login)  # fmt: skip
        self.env.invalidate_all()
        answer = question.child_ids
        self.assertEqual(len(answer), 1, "the agent's reply is an answer on the forum")
        self.assertEqual(answer.create_uid, self.agent, "the forum shows who answered")
        self.assertIn("restartujte prosím modem", answer.plain_content)
        self.assertEqual(post.state, "replied")
        reply = self.Post.search([("parent_id", "=", post.id), ("direction", "=", "outgoing")])
        self.assertEqual((len(reply), reply.ticket_id), (1, ticket), "the answer is stored once, on the ticket")

        # 4. the customer accepts the answer on the forum
        self.start_tour(question.website_url, "social_crm_forum_flow_accept_tour", login=self.customer.login)
        self.env.invalidate_all()
        self.assertTrue(answer.is_correct)
        notes = ticket.message_ids.filtered(lambda message: "accepted this answer" in (message.body or ""))
        self.assertEqual(len(notes), 1, "the acceptance is noted on the ticket")
        self.assertIn("restartujte prosím modem", notes.body)
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))

        # 5. the next customer finds the answer before sending a ticket
        tickets_before = self.env["helpdesk.ticket"].search_count([])
        self.start_tour("/new/ticket", "social_crm_forum_flow_deflect_tour", login=self.next_customer.login)
        deflection = self.env["social.crm.forum.deflection"].search(
            [("partner_id", "=", self.next_customer.partner_id.id)]
        )
        self.assertEqual(len(deflection), 1, "one ticket avoided")
        self.assertEqual((deflection.forum_post_id, deflection.subject), (question, SUBJECT))
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), tickets_before, "and no ticket sent")
