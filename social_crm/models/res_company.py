from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    social_crm_languages = fields.Char(
        string="Social Languages",
        default="en,cs,pl,ru,fa,uk,de,es",
        help="Comma-separated ISO 639-1 codes of the languages customers write in. "
        "Language detection only chooses among these; leave empty to allow every supported language.",
    )

    def _social_crm_language_codes(self):
        self.ensure_one()
        return tuple(code.strip().lower() for code in (self.social_crm_languages or "").split(",") if code.strip())
