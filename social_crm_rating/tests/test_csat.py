from odoo.tests import tagged

from odoo.addons.social_crm.tests.desk_common import DeskCase


@tagged("post_install", "-at_install")
class TestCsat(DeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.social_crm_csat = True
        cls.closed_stage = cls.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)

    def close_as_agent(self, ticket):
        ticket.with_user(self.agent_cs).stage_id = self.closed_stage

    def test_the_question_goes_out_on_the_network_and_the_answer_is_a_rating(self):
        post = self.incoming_post("Díky, už to funguje?", language="cs", author="Petr Svoboda")
        ticket = self.ticket_for(post)
        self.close_as_agent(ticket)
        self.assertEqual(ticket.social_csat_channel, "network")
        question = post.child_ids.filtered(lambda p: p.direction == "outgoing")
        rating = self.env["rating.rating"].search([("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)])
        self.assertEqual(len(rating), 1)
        self.assertIn(f"/rate/{rating.access_token}/3", question.text)
        self.assertTrue(question.text.startswith("Petr Svoboda, how did we do?"))
        # the customer rates on the public page, which applies it as the rating controller does
        ticket.sudo().rating_apply(5, token=rating.access_token, feedback="Rychlé a milé")
        self.assertEqual((rating.rating, rating.feedback), (5, "Rychlé a milé"))
        self.assertEqual(ticket.social_csat_score, 5)
        report = (
            self.env["helpdesk.ticket"]
            .with_user(self.agent_cs)
            ._read_group([("id", "=", ticket.id)], ["social_network"], ["social_csat_score:avg"])
        )
        self.assertEqual(report, [("demo", 5.0)])
        # closing again asks nothing twice
        ticket.stage_id = self.env["helpdesk.ticket.stage"].search([("closed", "=", False)], limit=1)
        self.close_as_agent(ticket)
        self.assertEqual(len(post.child_ids), 1)

    def test_a_network_without_replies_falls_back_to_email_or_says_why_not(self):
        feed = self.env["social.crm.account"].create(
            {"name": "Feed", "network": "rss", "company_id": self.company.id, "base_url": "http://127.0.0.1:9/"}
        )
        partner = self.env["res.partner"].create({"name": "Eva Černá", "email": "eva@example.com"})
        post = self.incoming_post("Stránka nejde", language="cs")
        post.write({"account_id": feed.id, "network": "rss", "partner_id": partner.id})
        ticket = self.ticket_for(post)
        ticket.partner_id = partner
        self.close_as_agent(ticket)
        self.assertEqual(ticket.social_csat_channel, "email")
        mail = ticket.message_ids.filtered(lambda m: partner in m.partner_ids and "/rate/" in m.body)
        self.assertTrue(mail, "e-mailed to the customer with the rating link")
        self.assertFalse(post.child_ids)

        nobody = self.incoming_post("Nic", language="cs")
        nobody.write({"account_id": feed.id, "network": "rss"})
        ticket = self.ticket_for(nobody)
        ticket.partner_id = False
        self.close_as_agent(ticket)
        self.assertEqual(ticket.social_csat_channel, "none")
        self.assertTrue(ticket.message_ids.filtered(lambda m: "No satisfaction question was sent" in (m.body or "")))

    def test_teams_that_do_not_ask_send_nothing(self):
        self.team.social_crm_csat = False
        post = self.incoming_post("Hotovo", language="cs")
        ticket = self.ticket_for(post)
        self.close_as_agent(ticket)
        self.assertFalse(ticket.social_csat_requested)
        self.assertFalse(post.child_ids)
