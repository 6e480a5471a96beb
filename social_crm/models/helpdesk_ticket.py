from textwrap import shorten

from odoo import api, fields, models

from ..core.routing import ticket_priority


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "social.crm.post.counter"]
    _social_post_field = "ticket_id"

    social_post_ids = fields.One2many("social.crm.post", "ticket_id", string="Social Posts")
    social_network = fields.Selection(
        selection=lambda self: self.env["social.crm.account"]._selection_network(), readonly=True, index=True
    )
    social_first_response_hours = fields.Float(
        string="First Social Response (hours)", readonly=True, aggregator="avg", digits=(10, 2)
    )
    social_resolution_hours = fields.Float(
        string="Resolution (hours)",
        compute="_compute_social_resolution_hours",
        store=True,
        aggregator="avg",
        digits=(10, 2),
    )

    @api.depends("closed_date", "social_network")
    def _compute_social_resolution_hours(self):
        for ticket in self:
            if ticket.social_network and ticket.closed_date and ticket.create_date:
                ticket.social_resolution_hours = (ticket.closed_date - ticket.create_date).total_seconds() / 3600
            else:
                ticket.social_resolution_hours = 0.0

    @api.model
    def _social_create_from_post(self, post, rule):
        """A ticket for ``post`` as ``rule`` says, prioritised by the post's
        anger and its author's influence, quoting the post safely."""
        author = post.profile_id
        ticket = self.create(
            {
                "name": shorten(" ".join((post.text or "").split()), 80)
                or self.env._("Social post from %(author)s", author=author.display_name),
                "description": post._quote_html(),
                "partner_id": post.partner_id.id,
                "partner_name": post.partner_id.name or author.name or author.handle,
                "partner_email": post.partner_id.email or author.email or False,
                "team_id": rule.helpdesk_team_id.id,
                "user_id": rule.user_id.id,
                "priority": str(ticket_priority(post.sentiment_score, author.influence_score)),
                "tag_ids": [fields.Command.set(rule.ticket_tag_ids.ids)],
                "channel_id": self.env["helpdesk.ticket.channel"]._social_channel(post.network).id,
                "company_id": post.company_id.id,
                "social_network": post.network,
            }
        )
        return ticket

    def _social_log_posts(self, posts):
        """Show incoming posts of the ticket's conversation in its chatter."""
        self.ensure_one()
        for post in posts:
            message = self.message_post(
                body=post._quote_html(),
                subtype_xmlid="social_crm.mt_social_post",
                message_type="comment",
                author_id=post.partner_id.id or None,
            )
            message.sudo().social_post_id = post

    def _social_record_first_response(self, moment):
        for ticket in self.filtered(lambda t: t.social_network and not t.social_first_response_hours):
            ticket.social_first_response_hours = max((moment - ticket.create_date).total_seconds() / 3600, 0.01)
