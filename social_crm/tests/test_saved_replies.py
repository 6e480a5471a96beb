from odoo.tests import Form, tagged

from .desk_common import DeskCase


@tagged("post_install", "-at_install")
class TestSavedReplies(DeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Canned = cls.env["mail.canned.response"]
        shared = {
            "social_crm_saved_reply": True,
            "group_ids": [(4, cls.env.ref("social_crm.group_social_crm_user").id)],
        }
        cls.czech = Canned.create(
            dict(shared, source="omluva-a", social_crm_language="cs", social_crm_team_ids=[(4, cls.team.id)],
                 substitution="Dobrý den, {customer}, řešíme {ticket}. {agent} {unknown}")
        )  # fmt: skip
        cls.english = Canned.create(
            dict(shared, source="sorry-a", social_crm_language="en", substitution="Hi {customer}")
        )
        cls.any_language = Canned.create(dict(shared, source="dm-a", substitution="{customer}, DM us please."))
        other_team = cls.env["helpdesk.ticket.team"].create({"name": "Other team", "company_id": cls.company.id})
        cls.other_team_reply = Canned.create(
            dict(shared, source="other-a", social_crm_language="cs", social_crm_team_ids=[(4, other_team.id)],
                 substitution="not for Social Care")
        )  # fmt: skip
        cls.private = Canned.create(
            {"source": "admin-own", "substitution": "admin's own", "social_crm_saved_reply": True}
        )
        cls.mine = cls.czech | cls.english | cls.any_language | cls.other_team_reply | cls.private
        cls.post = cls.incoming_post("Objednávka nedorazila, jsem naštvaný!", language="cs", author="Petr Svoboda")
        cls.ticket = cls.ticket_for(cls.post)

    def wizard_form(self, user):
        return Form(
            self.env["social.crm.reply"]
            .with_user(user)
            .with_context(active_model="helpdesk.ticket", active_id=self.ticket.id)
        )

    def test_the_wizard_offers_the_replies_of_the_posts_language_and_team_first(self):
        form = self.wizard_form(self.agent_cs)
        # the demo data may add replies of its own; these are the test's
        offered = [reply.id for reply in form.saved_reply_ids if reply in self.mine]
        self.assertEqual(offered, [self.czech.id, self.any_language.id], "Czech first, then every-language ones")

    def test_one_pick_inserts_the_reply_with_placeholders_filled_for_editing_and_it_is_sent(self):
        form = self.wizard_form(self.agent_cs)
        form.saved_reply_id = self.czech
        self.assertEqual(
            form.text,
            f"Dobrý den, Petr Svoboda, řešíme {self.ticket.number}. Jana Nováková {{unknown}}",
            "placeholders filled; other braces left as written",
        )
        form.text = form.text.replace(" {unknown}", "")
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(self.post.state, "replied")
        reply = self.post.child_ids.filtered(lambda p: p.direction == "outgoing")
        self.assertEqual(reply.text, f"Dobrý den, Petr Svoboda, řešíme {self.ticket.number}. Jana Nováková")

    def test_a_post_in_another_language_gets_its_own_replies(self):
        post = self.incoming_post("My order never came", language="en", author="Amy Lee")
        self.ticket_for(post)
        wizard = self.env["social.crm.reply"].with_user(self.agent_en).create({"post_id": post.id, "text": "x"})
        self.assertEqual(wizard.saved_reply_ids & self.mine, self.english | self.any_language)
