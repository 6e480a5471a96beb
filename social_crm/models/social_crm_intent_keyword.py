from odoo import api, fields, models

from .social_crm_post import INTENTS


class SocialCrmIntentKeyword(models.Model):
    """Words a company's customers use, added to the intent keyword lists
    shipped with the analyzer (e.g. a product name that means purchase intent)."""

    _name = "social.crm.intent.keyword"
    _description = "Social Intent Keyword"
    _order = "language, intent, keyword"

    keyword = fields.Char(required=True, help="A word or phrase; it matches the start of words, in any case.")
    language = fields.Char(required=True, help="ISO 639-1 code of the language the keyword is in, e.g. cs.")
    intent = fields.Selection(INTENTS, required=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    active = fields.Boolean(default=True)

    _keyword_unique = models.Constraint(
        "UNIQUE(company_id, language, intent, keyword)", "This keyword is already listed for this intent."
    )

    @api.model
    def _lists_for(self, company):
        """``{language: {intent: (keyword, …)}}`` as hashable tuples, to key the analyzer cache."""
        lists = {}
        for row in self.sudo().search_read([("company_id", "=", company.id)], ["language", "intent", "keyword"]):
            lists.setdefault(row["language"].strip().lower(), {}).setdefault(row["intent"], []).append(row["keyword"])
        return tuple(
            (language, tuple((intent, tuple(words)) for intent, words in sorted(intents.items())))
            for language, intents in sorted(lists.items())
        )
