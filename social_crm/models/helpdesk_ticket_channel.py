from odoo import api, fields, models


class HelpdeskTicketChannel(models.Model):
    _inherit = "helpdesk.ticket.channel"

    social_network = fields.Selection(
        selection=lambda self: self.env["social.crm.account"]._selection_network(),
        help="Tickets opened from this network's posts come in through this channel.",
    )

    @api.model
    def _social_channel(self, network):
        """The channel of a network, created the first time it is needed."""
        channel = self.search([("social_network", "=", network)], limit=1)
        if not channel:
            label = dict(self.env["social.crm.account"]._selection_network()).get(network, network)
            channel = self.sudo().create({"name": label, "social_network": network})
        return channel
