from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class ResPartner(models.Model):
    _inherit = "res.partner"

    social_profile_ids = fields.One2many("social.crm.profile", "partner_id", string="Social Profiles")
    social_post_ids = fields.One2many("social.crm.post", "partner_id", string="Social Posts")
    social_post_count = fields.Integer(compute="_compute_social_stats", string="Social Posts Count")
    social_sentiment_avg = fields.Float(compute="_compute_social_stats", string="Average Sentiment", digits=(3, 2))
    social_sentiment_latest = fields.Float(compute="_compute_social_stats", string="Latest Sentiment", digits=(3, 2))
    social_sentiment_trend = fields.Float(
        compute="_compute_social_stats",
        string="Sentiment Trend (30 days)",
        digits=(3, 2),
        help="Average sentiment of the last 30 days minus that of the 30 days before.",
    )
    social_complaint_count = fields.Integer(compute="_compute_social_stats", string="Complaints")
    social_influence = fields.Float(
        compute="_compute_social_stats", string="Influence", digits=(5, 1), help="The highest of the profiles' scores."
    )

    social_ticket_ids = fields.Many2many(
        "helpdesk.ticket", compute="_compute_social_records", string="Open Social Tickets"
    )
    social_lead_ids = fields.Many2many("crm.lead", compute="_compute_social_records", string="Open Social Leads")
    social_timeline = fields.Html(compute="_compute_social_timeline", string="Timeline", sanitize=False)

    def _compute_social_records(self):
        """Open tickets and leads that the partner's posts produced, from one
        grouped query."""
        records = {
            partner: (tickets, leads)
            for partner, tickets, leads in self.env["social.crm.post"]._read_group(
                [("partner_id", "in", self.ids), "|", ("ticket_id", "!=", False), ("lead_id", "!=", False)],
                ["partner_id"],
                ["ticket_id:recordset", "lead_id:recordset"],
            )
        }
        for partner in self:
            tickets, leads = records.get(partner, (self.env["helpdesk.ticket"], self.env["crm.lead"]))
            partner.social_ticket_ids = tickets.filtered(lambda ticket: not ticket.closed)
            partner.social_lead_ids = leads.filtered(lambda lead: lead.active and not lead.stage_id.is_won)

    def _compute_social_stats(self):
        """Every figure of every partner in the recordset from one query over
        the posts (record rules applied) and one over the profiles."""
        stats = {}
        partners = self.filtered("id")
        if partners:
            now = fields.Datetime.now()
            Post = self.env["social.crm.post"]
            # the aggregates are read with SQL: pending changes (corrections) go first
            Post.flush_model(["partner_id", "direction", "is_deleted", "sentiment_score", "published_date", "intent"])
            query = Post._search(
                [("partner_id", "in", partners.ids), ("direction", "=", "incoming"), ("is_deleted", "=", False)]
            )
            query.groupby = SQL("social_crm_post.partner_id")
            self.env.cr.execute(
                query.select(
                    SQL(
                        """social_crm_post.partner_id,
                        COUNT(*),
                        AVG(social_crm_post.sentiment_score),
                        (ARRAY_AGG(social_crm_post.sentiment_score ORDER BY social_crm_post.published_date DESC,
                                   social_crm_post.id DESC))[1],
                        AVG(social_crm_post.sentiment_score) FILTER (WHERE social_crm_post.published_date >= %(d30)s),
                        AVG(social_crm_post.sentiment_score) FILTER (
                            WHERE social_crm_post.published_date >= %(d60)s
                              AND social_crm_post.published_date < %(d30)s),
                        COUNT(*) FILTER (WHERE social_crm_post.intent = 'complaint')""",
                        d30=now - timedelta(days=30),
                        d60=now - timedelta(days=60),
                    )
                )
            )
            stats = {row[0]: row[1:] for row in self.env.cr.fetchall()}
            influence = dict(
                self.env["social.crm.profile"]._read_group(
                    [("partner_id", "in", partners.ids)], ["partner_id"], ["influence_score:max"]
                )
            )
        for partner in self:
            count, average, latest, recent, previous, complaints = stats.get(partner.id, (0, 0, 0, None, None, 0))
            partner.social_post_count = count
            partner.social_sentiment_avg = average or 0.0
            partner.social_sentiment_latest = latest or 0.0
            partner.social_sentiment_trend = (recent or 0.0) - (previous or 0.0) if recent is not None else 0.0
            partner.social_complaint_count = complaints
            partner.social_influence = influence.get(partner, 0.0) if partners else 0.0

    def action_view_social_posts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_post_action")
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_by_network": 0}
        return action

    @api.depends_context("uid")
    def _compute_social_timeline(self):
        """Social posts, e-mails and calls of the customer in one timeline."""
        Timeline = self.env["social.crm.timeline"]
        for partner in self:
            partner.social_timeline = Timeline._html(partner) if partner.id else False
