from odoo import fields, models


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "social.crm.post.counter"]
    _social_post_field = "ticket_id"

    social_post_ids = fields.One2many("social.crm.post", "ticket_id", string="Social Posts")
