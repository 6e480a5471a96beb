import json

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SocialCrmCase


@tagged("post_install", "-at_install")
class TestSecurity(SocialCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Social Company B"})
        cls.user_a = new_test_user(
            cls.env, "social_user_a", groups="social_crm.group_social_crm_user",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.manager_a = new_test_user(
            cls.env, "social_manager_a", groups="social_crm.group_social_crm_manager",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip
        cls.user_b = new_test_user(
            cls.env, "social_user_b", groups="social_crm.group_social_crm_manager",
            company_id=cls.company_b.id, company_ids=[cls.company_b.id],
        )  # fmt: skip
        cls.env["social.crm.post"]._ingest(
            cls.account, cls.account._connector().fetch_page(cls.streams[0]._spec(), "").posts, cls.streams[0]
        )

    def test_plain_user_cannot_read_credentials(self):
        account = self.account.with_user(self.user_a)
        self.assertEqual(account.name, "Test Demo Account")
        with self.assertRaises(AccessError):
            account.read(["credential_ids"])
        with self.assertRaises(AccessError):
            self.env["social.crm.credential"].with_user(self.user_a).search([])
        self.assertNotIn("credential_ids", account.fields_get())

    def test_manager_reads_and_writes_credentials(self):
        account = self.account.with_user(self.manager_a)
        self.assertEqual(account.credential_ids.mapped("value"), ["secret-token-value"])
        self.account._save_credentials({"access_token": "rotated", "refresh_token": "new-refresh", "expires_at": 1.5})
        self.assertEqual(
            account._credentials(), {"access_token": "rotated", "refresh_token": "new-refresh", "expires_at": 1.5}
        )

    def test_plain_user_cannot_change_accounts(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.user_a).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            self.env["social.crm.account"].with_user(self.user_a).create({"name": "X", "network": "demo"})

    def test_user_of_company_b_sees_nothing_of_company_a(self):
        self.assertTrue(self.posts())
        for model in ("social.crm.account", "social.crm.stream", "social.crm.post", "social.crm.profile"):
            self.assertTrue(self.env[model].search_count([("company_id", "=", self.company.id)]), model)
            self.assertEqual(self.env[model].with_user(self.user_b).search_count([]), 0, model)
        with self.assertRaises(AccessError):
            self.posts()[0].with_user(self.user_b).read(["text"])

    def test_user_of_company_a_sees_the_posts(self):
        posts = self.env["social.crm.post"].with_user(self.user_a).search([])
        self.assertEqual(posts, self.posts())

    def test_search_text_with_sql_fragments_is_harmless(self):
        Post = self.env["social.crm.post"].with_user(self.user_a)
        count = Post.search_count([])
        for fragment in ("'; DROP TABLE social_crm_post; --", "%' OR 1=1 --", "\\'; SELECT pg_sleep(5); --"):
            self.assertFalse(Post.search([("text", "ilike", fragment)]))
            self.assertFalse(self.env["social.crm.profile"].with_user(self.user_a).name_search(fragment))
        self.assertEqual(Post.search_count([]), count)

    def test_a_manager_exports_then_erases_an_author(self):
        post = self.posts()[0]
        words = post.text[:20]
        profile = post.profile_id
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "From social", "description": post._quote_html(), "partner_id": post.partner_id.id}
        )
        post.ticket_id = ticket
        ticket._social_log_posts(post)
        self.assertTrue(self.env["mail.message"].search([("social_post_id", "=", post.id)]))
        manager = profile.with_user(self.manager_a)
        action = manager.action_privacy_export()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        exported = json.loads(attachment.raw)
        self.assertEqual(exported["profile"]["external_id"], profile.external_id)
        self.assertEqual({p["external_id"] for p in exported["posts"]}, set(profile.post_ids.mapped("external_id")))
        with self.assertRaises(AccessError):
            profile.with_user(self.user_a).action_privacy_erase()
        posts = profile.post_ids
        manager.action_privacy_erase()
        self.assertFalse(profile.exists() or posts.exists() or attachment.exists())
        self.assertFalse(self.env["mail.message"].search([("social_post_id", "in", posts.ids)]))
        self.assertNotIn(words, str(ticket.description))
