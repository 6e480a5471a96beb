from dataclasses import replace
from datetime import datetime, timedelta, timezone

from odoo import fields, models

from ..core.desk import Agent, pick_agent, split_languages


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    social_crm_agent_cap = fields.Integer(
        string="Open Social Tickets per Agent",
        help="The team queue gives an agent no new social ticket while they have this many open; 0: no cap.",
    )
    social_crm_reply_approval = fields.Boolean(
        string="Social Replies Need Approval",
        help="Replies by users of the group 'Social CRM: Replies Need Approval' to this team's tickets wait for a "
        "manager before they go out.",
    )
    social_crm_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        help="SLA targets of the team's social tickets count these hours; empty: the company's working hours.",
    )

    def _social_crm_calendar(self):
        self.ensure_one()
        return (
            self.social_crm_calendar_id or self.company_id.resource_calendar_id or self.env.company.resource_calendar_id
        )

    def _social_hand_out(self, tickets):
        """Give the team's queued ``tickets`` to its agents, most urgent
        first, and return how many were given; the caller holds the team's
        assignment lock."""
        self.ensure_one()
        agents = self.user_ids.filtered(lambda user: user.active and not user.share)
        open_counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("user_id", "in", agents.ids), ("social_network", "!=", False), ("closed", "=", False)],
                ["user_id"],
                ["__count"],
            )
        )
        available = self._social_available_agents(agents)
        pool = {
            user.id: Agent(
                user.id, split_languages(user.social_crm_languages), open_counts.get(user, 0), user in available
            )
            for user in agents
        }
        given = 0
        for ticket in tickets.sorted(lambda t: (-t.social_queue_priority, t.create_date, t.id)):
            user_id = pick_agent(list(pool.values()), ticket.social_language, self.social_crm_agent_cap)
            if user_id is None:
                continue
            ticket.write({"user_id": user_id, "social_awaiting_agent": False})
            pool[user_id] = replace(pool[user_id], open_tickets=pool[user_id].open_tickets + 1)
            given += 1
        return given

    def _social_available_agents(self, users):
        """``users`` not away now: an agent whose resource calendar has no
        working time at this minute (time off, leave, outside their hours) is
        away; an agent without a resource is always available."""
        now = datetime.now(timezone.utc)
        resources = self.env["resource.resource"].sudo().search([("user_id", "in", users.ids)])
        away = users.browse()
        for resource in resources.filtered("calendar_id"):
            intervals = resource.calendar_id._work_intervals_batch(now, now + timedelta(minutes=1), resources=resource)
            if not intervals[resource.id]:
                away |= resource.user_id
        return users - away
