from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    social_crm_languages = fields.Char(
        string="Languages Spoken",
        help="ISO 639-1 codes, comma-separated (e.g. cs, en): the team queue gives this agent social tickets in "
        "these languages.",
    )
