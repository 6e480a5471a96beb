from odoo import api, fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    forum_idea_ids = fields.One2many("forum.post", "lead_id", string="Forum Ideas")
    forum_idea_count = fields.Integer(compute="_compute_forum_idea_count", string="Forum Ideas Count")

    @api.depends("forum_idea_ids")
    def _compute_forum_idea_count(self):
        counts = dict(
            self.env["forum.post"]._read_group([("lead_id", "in", self.ids)], ["lead_id"], ["__count"])
        )
        for lead in self:
            lead.forum_idea_count = counts.get(lead, 0)

    def action_view_forum_ideas(self):
        self.ensure_one()
        title = self.env._("Forum Ideas")
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "forum.post",
            "domain": [("lead_id", "=", self.id)],
            "views": [(False, "list"), (False, "form")],
        }
