from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

#: how long an opened reply wizard, or a sent reply, warns the other agents
DEFAULT_WINDOW_MINUTES = 10


class SocialCrmPostAnswering(models.Model):
    """Who opened the reply wizard of a post, and when: the other agents see
    it on the post and ticket, and a second reply asks for confirmation."""

    _name = "social.crm.post.answering"
    _description = "Agent Answering a Social Post"
    _order = "started desc"

    post_id = fields.Many2one("social.crm.post", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    started = fields.Datetime(required=True)
    company_id = fields.Many2one(related="post_id.company_id", store=True)

    _one_per_agent = models.Constraint("UNIQUE(post_id, user_id)", "An agent answers a post once at a time.")

    @api.model
    def _window(self):
        minutes = self.env["ir.config_parameter"].sudo().get_param("social_crm.collision_window_minutes")
        return timedelta(minutes=int(minutes or DEFAULT_WINDOW_MINUTES))

    @api.model
    def _start(self, post):
        """The current user starts answering ``post``; the team is told on
        the bus."""
        now = fields.Datetime.now()
        # one statement, so two agents opening the wizard at once cannot collide on the unique key
        self.env.cr.execute(
            SQL(
                """INSERT INTO social_crm_post_answering (post_id, user_id, started, company_id,
                                                          create_uid, create_date, write_uid, write_date)
                   VALUES (%(post)s, %(user)s, %(now)s, %(company)s, %(user)s, %(now)s, %(user)s, %(now)s)
                   ON CONFLICT (post_id, user_id) DO UPDATE SET started = EXCLUDED.started,
                                                                write_date = EXCLUDED.write_date""",
                post=post.id,
                user=self.env.uid,
                now=now,
                company=post.company_id.id,
            )
        )
        self.env.cr.execute(SQL("DELETE FROM social_crm_post_answering WHERE started < %s", now - timedelta(days=1)))
        self.invalidate_model()
        self._notify(post)

    @api.model
    def _notify(self, post):
        """Tell the post's team, its agent and the others answering it that
        the current user answers it (the web client shows it)."""
        ticket = post.ticket_id.sudo()
        others = self._others(post).get(post.id, self.env["res.users"])
        recipients = (ticket.team_id.user_ids | ticket.user_id | others) - self.env.user
        payload = {
            "post_id": post.id,
            "ticket_id": ticket.id or False,
            "message": self.env._(
                "%(agent)s is answering %(post)s",
                agent=self.env.user.name,
                post=ticket.display_name or post.display_name,
            ),
        }
        recipients.sudo()._bus_send("social_crm/answering", payload)

    @api.model
    def _done(self, post):
        self.env.cr.execute(
            SQL("DELETE FROM social_crm_post_answering WHERE post_id = %s AND user_id = %s", post.id, self.env.uid)
        )
        self.invalidate_model()

    @api.model
    def _others(self, posts):
        """The other agents answering ``posts`` now, per post id."""
        since = fields.Datetime.now() - self._window()
        rows = self.sudo().search(
            [("post_id", "in", posts.ids), ("user_id", "!=", self.env.uid), ("started", ">=", since)]
        )
        result = {}
        for row in rows:
            result.setdefault(row.post_id.id, self.env["res.users"])
            result[row.post_id.id] |= row.user_id
        return result
