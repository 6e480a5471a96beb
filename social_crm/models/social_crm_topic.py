from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..core.listening import HOUR, DetectorSettings, backtest, cluster_texts, continues, evaluate, rising_phrases

#: texts a phrase or cluster computation reads at most (the newest), so it stays bounded
PHRASE_SAMPLE = 3000
CLUSTER_SAMPLE = 5000
#: posts an alert keeps as the ones that drove it
TOP_POSTS = 10


class SocialCrmTopic(models.Model):
    """What the company listens for: its brand, a product, a competitor; a set
    of streams and/or keywords whose posts are watched for spikes."""

    _name = "social.crm.topic"
    _description = "Listening Topic"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "kind, name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    kind = fields.Selection(
        [("brand", "Our Brand"), ("competitor", "Competitor")], default="brand", required=True, tracking=True
    )
    user_id = fields.Many2one(
        "res.users", string="Responsible", tracking=True, help="Gets an activity when the topic raises an alert."
    )
    stream_ids = fields.Many2many(
        "social.crm.stream",
        "social_crm_topic_stream_rel",
        "topic_id",
        "stream_id",
        string="Streams",
        domain="[('company_id', '=', company_id)]",
        help="Every incoming post of these streams belongs to the topic.",
    )
    keyword_ids = fields.One2many(
        "social.crm.topic.keyword",
        "topic_id",
        string="Keywords",
        help="Posts of any stream whose text contains one of these (names, #hashtags) belong to the topic.",
    )
    alert_k = fields.Float(
        string="Sensitivity (k)",
        default=3.0,
        help="A spike is a 24-hour volume or negative share above the 7-day mean plus k standard deviations.",
    )
    alert_min_volume = fields.Integer(
        string="Minimum Volume", default=20, help="Posts in 24 hours below which nothing is a spike."
    )
    alert_ids = fields.One2many("social.crm.alert", "topic_id", string="Alerts")
    alert_count = fields.Integer(compute="_compute_alert_count")
    last_check_date = fields.Datetime(string="Last Check", readonly=True, copy=False)

    _alert_k_positive = models.Constraint("CHECK(alert_k > 0)", "The sensitivity k must be above zero.")
    _alert_min_volume_positive = models.Constraint(
        "CHECK(alert_min_volume >= 1)", "The minimum volume is at least one post."
    )

    def _compute_alert_count(self):
        counts = dict(
            self.env["social.crm.alert"]._read_group([("topic_id", "in", self.ids)], ["topic_id"], ["__count"])
        )
        for topic in self:
            topic.alert_count = counts.get(topic, 0)

    def _settings(self):
        return DetectorSettings(k=self.alert_k, min_volume=self.alert_min_volume)

    # -- counts -----------------------------------------------------------------
    def _hourly_counts(self, start, end):
        """``{topic_id: {hour: (posts, negative posts)}}`` of the topics' posts
        published in ``[start, end)``, counted in SQL: one row per topic and hour."""
        self.env["social.crm.topic.post"]._flush_sources()
        self.env.cr.execute(
            SQL(
                """SELECT topic_id, date_trunc('hour', published_date), COUNT(*),
                          COUNT(*) FILTER (WHERE sentiment_label = 'negative')
                     FROM social_crm_topic_post
                    WHERE topic_id = ANY(%s) AND published_date >= %s AND published_date < %s
                    GROUP BY 1, 2""",
                self.ids,
                start,
                end,
            )
        )
        counts = {topic.id: {} for topic in self}
        for topic_id, hour, total, negative in self.env.cr.fetchall():
            counts[topic_id][hour] = (total, negative)
        return counts

    # -- detection --------------------------------------------------------------
    @api.model
    def _cron_detect(self):
        """Check every active topic, company by company, committing after each."""
        for topic in self.search([]):
            topic._detect()
            self.env["ir.cron"]._commit_progress(1)

    def _detect(self, now=None):
        """Compare each topic's last 24 hours with its baseline; a spike opens
        an alert and notifies the followers, or continues the topic's open
        episode silently.  Returns the alerts opened."""
        now = now or fields.Datetime.now()
        Alert = self.env["social.crm.alert"]
        opened = Alert
        for topic in self:
            settings = topic._settings()
            window_end = now.replace(minute=0, second=0, microsecond=0) + HOUR
            hourly = topic._hourly_counts(window_end - settings.history_hours * HOUR, window_end)[topic.id]
            evaluation = evaluate(hourly, window_end, settings)
            topic.last_check_date = now
            if not evaluation.triggered:
                continue
            last = Alert.search([("topic_id", "=", topic.id)], order="last_seen_date desc, id desc", limit=1)
            if continues(last.last_seen_date or None, evaluation.window_end, settings):
                last._continue(evaluation)
            else:
                opened |= topic._open_alert(evaluation)
        return opened

    def _open_alert(self, evaluation):
        self.ensure_one()
        alert = self.env["social.crm.alert"].create(
            {
                "topic_id": self.id,
                "signal": evaluation.signal,
                "window_start": evaluation.window_start,
                **self.env["social.crm.alert"]._figures(evaluation),
            }
        )
        alert._collect_drivers()
        alert._notify_followers()
        return alert

    # -- backtesting ------------------------------------------------------------
    def backtest(self, days=90, k=None, min_volume=None):
        """The alerts the detector would have raised over the last ``days``
        days of stored posts, as a list of dicts (oldest first).  Counts come
        from one grouped query per topic; nothing is stored."""
        results = []
        now = self._backtest_now().replace(minute=0, second=0, microsecond=0) + HOUR
        for topic in self:
            settings = topic._settings()
            if k is not None or min_volume is not None:
                settings = DetectorSettings(
                    k=float(k if k is not None else settings.k),
                    min_volume=int(min_volume if min_volume is not None else settings.min_volume),
                )
            start = now - timedelta(days=days)
            hourly = topic._hourly_counts(start - settings.history_hours * HOUR, now)[topic.id]
            for episode in backtest(hourly, start, now, settings):
                peak = episode.peak
                results.append(
                    {
                        "topic_id": topic.id,
                        "topic": topic.name,
                        "start": fields.Datetime.to_string(episode.start),
                        "end": fields.Datetime.to_string(episode.end),
                        "signals": sorted(episode.signals),
                        "peak_window_end": fields.Datetime.to_string(peak.window_end),
                        "volume": peak.volume,
                        "baseline_volume": round(peak.baseline_rate * settings.window_hours, 1),
                        "volume_threshold": round(peak.rate_threshold * settings.window_hours, 1),
                        "negative_share": round(peak.negative_share, 3),
                        "baseline_share": round(peak.baseline_share, 3),
                        "share_threshold": round(peak.share_threshold, 3),
                    }
                )
        return results

    def _backtest_now(self):
        return fields.Datetime.now()

    def action_backtest(self):
        """The backtest of the last 90 days, posted in the topic's chatter (for the author only)."""
        self.ensure_one()
        found = self.backtest()
        lines = Markup("").join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(start)s – %(end)s: %(signals)s, %(volume)s posts in 24 h (threshold %(threshold)s), "
                "%(share)s%% negative (threshold %(share_threshold)s%%)",
                start=item["start"],
                end=item["end"],
                signals=", ".join(item["signals"]),
                volume=item["volume"],
                threshold=item["volume_threshold"],
                share=round(item["negative_share"] * 100),
                share_threshold=round(item["share_threshold"] * 100),
            )
            for item in found
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Backtest over the last 90 days: %(count)s alerts would have been raised.", count=len(found)),
            lines,
        )
        self.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        return True

    # -- phrases, clusters, overview ------------------------------------------
    def _texts(self, start, end, negative_only=False, limit=PHRASE_SAMPLE):
        """``[(post_id, text, language)]`` of the topic's posts in ``[start, end)``, newest first, at most ``limit``."""
        self.ensure_one()
        self.env["social.crm.topic.post"]._flush_sources()
        self.env.cr.execute(
            SQL(
                """SELECT post.id, post.text, COALESCE(post.language, 'und')
                     FROM social_crm_topic_post topic_post
                     JOIN social_crm_post post ON post.id = topic_post.post_id
                    WHERE topic_post.topic_id = %s AND topic_post.published_date >= %s
                      AND topic_post.published_date < %s %s
                    ORDER BY topic_post.published_date DESC LIMIT %s""",
                self.id,
                start,
                end,
                SQL("AND topic_post.sentiment_label = 'negative'") if negative_only else SQL(""),
                limit,
            )
        )
        return self.env.cr.fetchall()

    def _rising_phrases(self, start, end, baseline_periods, limit=10):
        """Phrases of ``[start, end)`` rising against the ``baseline_periods``
        periods of the same length before, per language: ``[(language, RisingPhrase)]``."""
        length = end - start
        current = self._texts(start, end)
        baseline = self._texts(start - length * baseline_periods, start)
        by_language = {}
        for _post_id, text, language in current:
            by_language.setdefault(language, ([], []))[0].append(text)
        for _post_id, text, language in baseline:
            if language in by_language:
                by_language[language][1].append(text)
        found = []
        for language, (now_texts, before_texts) in by_language.items():
            if language == "und":
                continue
            found += [
                (language, phrase)
                for phrase in rising_phrases(now_texts, before_texts, language, baseline_periods, limit=limit)
            ]
        found.sort(key=lambda item: (-item[1].ratio, -item[1].count))
        return found[:limit]

    def _complaint_clusters(self, start, end, limit=8):
        """Clusters of the negative posts of ``[start, end)``: ``[(label, count, example post ids)]``."""
        clusters = cluster_texts(self._texts(start, end, negative_only=True, limit=CLUSTER_SAMPLE))
        return [(cluster.label(), cluster.count, cluster.examples()) for cluster in clusters[:limit]]

    overview_html = fields.Html(compute="_compute_overview_html", sanitize=False, string="Overview")

    def _compute_overview_html(self):
        """This week against the four before: volume, sentiment, rising phrases, complaint clusters."""
        now = fields.Datetime.now()
        week = timedelta(days=7)
        Post = self.env["social.crm.post"]
        for topic in self:
            if not topic.id:
                topic.overview_html = False
                continue
            rising = topic._rising_phrases(now - week, now, 4)
            clusters = topic._complaint_clusters(now - week, now)
            examples = Post.browse({post_id for _label, _count, ids in clusters for post_id in ids}).exists()
            texts = {post.id: post.display_name for post in examples}
            phrase_rows = Markup("").join(
                Markup("<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td></tr>")
                % (item.phrase, language, item.count, round(item.baseline_average, 1))
                for language, item in rising
            )
            cluster_rows = Markup("").join(
                Markup("<tr><td>%s</td><td class='text-end'>%s</td><td>%s</td></tr>")
                % (label, count, Markup("<br/>").join(texts.get(post_id, "") for post_id in ids))
                for label, count, ids in clusters
            )
            topic.overview_html = Markup(
                "<h4>%s</h4><table class='table table-sm'><thead><tr><th>%s</th><th>%s</th><th class='text-end'>%s</th>"
                "<th class='text-end'>%s</th></tr></thead><tbody>%s</tbody></table>"
                "<h4>%s</h4><table class='table table-sm'><thead><tr><th>%s</th><th class='text-end'>%s</th>"
                "<th>%s</th></tr></thead><tbody>%s</tbody></table>"
            ) % (
                self.env._("Rising phrases (this week against the four before)"),
                self.env._("Phrase"),
                self.env._("Language"),
                self.env._("Posts this week"),
                self.env._("Weekly average before"),
                phrase_rows,
                self.env._("What the negative posts of this week are about"),
                self.env._("Cluster"),
                self.env._("Posts"),
                self.env._("Examples"),
                cluster_rows,
            )

    # -- actions ----------------------------------------------------------------
    def action_view_posts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_topic_post_action")
        action["domain"] = [("topic_id", "=", self.id)]
        action["context"] = {"search_default_last_30_days": 1}
        return action

    def action_view_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_alert_action")
        action["domain"] = [("topic_id", "=", self.id)]
        return action

    def action_view_influencers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_topic_author_action")
        action["domain"] = [("topic_id", "=", self.id)]
        return action

    @api.constrains("stream_ids", "keyword_ids")
    def _check_streams_or_keywords(self):
        for topic in self:
            if not (topic.stream_ids or topic.keyword_ids):
                raise ValidationError(self.env._("The topic %(name)s needs streams or keywords.", name=topic.name))
