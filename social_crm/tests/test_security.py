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
