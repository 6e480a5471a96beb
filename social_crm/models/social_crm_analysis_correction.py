from odoo import fields, models

from .social_crm_post import INTENTS, SENTIMENT_LABELS


class SocialCrmAnalysisCorrection(models.Model):
    """An agent's correction of the analyzer, kept to measure and improve it
    (the benchmark reads the same fields: text, lang, sentiment, intent)."""

    _name = "social.crm.analysis.correction"
    _description = "Social Analysis Correction"
    _order = "id desc"

    post_id = fields.Many2one("social.crm.post", ondelete="set null", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    text = fields.Text(readonly=True)
    language = fields.Char(readonly=True)
    analyzer_version = fields.Char(readonly=True)
    original_sentiment = fields.Selection(SENTIMENT_LABELS, readonly=True)
    corrected_sentiment = fields.Selection(SENTIMENT_LABELS, readonly=True)
    original_intent = fields.Selection(INTENTS, readonly=True)
    corrected_intent = fields.Selection(INTENTS, readonly=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
