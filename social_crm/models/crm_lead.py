from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    social_post_ids = fields.One2many("social.crm.post", "lead_id", string="Social Posts")
    social_post_count = fields.Integer(compute="_compute_social_post_count")

    def _compute_social_post_count(self):
        counts = dict(self.env["social.crm.post"]._read_group([("lead_id", "in", self.ids)], ["lead_id"], ["__count"]))
        for lead in self:
            lead.social_post_count = counts.get(lead, 0)
