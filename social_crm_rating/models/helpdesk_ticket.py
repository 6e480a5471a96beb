import logging

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.rating.models.rating_data import RATING_NEUTRAL_VALUE
from odoo.addons.social_crm.core.desk import fill_placeholders

_logger = logging.getLogger(__name__)


class HelpdeskTicket(models.Model):
    """Satisfaction (CSAT) of closed social tickets, stored as Odoo ratings."""

    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "rating.mixin"]

    social_csat_requested = fields.Datetime(string="Satisfaction Asked", readonly=True, copy=False)
    social_csat_channel = fields.Selection(
        [("network", "Reply on the Network"), ("email", "E-mail"), ("none", "Not Sent")],
        string="Satisfaction Asked By",
        readonly=True,
        copy=False,
    )
    social_csat_score = fields.Float(
        string="Satisfaction", readonly=True, copy=False, aggregator="avg", help="1 unhappy, 3 neutral, 5 happy."
    )

    def write(self, vals):
        result = super().write(vals)
        if "stage_id" in vals:
            self.filtered(
                lambda t: t.closed and t.social_network and t.team_id.social_crm_csat and not t.social_csat_requested
            )._social_csat_request()
        return result

    def _social_csat_request(self):
        """Ask each closed ticket's customer to rate it: a reply to their
        latest post where the network takes replies, else an e-mail."""
        for ticket in self:
            partner = ticket._rating_get_partner()
            token = ticket._rating_get_access_token(partner)
            link = f"{ticket.get_base_url()}/rate/{token}/{RATING_NEUTRAL_VALUE}"
            post = ticket._social_latest_incoming_post()
            customer = partner.name or post.profile_id.name or post.profile_id.handle or ""
            question = fill_placeholders(ticket.team_id.social_crm_csat_question or "", customer=customer)
            text = question.replace("{link}", link)
            channel = "none"
            if post:
                try:
                    with self.env.cr.savepoint():
                        post._reply(text)
                    channel = "network"
                except UserError as error:
                    _logger.info("Satisfaction question of ticket %s not sent on the network: %s", ticket.id, error)
            if channel == "none" and partner.email:
                ticket.message_post(
                    body=Markup("<p>%s</p>") % text,
                    partner_ids=partner.ids,
                    subtype_xmlid="mail.mt_comment",
                    message_type="comment",
                )
                channel = "email"
            if channel == "none":
                reason = self.env._(
                    "No satisfaction question was sent: the network takes no reply and there is no e-mail."
                )
                ticket.message_post(body=Markup("<p>%s</p>") % reason, subtype_xmlid="mail.mt_note")
            ticket.write({"social_csat_requested": fields.Datetime.now(), "social_csat_channel": channel})

    def rating_apply(self, rate, token=None, rating=None, feedback=None, subtype_xmlid=None, notify_delay_send=False):
        rating = super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        if self.social_network:
            self.social_csat_score = rating.rating
        return rating
