from odoo import api, fields, models


class SocialCrmForumDeflection(models.Model):
    """A ticket the customer did not send: on the portal's new-ticket form a
    forum answer suggested for their subject answered their question."""

    _name = "social.crm.forum.deflection"
    _description = "Ticket Avoided by a Forum Answer"
    _order = "date desc, id desc"
    _rec_name = "forum_post_id"

    forum_post_id = fields.Many2one(
        "forum.post", string="Question", required=True, ondelete="cascade", index=True,
        domain=[("parent_id", "=", False)],
    )
    forum_id = fields.Many2one(related="forum_post_id.forum_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    subject = fields.Char(string="Subject Typed", help="What the customer had typed as the ticket's subject.")

    # what makes "counted once per customer, article and day" hold under concurrent clicks
    _day_unique = models.Constraint(
        "UNIQUE(forum_post_id, partner_id, date)", "An avoided ticket is counted once per customer, question and day."
    )


class ForumPost(models.Model):
    _inherit = "forum.post"

    deflection_ids = fields.One2many(
        "social.crm.forum.deflection", "forum_post_id", groups="social_crm.group_social_crm_user"
    )
    deflection_count = fields.Integer(
        string="Tickets Avoided", compute="_compute_deflection_count", store=True,
        groups="social_crm.group_social_crm_user",
        help="How many times a customer about to send a ticket said this question's answer answered theirs.",
    )

    @api.depends("deflection_ids")
    def _compute_deflection_count(self):
        counts = dict(
            self.env["social.crm.forum.deflection"]._read_group(
                [("forum_post_id", "in", self.ids)], ["forum_post_id"], ["__count"]
            )
        )
        for post in self:
            post.deflection_count = counts.get(post, 0)
