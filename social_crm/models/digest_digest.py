from odoo import fields, models
from odoo.exceptions import AccessError


class DigestDigest(models.Model):
    """Social listening figures in Odoo's periodic digest e-mails (the digest addon comes with crm)."""

    _inherit = "digest.digest"

    kpi_social_crm_posts = fields.Boolean("Social Posts Received")
    kpi_social_crm_posts_value = fields.Integer(compute="_compute_kpi_social_crm_posts_value")
    kpi_social_crm_negative_posts = fields.Boolean("Negative Social Posts")
    kpi_social_crm_negative_posts_value = fields.Integer(compute="_compute_kpi_social_crm_negative_posts_value")
    kpi_social_crm_alerts = fields.Boolean("Listening Alerts")
    kpi_social_crm_alerts_value = fields.Integer(compute="_compute_kpi_social_crm_alerts_value")

    def _check_social_crm_access(self):
        if not self.env.user.has_group("social_crm.group_social_crm_user"):
            raise AccessError(self.env._("Do not have access, skip this data for user's digest email"))

    def _compute_kpi_social_crm_posts_value(self):
        self._check_social_crm_access()
        self._calculate_company_based_kpi(
            "social.crm.post",
            "kpi_social_crm_posts_value",
            date_field="published_date",
            additional_domain=[("direction", "=", "incoming"), ("is_deleted", "=", False)],
        )

    def _compute_kpi_social_crm_negative_posts_value(self):
        self._check_social_crm_access()
        self._calculate_company_based_kpi(
            "social.crm.post",
            "kpi_social_crm_negative_posts_value",
            date_field="published_date",
            additional_domain=[
                ("direction", "=", "incoming"),
                ("is_deleted", "=", False),
                ("sentiment_label", "=", "negative"),
            ],
        )

    def _compute_kpi_social_crm_alerts_value(self):
        self._check_social_crm_access()
        self._calculate_company_based_kpi("social.crm.alert", "kpi_social_crm_alerts_value")

    def _compute_kpis_actions(self, company, user):
        actions = super()._compute_kpis_actions(company, user)
        menu = self.env.ref("social_crm.social_crm_menu_root").id
        actions["kpi_social_crm_posts"] = f"social_crm.social_crm_post_action?menu_id={menu}"
        actions["kpi_social_crm_negative_posts"] = f"social_crm.social_crm_post_action?menu_id={menu}"
        actions["kpi_social_crm_alerts"] = f"social_crm.social_crm_alert_action?menu_id={menu}"
        return actions
