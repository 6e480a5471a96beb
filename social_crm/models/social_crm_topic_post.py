from odoo import fields, models
from odoo.tools import SQL

from .social_crm_post import INTENTS, SENTIMENT_LABELS


class SocialCrmTopicPost(models.Model):
    """A post as part of a topic (a database view): an incoming, not deleted
    post of the topic's company read by one of its streams or containing one
    of its keywords.  Share of voice, sentiment per topic and the detector's
    counts are grouped queries over it."""

    _name = "social.crm.topic.post"
    _description = "Post of a Listening Topic"
    _auto = False
    _order = "published_date desc, id desc"
    _rec_name = "post_id"

    topic_id = fields.Many2one("social.crm.topic", readonly=True)
    topic_kind = fields.Selection([("brand", "Our Brand"), ("competitor", "Competitor")], readonly=True)
    post_id = fields.Many2one("social.crm.post", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    published_date = fields.Datetime(string="Published", readonly=True)
    network = fields.Char(readonly=True)
    language = fields.Char(readonly=True)
    sentiment_label = fields.Selection(SENTIMENT_LABELS, string="Sentiment", readonly=True)
    sentiment_score = fields.Float(readonly=True, aggregator="avg", digits=(3, 2))
    intent = fields.Selection(INTENTS, readonly=True)
    profile_id = fields.Many2one("social.crm.profile", string="Author", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    negative_count = fields.Integer(string="Negative Posts", readonly=True)
    compares_us = fields.Boolean(
        string="Compares with Us",
        readonly=True,
        help="A post of a competitor topic that also belongs to one of our brand topics.",
    )
    text = fields.Text(related="post_id.text")

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW social_crm_topic_post AS (
                    WITH matched AS (
                        SELECT topic.id AS topic_id, topic.kind AS topic_kind, post.*
                          FROM social_crm_topic topic
                          JOIN social_crm_post post
                            ON post.company_id = topic.company_id
                           AND post.direction = 'incoming'
                           AND NOT COALESCE(post.is_deleted, FALSE)
                           AND (post.stream_id IN (SELECT rel.stream_id FROM social_crm_topic_stream_rel rel
                                                    WHERE rel.topic_id = topic.id)
                                OR EXISTS (SELECT 1 FROM social_crm_topic_keyword keyword
                                            WHERE keyword.topic_id = topic.id AND post.text ILIKE keyword.pattern))
                         WHERE topic.active
                    )
                    SELECT matched.id::bigint * 100000 + matched.topic_id AS id,
                           matched.topic_id, matched.topic_kind, matched.id AS post_id, matched.company_id,
                           matched.published_date, matched.network, matched.language, matched.sentiment_label,
                           matched.sentiment_score, matched.intent, matched.profile_id, matched.partner_id,
                           (matched.sentiment_label = 'negative')::int AS negative_count,
                           matched.topic_kind = 'competitor' AND EXISTS (
                               SELECT 1 FROM social_crm_topic brand
                                WHERE brand.kind = 'brand' AND brand.active AND brand.company_id = matched.company_id
                                  AND (matched.stream_id IN (SELECT rel.stream_id FROM social_crm_topic_stream_rel rel
                                                              WHERE rel.topic_id = brand.id)
                                       OR EXISTS (SELECT 1 FROM social_crm_topic_keyword keyword
                                                   WHERE keyword.topic_id = brand.id
                                                     AND matched.text ILIKE keyword.pattern))
                           ) AS compares_us
                      FROM matched
                )
                """
            )
        )

    def _flush_sources(self):
        """The view reads the tables: pending ORM changes go first."""
        for model in ("social.crm.post", "social.crm.topic", "social.crm.topic.keyword"):
            self.env[model].flush_model()
