from odoo import api, fields, models
from odoo.exceptions import UserError


class SocialCrmReply(models.TransientModel):
    """The desk's additions to the reply wizard: saved replies in the post's
    language, inserted with one click for editing; other agents answering the
    same post, and a confirmation before a second reply."""

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

    suggestion_ids = fields.Many2many(
        "social.crm.solution", compute="_compute_suggestion_ids", string="Similar Solved Tickets"
    )
    suggestion_id = fields.Many2one(
        "social.crm.solution",
        string="Suggested Answer",
        domain="[('id', 'in', suggestion_ids)]",
        help="The answer that closed a similar ticket, inserted in place of the text for you to edit.",
    )
    answering_names = fields.Char(related="post_id.answering_names")
    ai_available = fields.Boolean(compute="_compute_ai_available")
    ai_draft_requested = fields.Boolean(
        string="Draft with AI", help="Replaces the text by a draft in the post's language."
    )
    collision_warning = fields.Text(readonly=True)
    confirm_collision = fields.Boolean(string="Send Anyway")

    @api.depends("post_id")
    def _compute_ai_available(self):
        Config = self.env["social.crm.ai.config"]
        for wizard in self:
            endpoint = Config._endpoint(wizard.post_id.company_id, "draft_replies") if wizard.post_id else None
            wizard.ai_available = endpoint is not None

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reply on %(network)s", network=self.post_id._network_label()),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.onchange("ai_draft_requested")
    def _onchange_ai_draft_requested(self):
        """Replace the text by an AI draft in the post's language; when AI
        fails, by the answer of the most similar solved ticket, else the first
        saved reply, else leave it.  An onchange, so it works before the
        required text is written."""
        if not self.ai_draft_requested:
            return
        self.ai_draft_requested = False
        post = self.post_id._origin
        draft = self.env["social.crm.ai.log"]._draft(post)
        if not draft and self.suggestion_ids:
            draft = self.suggestion_ids[0].answer
        if not draft and self.saved_reply_ids:
            draft = self.saved_reply_ids[0]._social_crm_render(post, self.env.user)
        if draft:
            self.text = draft

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if values.get("post_id"):
            # opening the wizard tells the others that this agent is answering
            self.env["social.crm.post.answering"]._start(self.env["social.crm.post"].browse(values["post_id"]))
        return values

    def _social_collision(self):
        """Why sending now may answer the customer twice, or ''."""
        self.ensure_one()
        Answering = self.env["social.crm.post.answering"]
        since = fields.Datetime.now() - Answering._window()
        reasons = []
        others = Answering._others(self.post_id).get(self.post_id.id)
        if others:
            reasons.append(
                self.env._("%(agents)s is answering this post too.", agents=", ".join(others.mapped("name")))
            )
        recent = self.post_id.child_ids.filtered(lambda p: p.direction == "outgoing" and p.create_date >= since)
        for reply in recent:
            reasons.append(
                self.env._(
                    "%(agent)s replied at %(time)s: %(text)s",
                    agent=reply.create_uid.name,
                    time=fields.Datetime.context_timestamp(self, reply.create_date).strftime("%H:%M"),
                    text=reply.text or "",
                )
            )
        return "\n".join(reasons)

    def action_send(self):
        self.ensure_one()
        if self.post_id._published_reply(self.text):
            return super().action_send()  # which refuses it: the very same reply is public already
        warning = self._social_collision()
        if warning and not self.confirm_collision:
            self.collision_warning = warning
            return self._reopen()
        Approval = self.env["social.crm.reply.approval"]
        if Approval._needed_for(self.post_id):
            if self.max_length and self.text_length > self.max_length:
                # checked now, not when a manager approves it
                raise UserError(
                    self.env._(
                        "This reply is too long for the network: %(length)s of at most %(limit)s characters.",
                        length=self.text_length,
                        limit=self.max_length,
                    )
                )
            Approval._hold(self.post_id, self.text)
            self.env["social.crm.post.answering"]._done(self.post_id)
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._("Your reply waits for a manager's approval."),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        result = super().action_send()
        self.env["social.crm.post.answering"]._done(self.post_id)
        return result

    @api.depends("post_id")
    def _compute_saved_reply_ids(self):
        canned = self.env["mail.canned.response"]
        for wizard in self:
            wizard.saved_reply_ids = canned._social_crm_for(wizard.post_id.language, wizard.post_id.ticket_id.team_id)

    @api.depends("post_id")
    def _compute_suggestion_ids(self):
        Solution = self.env["social.crm.solution"]
        for wizard in self:
            post = wizard.post_id
            wizard.suggestion_ids = (
                Solution._suggest(post.text, post.language, post.company_id, exclude_ticket=post.ticket_id)
                if post
                else Solution
            )

    @api.onchange("suggestion_id")
    def _onchange_suggestion_id(self):
        if self.suggestion_id:
            self.text = self.suggestion_id.answer

    @api.onchange("saved_reply_id")
    def _onchange_saved_reply_id(self):
        if self.saved_reply_id:
            self.text = self.saved_reply_id._social_crm_render(self.post_id, self.env.user)
