"""A rule's activity lands where an agent sees it, assigned to a person."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.social_crm.core.types import Author

from .common import COMPLAINT, SimulatedCommits, SocialCrmCase, incoming
from .roles import role_users


@tagged("post_install", "-at_install")
class TestRuleActivities(SocialCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = role_users(cls.env, cls.company, prefix="activity")
        cls.call = cls.env.ref("mail.mail_activity_data_call")
        cls.Post = cls.env["social.crm.post"]

    def setUp(self):
        super().setUp()
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        self.Post.search([("company_id", "!=", self.company.id), ("state", "=", "new")]).write({"state": "ignored"})

    def rule(self, **values):
        return self.env["social.crm.rule"].create(
            {"name": "Praise", "company_id": self.company.id, "activity_type_id": self.call.id, **values}
        )

    def route(self, external_id, text, author):
        self.Post._ingest(self.account, [incoming(external_id, text, author)], self.streams[0])
        while self.Post._process_new():
            pass
        return self.Post.search([("external_id", "=", external_id)])

    def test_without_record_or_customer_the_activity_is_on_the_post_for_the_assignee(self):
        agent = self.users["agent"]
        self.rule(action="none", user_id=agent.id, activity_summary="Thank them")
        post = self.route("p-1", "Skvělá služba, děkuji!", Author("u-fan", "fan"))
        self.assertFalse(post.partner_id or post.ticket_id)
        activity = post.activity_ids
        self.assertEqual((activity.user_id, activity.summary), (agent, "Thank them"))
        # the agent sees it among their activities and opens the post
        self.assertEqual(
            self.env["mail.activity"].with_user(agent).search([("user_id", "=", agent.id)]).res_id, post.id
        )
        post.with_user(agent).activity_ids.action_done()
        self.assertFalse(post.activity_ids)

    def test_the_activity_on_a_ticket_goes_to_the_team_leader(self):
        leader = self.users["agent"]
        team = self.env["helpdesk.ticket.team"].create(
            {"name": "Care L", "company_id": self.company.id, "user_id": leader.id}
        )
        self.rule(action="ticket", helpdesk_team_id=team.id)
        post = self.route("p-2", COMPLAINT, Author("u-angry", "angry"))
        self.assertEqual(post.ticket_id.activity_ids.user_id, leader)
        self.assertFalse(post.activity_ids)

    def test_a_rule_whose_activity_nobody_would_get_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "Assign To"):
            self.rule(action="none")
