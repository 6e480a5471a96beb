from odoo import api, fields, models
from odoo.exceptions import UserError

from ..core.connectors import get_connector_class


class SocialCrmReply(models.TransientModel):
    """Answer a social post from Odoo; the answer goes to the network through
    the account's connector and is logged on the ticket, lead and customer."""

    _name = "social.crm.reply"
    _description = "Reply to a Social Post"

    post_id = fields.Many2one("social.crm.post", required=True, ondelete="cascade")
    post_text = fields.Text(related="post_id.text", string="Message")
    author_id = fields.Many2one(related="post_id.profile_id", string="Author")
    network = fields.Selection(related="post_id.network")
    text = fields.Text(string="Reply", required=True)
    max_length = fields.Integer(compute="_compute_limits")
    text_length = fields.Integer(compute="_compute_limits")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if not values.get("post_id"):
            model, record_id = self.env.context.get("active_model"), self.env.context.get("active_id")
            if model in ("helpdesk.ticket", "crm.lead") and record_id:
                values["post_id"] = self.env[model].browse(record_id)._social_latest_incoming_post().id
        return values

    @api.depends("post_id", "text")
    def _compute_limits(self):
        for wizard in self:
            network = wizard.post_id.network
            wizard.max_length = get_connector_class(network).max_text_length if network else 0
            wizard.text_length = len(wizard.text or "")

    def action_send(self):
        self.ensure_one()
        if self.max_length and self.text_length > self.max_length:
            raise UserError(
                self.env._(
                    "%(network)s accepts at most %(limit)s characters; this reply has %(length)s.",
                    network=self.post_id._network_label(),
                    limit=self.max_length,
                    length=self.text_length,
                )
            )
        reply = self.post_id._reply(self.text)
        if reply.sudo().processing_error:
            # the reply is public: say so, and what Odoo could not record
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "sticky": True,
                    "message": self.env._(
                        "Your reply is public on %(network)s. %(problem)s",
                        network=self.post_id._network_label(),
                        problem=reply.sudo().processing_error,
                    ),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return {"type": "ir.actions.act_window_close"}
