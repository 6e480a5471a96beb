import json

from odoo.tests import Form, tagged
from odoo.tools import SQL

from .desk_common import DeskCase


@tagged("post_install", "-at_install")
class TestCollision(DeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.post = cls.incoming_post("Zase mi nejde internet!", language="cs")
        cls.ticket = cls.ticket_for(cls.post)

    def open_wizard(self, agent):
        return Form(
            self.env["social.crm.reply"]
            .with_user(agent)
            .with_context(active_model="helpdesk.ticket", active_id=self.ticket.id)
        )

    def test_others_see_who_is_answering_on_the_post_the_ticket_and_the_bus(self):
        self.open_wizard(self.agent_cs)
        self.assertEqual(self.post.with_user(self.agent_en).answering_names, "Jana Nováková")
        self.assertEqual(self.ticket.with_user(self.agent_en).social_answering_names, "Jana Nováková")
        self.assertFalse(self.post.with_user(self.agent_cs).answering_names, "one does not warn oneself")
        # the bus sends at commit: the notifications waiting for it
        notified = {
            tuple(json.loads(values["channel"]))[1:]
            for values in self.env.cr.precommit.data.get("bus.bus.values", [])
            if json.loads(values["message"])["type"] == "social_crm/answering"
        }
        self.assertIn(("res.partner", self.agent_en.partner_id.id), notified)
        self.assertNotIn(("res.partner", self.agent_cs.partner_id.id), notified)

    def test_a_second_agent_is_asked_to_confirm_while_another_answers(self):
        self.open_wizard(self.agent_cs)
        form = self.open_wizard(self.agent_en)
        self.assertEqual(form.answering_names, "Jana Nováková")
        form.text = "Sorry, we are on it."
        wizard = form.save()
        action = wizard.action_send()
        self.assertEqual((action["res_model"], action["res_id"]), ("social.crm.reply", wizard.id), "asked again")
        self.assertIn("Jana Nováková is answering this post too.", wizard.collision_warning)
        self.assertNotEqual(self.post.state, "replied", "nothing sent yet")
        wizard.confirm_collision = True
        wizard.action_send()
        self.assertEqual(self.post.state, "replied")

    def test_a_reply_within_the_window_asks_the_next_agent_to_confirm(self):
        first = self.open_wizard(self.agent_cs)
        first.text = "Omlouváme se, řešíme to."
        first.save().action_send()
        self.assertFalse(self.post.with_user(self.agent_en).answering_names, "Jana is done answering")
        second = self.open_wizard(self.agent_en)
        second.text = "We are on it!"
        wizard = second.save()
        action = wizard.action_send()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertIn("Jana Nováková replied at", wizard.collision_warning)
        self.assertIn("Omlouváme se, řešíme to.", wizard.collision_warning)
        self.assertEqual(len(self.post.child_ids), 1)

    def test_after_the_window_no_confirmation_is_needed(self):
        first = self.open_wizard(self.agent_cs)
        first.text = "Omlouváme se."
        first.save().action_send()
        # the first reply sent 11 minutes ago, past the default 10-minute window (a window of 0
        # minutes still matched a reply created within the same second as the check)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE social_crm_post SET create_date = create_date - interval '11 minutes' WHERE parent_id = %s",
                self.post.id,
            )
        )
        self.post.child_ids.invalidate_recordset(["create_date"])
        second = self.open_wizard(self.agent_en)
        second.text = "Any news?"
        second.save().action_send()
        self.assertEqual(len(self.post.child_ids), 2)
