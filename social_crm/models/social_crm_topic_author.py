from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class SocialCrmTopicAuthor(models.Model):
    """Who talks about a topic (a database view over its posts): the most
    influential authors first, customers or not, with their sentiment."""

    _name = "social.crm.topic.author"
    _description = "Author Talking about a Topic"
    _auto = False
    _order = "influence_score desc, post_count desc, id"
    _rec_name = "profile_id"

    topic_id = fields.Many2one("social.crm.topic", readonly=True)
    topic_kind = fields.Selection([("brand", "Our Brand"), ("competitor", "Competitor")], readonly=True)
    profile_id = fields.Many2one("social.crm.profile", string="Author", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    network = fields.Char(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    is_customer = fields.Boolean(readonly=True)
    influence_score = fields.Float(string="Influence", readonly=True, digits=(5, 1), aggregator="max")
    followers = fields.Integer(readonly=True, aggregator="max")
    post_count = fields.Integer(string="Posts", readonly=True)
    negative_count = fields.Integer(string="Negative Posts", readonly=True)
    sentiment_avg = fields.Float(string="Sentiment toward the Topic", readonly=True, digits=(3, 2), aggregator="avg")
    last_post_date = fields.Datetime(string="Last Post", readonly=True)

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW social_crm_topic_author AS (
                    SELECT topic_post.topic_id::bigint * 10000000 + topic_post.profile_id AS id,
                           topic_post.topic_id, MIN(topic_post.topic_kind) AS topic_kind, topic_post.profile_id,
                           MIN(profile.company_id) AS company_id, MIN(profile.network) AS network,
                           MIN(profile.partner_id) AS partner_id,
                           BOOL_OR(profile.partner_id IS NOT NULL) AS is_customer,
                           MAX(profile.influence_score) AS influence_score, MAX(profile.followers) AS followers,
                           COUNT(*) AS post_count, SUM(topic_post.negative_count) AS negative_count,
                           AVG(topic_post.sentiment_score) AS sentiment_avg,
                           MAX(topic_post.published_date) AS last_post_date
                      FROM social_crm_topic_post topic_post
                      JOIN social_crm_profile profile ON profile.id = topic_post.profile_id
                     GROUP BY topic_post.topic_id, topic_post.profile_id
                )
                """
            )
        )

    def action_create_partner(self):
        """One click: the author becomes a customer (their posts follow)."""
        profiles = self.profile_id.filtered(lambda profile: not profile.partner_id)
        if not profiles:
            raise UserError(self.env._("These authors are customers already."))
        for profile in profiles:
            profile._create_partner()
        return self._open(profiles.partner_id)

    def action_create_lead(self):
        """One click: a lead for the author, with their best post about the topic."""
        Lead = self.env["crm.lead"]
        leads = Lead
        for author in self:
            profile = author.profile_id
            best = self.env["social.crm.topic.post"].search(
                [("topic_id", "=", author.topic_id.id), ("profile_id", "=", profile.id)],
                order="published_date desc",
                limit=1,
            )
            leads |= Lead.create(
                {
                    "name": self.env._(
                        "%(author)s on %(topic)s", author=profile.display_name, topic=author.topic_id.name
                    ),
                    "type": "lead",
                    "partner_id": profile.partner_id.id,
                    "contact_name": False if profile.partner_id else (profile.name or profile.handle),
                    "email_from": profile.partner_id.email or profile.email or False,
                    "website": profile.website or False,
                    # the post quoted as escaped HTML, like the leads the routing rules open
                    "description": best.post_id._quote_html() if best else False,
                    "source_id": Lead._find_or_create_record("utm.source", best.post_id._network_label()).id
                    if best
                    else False,
                    "company_id": profile.company_id.id,
                }
            )
        return self._open(leads)

    def _open(self, records):
        action = {"type": "ir.actions.act_window", "res_model": records._name, "target": "current"}
        if len(records) == 1:
            return dict(action, res_id=records.id, view_mode="form", views=[(False, "form")])
        return dict(
            action, domain=[("id", "in", records.ids)], view_mode="list,form", views=[(False, "list"), (False, "form")]
        )
