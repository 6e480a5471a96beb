"""A reply published by the network is recorded in Odoo whatever the
rights of the agent or sales rep who sent it (users with only the groups an
administrator gives them; no sudo in the tests)."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.social_crm.core.types import Author

from .common import COMPLAINT, PURCHASE, incoming
from .roles import RolesCase


@tagged("post_install", "-at_install")
class TestAgentReplies(RolesCase):
    def test_a_plain_agent_replies_from_a_ticket_and_the_reply_is_recorded_everywhere(self):
        post = self.routed(incoming("r-1", COMPLAINT, self.jana))
        self.assertEqual(post.partner_id, self.customer)
        ticket = post.ticket_id
        agent = self.users["agent"]
        wizard = self.reply_wizard(agent, ticket.with_user(agent), "Omlouváme se, technik je na cestě.")
        self.assertEqual(wizard.post_id, post)
        self.assertEqual(wizard.action_send(), {"type": "ir.actions.act_window_close"})
        reply = self.replies(post)
        self.assertEqual((post.state, reply.ticket_id, reply.partner_id), ("replied", ticket, self.customer))
        self.assertTrue(post.first_response_date and ticket.social_first_response_hours)
        for record in (ticket, self.customer):
            logged = record.message_ids.filtered(lambda message, reply=reply: message.social_post_id == reply)
            self.assertEqual(logged.author_id, agent.partner_id, record)
            self.assertIn("technik je na cestě", logged.body)
        # a second Send of the same reply publishes nothing
        again = self.reply_wizard(agent, ticket.with_user(agent), "Omlouváme se, technik je na cestě.")
        with self.assertRaisesRegex(UserError, "already public"):
            again.action_send()
        self.assertEqual(len(self.replies(post)), 1)

    def test_a_chatter_that_refuses_the_reply_does_not_undo_it(self):
        post = self.routed(incoming("r-2", COMPLAINT, self.jana))
        partner_class = type(self.env["res.partner"])

        def refuse(record, **kwargs):
            raise AccessError(record.env._("no chatter for you"))

        self.patch(partner_class, "message_post", refuse)
        agent = self.users["agent"]
        action = self.reply_wizard(agent, post.ticket_id.with_user(agent), "Už to řešíme.").action_send()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("Your reply is public", action["params"]["message"])
        self.assertIn("no chatter for you", action["params"]["message"])
        reply = self.replies(post)
        self.assertEqual((post.state, reply.text), ("replied", "Už to řešíme."))
        self.assertIn("Už to řešíme.", "".join(post.ticket_id.message_ids.mapped("body")))

    def test_an_agent_is_told_a_reply_is_public_when_odoo_cannot_record_it(self):
        post = self.routed(incoming("r-5", COMPLAINT, self.jana))

        def broken_ingest(model, account, items, stream=None):
            raise ValueError("disk full")

        self.patch(type(self.Post), "_ingest", broken_ingest)
        agent = self.users["agent"]
        wizard = self.reply_wizard(agent, post.ticket_id.with_user(agent), "Omlouváme se.")
        with self.assertRaisesRegex(UserError, "already public on Demo Network .*disk full"):
            wizard.action_send()

    def test_a_sales_rep_replies_from_a_lead(self):
        post = self.routed(incoming("s-1", PURCHASE, Author("u-buyer", "buyer")))
        lead = post.lead_id
        self.assertEqual(lead.user_id, self.users["sales_rep"])
        rep = self.users["sales_rep"]
        self.reply_wizard(rep, lead.with_user(rep), "Rádi vám nabídneme tarif.").action_send()
        self.assertEqual(post.state, "replied")
        self.assertIn("Rádi vám nabídneme tarif.", "".join(lead.message_ids.mapped("body")))
