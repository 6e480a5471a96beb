from odoo import fields, models


class SocialCrmPost(models.Model):
    _inherit = "social.crm.post"

    forum_question_ids = fields.One2many(
        "forum.post", "social_crm_origin_post_id", string="Community Questions", readonly=True
    )

    def action_forum_share(self):
        """Bring the customer's question to the community forum (with their consent)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Publish to Community"),
            "res_model": "social.crm.forum.share",
            "view_mode": "form",
            "target": "new",
            "context": {"default_post_id": self.id},
        }
