from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_models_menus_and_cron_are_installed(self):
        for model in ("social.crm.account", "social.crm.stream", "social.crm.post", "social.crm.profile"):
            self.assertIn(model, self.env)
        root = self.env.ref("social_crm.social_crm_menu_root")
        self.assertEqual(root.group_ids, self.env.ref("social_crm.group_social_crm_user"))
        cron = self.env.ref("social_crm.ir_cron_fetch_due_accounts")
        self.assertTrue(cron.active)
        self.assertEqual(cron.code.strip(), "model._cron_fetch_due()")

    def test_admin_is_manager_and_networks_are_offered(self):
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("social_crm.group_social_crm_manager"))
        networks = dict(self.env["social.crm.account"]._selection_network())
        self.assertIn("demo", networks)

    def test_views_render(self):
        for model in ("social.crm.account", "social.crm.stream", "social.crm.post", "social.crm.profile"):
            for view_type in ("list", "form", "kanban", "search"):
                self.env[model].get_view(view_type=view_type)
        for view_type in ("graph", "pivot"):
            self.env["social.crm.post"].get_view(view_type=view_type)
        self.env["res.partner"].get_view(self.env.ref("base.view_partner_form").id, "form")
