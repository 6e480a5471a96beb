from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..forum_connector import PUBLIC_STATES, ForumConnector

FORUM = ForumConnector.network


class SocialCrmAccount(models.Model):
    _inherit = "social.crm.account"

    forum_id = fields.Many2one(
        "forum.forum",
        index="btree_not_null",
        ondelete="restrict",
        help="The website forum whose questions and answers this account listens to.",
    )
    forum_unanswered_hours = fields.Integer(
        string="Unanswered After (hours)",
        default=24,
        help="A question nobody answered for this long is handed to the rule below.",
    )
    forum_unanswered_rule_id = fields.Many2one(
        "social.crm.rule",
        string="Rule for Unanswered Questions",
        domain="[('company_id', '=', company_id), ('forum_unanswered_only', '=', True)]",
        help="What happens to a question left unanswered: usually a ticket for the community team.",
    )

    _one_account_per_forum = models.Constraint(
        "UNIQUE(forum_id)", "A forum is listened to by one account only: its questions would be stored twice."
    )

    @api.model
    def _selection_network(self):
        return [*super()._selection_network(), (FORUM, self.env._("Community Forum"))]

    @api.constrains("network", "forum_id", "company_id")
    def _check_forum(self):
        for account in self.filtered(lambda account: account.network == FORUM):
            website_company = account.forum_id.website_id.company_id
            if website_company and website_company != account.company_id:
                raise ValidationError(
                    self.env._(
                        "The forum %(forum)s belongs to the website of %(company)s: choose a forum of this company.",
                        forum=account.forum_id.name,
                        company=website_company.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        # a community account is useful at once: one stream for questions, one for answers
        for account in accounts.filtered(lambda account: account.network == FORUM and not account.stream_ids):
            account.stream_ids = [
                fields.Command.create({"name": self.env._("Questions"), "kind": "mentions"}),
                fields.Command.create({"name": self.env._("Answers"), "kind": "comments"}),
            ]
        return accounts

    def _connector(self):
        if self.network != FORUM:
            return super()._connector()
        connector = super()._connector()
        connector.forum = self.forum_id
        return connector

    def _is_own(self, author):
        if self.network == FORUM:
            return author.verified
        return super()._is_own(author)

    # -- pushed from the forum ------------------------------------------------
    def _forum_ingest(self, forum_posts):
        """Store forum posts the moment they are written, so that routing
        sees a question at once; the scheduled fetch reads the forum too, and
        stores nothing twice, so a post missed here is read there."""
        for account in self:
            own = forum_posts.filtered(
                lambda post, forum=account.forum_id: post.forum_id == forum and post.state in PUBLIC_STATES
            )
            account.sudo()._ingest_pushed(account._connector().normalize(own))

    # -- unanswered questions ---------------------------------------------------
    @api.model
    def _cron_forum_unanswered(self, batch_size=200):
        """Hand every question left unanswered for too long to its account's
        rule, once: the rule's mark on the post keeps it from a second run."""
        cron = self.env["ir.cron"]
        for account in self.search([("network", "=", FORUM), ("forum_unanswered_rule_id", "!=", False)]):
            while posts := account._forum_unanswered(batch_size):
                for post in posts:
                    post._apply_rule(account.forum_unanswered_rule_id)
                if not cron._commit_progress(len(posts)):
                    return

    def _forum_unanswered(self, limit):
        """Routed questions of this account with no ticket, no lead and no
        answer on the forum, older than the account's delay."""
        self.ensure_one()
        deadline = fields.Datetime.now() - timedelta(hours=max(self.forum_unanswered_hours, 0))
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT post.id FROM social_crm_post post
                    WHERE post.account_id = %(account)s AND post.kind = 'mention' AND post.direction = 'incoming'
                      AND post.state = 'processed' AND NOT post.is_deleted
                      AND post.ticket_id IS NULL AND post.lead_id IS NULL
                      AND post.rule_id IS DISTINCT FROM %(rule)s AND post.published_date <= %(deadline)s
                      AND NOT EXISTS (SELECT 1 FROM forum_post answer
                                       WHERE answer.parent_id = post.external_id::integer AND answer.active)
                    ORDER BY post.published_date, post.id LIMIT %(limit)s""",
                account=self.id,
                rule=self.forum_unanswered_rule_id.id,
                deadline=deadline,
                limit=limit,
            )
        )
        return self.env["social.crm.post"].browse(row[0] for row in self.env.cr.fetchall())
