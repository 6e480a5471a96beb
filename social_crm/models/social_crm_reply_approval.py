from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

APPROVER_GROUP = "social_crm.group_social_crm_manager"
NEEDS_APPROVAL_GROUP = "social_crm.group_social_crm_reply_approval"


class SocialCrmReplyApproval(models.Model):
    """A reply held for a manager: sent by the connector when approved,
    never when rejected; the ticket's SLA shows how long it waited."""

    _name = "social.crm.reply.approval"
    _description = "Social Reply Awaiting Approval"
    _inherit = ["mail.thread"]
    _order = "id desc"

    post_id = fields.Many2one("social.crm.post", required=True, ondelete="cascade", index=True, readonly=True)
    ticket_id = fields.Many2one(related="post_id.ticket_id", store=True, index="btree_not_null")
    company_id = fields.Many2one(related="post_id.company_id", store=True, index=True)
    network = fields.Selection(related="post_id.network")
    post_text = fields.Text(related="post_id.text", string="Customer's Message")
    text = fields.Text(string="Reply", required=True, readonly=True)
    requested_by_id = fields.Many2one(
        "res.users", string="Written By", required=True, readonly=True, default=lambda self: self.env.user
    )
    requested_date = fields.Datetime(string="Asked", required=True, readonly=True, default=fields.Datetime.now)
    state = fields.Selection(
        [("pending", "Waiting"), ("approved", "Approved and Sent"), ("rejected", "Rejected")],
        default="pending",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    decided_by_id = fields.Many2one("res.users", string="Approved or Rejected By", readonly=True)
    decided_date = fields.Datetime(string="Decided", readonly=True)
    rejection_reason = fields.Text()
    wait_hours = fields.Float(string="Wait (hours)", readonly=True, digits=(10, 2), aggregator="avg")
    reply_post_id = fields.Many2one("social.crm.post", string="Sent Reply", readonly=True, ondelete="set null")
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")

    @api.depends("post_id", "requested_by_id")
    def _compute_display_name(self):
        for approval in self:
            approval.display_name = self.env._(
                "Reply by %(agent)s to %(post)s",
                agent=approval.requested_by_id.name,
                post=approval.post_id.display_name,
            )

    @api.model
    def _needed_for(self, post):
        """Whether the current user's reply to ``post`` waits for approval."""
        user = self.env.user
        if not user.has_group(NEEDS_APPROVAL_GROUP) or user.has_group(APPROVER_GROUP):
            return False
        return bool(post.account_id.reply_approval or post.ticket_id.team_id.social_crm_reply_approval)

    @api.model
    def _hold(self, post, text):
        """Keep the current user's reply to ``post`` for a manager, and say so
        in the ticket's chatter, with a link to approve or reject it."""
        target = post.ticket_id or post.lead_id
        leader = post.ticket_id.team_id.user_id
        activity = self.env["mail.activity"]
        if target and leader and leader.has_group(APPROVER_GROUP):
            activity = target.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Approve a social reply"),
                note=text,
                user_id=leader.id,
            )
        approval = self.create({"post_id": post.id, "text": text, "activity_id": activity.id})
        if target:
            link = Markup('<a href="#" data-oe-model="%s" data-oe-id="%s">%s</a>') % (
                self._name,
                approval.id,
                self.env._("Approve or reject"),
            )
            target.message_post(
                body=Markup("<p>%s</p><p>%s</p><p>%s</p>") % (self.env._("A reply waits for approval:"), text, link),
                subtype_xmlid="mail.mt_note",
            )
        return approval

    def _check_approver(self):
        if not self.env.user.has_group(APPROVER_GROUP):
            raise AccessError(self.env._("Only Social CRM managers approve or reject replies."))
        if self.filtered(lambda approval: approval.state != "pending"):
            raise UserError(self.env._("This reply was already decided."))

    def _decide(self, state):
        now = fields.Datetime.now()
        for approval in self:
            wait = (now - approval.requested_date).total_seconds() / 3600
            approval.write({"state": state, "decided_by_id": self.env.uid, "decided_date": now, "wait_hours": wait})
            if approval.ticket_id:
                approval.ticket_id.social_approval_wait_hours += wait
            if approval.activity_id:
                approval.activity_id.action_feedback(feedback=dict(self._fields["state"].selection)[state])

    def action_approve(self):
        """Send the held replies through the connector, as written."""
        self._check_approver()
        for approval in self:
            approval._decide("approved")
            approval.reply_post_id = approval.post_id._reply(approval.text)
        return True

    def action_reject(self):
        self._check_approver()
        for approval in self:
            approval._decide("rejected")
            body = Markup("<p>%s</p>") % self.env._("Your reply was not approved; it was not sent.")
            if approval.rejection_reason:
                body += Markup("<p>%s</p>") % approval.rejection_reason
            approval.message_post(body=body, partner_ids=approval.requested_by_id.partner_id.ids)
        return True
