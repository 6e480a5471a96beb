from datetime import timedelta, timezone

from odoo import api, fields, models

TICKET_PRIORITIES = [("0", "Low"), ("1", "Medium"), ("2", "High"), ("3", "Very High")]


def to_aware_utc(moment):
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class SocialCrmSlaPolicy(models.Model):
    """Targets a social ticket must meet, in the working hours of its team:
    a first answer on the network, and the resolution."""

    _name = "social.crm.sla.policy"
    _description = "Social SLA Policy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    network = fields.Selection(
        selection=lambda self: self.env["social.crm.account"]._selection_network(), help="Empty: every network."
    )
    priority = fields.Selection(TICKET_PRIORITIES, help="Empty: every priority.")
    team_id = fields.Many2one("helpdesk.ticket.team", string="Helpdesk Team", help="Empty: every team.")
    first_response_hours = fields.Float(
        string="First Response Target (working hours)", digits=(10, 2), help="0: no first-response target."
    )
    resolution_hours = fields.Float(
        string="Resolution Target (working hours)", digits=(10, 2), help="0: no resolution target."
    )
    warning_percent = fields.Integer(
        string="Warn At (%)", default=75, help="Share of a target's working time after which the ticket is at risk."
    )
    breach_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Breach Activity",
        default=lambda self: self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False),
        help="Scheduled for the team leader (else the ticket's agent) when a target is missed.",
    )

    _positive_targets = models.Constraint(
        "CHECK(first_response_hours >= 0 AND resolution_hours >= 0 AND warning_percent BETWEEN 1 AND 100)",
        "Targets cannot be negative and the warning is a percentage from 1 to 100.",
    )

    @api.model
    def _for_ticket(self, ticket):
        """The most specific active policy for ``ticket``: one naming its team
        beats one naming its network, which beats one naming its priority."""
        candidates = self.search(
            [
                ("company_id", "=", ticket.company_id.id),
                ("network", "in", [ticket.social_network, False]),
                ("priority", "in", [ticket.priority, False]),
                ("team_id", "in", [ticket.team_id.id, False]),
            ]
        )
        if not candidates:
            return self
        return max(
            candidates,
            key=lambda policy: (bool(policy.team_id), bool(policy.network), bool(policy.priority), -policy.sequence),
        )

    def _deadline(self, calendar, start, hours):
        """``start`` plus ``hours`` of the calendar's working time (its time
        zone, weekends and public holidays), as a naive UTC datetime."""
        if not hours:
            return False
        if not calendar:
            end = start + timedelta(hours=hours)  # no calendar at all: the clock runs round the clock
        else:
            end = calendar.plan_hours(hours, to_aware_utc(start), compute_leaves=True)
            if not end:
                return False
            end = to_aware_utc(end).replace(tzinfo=None)
        # to the second: float hours leave microseconds of noise
        return (end + timedelta(microseconds=500_000)).replace(microsecond=0)

    @api.model
    def _working_hours_between(self, calendar, start, end):
        if not calendar:
            return (end - start).total_seconds() / 3600
        return calendar.get_work_hours_count(to_aware_utc(start), to_aware_utc(end), compute_leaves=True)
