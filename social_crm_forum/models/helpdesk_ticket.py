from odoo import fields, models
from odoo.exceptions import UserError


class HelpdeskTicket(models.Model):
    """A solved ticket published as a knowledge-base article of the
    company's forum keeps a link to it."""

    _inherit = "helpdesk.ticket"

    social_crm_kb_post_id = fields.Many2one(
        "forum.post",
        string="Community Article",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The forum question, with its accepted answer, published from this ticket.",
    )

    def action_social_crm_publish_to_forum(self):
        self.ensure_one()
        if not self.closed:
            raise UserError(self.env._("Only a solved ticket can be published to the community."))
        if self.social_crm_kb_post_id:
            raise UserError(
                self.env._(
                    "This ticket is published already as “%(article)s”; edit that article on the forum instead.",
                    article=self.social_crm_kb_post_id.name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Publish to Community"),
            "res_model": "social.crm.forum.publish",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def action_social_crm_view_kb_post(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.social_crm_kb_post_id.website_url, "target": "new"}
