from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from ..core.desk import queue_priority

#: first key of the advisory locks that let one worker at a time hand out a team's tickets
ASSIGNMENT_LOCK = 0x5C15


class HelpdeskTicket(models.Model):
    """The social desk on tickets: the team queue and its fair assignment."""

    _inherit = "helpdesk.ticket"

    social_queue_priority = fields.Float(
        string="Queue Priority",
        readonly=True,
        index=True,
        digits=(6, 2),
        help="Author's influence plus the post's anger: higher goes first in the team queue.",
    )
    social_awaiting_agent = fields.Boolean(
        string="In Team Queue", readonly=True, index=True, help="Waits for the team queue to give it to an agent."
    )
    social_language = fields.Char(string="Post Language", readonly=True)

    social_answering_names = fields.Char(compute="_compute_social_answering_names", string="Being Answered By")

    # -- SLA ------------------------------------------------------------------
    social_sla_policy_id = fields.Many2one("social.crm.sla.policy", string="SLA Policy", readonly=True, index=True)
    social_sla_response_deadline = fields.Datetime(string="First Response Due", readonly=True)
    social_sla_response_warning = fields.Datetime(string="First Response at Risk From", readonly=True)
    social_sla_resolution_deadline = fields.Datetime(string="Resolution Due", readonly=True)
    social_sla_resolution_warning = fields.Datetime(string="Resolution at Risk From", readonly=True)
    social_sla_responded_date = fields.Datetime(string="First Answered", readonly=True)
    social_sla_response_breached = fields.Boolean(string="First Response Missed", readonly=True)
    social_sla_resolution_breached = fields.Boolean(string="Resolution Missed", readonly=True)
    social_sla_deadline = fields.Datetime(
        string="SLA Deadline", readonly=True, index=True, help="The next target due: first response, then resolution."
    )
    social_sla_state = fields.Selection(
        [("on_track", "On Track"), ("warning", "At Risk"), ("breached", "Breached"), ("met", "Met")],
        string="SLA",
        readonly=True,
        index=True,
    )
    social_sla_attained = fields.Float(
        string="SLA Attainment",
        readonly=True,
        aggregator="avg",
        digits=(3, 2),
        help="1 for a closed ticket that met its targets, 0 for one that missed one; averaged in reports.",
    )
    social_approval_wait_hours = fields.Float(
        string="Waited for Approval (hours)",
        readonly=True,
        digits=(10, 2),
        help="How long replies to this ticket waited for a manager's approval; the SLA clock ran meanwhile.",
    )
    social_approval_ids = fields.One2many("social.crm.reply.approval", "ticket_id", string="Replies for Approval")
    social_sla_response_working_hours = fields.Float(
        string="First Response (working hours)", readonly=True, aggregator="avg", digits=(10, 2)
    )

    @api.depends_context("uid")
    def _compute_social_answering_names(self):
        posts = self.env["social.crm.post"].search([("ticket_id", "in", self.ids)])
        others = self.env["social.crm.post.answering"]._others(posts)
        for ticket in self:
            agents = self.env["res.users"]
            for post in posts.filtered(lambda p, t=ticket: p.ticket_id == t):
                agents |= others.get(post.id, agents)
            ticket.social_answering_names = ", ".join(agents.mapped("name"))

    social_timeline = fields.Html(compute="_compute_social_timeline", string="Timeline", sanitize=False)

    @api.depends_context("uid")
    def _compute_social_timeline(self):
        Timeline = self.env["social.crm.timeline"]
        for ticket in self:
            ticket.social_timeline = Timeline._html(ticket.partner_id, ticket) if ticket.id else False

    def action_social_summarise(self):
        self.ensure_one()
        self.env["social.crm.ai.log"]._summarise(self)
        return True

    @api.model
    def _social_create_from_post(self, post, rule):
        ticket = super()._social_create_from_post(post, rule)
        values = {
            "social_queue_priority": queue_priority(post.sentiment_score, post.profile_id.influence_score),
            "social_language": post.language,
        }
        if rule.assign_to_team_queue and rule.helpdesk_team_id:
            values.update(user_id=False, social_awaiting_agent=True)
        ticket.write(values)
        ticket._social_sla_start()
        if values.get("social_awaiting_agent"):
            self.env.ref("social_crm.ir_cron_assign_social_tickets")._trigger()
        return ticket

    @api.model
    def _cron_social_assign(self, batch_size=1000):
        cron = self.env["ir.cron"]
        while assigned := self._social_assign_queue(batch_size):
            if not cron._commit_progress(assigned):
                break

    @api.model
    def _social_assign_queue(self, limit=100):
        """Give up to ``limit`` queued tickets, most urgent first, to their
        team's agents and return how many were given.

        Ticket rows are locked with SKIP LOCKED and each team is handed out
        under a transaction advisory lock, so two workers never give one
        ticket to two agents, nor count one agent's tickets at once."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM helpdesk_ticket
                    WHERE social_awaiting_agent AND user_id IS NULL AND team_id IS NOT NULL
                    ORDER BY social_queue_priority DESC, create_date, id
                    LIMIT %s FOR UPDATE SKIP LOCKED""",
                limit,
            )
        )
        tickets = self.browse(row[0] for row in self.env.cr.fetchall())
        assigned = 0
        for team in tickets.team_id:
            self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", ASSIGNMENT_LOCK, team.id))
            if not self.env.cr.fetchone()[0]:
                continue  # another worker is handing out this team's tickets right now
            assigned += team._social_hand_out(tickets.filtered(lambda ticket, team=team: ticket.team_id == team))
        return assigned

    # -- SLA ------------------------------------------------------------------
    def _social_sla_start(self):
        """Set the SLA deadlines of new social tickets from their policy, in
        their team's working hours."""
        Policy = self.env["social.crm.sla.policy"].sudo()
        for ticket in self.filtered("social_network"):
            policy = Policy._for_ticket(ticket)
            if not policy:
                continue
            calendar = (
                ticket.team_id._social_crm_calendar() if ticket.team_id else ticket.company_id.resource_calendar_id
            )
            start = (ticket.create_date or fields.Datetime.now()).replace(microsecond=0)
            share = policy.warning_percent / 100.0
            ticket.write(
                {
                    "social_sla_policy_id": policy.id,
                    "social_sla_response_deadline": policy._deadline(calendar, start, policy.first_response_hours),
                    "social_sla_response_warning": policy._deadline(
                        calendar, start, policy.first_response_hours * share
                    ),
                    "social_sla_resolution_deadline": policy._deadline(calendar, start, policy.resolution_hours),
                    "social_sla_resolution_warning": policy._deadline(calendar, start, policy.resolution_hours * share),
                }
            )
        self._social_sla_refresh()

    def _social_sla_refresh(self, now=None):
        """Bring the SLA state of the tickets up to date at ``now``; a target
        newly missed schedules the policy's breach activity."""
        now = now or fields.Datetime.now()
        for ticket in self.filtered("social_sla_policy_id"):
            values = {}
            response_due, resolution_due = ticket.social_sla_response_deadline, ticket.social_sla_resolution_deadline
            answered = ticket.social_sla_responded_date
            if response_due and not ticket.social_sla_response_breached and (answered or now) > response_due:
                values["social_sla_response_breached"] = True
            done = ticket.closed and ticket.closed_date
            if resolution_due and not ticket.social_sla_resolution_breached and (done or now) > resolution_due:
                values["social_sla_resolution_breached"] = True
            breached = values.get("social_sla_response_breached", ticket.social_sla_response_breached) or values.get(
                "social_sla_resolution_breached", ticket.social_sla_resolution_breached
            )
            at_risk = (
                not answered and ticket.social_sla_response_warning and now >= ticket.social_sla_response_warning
            ) or (not done and ticket.social_sla_resolution_warning and now >= ticket.social_sla_resolution_warning)
            if breached:
                values.update(social_sla_state="breached", social_sla_attained=0.0)
            elif ticket.closed:
                values.update(social_sla_state="met", social_sla_attained=1.0)
            else:
                values["social_sla_state"] = "warning" if at_risk else "on_track"
            pending = [due for due, met in ((response_due, answered), (resolution_due, done)) if due and not met]
            values["social_sla_deadline"] = min(pending) if pending else False
            changed = {key: value for key, value in values.items() if ticket[key] != value}
            if changed:
                ticket.write(changed)
            newly_missed = [
                label
                for key, label in (
                    ("social_sla_response_breached", self.env._("first response")),
                    ("social_sla_resolution_breached", self.env._("resolution")),
                )
                if changed.get(key)
            ]
            if newly_missed and not ticket.closed:
                ticket._social_sla_escalate(newly_missed)

    def _social_sla_escalate(self, missed):
        policy = self.social_sla_policy_id
        summary = self.env._("SLA missed: %(targets)s", targets=", ".join(missed))
        leader = self.team_id.user_id or self.user_id
        if policy.breach_activity_type_id and leader:
            self.activity_schedule(
                activity_type_id=policy.breach_activity_type_id.id, summary=summary, user_id=leader.id
            )
        self.message_post(body=Markup("<p>%s</p>") % summary, subtype_xmlid="mail.mt_note")

    def _social_record_first_response(self, moment):
        result = super()._social_record_first_response(moment)
        for ticket in self.filtered(lambda t: t.social_sla_policy_id and not t.social_sla_responded_date):
            calendar = ticket.team_id._social_crm_calendar() if ticket.team_id else False
            ticket.social_sla_responded_date = moment
            ticket.social_sla_response_working_hours = ticket.social_sla_policy_id._working_hours_between(
                calendar, ticket.create_date, moment
            )
        self._social_sla_refresh(moment)
        return result

    def write(self, vals):
        result = super().write(vals)
        if "stage_id" in vals and not self.env.context.get("social_sla_refreshing"):
            self.with_context(social_sla_refreshing=True)._social_sla_refresh()
            social = self.filtered("social_network")
            # the suggestion index follows closing and reopening at once
            Solution = self.env["social.crm.solution"]
            Solution._index(social.filtered("closed"))
            Solution._unindex(social.filtered(lambda ticket: not ticket.closed))
        return result

    @api.model
    def _cron_social_sla_check(self, batch_size=500):
        """Mark open social tickets at risk or breached as time passes, batch
        by batch, committing after each."""
        cron = self.env["ir.cron"]
        now = fields.Datetime.now()
        last_id = 0
        while True:
            tickets = self.search(
                [
                    ("id", ">", last_id),
                    ("social_sla_policy_id", "!=", False),
                    ("social_sla_state", "in", ["on_track", "warning"]),
                ],
                order="id",
                limit=batch_size,
            )
            if not tickets:
                break
            tickets._social_sla_refresh(now)
            last_id = tickets[-1].id
            if not cron._commit_progress(len(tickets)):
                break
