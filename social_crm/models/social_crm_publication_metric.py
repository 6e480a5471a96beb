from odoo import api, fields, models

from ..core.errors import ConnectorError, RateLimited


class SocialCrmPublicationMetric(models.Model):
    """The engagement of one published variant on one day, as read back from the network."""

    _name = "social.crm.publication.metric"
    _description = "Social Publication Engagement"
    _order = "date desc, id desc"

    variant_id = fields.Many2one("social.crm.publication.variant", required=True, ondelete="cascade", index=True)
    publication_id = fields.Many2one(related="variant_id.publication_id", store=True, index=True)
    account_id = fields.Many2one(related="variant_id.account_id", store=True, index=True)
    network = fields.Selection(related="variant_id.network", store=True)
    campaign_id = fields.Many2one(related="variant_id.campaign_id", store=True, index="btree_not_null")
    company_id = fields.Many2one(related="variant_id.company_id", store=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    likes = fields.Integer(aggregator="max")
    replies = fields.Integer(aggregator="max")
    reposts = fields.Integer(aggregator="max")
    views = fields.Integer(string="Views (Reach)", aggregator="max")
    clicks = fields.Integer(aggregator="max")
    engagement = fields.Integer(compute="_compute_engagement", store=True, aggregator="max",
                                help="Likes, replies, reposts and clicks.")

    _day_unique = models.Constraint("UNIQUE(variant_id, date)", "One engagement row per post and day.")

    @api.depends("likes", "replies", "reposts", "clicks")
    def _compute_engagement(self):
        for metric in self:
            metric.engagement = metric.likes + metric.replies + metric.reposts + metric.clicks

    @api.model
    def _cron_read_engagement(self, days=30):
        """Read the figures of every post published in the last ``days`` days,
        account by account, committing after each account."""
        since = fields.Datetime.subtract(fields.Datetime.now(), days=days)
        variants = self.env["social.crm.publication.variant"].search(
            [("state", "=", "published"), ("external_id", "!=", False), ("published_date", ">=", since)]
        )
        cron = self.env["ir.cron"]
        accounts = variants.account_id
        cron._commit_progress(remaining=len(accounts))
        for account in accounts:
            if account.rate_limit_reset and account.rate_limit_reset > fields.Datetime.now():
                continue
            self._read_account(account, variants.filtered(lambda v, account=account: v.account_id == account))
            if not cron._commit_progress(1):
                return
        # then each publishing account's day: followers and engagement rate
        publishing = self.env["social.crm.account"].search([("can_publish", "=", True), ("state", "!=", "disabled")])
        self.env["social.crm.account.stat"]._record_accounts(publishing)

    def _read_account(self, account, variants):
        connector = account._connector()
        try:
            figures = connector.post_metrics(variants.mapped("external_id"))
        except NotImplementedError:
            return
        except RateLimited as error:
            account._record_rate_limit(connector, error)
            return
        except ConnectorError as error:
            account._record_error(error)
            return
        today = fields.Date.context_today(self)
        existing = {m.variant_id: m for m in self.search([("variant_id", "in", variants.ids), ("date", "=", today)])}
        for variant in variants:
            metrics = figures.get(variant.external_id)
            if metrics is None:
                continue
            values = {"likes": metrics.likes, "replies": metrics.replies, "reposts": metrics.reposts + metrics.quotes,
                      "views": metrics.views, "clicks": variant.click_count}
            if variant in existing:
                existing[variant].write(values)
            else:
                self.create({"variant_id": variant.id, "date": today, **values})
            if variant.post_id:
                variant.post_id.sudo().with_context(social_crm_analysis=True).write({
                    "like_count": metrics.likes, "reply_count": metrics.replies,
                    "repost_count": metrics.reposts, "view_count": metrics.views,
                })
