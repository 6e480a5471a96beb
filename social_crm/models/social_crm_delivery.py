import logging

from markupsafe import Markup

from odoo import api, fields, models

from .social_crm_account import to_naive_utc

_logger = logging.getLogger(__name__)

DELIVERY_STATES = [("sent", "Sent"), ("delivered", "Delivered"), ("read", "Read"), ("failed", "Failed")]


class SocialCrmDelivery(models.Model):
    """What the network reported about one of the account's outgoing messages
    (WhatsApp statuses): one line per state reached, never a post of its own.

    Lines name the message by its network id, not by a link to the post: a
    status may arrive before the transaction that stores our reply commits,
    and is kept all the same; the post finds its lines by that id."""

    _name = "social.crm.delivery"
    _description = "Social Message Delivery Report"
    _order = "date, id"

    account_id = fields.Many2one("social.crm.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    message_id = fields.Char(string="Message Network ID", required=True, index=True)
    status = fields.Selection(DELIVERY_STATES, required=True)
    date = fields.Datetime(required=True)
    recipient_id = fields.Char(string="Recipient Number")
    error_code = fields.Char()
    error_message = fields.Text()

    _message_status_unique = models.Constraint(
        "UNIQUE(account_id, message_id, status)", "A message reaches each delivery state once."
    )

    @api.model
    def _record(self, account, statuses):
        """Record the delivery reports of ``account``'s messages, each state once."""
        stored = self.search([("account_id", "=", account.id), ("message_id", "in", [s.message_id for s in statuses])])
        known = {(line.message_id, line.status) for line in stored}
        new_lines = []
        for status in statuses:
            if (status.message_id, status.status) in known:
                continue  # a delivery the network repeated
            known.add((status.message_id, status.status))
            new_lines.append(
                {
                    "account_id": account.id,
                    "message_id": status.message_id,
                    "status": status.status,
                    "date": to_naive_utc(status.at),
                    "recipient_id": status.recipient_id or False,
                    "error_code": status.error_code or False,
                    "error_message": status.error_message or False,
                }
            )
        lines = self.create(new_lines)
        lines.filtered(lambda line: line.status == "failed")._tell_the_ticket()
        return lines

    def _tell_the_ticket(self):
        """A message that could not be delivered is said on its ticket, where the agent works."""
        posts = self.env["social.crm.post"].search(
            [("account_id", "in", self.account_id.ids), ("external_id", "in", self.mapped("message_id"))]
        )
        by_message = {(post.account_id.id, post.external_id): post for post in posts if post.ticket_id}
        for line in self:
            post = by_message.get((line.account_id.id, line.message_id))
            if not post:
                continue
            body = Markup("<p>%s</p><p>%s</p>") % (
                self.env._("This reply was not delivered on %(network)s:", network=post._network_label()),
                line.error_message or line.error_code or self.env._("no reason given"),
            )
            post.ticket_id.message_post(body=body, message_type="notification", subtype_xmlid="mail.mt_note")
