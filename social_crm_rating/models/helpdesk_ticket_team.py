from odoo import fields, models


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    social_crm_csat = fields.Boolean(
        string="Ask Social Customers' Satisfaction",
        help="When a social ticket of the team closes, the customer is asked to rate the answer: as a reply on the "
        "network where its API allows it, else by e-mail.",
    )
    social_crm_csat_question = fields.Text(
        string="Satisfaction Question",
        translate=True,
        default=lambda self: self.env._("{customer}, how did we do? Tell us in one click: {link}"),
        help="{customer} is the customer's name, {link} the rating page.",
    )
