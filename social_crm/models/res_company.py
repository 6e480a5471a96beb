from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    social_crm_languages = fields.Char(
        string="Social Languages",
        default="en,cs,pl,ru,fa,uk,de,es",
        help="Comma-separated ISO 639-1 codes of the languages customers write in. "
        "Language detection only chooses among these; leave empty to allow every supported language.",
    )

    social_crm_match_threshold = fields.Float(
        string="Automatic Link Confidence",
        default=0.85,
        help="Evidence at least this strong links an author to a customer; weaker evidence only suggests. "
        "Handle 1.0, e-mail 0.95, phone 0.9, website 0.8; a name alone never links.",
    )
    social_crm_auto_create_partner = fields.Boolean(
        string="Create Customers from New Authors",
        help="An author who matches no customer becomes a new customer.",
    )

    def _social_crm_language_codes(self):
        self.ensure_one()
        return tuple(code.strip().lower() for code in (self.social_crm_languages or "").split(",") if code.strip())
