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
