from textwrap import shorten

from odoo import api, fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "social.crm.post.counter"]
    _social_post_field = "lead_id"

    social_post_ids = fields.One2many("social.crm.post", "lead_id", string="Social Posts")

    @api.model
    def _social_create_from_post(self, post, rule):
        """A lead (or opportunity) for a purchase-intent post, with the
        network as UTM source."""
        author = post.profile_id
        return self.create(
            {
                "name": shorten(" ".join((post.text or "").split()), 80)
                or self.env._("Social post from %(author)s", author=author.display_name),
                "type": rule.lead_type,
                "partner_id": post.partner_id.id,
                "contact_name": False if post.partner_id else (author.name or author.handle),
                "email_from": post.partner_id.email or author.email or False,
                "website": author.website or False,
                "team_id": rule.crm_team_id.id,
                "user_id": rule.user_id.id,
                "description": post._quote_html(),
                "source_id": (
                    post.account_id.utm_source_id or self._find_or_create_record("utm.source", post._network_label())
                ).id,
                "medium_id": (rule.medium_id or self.env.ref("social_crm.utm_medium_social_media")).id,
                "campaign_id": rule.campaign_id.id,
                "company_id": post.company_id.id,
            }
        )
