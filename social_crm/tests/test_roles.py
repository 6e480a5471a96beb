"""Every button and wizard as the role that uses it: a helpdesk agent, a
marketing user and a Social CRM manager, each with only the groups an
administrator gives them (no sudo in the tests)."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.social_crm.core.types import Author

from .common import COMPLAINT, PURCHASE, incoming
from .roles import RolesCase


@tagged("post_install", "-at_install")
class TestRoles(RolesCase):
    def test_an_agent_handles_posts_and_authors(self):
        agent = self.users["agent"]
        post = self.routed(incoming("r-3", "Hezký den všem", Author("u-x", "xaver"))).with_user(agent)
        post.action_reset_to_new()
        post.action_ignore()
        self.assertEqual(post.state, "ignored")
        post.write({"sentiment_label": "negative", "intent": "complaint"})
        self.assertEqual(post.sentiment_score, -0.5)
        wizard = (
            self.env["social.crm.link.partner"]
            .with_user(agent)
            .with_context(active_model="social.crm.profile", active_ids=post.profile_id.ids)
            .create({})
        )
        wizard.write({"mode": "link", "partner_id": self.customer.id})
        wizard.action_link()
        self.assertEqual(post.partner_id, self.customer)
        action = post.action_reply()
        self.assertEqual(action["res_model"], "social.crm.reply")
        # an author declared by handle, without the network id nobody knows
        declared = (
            self.env["social.crm.profile"]
            .with_user(agent)
            .create(
                {"network": "demo", "handle": "@Petr_K", "partner_id": self.customer.id, "company_id": self.company.id}
            )
        )
        self.assertEqual((declared.handle, declared.external_id), ("Petr_K", False))
        self.routed(incoming("r-4", "Ahoj", Author("u-petr", "petr_k")))
        profiles = self.env["social.crm.profile"].search([("network", "=", "demo"), ("handle", "=ilike", "petr_k")])
        self.assertEqual(profiles, declared, "one author, not two")
        self.assertEqual(declared.external_id, "u-petr")
        self.assertEqual(self.Post.search([("external_id", "=", "r-4")]).partner_id, self.customer)

    def test_agents_and_sales_reps_open_the_customers_social_tab(self):
        complaint = self.routed(incoming("p-1", COMPLAINT, self.jana))
        self.routed(incoming("p-2", PURCHASE, self.jana))
        for role in ("agent", "sales_rep", "marketing"):
            user = self.users[role]
            form = self.env["res.partner"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
            fields = {"social_post_count": {}, "social_profile_ids": {"fields": {"display_name": {}}}}
            fields.update(
                (name, {"fields": {"display_name": {}}})
                for name in ("social_ticket_ids", "social_lead_ids", "social_post_ids")
                if f'name="{name}"' in form
            )
            (values,) = self.customer.with_user(user).web_read(fields)
            self.assertEqual(values["social_post_count"], 2, role)
            if role == "agent":
                self.assertEqual([ticket["id"] for ticket in values["social_ticket_ids"]], complaint.ticket_id.ids)

    def test_the_buttons_agents_and_sales_reps_open_things_with(self):
        complaint = self.routed(incoming("b-1", COMPLAINT, self.jana))
        purchase = self.routed(incoming("b-2", PURCHASE, self.jana))
        agent, rep = self.users["agent"], self.users["sales_rep"]
        action = complaint.ticket_id.with_user(agent).action_social_reply()
        self.assertEqual(
            (action["res_model"], action["context"]["default_post_id"]), ("social.crm.reply", complaint.id)
        )
        action = purchase.lead_id.with_user(rep).action_social_reply()
        self.assertEqual(action["context"]["default_post_id"], purchase.id)
        for user in (agent, rep):
            views = (
                complaint.profile_id.with_user(user).action_view_posts(),
                self.customer.with_user(user).action_view_social_posts(),
                self.account.with_user(user).action_view_posts(),
            )
            for view in views:
                self.assertIn(complaint, self.Post.with_user(user).search(view["domain"]))
        self.assertEqual(complaint.with_user(agent).action_open_on_network()["type"], "ir.actions.act_url")

    def test_the_managers_other_buttons(self):
        manager = self.users["manager"]
        account = self.account.with_user(manager)
        account.action_disable()
        self.assertEqual(account.state, "disabled")
        account.action_enable()
        self.assertEqual(account.action_check_connection()["params"]["type"], "success")
        stream = self.streams[0].with_user(manager)
        stream.action_reset_cursor()
        self.assertFalse(stream.cursor)
        rule = (
            self.env["social.crm.rule"]
            .with_user(manager)
            .create({"name": "Mine", "company_id": self.company.id, "action": "none", "keywords": "router"})
        )
        self.assertEqual(rule.action_test_rule()["res_model"], "social.crm.post")

    def test_a_marketing_user_corrects_the_analysis_and_tests_a_rule(self):
        marketing = self.users["marketing"]
        post = self.routed(incoming("m-1", "Super služba, děkuji!", Author("u-fan", "fan"))).with_user(marketing)
        self.assertEqual(post.intent, "praise")
        post.write({"sentiment_label": "neutral", "intent": "question"})
        correction = self.env["social.crm.analysis.correction"].with_user(marketing).search([("post_id", "=", post.id)])
        self.assertEqual((correction.original_intent, correction.corrected_intent), ("praise", "question"))
        rule = self.env["social.crm.rule"].with_user(marketing).search([("name", "=", "Complaints")])
        self.assertEqual(rule.action_test_rule()["res_model"], "social.crm.post")
        with self.assertRaises(AccessError):
            self.Post.with_user(marketing).action_route_new_posts()

    def test_a_manager_routes_new_posts_without_developer_mode(self):
        self.Post._ingest(self.account, [incoming("g-1", COMPLAINT, self.jana)], self.streams[0])
        post = self.Post.search([("external_id", "=", "g-1")])
        self.assertEqual(post.state, "new")
        action = self.Post.with_user(self.users["manager"]).action_route_new_posts()
        self.assertEqual(post.state, "processed")
        self.assertTrue(post.ticket_id)
        self.assertIn("1", action["params"]["message"])
        with self.assertRaises(AccessError):
            self.Post.with_user(self.users["agent"]).action_route_new_posts()

    def test_a_manager_sees_the_credentials_each_network_accepts(self):
        Account = self.env["social.crm.account"].with_user(self.users["manager"])
        mastodon = Account.create({"name": "M", "network": "mastodon", "company_id": self.company.id})
        self.assertIn("access_token", mastodon.credential_keys_expected)
