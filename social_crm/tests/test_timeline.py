from odoo import fields
from odoo.tests import tagged

from .desk_common import DeskCase


@tagged("post_install", "-at_install")
class TestTimeline(DeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "Eva Černá", "email": "eva@example.com"})
        cls.post = cls.incoming_post("Zase výpadek <script>alert(1)</script>", language="cs")
        cls.post.partner_id = cls.partner
        cls.ticket = cls.ticket_for(cls.post)
        cls.ticket.partner_id = cls.partner
        call = cls.env.ref("mail.mail_activity_data_call")
        cls.env["mail.message"].create(
            {"model": "res.partner", "res_id": cls.partner.id, "message_type": "email", "author_id": cls.partner.id,
             "body": "<p>Posílám fotku routeru.</p>", "subject": "Router", "date": fields.Datetime.now()}
        )  # fmt: skip
        done = cls.ticket.activity_schedule(activity_type_id=call.id, summary="Called about the outage")
        done.action_feedback(feedback="She says the light is red")
        cls.ticket.activity_schedule(activity_type_id=call.id, summary="Call back on Friday")

    def test_the_ticket_shows_posts_emails_and_calls_in_one_timeline(self):
        timeline = self.ticket.with_user(self.agent_cs).social_timeline
        for expected in ("Zase výpadek", "Posílám fotku routeru.", "She says the light is red", "Call back on Friday"):
            self.assertIn(expected, timeline)
        self.assertIn("o_social_crm_timeline_social", timeline)
        self.assertIn("o_social_crm_timeline_email", timeline)
        self.assertIn("o_social_crm_timeline_call", timeline)
        self.assertNotIn("<script>", timeline, "post text is escaped")
        self.assertIn("&lt;script&gt;", timeline)

    def test_the_partner_shows_the_same_customer_across_channels(self):
        timeline = self.partner.with_user(self.agent_cs).social_timeline
        self.assertIn("Zase výpadek", timeline)
        self.assertIn("Posílám fotku routeru.", timeline)
        entries = self.env["social.crm.timeline"].with_user(self.agent_cs)._entries(self.partner)
        dates = [entry[0] for entry in entries]
        self.assertEqual(dates, sorted(dates, reverse=True), "newest first")
