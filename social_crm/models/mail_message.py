from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    # chatter entries that copy a post go with it, so erasing an author's
    # data on request leaves no copy of their words behind
    social_post_id = fields.Many2one("social.crm.post", index="btree_not_null", ondelete="cascade", readonly=True)
