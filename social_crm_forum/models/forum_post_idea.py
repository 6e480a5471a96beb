from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import html2plaintext, plaintext2html

POST_TYPES = [("question", "Question"), ("idea", "Idea"), ("problem", "Problem")]
IDEA_STATES = [
    ("new", "New"),
    ("planned", "Planned"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("declined", "Declined"),
]
# the triage of ideas and problems, which the forum's karma does not grant
TRIAGE_FIELDS = ("idea_state", "lead_id")


class ForumPost(models.Model):
    _inherit = "forum.post"

    social_crm_post_type = fields.Selection(
        POST_TYPES,
        string="Post Type",
        default="question",
        required=True,
        index=True,
        help="Ideas and problems get a status the team follows up; only meaningful on questions, not on answers.",
    )
    idea_state = fields.Selection(
        IDEA_STATES,
        string="Idea Status",
        compute="_compute_idea_state",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        group_expand=True,
        help="Where the team is with this idea or problem; its supporters are notified when it changes.",
    )
    lead_id = fields.Many2one(
        "crm.lead",
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        groups="sales_team.group_sale_salesman",
    )

    @api.depends("social_crm_post_type", "parent_id")
    def _compute_idea_state(self):
        for post in self:
            if post.parent_id or post.social_crm_post_type == "question":
                post.idea_state = False
            elif not post.idea_state:
                post.idea_state = "new"

    @api.constrains("idea_state", "social_crm_post_type", "parent_id")
    def _check_idea_state(self):
        for post in self:
            if post.idea_state and (post.parent_id or post.social_crm_post_type == "question"):
                raise ValidationError(self.env._("Only ideas and problems have a status, not questions or answers."))

    @api.model_create_multi
    def create(self, vals_list):
        posts = super().create(vals_list)
        triaged = [post.id for post, vals in zip(posts, vals_list, strict=True) if set(TRIAGE_FIELDS) & set(vals)]
        posts.browse(triaged)._check_idea_triage_access()
        return posts

    def write(self, vals):
        triage = {fname: vals[fname] for fname in TRIAGE_FIELDS if fname in vals}
        if not triage:
            return super().write(vals)
        self._check_idea_triage_access()
        previous_states = {post.id: post.idea_state for post in self}
        others = {fname: value for fname, value in vals.items() if fname not in triage}
        result = super().write(others) if others else True
        # access was checked above: a team member with no karma may triage, but not edit the post itself
        super(ForumPost, self.sudo()).write(triage)
        if "idea_state" in triage:
            self.filtered(
                lambda post: previous_states[post.id] not in (False, post.idea_state) and post.idea_state
            )._notify_idea_state()
        return result

    def _check_idea_triage_access(self):
        """Internal users and the forum's moderators set the status and the lead, not the authors."""
        if self.env.su or self.env.user._is_internal():
            return
        for post in self:
            if not post.can_moderate:
                raise AccessError(
                    self.env._("Only the team and the forum's moderators change the status of an idea or a problem.")
                )

    def _notify_idea_state(self):
        """One message per change, to the post's supporters (up-voters) and its author."""
        states = dict(self._fields["idea_state"]._description_selection(self.env))
        for post in self:
            post_sudo = post.sudo()
            partners = (
                post_sudo.vote_ids.filtered(lambda vote: vote.vote == "1").user_id.partner_id
                | post_sudo.create_uid.partner_id
            )
            if post.social_crm_post_type == "idea":
                body = self.env._("The status of this idea is now: %(state)s.", state=states[post.idea_state])
            else:
                body = self.env._("The status of this problem is now: %(state)s.", state=states[post.idea_state])
            post.message_post(
                body=body,
                partner_ids=partners.ids,
                message_type="notification",
                subtype_xmlid="social_crm_forum.mt_idea_state",
            )

    def action_social_crm_create_lead(self):
        """The lead of an idea (created once), opened in its form."""
        self.ensure_one()
        if not self.lead_id:
            lead = self.env["crm.lead"].create(
                {
                    "name": self.name,
                    "description": plaintext2html(html2plaintext(self.content or "", include_references=False)),
                    "partner_id": self.create_uid.partner_id.id,
                }
            )
            self.lead_id = lead
            lead.message_post(
                body=Markup("%s %s") % (self.env._("Created from the forum post"), self._get_html_link()),
                subtype_xmlid="mail.mt_note",
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.lead_id.id,
            "views": [(False, "form")],
        }

