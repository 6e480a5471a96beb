from odoo import fields, models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    social_post_ids = fields.One2many("social.crm.post", "ticket_id", string="Social Posts")
    social_post_count = fields.Integer(compute="_compute_social_post_count")

    def _compute_social_post_count(self):
        counts = dict(
            self.env["social.crm.post"]._read_group([("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"])
        )
        for ticket in self:
            ticket.social_post_count = counts.get(ticket, 0)
