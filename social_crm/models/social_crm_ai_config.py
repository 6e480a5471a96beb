from odoo import api, fields, models

from ..core.ai import ChatEndpoint


class SocialCrmAiConfig(models.Model):
    """An administrator's OpenAI-compatible endpoint for a company: off until
    enabled; only managers read it, the key included."""

    _name = "social.crm.ai.config"
    _description = "Social CRM AI Assistance"

    name = fields.Char(required=True, default="AI assistance")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    enabled = fields.Boolean(help="Nothing is sent to the endpoint until this is set.")
    base_url = fields.Char(
        string="API Base URL",
        help="OpenAI-compatible, up to /v1: e.g. http://localhost:11434/v1 (Ollama) or a provider's address.",
    )
    model = fields.Char(help="The model name the endpoint knows, e.g. llama3.1 or gpt-4o-mini.")
    api_key = fields.Char(string="API Key", groups="social_crm.group_social_crm_manager", copy=False)
    timeout = fields.Float(string="Timeout (seconds)", default=20.0)
    draft_replies = fields.Boolean(string="Draft Replies in the Post's Language", default=True)
    summaries = fields.Boolean(string="Summarise Threads", default=True)
    recheck_analysis = fields.Boolean(string="Re-check Analysis", default=True)

    _one_per_company = models.Constraint("UNIQUE(company_id)", "One AI configuration per company.")

    @api.model
    def _endpoint(self, company, feature):
        """The company's endpoint when AI is enabled for ``feature``, else None."""
        config = self.sudo().search([("company_id", "=", company.id), ("enabled", "=", True)], limit=1)
        if not config or not config[feature] or not config.base_url or not config.model:
            return None
        return ChatEndpoint(config.base_url, config.model, config.api_key or "", config.timeout or 20.0)
