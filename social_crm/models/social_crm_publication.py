import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .social_crm_account import MANAGER_GROUP

_logger = logging.getLogger(__name__)

PUBLICATION_STATES = [
    ("draft", "Draft"),
    ("waiting", "Waiting Approval"),
    ("scheduled", "Scheduled"),
    ("publishing", "Publishing"),
    ("published", "Published"),
    ("failed", "Failed"),
]
#: states only the publishing machinery or a manager (on approval-required posts) may set
_RELEASED_STATES = ("scheduled", "publishing", "published")
#: what only an approval may set
_APPROVAL_FIELDS = {"approver_id", "approval_date", "requires_approval"}


class SocialCrmPublication(models.Model):
    """One message to publish on several accounts, each with its own variant."""

    _name = "social.crm.publication"
    _description = "Social Publication"
    _inherit = ["mail.thread", "mail.activity.mixin", "utm.source.mixin"]
    _order = "scheduled_date desc, id desc"

    text = fields.Text(required=True, tracking=True, help="The message; each network's variant starts from it.")
    title = fields.Char(help="Networks that need a title (Reddit) use it; default: the first line of the text.")
    account_ids = fields.Many2many(
        "social.crm.account",
        domain="[('company_id', '=', company_id), ('can_publish', '=', True)]",
        tracking=True,
    )
    variant_ids = fields.One2many("social.crm.publication.variant", "publication_id", string="Variants")
    attachment_ids = fields.Many2many(
        "ir.attachment", string="Images", help="Images attached to the post, in this order."
    )
    campaign_id = fields.Many2one("utm.campaign", index="btree_not_null", tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    author_id = fields.Many2one("res.users", default=lambda self: self.env.user, tracking=True)
    state = fields.Selection(PUBLICATION_STATES, default="draft", required=True, tracking=True, index=True, copy=False)
    scheduled_date = fields.Datetime(
        string="Publish On", tracking=True, copy=False, help="Empty: as soon as it is scheduled."
    )
    published_date = fields.Datetime(readonly=True, copy=False)
    requires_approval = fields.Boolean(
        compute="_compute_requires_approval",
        store=True,
        help="An account or the campaign asks a manager to approve posts before they go out.",
    )
    approver_id = fields.Many2one("res.users", string="Approved By", readonly=True, copy=False)
    approval_date = fields.Datetime(readonly=True, copy=False)
    approval_expired = fields.Boolean(
        readonly=True,
        copy=False,
        help="The publication date passed while the post was waiting for approval; it was not published.",
    )
    error = fields.Text(compute="_compute_error", help="The networks' errors of the failed variants.")
    variant_count = fields.Integer(compute="_compute_error")
    color = fields.Integer(compute="_compute_color")

    @api.depends("account_ids.publish_requires_approval", "campaign_id.social_requires_approval")
    def _compute_requires_approval(self):
        for publication in self:
            publication.requires_approval = publication.campaign_id.social_requires_approval or any(
                publication.account_ids.mapped("publish_requires_approval")
            )

    @api.depends("variant_ids.error", "variant_ids.state")
    def _compute_error(self):
        for publication in self:
            failed = publication.variant_ids.filtered(lambda variant: variant.state in ("failed", "needs_check"))
            publication.error = "\n".join(f"{v.account_id.display_name}: {v.error}" for v in failed if v.error) or False
            publication.variant_count = len(publication.variant_ids)

    @api.depends("state")
    def _compute_color(self):
        colors = {"draft": 0, "waiting": 3, "scheduled": 4, "publishing": 2, "published": 10, "failed": 1}
        for publication in self:
            publication.color = colors[publication.state]

    # -- variants follow the accounts --------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        publications = super().create(vals_list)
        publications._sync_variants()
        return publications

    def write(self, vals):
        if not self.env.context.get("social_crm_publishing"):
            if vals.get("state") in _RELEASED_STATES:
                self._check_may_release()
            if _APPROVAL_FIELDS & set(vals) and not self._is_manager():
                raise AccessError(self.env._("Only a Social CRM manager approves posts."))
        result = super().write(vals)
        if "account_ids" in vals:
            self._sync_variants()
        return result

    @api.onchange("account_ids")
    def _onchange_account_ids(self):
        """The composer shows each network's variant (length, preview) before the post is saved."""
        chosen = set(self.account_ids._origin.ids)
        removed = self.variant_ids.filtered(lambda v: v.account_id._origin.id not in chosen and v.state != "published")
        self.variant_ids -= removed
        present = set(self.variant_ids.account_id._origin.ids)
        for account in self.account_ids._origin.filtered(lambda account: account.id not in present):
            self.variant_ids += self.env["social.crm.publication.variant"].new({"account_id": account.id})

    def _sync_variants(self):
        """One variant per account: new accounts get one, removed accounts lose theirs (unless published)."""
        for publication in self:
            existing = publication.variant_ids
            removed = existing.filtered(
                lambda v, accounts=publication.account_ids: v.account_id not in accounts and v.state != "published"
            )
            missing = publication.account_ids - (existing - removed).account_id
            removed.unlink()
            self.env["social.crm.publication.variant"].create(
                [{"publication_id": publication.id, "account_id": account.id} for account in missing]
            )

    # -- rights ---------------------------------------------------------------------
    def _is_manager(self):
        return self.env.user.has_group(MANAGER_GROUP)

    def _check_may_release(self):
        """Scheduling or publishing a post that needs approval is a manager's decision."""
        if not self._is_manager() and any(p.requires_approval and not p.approver_id for p in self):
            raise AccessError(
                self.env._("Posts to accounts or campaigns that need approval are scheduled by a Social CRM manager.")
            )

    # -- workflow -------------------------------------------------------------------
    def _check_publishable(self):
        for publication in self:
            if not publication.variant_ids:
                raise UserError(self.env._("Choose at least one account to publish on."))
            problems = [
                f"{variant.account_id.display_name}: {variant.problems}"
                for variant in publication.variant_ids
                if variant.problems and variant.state != "published"
            ]
            if problems:
                raise UserError(
                    self.env._("The networks would refuse this post:\n%(problems)s", problems="\n".join(problems))
                )

    def action_submit(self):
        """The author is done: posts needing approval wait for a manager, the others are scheduled."""
        self._check_publishable()
        for publication in self:
            if publication.requires_approval and not publication.approver_id:
                publication.write({"state": "waiting", "approval_expired": False})
                publication._notify_approvers()
            else:
                publication.with_context(social_crm_publishing=True)._schedule()
        return True

    def _notify_approvers(self):
        managers = self.env.ref(MANAGER_GROUP).sudo().user_ids.filtered(
            lambda user: not user.share and self.company_id in user.company_ids
        )
        for manager in managers[:5]:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=(self.scheduled_date or fields.Datetime.now()).date(),
                summary=self.env._("Approve the social post"),
                user_id=manager.id,
            )

    def _schedule(self):
        self.variant_ids.filtered(lambda v: v.state in ("draft", "failed")).write({"state": "pending"})
        self.write({"state": "scheduled", "scheduled_date": self.scheduled_date or fields.Datetime.now()})
        self.env.ref("social_crm.ir_cron_publish_due")._trigger(self.scheduled_date)

    def action_approve(self, comment=""):
        return self._review(approve=True, comment=comment)

    def action_reject(self, comment=""):
        return self._review(approve=False, comment=comment)

    def _review(self, approve, comment):
        if not self._is_manager():
            raise AccessError(self.env._("Only a Social CRM manager approves or rejects posts."))
        for publication in self:
            if publication.state != "waiting":
                raise UserError(self.env._("Only posts waiting for approval can be approved or rejected."))
            if approve:
                publication.with_context(social_crm_publishing=True).write(
                    {"approver_id": self.env.user.id, "approval_date": fields.Datetime.now()}
                )
                publication.with_context(social_crm_publishing=True)._schedule()
                verdict = self.env._("Approved")
            else:
                publication.write({"state": "draft"})
                verdict = self.env._("Rejected")
            body = Markup("<p><b>%s</b></p>") % verdict
            if comment:
                body += Markup("<p>%s</p>") % comment  # Markup % escapes the comment
            publication.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_comment")
            publication.activity_ids.filtered(lambda a: a.summary == self.env._("Approve the social post")).unlink()
        return True

    def action_open_review(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "social.crm.publication.review",
            "view_mode": "form",
            "target": "new",
            "context": {"default_publication_id": self.id},
        }

    def action_add_to_queue(self):
        """Take the next free posting slot of the accounts (the earliest of them)."""
        for publication in self:
            slots = [slot for slot in (a._next_free_slot() for a in publication.account_ids) if slot]
            if not slots:
                raise UserError(self.env._("None of the accounts has posting slots; set them on the account."))
            publication.scheduled_date = min(slots)
        return True

    def action_back_to_draft(self):
        if any(p.state in ("publishing", "published") for p in self):
            raise UserError(self.env._("A post that went out cannot be taken back to draft."))
        self.with_context(social_crm_publishing=True).write(
            {"state": "draft", "approver_id": False, "approval_date": False}
        )
        self.variant_ids.filtered(lambda v: v.state == "pending").write({"state": "draft"})
        return True

    def action_publish_now(self):
        self._check_publishable()
        self._check_may_release()
        for publication in self:
            if publication.requires_approval and not publication.approver_id:
                raise UserError(self.env._("This post needs approval first: submit it."))
            publication.with_context(social_crm_publishing=True).write({"scheduled_date": fields.Datetime.now()})
            publication.with_context(social_crm_publishing=True)._schedule()
            publication.sudo()._publish_pending()
        return True

    def action_retry(self):
        """Send the failed variants again; those whose outcome is unknown are looked up first."""
        self._check_may_release()
        for publication in self:
            failed = publication.variant_ids.filtered(lambda v: v.state in ("failed", "needs_check"))
            if not failed:
                raise UserError(self.env._("Nothing failed here."))
            failed.write({"state": "pending"})
            publication.with_context(social_crm_publishing=True).write({"state": "scheduled"})
            publication.sudo()._publish_pending()
        return True

    # -- publishing -----------------------------------------------------------------
    def _publish_pending(self, commit=False):
        """Publish the pending variants, one at a time; ``commit`` after each
        post (the cron), so that a crash never loses what went out."""
        self.ensure_one()
        publication = self.with_context(social_crm_publishing=True)
        publication.state = "publishing"
        for variant in publication.variant_ids.filtered(lambda v: v.state == "pending"):
            variant._publish(commit=commit)
            if commit:
                self.env["ir.cron"]._commit_progress(1)
        publication._update_state()

    def _update_state(self):
        for publication in self.with_context(social_crm_publishing=True):
            states = set(publication.variant_ids.mapped("state"))
            if states <= {"published"}:
                publication.write({"state": "published", "published_date": fields.Datetime.now()})
            elif states & {"failed", "needs_check"}:
                publication.state = "failed"
            elif "pending" in states:
                publication.state = "scheduled"  # rate-limited variants wait for the next run

    @api.model
    def _cron_publish_due(self):
        """Publish what is due, committing after each post; accounts the
        network asked to wait are skipped until their wait is over."""
        now = fields.Datetime.now()
        self._flag_expired_approvals(now)
        due = self.search([("state", "in", ("scheduled", "publishing")), ("scheduled_date", "<=", now)],
                          order="scheduled_date, id")
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(due))
        for publication in due:
            publication._publish_pending(commit=True)
            if not cron._commit_progress(1):
                break

    def _flag_expired_approvals(self, now):
        """Posts still waiting for approval when their time came are flagged, not published."""
        expired = self.search([("state", "=", "waiting"), ("scheduled_date", "<", now - timedelta(minutes=1)),
                               ("approval_expired", "=", False)])
        for publication in expired:
            publication.approval_expired = True
            publication.message_post(
                body=self.env._("The publication date passed before the post was approved; it was not published."),
                message_type="notification",
            )
