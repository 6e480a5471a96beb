from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from ..core.listening import HOUR

SIGNALS = [
    ("crisis", "Crisis: more posts, more negative"),
    ("volume", "Volume spike"),
    ("negative", "Negative share spike"),
]


class SocialCrmAlert(models.Model):
    """One episode of a topic's spike: opened once, notified once, kept as history."""

    _name = "social.crm.alert"
    _description = "Listening Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "window_start desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    topic_id = fields.Many2one("social.crm.topic", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="topic_id.company_id", store=True, index=True)
    state = fields.Selection(
        [("new", "New"), ("acknowledged", "Acknowledged"), ("closed", "Closed")],
        default="new",
        required=True,
        tracking=True,
    )
    signal = fields.Selection(SIGNALS, required=True, readonly=True)
    window_start = fields.Datetime(required=True, readonly=True, help="Start of the first 24 hours that spiked.")
    window_end = fields.Datetime(readonly=True, help="End of the 24 hours with the highest volume of the episode.")
    last_seen_date = fields.Datetime(
        string="Last Spike", readonly=True, index=True, help="Spikes up to 24 hours after this continue this alert."
    )
    volume = fields.Integer(string="Posts in 24 h", readonly=True, aggregator="max")
    baseline_volume = fields.Float(string="Usual Posts in 24 h", readonly=True, digits=(10, 1))
    volume_threshold = fields.Float(readonly=True, digits=(10, 1))
    negative_count = fields.Integer(string="Negative Posts", readonly=True)
    negative_share = fields.Float(readonly=True, digits=(3, 3))
    baseline_share = fields.Float(string="Usual Negative Share", readonly=True, digits=(3, 3))
    share_threshold = fields.Float(string="Negative Share Threshold", readonly=True, digits=(3, 3))
    post_ids = fields.Many2many("social.crm.post", string="Driving Posts", readonly=True)
    phrase_data = fields.Json(readonly=True)
    phrases = fields.Text(compute="_compute_phrases", string="Driving Phrases")

    @api.depends("topic_id.name", "signal", "window_start")
    def _compute_name(self):
        for alert in self:
            label = dict(SIGNALS).get(alert.signal, "")
            start = fields.Datetime.to_string(alert.window_start)[:16] if alert.window_start else ""
            alert.name = f"{alert.topic_id.name}: {label} ({start})"

    def _compute_phrases(self):
        for alert in self:
            alert.phrases = "\n".join(
                f"{item['phrase']} ({item['language']}, {item['count']})" for item in alert.phrase_data or []
            )

    @staticmethod
    def _figures(evaluation):
        hours = (evaluation.window_end - evaluation.window_start) / HOUR
        return {
            "window_end": evaluation.window_end,
            "last_seen_date": evaluation.window_end,
            "volume": evaluation.volume,
            "baseline_volume": evaluation.baseline_rate * hours,
            "volume_threshold": evaluation.rate_threshold * hours,
            "negative_count": evaluation.negative,
            "negative_share": evaluation.negative_share,
            "baseline_share": evaluation.baseline_share,
            "share_threshold": evaluation.share_threshold,
        }

    def _continue(self, evaluation):
        """A spike of the same episode: the alert follows it, nobody is notified again."""
        self.ensure_one()
        if evaluation.volume > self.volume:
            self.write(dict(self._figures(evaluation), signal=evaluation.signal))
            self._collect_drivers()
        else:
            self.last_seen_date = evaluation.window_end

    def _collect_drivers(self):
        """The posts of the peak window that drove the alert (the negative ones
        that spread most, then those of the most influential authors) and its
        rising phrases."""
        self.ensure_one()
        self.env["social.crm.topic.post"]._flush_sources()
        self.env.cr.execute(
            SQL(
                """SELECT topic_post.post_id
                     FROM social_crm_topic_post topic_post
                     JOIN social_crm_post post ON post.id = topic_post.post_id
                     LEFT JOIN social_crm_profile profile ON profile.id = topic_post.profile_id
                    WHERE topic_post.topic_id = %s AND topic_post.published_date >= %s
                      AND topic_post.published_date < %s
                    ORDER BY (topic_post.sentiment_label = 'negative') DESC,
                             post.like_count + 2 * post.reply_count + 3 * post.repost_count DESC,
                             COALESCE(profile.influence_score, 0) DESC, topic_post.published_date DESC
                    LIMIT 10""",
                self.topic_id.id,
                self.window_end - timedelta(hours=24),
                self.window_end,
            )
        )
        post_ids = [row[0] for row in self.env.cr.fetchall()]
        rising = self.topic_id._rising_phrases(self.window_end - timedelta(hours=24), self.window_end, 7)
        self.write(
            {
                "post_ids": [fields.Command.set(post_ids)],
                "phrase_data": [
                    {"phrase": item.phrase, "language": language, "count": item.count} for language, item in rising
                ],
            }
        )

    def _notify_followers(self):
        """Tell the topic's followers once, in the alert's chatter and by
        e-mail, and give the topic's responsible an activity."""
        self.ensure_one()
        topic = self.topic_id
        self.message_subscribe(partner_ids=topic.message_partner_ids.ids)
        body = Markup("<p>%s</p><p>%s</p>") % (
            self.env._(
                "%(topic)s: %(volume)s posts in 24 hours (usually %(usual)s, threshold %(threshold)s), "
                "%(share)s%% negative (usually %(usual_share)s%%).",
                topic=topic.name,
                volume=self.volume,
                usual=round(self.baseline_volume, 1),
                threshold=round(self.volume_threshold, 1),
                share=round(self.negative_share * 100),
                usual_share=round(self.baseline_share * 100),
            ),
            self.env._("Driving phrases: %(phrases)s", phrases=", ".join(p["phrase"] for p in self.phrase_data or []))
            if self.phrase_data
            else "",
        )
        self.message_post(
            body=body,
            subject=self.name,
            message_type="notification",
            subtype_xmlid="social_crm.mt_listening_alert",
        )
        topic.message_post(
            body=Markup("%s %s") % (self.env._("New alert:"), self._get_html_link()),
            message_type="notification",
            subtype_xmlid="social_crm.mt_listening_alert",
        )
        if topic.user_id:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Check the spike of %(topic)s", topic=topic.name),
                user_id=topic.user_id.id,
            )

    def action_acknowledge(self):
        self.write({"state": "acknowledged"})

    def action_close(self):
        self.write({"state": "closed"})

    def action_view_posts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_post_action")
        action["domain"] = [("id", "in", self.post_ids.ids)]
        action["context"] = {}
        return action
