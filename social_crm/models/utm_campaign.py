from statistics import median

from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL


class UtmCampaign(models.Model):
    """What a campaign's social posts brought in: reach, clicks, leads,
    revenue, and the social tickets of their threads."""

    _inherit = "utm.campaign"

    social_requires_approval = fields.Boolean(
        string="Social Posts Need Approval",
        help="Posts of this campaign go out once a Social CRM manager approved them.",
    )
    social_publication_ids = fields.One2many("social.crm.publication", "campaign_id", string="Social Posts")
    social_published_count = fields.Integer(compute="_compute_social_report", string="Posts Published")
    social_reach = fields.Integer(compute="_compute_social_report", string="Reach (Views)")
    social_engagement = fields.Integer(compute="_compute_social_report", string="Engagement")
    social_click_count = fields.Integer(compute="_compute_social_report", string="Link Clicks")
    social_lead_count = fields.Integer(compute="_compute_social_report", string="Leads")
    social_opportunity_count = fields.Integer(compute="_compute_social_report", string="Opportunities")
    social_won_revenue = fields.Monetary(compute="_compute_social_report", string="Won Revenue",
                                         currency_field="social_currency_id")
    social_currency_id = fields.Many2one("res.currency", compute="_compute_social_report")
    social_ticket_count = fields.Integer(compute="_compute_social_report", string="Social Tickets")
    social_ticket_resolved_count = fields.Integer(
        compute="_compute_social_report", string="Resolved on Social",
        help="Tickets of the posts' threads closed without any e-mail exchanged.",
    )
    social_response_html = fields.Html(compute="_compute_social_report", sanitize=False,
                                       string="First Response by Channel")

    def _social_variants(self):
        return self.env["social.crm.publication.variant"].search(
            [("campaign_id", "in", self.ids), ("state", "=", "published")]
        )

    @api.depends("social_publication_ids.state")
    def _compute_social_report(self):
        comparison = self._social_response_comparison()
        for campaign in self:
            variants = campaign._social_variants()
            metrics = self.env["social.crm.publication.metric"].search([("variant_id", "in", variants.ids)])
            latest = {}
            for metric in metrics.sorted("date"):
                latest[metric.variant_id] = metric
            leads = campaign._social_leads(variants)
            tickets = campaign._social_tickets(variants)
            emailed = set(self.env["mail.message"].sudo().search([
                ("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids), ("message_type", "=", "email"),
            ]).mapped("res_id"))
            won = leads.filtered(lambda lead: lead.stage_id.is_won)
            resolved = tickets.filtered(lambda t, emailed=emailed: t.closed and t.id not in emailed)
            campaign.update({
                "social_published_count": len(variants.publication_id),
                "social_reach": sum(metric.views for metric in latest.values()),
                "social_engagement": sum(metric.engagement for metric in latest.values()),
                "social_click_count": sum(variants.mapped("click_count")),
                "social_lead_count": len(leads.filtered(lambda lead: lead.type == "lead")),
                "social_opportunity_count": len(leads.filtered(lambda lead: lead.type == "opportunity")),
                "social_won_revenue": sum(won.mapped("expected_revenue")),
                "social_currency_id": self.env.company.currency_id.id,
                "social_ticket_count": len(tickets),
                "social_ticket_resolved_count": len(resolved),
                "social_response_html": comparison,
            })

    def _social_leads(self, variants):
        """Leads carrying the campaign through a tracked link (its sources) or made from replies to its posts."""
        # figures for the campaign screen: social users see the counts, not the leads themselves
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        sources = variants.publication_id.source_id
        companies = self.env.companies.ids
        by_utm = Lead.search([
            ("campaign_id", "=", self.id), ("source_id", "in", sources.ids), ("company_id", "in", companies),
        ]) if sources else Lead
        replies = self._social_thread_posts(variants)
        return by_utm | replies.sudo().lead_id

    def _social_tickets(self, variants):
        return self._social_thread_posts(variants).sudo().ticket_id

    def _social_thread_posts(self, variants):
        Post = self.env["social.crm.post"]
        if not variants:
            return Post
        threads = Domain.OR(
            [("account_id", "=", variant.account_id.id), ("thread_external_id", "=", variant.external_id)]
            for variant in variants
        )
        return Post.search(Domain("direction", "=", "incoming") & threads)

    @api.model
    def _social_response_comparison(self):
        """Median hours to the first answer, per helpdesk channel, over the
        last 90 days: social tickets from their first social reply, the other
        channels from the first message an employee wrote on the ticket."""
        self.env.cr.execute(SQL(
            """
            SELECT COALESCE(channel.name->>'en_US', ''), ticket.social_network IS NOT NULL,
                   COALESCE(NULLIF(ticket.social_first_response_hours, 0),
                            EXTRACT(EPOCH FROM (first_answer.date - ticket.create_date)) / 3600)
              FROM helpdesk_ticket ticket
              LEFT JOIN helpdesk_ticket_channel channel ON channel.id = ticket.channel_id
              LEFT JOIN LATERAL (
                    SELECT MIN(message.date) AS date
                      FROM mail_message message
                      JOIN res_users author ON author.partner_id = message.author_id AND NOT author.share
                     WHERE message.model = 'helpdesk.ticket' AND message.res_id = ticket.id
                       AND message.message_type IN ('comment', 'email') AND message.date >= ticket.create_date
                   ) first_answer ON TRUE
             WHERE ticket.create_date > NOW() - INTERVAL '90 days' AND ticket.company_id = ANY(%s)
            """,
            self.env.companies.ids,
        ))
        hours_by_channel = {}
        for channel, social, hours in self.env.cr.fetchall():
            name = channel or (self.env._("Social") if social else self.env._("No channel"))
            if hours is not None:
                hours_by_channel.setdefault(name, []).append(float(hours))
        if not hours_by_channel:
            return Markup("<p>%s</p>") % self.env._("No answered tickets in the last 90 days.")
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%.1f</td></tr>")
            % (name, len(hours), median(hours))
            for name, hours in sorted(hours_by_channel.items())
        )
        return Markup(
            "<table class='table table-sm'><thead><tr><th>%s</th><th class='text-end'>%s</th>"
            "<th class='text-end'>%s</th></tr></thead><tbody>%s</tbody></table>"
        ) % (self.env._("Channel"), self.env._("Tickets answered"), self.env._("Median first response (h)"), rows)

    def action_social_publications(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_publication_action")
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id}
        return action

    def action_social_engagement(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_publication_metric_action")
        action["domain"] = [("campaign_id", "=", self.id)]
        return action
