from odoo import fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "social.crm.post.counter"]
    _social_post_field = "lead_id"

    social_post_ids = fields.One2many("social.crm.post", "lead_id", string="Social Posts")
