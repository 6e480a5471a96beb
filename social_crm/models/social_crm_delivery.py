import logging

from markupsafe import Markup

from odoo import api, fields, models

from ..core.types import SkippedItem
from .social_crm_account import to_naive_utc

_logger = logging.getLogger(__name__)

DELIVERY_STATES = [("sent", "Sent"), ("delivered", "Delivered"), ("read", "Read"), ("failed", "Failed")]


class SocialCrmDelivery(models.Model):
    """What the network reported about one of our outgoing messages (WhatsApp
    statuses): one line per state reached, never a post of its own."""

    _name = "social.crm.delivery"
    _description = "Social Message Delivery Report"
    _order = "date, id"

    post_id = fields.Many2one("social.crm.post", string="Our Message", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="post_id.company_id", store=True, index=True)
    status = fields.Selection(DELIVERY_STATES, required=True)
    date = fields.Datetime(required=True)
    error_code = fields.Char()
    error_message = fields.Text()

    _post_status_unique = models.Constraint("UNIQUE(post_id, status)", "A message reaches each delivery state once.")

    @api.model
    def _record(self, account, statuses):
        """Record the delivery reports of ``account``'s messages; return the
        reports about messages that are not our stored posts, as skipped items."""
        Post = self.env["social.crm.post"]
        posts = {
            post.external_id: post
            for post in Post.search(
                [
                    ("account_id", "=", account.id),
                    ("direction", "=", "outgoing"),
                    ("external_id", "in", [status.message_id for status in statuses]),
                ]
            )
        }
        stored = self.search([("post_id", "in", [post.id for post in posts.values()])])
        known = {(line.post_id.id, line.status) for line in stored}
        skipped, new_lines = [], []
        for status in statuses:
            post = posts.get(status.message_id)
            if not post:
                skipped.append(SkippedItem("status of a message not sent from Odoo", status.message_id))
                continue
            if (post.id, status.status) in known:
                continue  # a delivery the network repeated
            known.add((post.id, status.status))
            new_lines.append(
                {
                    "post_id": post.id,
                    "status": status.status,
                    "date": to_naive_utc(status.at),
                    "error_code": status.error_code or False,
                    "error_message": status.error_message or False,
                }
            )
        lines = self.create(new_lines)
        lines.filtered(lambda line: line.status == "failed")._tell_the_ticket()
        return skipped

    def _tell_the_ticket(self):
        """A message that could not be delivered is said on its ticket, where the agent works."""
        for line in self.filtered("post_id.ticket_id"):
            body = Markup("<p>%s</p><p>%s</p>") % (
                self.env._("This reply was not delivered on %(network)s:", network=line.post_id._network_label()),
                line.error_message or line.error_code or self.env._("no reason given"),
            )
            line.post_id.ticket_id.message_post(body=body, message_type="notification", subtype_xmlid="mail.mt_note")
