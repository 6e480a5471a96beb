from odoo import api, fields, models
from odoo.tools import SQL

from ..core.errors import ConnectorError, RateLimited


class SocialCrmAccountStat(models.Model):
    """One day of one of our accounts: followers and how its posts engaged."""

    _name = "social.crm.account.stat"
    _description = "Social Account Day"
    _order = "date desc, id desc"

    account_id = fields.Many2one("social.crm.account", required=True, ondelete="cascade", index=True)
    network = fields.Selection(related="account_id.network", store=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    followers = fields.Integer(aggregator="max")
    posts = fields.Integer(string="Posts (30 days)", aggregator="max", help="Our posts published in the last 30 days.")
    engagement = fields.Integer(aggregator="max", help="Engagement of those posts, as last read.")
    engagement_rate = fields.Float(
        string="Engagement Rate (%)", digits=(10, 2), aggregator="avg",
        help="Engagement per post per follower, in percent.",
    )

    _day_unique = models.Constraint("UNIQUE(account_id, date)", "One row per account and day.")

    @api.model
    def _record_accounts(self, accounts):
        """Today's row of each account: the follower count from the network
        (0 when it cannot be read), the engagement from the read-back series."""
        today = fields.Date.context_today(self)
        since = fields.Datetime.subtract(fields.Datetime.now(), days=30)
        for account in accounts:
            connector = account._connector()
            try:
                followers = connector.account_followers()
            except NotImplementedError:
                followers = 0
            except RateLimited as error:
                account._record_rate_limit(connector, error)
                continue
            except ConnectorError as error:
                account._record_error(error)
                continue
            variants = self.env["social.crm.publication.variant"].search(
                [("account_id", "=", account.id), ("state", "=", "published"), ("published_date", ">=", since)]
            )
            latest = {}
            for metric in variants.metric_ids.sorted("date"):
                latest[metric.variant_id] = metric.engagement
            engagement = sum(latest.values())
            values = {
                "followers": followers,
                "posts": len(variants),
                "engagement": engagement,
                "engagement_rate": 100.0 * engagement / len(variants) / followers if variants and followers else 0.0,
            }
            row = self.search([("account_id", "=", account.id), ("date", "=", today)])
            if row:
                row.write(values)
            else:
                self.create({"account_id": account.id, "date": today, **values})
            self.env["ir.cron"]._commit_progress()


class SocialCrmAccount(models.Model):
    _inherit = "social.crm.account"

    stat_ids = fields.One2many("social.crm.account.stat", "account_id", string="Daily Figures")
    best_hours = fields.Char(
        compute="_compute_best_hours", string="Best Hours to Post (UTC)",
        help="Hours of the day whose posts engaged most, from this account's own published posts.",
    )

    def _compute_best_hours(self):
        """Average last-read engagement of our posts by the hour they went out, best three."""
        self.env["social.crm.publication.metric"].flush_model()
        self.env["social.crm.publication.variant"].flush_model()
        self.env.cr.execute(SQL(
            """
            SELECT account_id, hour, AVG(engagement), COUNT(*)
              FROM (SELECT DISTINCT ON (variant.id) variant.account_id,
                           EXTRACT(HOUR FROM variant.published_date)::int AS hour, metric.engagement
                      FROM social_crm_publication_variant variant
                      JOIN social_crm_publication_metric metric ON metric.variant_id = variant.id
                     WHERE variant.account_id = ANY(%s) AND variant.state = 'published'
                     ORDER BY variant.id, metric.date DESC) latest
             GROUP BY account_id, hour
             ORDER BY account_id, AVG(engagement) DESC, hour
            """,
            self.ids,
        ))
        best = {}
        for account_id, hour, average, count in self.env.cr.fetchall():
            best.setdefault(account_id, [])
            if len(best[account_id]) < 3:
                best[account_id].append(
                    self.env._("%(hour)02d:00 (%(average).0f from %(count)s posts)",
                               hour=hour, average=float(average), count=count)
                )
        for account in self:
            account.best_hours = ", ".join(best.get(account.id, [])) or False
