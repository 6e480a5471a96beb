from odoo import api, fields, models
from odoo.fields import Domain

from ..core.desk import fill_placeholders


class MailCannedResponse(models.Model):
    """Odoo's canned responses double as the social desk's saved replies:
    one per team and language, with placeholders filled in the reply wizard."""

    _inherit = "mail.canned.response"

    social_crm_saved_reply = fields.Boolean(
        string="Social Saved Reply", help="Offered in the reply wizard of social posts."
    )
    social_crm_language = fields.Char(
        string="Reply Language", help="ISO 639-1 code (e.g. cs); empty: offered for posts in every language."
    )
    social_crm_team_ids = fields.Many2many(
        "helpdesk.ticket.team",
        "mail_canned_response_social_crm_team_rel",
        "canned_response_id",
        "team_id",
        string="Helpdesk Teams",
        help="Empty: offered to every team.",
    )

    @api.model
    def _social_crm_for(self, language, team):
        """The saved replies the current user may use for a post in
        ``language`` on a ticket of ``team``: those in the post's language
        first, then the ones for every language."""
        domain = Domain("social_crm_saved_reply", "=", True) & Domain(
            "social_crm_language", "in", [language or "und", False]
        )
        domain &= Domain("social_crm_team_ids", "=", False) | Domain("social_crm_team_ids", "in", team.ids)
        replies = self.search(domain)
        return replies.sorted(lambda reply: (not reply.social_crm_language, reply.source))

    def _social_crm_render(self, post, agent):
        """The reply's text for ``post``, answered by ``agent``."""
        self.ensure_one()
        customer = post.partner_id.name or post.profile_id.name or post.profile_id.handle or ""
        ticket = post.ticket_id.number if post.ticket_id.number not in (False, "/") else ""
        return fill_placeholders(self.substitution, customer=customer, ticket=ticket, agent=agent.name)
