from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..core.listening import DETRACTOR_MAX, PROMOTER_MIN

#: the partner figures kept in res_partner's own columns (see _social_refresh_stats)
SOCIAL_STAT_FIELDS = (
    "social_post_count",
    "social_sentiment_avg",
    "social_sentiment_latest",
    "social_sentiment_trend",
    "social_complaint_count",
    "social_influence",
    "social_networks",
    "social_last_contact_date",
    "social_segment",
)
#: post fields whose change moves the partner figures
SOCIAL_STAT_POST_FIELDS = frozenset(
    {
        "partner_id", "company_id", "direction", "is_deleted", "sentiment_score", "sentiment_label", "intent",
        "published_date", "network",
    }
)  # fmt: skip
#: partners whose figures one statement refreshes
SOCIAL_STAT_BATCH = 1000


class ResPartner(models.Model):
    _inherit = "res.partner"

    social_profile_ids = fields.One2many("social.crm.profile", "partner_id", string="Social Profiles")
    social_post_ids = fields.One2many("social.crm.post", "partner_id", string="Social Posts")
    # stored figures, kept up to date by the posts (see _social_refresh_stats), so they can be
    # filtered, grouped and sorted on, and used in any domain (mailing lists, team rules, actions)
    social_post_count = fields.Integer(string="Social Posts Count", readonly=True, copy=False, index=True)
    social_sentiment_avg = fields.Float(
        string="Average Sentiment", digits=(3, 2), readonly=True, copy=False, index=True, aggregator="avg"
    )
    social_sentiment_latest = fields.Float(
        string="Latest Sentiment", digits=(3, 2), readonly=True, copy=False, index=True, aggregator="avg"
    )
    social_sentiment_trend = fields.Float(
        string="Sentiment Trend (30 days)",
        digits=(3, 2),
        readonly=True,
        copy=False,
        index=True,
        aggregator="avg",
        help="Average sentiment of the last 30 days minus that of the 30 days before (refreshed daily).",
    )
    social_complaint_count = fields.Integer(string="Complaints", readonly=True, copy=False, index=True)
    social_influence = fields.Float(
        string="Influence",
        digits=(5, 1),
        readonly=True,
        copy=False,
        index=True,
        aggregator="max",
        help="The highest of the profiles' scores.",
    )
    social_networks = fields.Char(
        readonly=True, copy=False, help="The networks the customer wrote on."
    )
    social_last_contact_date = fields.Datetime(
        string="Last Social Contact", readonly=True, copy=False, index=True, help="The newest post, theirs or ours."
    )
    social_segment = fields.Selection(
        [("promoter", "Promoter"), ("passive", "Passive"), ("detractor", "Detractor")],
        readonly=True,
        copy=False,
        index=True,
        help="From the average sentiment of the customer's posts.",
    )

    # each list only for those who may read its records: an agent opening a customer is no sales rep
    social_ticket_ids = fields.Many2many(
        "helpdesk.ticket",
        compute="_compute_social_ticket_ids",
        string="Open Social Tickets",
        groups="helpdesk_mgmt.group_helpdesk_user_own",
    )
    social_lead_ids = fields.Many2many(
        "crm.lead",
        compute="_compute_social_lead_ids",
        string="Open Social Leads",
        groups="sales_team.group_sale_salesman",
    )
    social_timeline = fields.Html(compute="_compute_social_timeline", string="Timeline", sanitize=False)

    def _social_records(self, field, model, open_domain):
        """``{partner: open records}`` that the partners' posts produced, from
        one grouped query and one search with the user's own record rules."""
        groups = self.env["social.crm.post"]._read_group(
            [("partner_id", "in", self.ids), (field, "!=", False)], ["partner_id"], [f"{field}:array_agg"]
        )
        produced = {record_id for _partner, ids in groups for record_id in ids}
        visible = set(self.env[model].search([("id", "in", list(produced)), *open_domain]).ids)
        found = {partner: [record_id for record_id in ids if record_id in visible] for partner, ids in groups}
        return {partner: self.env[model].browse(found.get(partner, [])) for partner in self}

    def _compute_social_ticket_ids(self):
        records = self._social_records("ticket_id", "helpdesk.ticket", [("closed", "=", False)])
        for partner in self:
            partner.social_ticket_ids = records[partner]

    def _compute_social_lead_ids(self):
        records = self._social_records(
            "lead_id", "crm.lead", ["|", ("stage_id", "=", False), ("stage_id.is_won", "=", False)]
        )
        for partner in self:
            partner.social_lead_ids = records[partner]

    @api.model
    def _social_refresh_stats(self, partner_ids):
        """Recompute the stored social figures of ``partner_ids`` from their
        posts and profiles, one statement per batch of partners: posts call it
        for the partners they touched (a page of ingestion, a correction, a
        deletion), never row by row.  A partner of one company counts the posts
        of that company only; a shared partner those of every company."""
        partner_ids = sorted({partner_id for partner_id in partner_ids if partner_id})
        if not partner_ids:
            return
        # the figures are read with SQL: pending changes (corrections, links) go first
        self.env["social.crm.post"].flush_model()
        self.env["social.crm.profile"].flush_model(["partner_id", "influence_score", "company_id"])
        self.flush_model(["company_id"])
        now = self.env.cr.now()
        for start in range(0, len(partner_ids), SOCIAL_STAT_BATCH):
            batch = partner_ids[start : start + SOCIAL_STAT_BATCH]
            self.env.cr.execute(
                SQL(
                    """
                    WITH touched AS (SELECT id, company_id FROM res_partner WHERE id = ANY(%(ids)s)),
                    posts AS (
                        SELECT t.id AS partner_id,
                               COUNT(p.id) FILTER (WHERE p.direction = 'incoming') AS post_count,
                               AVG(p.sentiment_score) FILTER (WHERE p.direction = 'incoming') AS average,
                               (ARRAY_AGG(p.sentiment_score ORDER BY p.published_date DESC NULLS LAST, p.id DESC)
                                  FILTER (WHERE p.direction = 'incoming'))[1] AS latest,
                               AVG(p.sentiment_score) FILTER (
                                   WHERE p.direction = 'incoming' AND p.published_date >= %(d30)s) AS recent,
                               AVG(p.sentiment_score) FILTER (
                                   WHERE p.direction = 'incoming' AND p.published_date >= %(d60)s
                                     AND p.published_date < %(d30)s) AS previous,
                               COUNT(p.id) FILTER (
                                   WHERE p.direction = 'incoming' AND p.intent = 'complaint') AS complaints,
                               STRING_AGG(DISTINCT p.network, ', ' ORDER BY p.network) AS networks,
                               MAX(p.published_date) AS last_contact
                          FROM touched t
                          LEFT JOIN social_crm_post p
                            ON p.partner_id = t.id AND NOT COALESCE(p.is_deleted, FALSE)
                           AND (t.company_id IS NULL OR p.company_id = t.company_id)
                         GROUP BY t.id
                    ),
                    influence AS (
                        SELECT t.id AS partner_id, MAX(pr.influence_score) AS influence
                          FROM touched t
                          JOIN social_crm_profile pr
                            ON pr.partner_id = t.id AND (t.company_id IS NULL OR pr.company_id = t.company_id)
                         GROUP BY t.id
                    ),
                    figures AS (
                        SELECT posts.partner_id,
                               posts.post_count,
                               COALESCE(posts.average, 0) AS average,
                               COALESCE(posts.latest, 0) AS latest,
                               CASE WHEN posts.recent IS NULL THEN 0
                                    ELSE posts.recent - COALESCE(posts.previous, 0) END AS trend,
                               posts.complaints,
                               COALESCE(influence.influence, 0) AS influence,
                               posts.networks,
                               posts.last_contact,
                               CASE WHEN posts.post_count = 0 THEN NULL
                                    WHEN posts.average >= %(promoter)s THEN 'promoter'
                                    WHEN posts.average <= %(detractor)s THEN 'detractor'
                                    ELSE 'passive' END AS segment
                          FROM posts LEFT JOIN influence ON influence.partner_id = posts.partner_id
                    )
                    UPDATE res_partner partner
                       SET social_post_count = f.post_count,
                           social_sentiment_avg = f.average,
                           social_sentiment_latest = f.latest,
                           social_sentiment_trend = f.trend,
                           social_complaint_count = f.complaints,
                           social_influence = f.influence,
                           social_networks = f.networks,
                           social_last_contact_date = f.last_contact,
                           social_segment = f.segment
                      FROM figures f
                     WHERE partner.id = f.partner_id
                       -- rows whose figures did not move are not rewritten (no dead tuples, no locks)
                       AND (partner.social_post_count, partner.social_sentiment_avg, partner.social_sentiment_latest,
                            partner.social_sentiment_trend, partner.social_complaint_count, partner.social_influence,
                            partner.social_networks, partner.social_last_contact_date, partner.social_segment)
                           IS DISTINCT FROM
                           (f.post_count, f.average, f.latest, f.trend, f.complaints, f.influence, f.networks,
                            f.last_contact, f.segment)
                    """,
                    ids=batch,
                    d30=now - timedelta(days=30),
                    d60=now - timedelta(days=60),
                    promoter=PROMOTER_MIN,
                    detractor=DETRACTOR_MAX,
                ),
                # two workers refreshing one customer at once: one loses with a serialization
                # failure, which its caller retries (a page is stored again): not a bad query
                log_exceptions=False,
            )
        self.browse(partner_ids).invalidate_recordset(list(SOCIAL_STAT_FIELDS))

    @api.model
    def _cron_social_refresh_trends(self, batch_size=SOCIAL_STAT_BATCH):
        """The 30-day trend moves with the calendar: refresh, batch by batch,
        the partners who posted in the last 61 days or still show a trend, and
        those never refreshed yet (posts stored before the figures existed)."""
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT partner_id FROM social_crm_post
                    WHERE partner_id IS NOT NULL AND published_date >= %s
                   UNION
                   SELECT id FROM res_partner WHERE social_sentiment_trend != 0
                   UNION
                   SELECT DISTINCT post.partner_id FROM social_crm_post post
                     JOIN res_partner partner ON partner.id = post.partner_id
                    WHERE partner.social_last_contact_date IS NULL AND NOT COALESCE(post.is_deleted, FALSE)""",
                self.env.cr.now() - timedelta(days=61),
            )
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        cron = self.env["ir.cron"]
        for start in range(0, len(partner_ids), batch_size):
            batch = partner_ids[start : start + batch_size]
            self._social_refresh_stats(batch)
            if not cron._commit_progress(len(batch)):
                break

    def action_view_social_posts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_post_action")
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_by_network": 0}
        return action

    def write(self, vals):
        result = super().write(vals)
        if "company_id" in vals:
            # the company decides which posts count
            self._social_refresh_stats(self.ids)
        return result

    @api.depends_context("uid")
    def _compute_social_timeline(self):
        """Social posts, e-mails and calls of the customer in one timeline."""
        Timeline = self.env["social.crm.timeline"]
        for partner in self:
            partner.social_timeline = Timeline._html(partner) if partner.id else False
