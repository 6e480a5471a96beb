from odoo import api, fields, models


class SocialCrmReply(models.TransientModel):
    """The desk's additions to the reply wizard: saved replies in the post's
    language, inserted with one click for editing."""

    _inherit = "social.crm.reply"

    post_language = fields.Char(related="post_id.language", string="Post Language")
    saved_reply_ids = fields.Many2many(
        "mail.canned.response", compute="_compute_saved_reply_ids", string="Saved Replies Offered"
    )
    saved_reply_id = fields.Many2one(
        "mail.canned.response",
        domain="[('id', 'in', saved_reply_ids)]",
        help="Inserts the saved reply, its placeholders filled, in place of the text for you to edit.",
    )

    @api.depends("post_id")
    def _compute_saved_reply_ids(self):
        canned = self.env["mail.canned.response"]
        for wizard in self:
            wizard.saved_reply_ids = canned._social_crm_for(wizard.post_id.language, wizard.post_id.ticket_id.team_id)

    @api.onchange("saved_reply_id")
    def _onchange_saved_reply_id(self):
        if self.saved_reply_id:
            self.text = self.saved_reply_id._social_crm_render(self.post_id, self.env.user)
