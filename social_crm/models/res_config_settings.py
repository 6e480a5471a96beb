from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    social_crm_languages = fields.Char(related="company_id.social_crm_languages", readonly=False)
    social_crm_match_threshold = fields.Float(related="company_id.social_crm_match_threshold", readonly=False)
    social_crm_auto_create_partner = fields.Boolean(related="company_id.social_crm_auto_create_partner", readonly=False)
    social_crm_pages_per_run = fields.Integer(
        string="Pages per Stream and Run",
        config_parameter="social_crm.pages_per_run",
        default=10,
        help="How many pages of one stream a scheduled fetch reads before moving on; the rest waits for the next run.",
    )
