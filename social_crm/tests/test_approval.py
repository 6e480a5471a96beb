from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .desk_common import AGENT_GROUPS, DeskCase


@tagged("post_install", "-at_install")
class TestReplyApproval(DeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.junior = cls.agent(
            "desk_junior", "Jan Junior", groups=AGENT_GROUPS + ",social_crm.group_social_crm_reply_approval"
        )
        cls.manager = cls.agent(
            "desk_manager", "Marta Manager", groups=AGENT_GROUPS + ",social_crm.group_social_crm_manager"
        )
        cls.team.user_ids |= cls.junior
        cls.team.user_id = cls.manager
        cls.team.social_crm_reply_approval = True
        cls.post = cls.incoming_post("Kdy mi vrátíte peníze?", language="cs")
        cls.ticket = cls.ticket_for(cls.post)

    def send_as(self, user, text):
        form = Form(
            self.env["social.crm.reply"]
            .with_user(user)
            .with_context(active_model="helpdesk.ticket", active_id=self.ticket.id)
        )
        form.text = text
        return form.save().action_send()

    def held(self):
        return self.env["social.crm.reply.approval"].search([("post_id", "=", self.post.id)])

    def test_a_juniors_reply_waits_and_is_sent_when_a_manager_approves_it(self):
        action = self.send_as(self.junior, "Peníze vám vrátíme do pátku.")
        self.assertEqual(action["tag"], "display_notification")
        approval = self.held()
        self.assertEqual(
            (approval.state, approval.text, approval.requested_by_id),
            ("pending", "Peníze vám vrátíme do pátku.", self.junior),
        )
        self.assertNotEqual(self.post.state, "replied", "nothing went to the network")
        self.assertFalse(self.post.child_ids)
        note = self.ticket.message_ids.filtered(lambda m: "waits for approval" in (m.body or ""))
        self.assertTrue(note, "the chatter says so, with a link to decide")
        self.assertIn(f'data-oe-id="{approval.id}"', note.body)
        self.assertEqual(approval.activity_id.user_id, self.manager, "the team leader is asked")
        # the junior cannot approve their own reply
        with self.assertRaises(AccessError):
            approval.with_user(self.junior).action_approve()
        # the manager approves it an hour later: it goes out as written, and the SLA shows the wait
        approval.requested_date -= timedelta(hours=1)
        approval.with_user(self.manager).action_approve()
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.reply_post_id.text, "Peníze vám vrátíme do pátku.")
        self.assertEqual(self.post.state, "replied")
        self.assertAlmostEqual(self.ticket.social_approval_wait_hours, 1.0, places=1)
        self.assertAlmostEqual(approval.wait_hours, 1.0, places=1)
        self.assertFalse(approval.activity_id.exists() and approval.activity_id.active, "the activity is done")

    def test_a_rejected_reply_is_never_sent_and_the_junior_is_told(self):
        self.send_as(self.junior, "Nevím.")
        approval = self.held()
        approval.with_user(self.manager).write({"rejection_reason": "Too short, offer a refund date."})
        approval.with_user(self.manager).action_reject()
        self.assertEqual(approval.state, "rejected")
        self.assertFalse(self.post.child_ids)
        told = approval.message_ids.filtered(lambda m: self.junior.partner_id in m.partner_ids)
        self.assertIn("offer a refund date", told.body)
        with self.assertRaises(AccessError):
            approval.with_user(self.junior).write({"rejection_reason": "changed"})

    def test_agents_outside_the_group_and_teams_without_approval_send_at_once(self):
        self.send_as(self.agent_cs, "Řešíme to.")
        self.assertEqual(self.post.state, "replied")
        self.assertFalse(self.held())
        other = self.incoming_post("Another problem", language="en")
        self.ticket = self.ticket_for(other)
        self.team.social_crm_reply_approval = False
        self.send_as(self.junior, "On it!")
        self.assertEqual(other.state, "replied")

    def test_an_account_may_ask_for_approval_too(self):
        self.team.social_crm_reply_approval = False
        self.account.reply_approval = True
        self.send_as(self.junior, "Brzy.")
        self.assertEqual(self.held().state, "pending")
