from unittest import SkipTest

from odoo.tests import Form, tagged

from .common import SimulatedCommits
from .desk_common import DeskCase


@tagged("post_install", "-at_install")
class TestDeskWithDemoData(DeskCase):
    """The desk tried as its agents would, on the demo data: the demo
    account's posts routed to Social Care's queue, handed out by language
    under the cap, with SLA deadlines, a Czech saved reply, a second agent
    warned and a junior's reply held for approval."""

    def setUp(self):
        super().setUp()
        self.account_demo = self.env.ref("social_crm.demo_account", raise_if_not_found=False)
        if not self.account_demo or not self.env.ref("social_crm.demo_user_agent_jana", raise_if_not_found=False):
            raise SkipTest("needs the demo data")
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        self.care = self.env.ref("social_crm.demo_helpdesk_team_social_care")
        self.jana = self.env.ref("social_crm.demo_user_agent_jana")
        self.emma = self.env.ref("social_crm.demo_user_agent_emma")
        self.tomas = self.env.ref("social_crm.demo_user_agent_tomas")

    def test_a_day_at_the_social_desk(self):
        Post = self.env["social.crm.post"]
        self.account_demo._fetch()
        while Post._process_new():
            pass
        Ticket = self.env["helpdesk.ticket"]
        Ticket._social_assign_queue()
        tickets = Ticket.search([("team_id", "=", self.care.id), ("social_network", "=", "demo")])
        self.assertTrue(tickets)
        assigned = tickets.filtered("user_id")
        self.assertTrue(assigned)
        for ticket in assigned:
            speakers = self.care.user_ids.filtered(
                lambda user, t=ticket: t.social_language in (user.social_crm_languages or "")
            )
            if speakers:
                self.assertIn(ticket.user_id, speakers, f"{ticket.social_language} ticket to a speaker")
        for agent in self.care.user_ids:
            self.assertLessEqual(len(assigned.filtered(lambda t, a=agent: t.user_id == a)), 5, "the cap holds")
        demo_policies = self.env.ref("social_crm.demo_sla_policy_social_care") | self.env.ref(
            "social_crm.demo_sla_policy_very_high"
        )
        self.assertLessEqual(tickets.social_sla_policy_id, demo_policies)
        self.assertTrue(all(tickets.mapped("social_sla_policy_id")), "every ticket has its SLA")
        self.assertTrue(all(tickets.mapped("social_sla_deadline")), "every ticket counts down")

        czech = (
            assigned.filtered(lambda t: t.social_language == "cs" and t.user_id == self.jana)[:1]
            or assigned.filtered(lambda t: t.social_language == "cs")[:1]
        )
        self.assertTrue(czech, "a Czech ticket")
        czech.user_id = self.jana
        jana_form = Form(
            self.env["social.crm.reply"]
            .with_user(self.jana)
            .with_context(active_model="helpdesk.ticket", active_id=czech.id)
        )
        jana_form.saved_reply_id = self.env.ref("social_crm.demo_saved_reply_cs_sorry")
        self.assertIn("omlouváme se za potíže", jana_form.text)
        self.assertIn(czech.number, jana_form.text)
        self.assertTrue(jana_form.text.endswith("Jana Nováková"))
        emma_form = Form(
            self.env["social.crm.reply"]
            .with_user(self.emma)
            .with_context(active_model="helpdesk.ticket", active_id=czech.id)
        )
        self.assertEqual(emma_form.answering_names, "Jana Nováková", "Emma sees who is answering")
        jana_wizard = jana_form.save()
        jana_wizard.action_send()
        self.assertIn("Emma Brown is answering", jana_wizard.collision_warning, "and Jana sees Emma")
        jana_wizard.confirm_collision = True
        jana_wizard.action_send()
        self.assertTrue(czech.social_sla_responded_date)
        emma_form.text = "Hello!"
        emma_wizard = emma_form.save()
        self.assertEqual(emma_wizard.action_send()["res_id"], emma_wizard.id, "Emma is asked to confirm")

        other = (tickets - czech).filtered(lambda t: t.social_language in ("cs", "en"))[:1]
        other.user_id = self.tomas
        tomas_form = Form(
            self.env["social.crm.reply"]
            .with_user(self.tomas)
            .with_context(active_model="helpdesk.ticket", active_id=other.id)
        )
        tomas_form.text = "Hned to řešíme."
        tomas_form.save().action_send()
        held = self.env["social.crm.reply.approval"].search([("ticket_id", "=", other.id)])
        self.assertEqual(held.state, "pending", "the junior's reply waits")
        held.with_user(self.env.ref("base.user_admin")).action_approve()
        self.assertEqual(held.state, "approved")
