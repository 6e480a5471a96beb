from odoo import fields, models


class SocialCrmPublicationReview(models.TransientModel):
    """A manager's approval or rejection of a post, with the comment that goes to its chatter."""

    _name = "social.crm.publication.review"
    _description = "Review a Social Post"

    publication_id = fields.Many2one("social.crm.publication", required=True, ondelete="cascade")
    comment = fields.Text()

    def action_approve(self):
        self.publication_id.action_approve(comment=self.comment or "")
        return {"type": "ir.actions.act_window_close"}

    def action_reject(self):
        self.publication_id.action_reject(comment=self.comment or "")
        return {"type": "ir.actions.act_window_close"}
