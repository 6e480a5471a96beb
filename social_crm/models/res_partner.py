from datetime import timedelta

from odoo import fields, models
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
