from datetime import datetime, timedelta, timezone

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..core.listening import HOUR, DetectorSettings, backtest, cluster_texts, continues, evaluate, rising_phrases
from ..core.types import Author, Metrics, NormalizedPost

DEMO_CROWD = (
    "Jana Horáková", "Petr Svoboda", "Lucie Černá", "Martin Dvořák", "Kateřina Malá", "Jiří Pokorný",
    "Anna Kowalska", "Piotr Nowak", "Magda Wójcik", "Tomasz Lewandowski", "Ola Kamińska", "Marek Zieliński",
    "Pavel Kučera", "Zuzana Marková", "Ewa Szymańska", "Michał Woźniak", "Tereza Benešová", "Jakub Král",
    "Monika Dąbrowska", "Krzysztof Mazur", "Hana Veselá", "Ondřej Bartoš", "Barbara Krawczyk", "Adam Jankowski",
    "Sarah Miller", "James Brown",
)  # fmt: skip
DEMO_PEOPLE = {
    "tomas": ("Tomáš Procházka", 180000, "tomas.prochazka@example.cz"),
    "katarzyna": ("Katarzyna Zielińska", 95000, "katarzyna.zielinska@example.pl"),
    "eliska": ("Eliška Veselá", 800, "eliska.vesela@example.cz"),
}
DEMO_CALM = [
    ("cs", ["Nordlight funguje skvěle, děkuji za rychlou instalaci!",
            "Dneska mi přišla faktura od Nordlight, vše v pořádku.", "Nordlight router běží bez problémů už měsíc.",
            "Zákaznická linka Nordlight mi rychle poradila, díky."]),
    ("pl", ["Nordlight działa dobrze, polecam.", "Dziękuję Nordlight za szybką pomoc z routerem.",
            "Nowa taryfa Nordlight jest w porządku."]),
    ("en", ["Nordlight support sorted my router in five minutes, thanks!", "Happy with my Nordlight plan so far."]),
]  # fmt: skip
DEMO_GRUMBLES = {
    "cs": "Nordlight mi zase zdražil tarif, to se mi nelíbí.",
    "pl": "Nordlight, czemu faktura jest wyższa niż zwykle?",
    "en": "Nordlight raised my bill again, not great.",
}
DEMO_PRAISE = "Nordlight je nejlepší, rychlý internet a skvělá podpora, děkuji!"
DEMO_INFLUENCER_GRUMBLES = {
    "cs": "Nordlight mě zklamal, pomalý internet a nikdo mi neodpověděl. Hrozné.",
    "pl": "Nordlight to porażka, wolny internet i fatalna obsługa klienta.",
}
DEMO_COMPETITOR = [
    ("cs", ["Voltik má nový tarif, docela zajímavý.", "Zkoušel někdo Voltik? Jak funguje?"]),
    ("pl", ["Voltik ma tańszy internet niż rok temu.", "Voltik otworzył nowy sklep w Warszawie."]),
    ("en", ["Switched to Voltik last year, no complaints.", "Voltik has a new fibre offer #VoltikCZ"]),
]
DEMO_WAVE = {
    "cs": [
        "Nordlight, už šest hodin žádný signál v Brně! Tohle je katastrofa.",
        "Výpadek signálu v Brně a Nordlight mlčí. Hrozné.",
        "Nordlight, nemám signál v Brně, práce z domu úplně stojí, jsem naštvaný!",
        "Žádný signál v Brně už od rána, Nordlight je nejhorší operátor.",
    ],
    "pl": [
        "Nordlight, brak zasięgu w Krakowie od rana! Fatalna obsługa.",
        "Brak zasięgu w Krakowie, a Nordlight nic nie mówi. Okropne.",
        "Nordlight znowu awaria, brak zasięgu w Krakowie, jestem wściekła!",
    ],
}
DEMO_COMPARISONS = {
    "cs": "Voltik je v Brně lepší než Nordlight, u nich signál aspoň funguje.",
    "pl": "Przechodzę z Nordlight do Voltik, u nich jest zasięg w Krakowie.",
}
#: the demo wave and history end this many hours before the demo is installed: the demo
#: network's own posts (those of the UI tours) stay the newest in the posts views
WAVE_END_HOURS_AGO = 100
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
        for topic in self.search([("active", "=", True)]):
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

    def _own_words(self):
        """The topic's keywords as lemmas: every post of the topic has them, they say nothing."""
        words = set()
        for keyword in self.keyword_ids:
            words.update(part.lstrip("#").lower() for part in (keyword.keyword or "").split())
        return frozenset(words)

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
                for phrase in rising_phrases(
                    now_texts, before_texts, language, baseline_periods, limit=limit, ignore=self._own_words()
                )
            ]
        found.sort(key=lambda item: (-item[1].ratio, -item[1].count))
        return found[:limit]

    def _complaint_clusters(self, start, end, limit=8):
        """Clusters of the negative posts of ``[start, end)``: ``[(label, count, example post ids)]``."""
        clusters = cluster_texts(
            self._texts(start, end, negative_only=True, limit=CLUSTER_SAMPLE), ignore=self._own_words()
        )
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

    # -- weekly digest ------------------------------------------------------------
    @api.model
    def _cron_weekly_digest(self):
        for topic in self.search([("active", "=", True)]):
            topic._post_weekly_digest()
            self.env["ir.cron"]._commit_progress(1)

    def _week_figures(self, start, end):
        """``(posts, negative share, average sentiment, average first response hours)`` of ``[start, end)``."""
        self.ensure_one()
        self.env["social.crm.topic.post"]._flush_sources()
        self.env.cr.execute(
            SQL(
                """SELECT COUNT(*), AVG(topic_post.negative_count), AVG(topic_post.sentiment_score),
                          AVG(post.response_time_hours)
                     FROM social_crm_topic_post topic_post
                     JOIN social_crm_post post ON post.id = topic_post.post_id
                    WHERE topic_post.topic_id = %s AND topic_post.published_date >= %s
                      AND topic_post.published_date < %s""",
                self.id,
                start,
                end,
            )
        )
        return self.env.cr.fetchone()

    def _post_weekly_digest(self, now=None):
        """The week in the topic's chatter, e-mailed to its followers: volume,
        negative share and sentiment against the week before, rising phrases,
        alerts, response time."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        week = timedelta(days=7)
        posts, negative, sentiment, response = self._week_figures(now - week, now)
        before_posts, before_negative, _sentiment, _response = self._week_figures(now - 2 * week, now - week)
        alerts = self.env["social.crm.alert"].search(
            [("topic_id", "=", self.id), ("window_start", ">=", now - week - timedelta(days=1))]
        )
        rising = self._rising_phrases(now - week, now, 4, limit=5)
        lines = [
            self.env._(
                "%(posts)s posts (the week before: %(before)s), "
                "%(negative)s%% negative (the week before: %(before_negative)s%%)",
                posts=posts,
                before=before_posts,
                negative=round((negative or 0) * 100),
                before_negative=round((before_negative or 0) * 100),
            ),
            self.env._("Average sentiment: %(sentiment)s", sentiment=round(sentiment or 0.0, 2)),
            self.env._(
                "Rising phrases: %(phrases)s",
                phrases=", ".join(f"{item.phrase} ({language})" for language, item in rising) or "-",
            ),
            self.env._("Alerts: %(alerts)s", alerts=", ".join(alerts.mapped("name")) or "-"),
            self.env._(
                "Average first response: %(hours)s hours",
                hours=round(response, 1) if response is not None else "-",
            ),
        ]
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("The week of %(topic)s", topic=self.name),
            Markup("").join(Markup("<li>%s</li>") % line for line in lines),
        )
        return self.message_post(
            body=body,
            subject=self.env._("Weekly listening digest: %(topic)s", topic=self.name),
            message_type="notification",
            subtype_xmlid="social_crm.mt_listening_digest",
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

    # -- demo data --------------------------------------------------------------
    @api.model
    def _demo_listening_history(self, account_ids):
        """Demo data: five weeks of calm posts about Nordlight, a competitor
        (Voltik) and posts comparing both, then a nine-hour negative wave in
        Czech and Polish this week (no signal in Brno, no coverage in Kraków)
        written partly by influential customers; the posts are analysed and
        stored like fetched ones, then the detector runs as it did when the
        wave ended."""
        account = self.env["social.crm.account"].browse(account_ids)
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        crowd = [
            Author(f"demo-l-{index}", f"{name.split()[0].lower()}{index}", name, followers=40 + 37 * index % 900)
            for index, name in enumerate(DEMO_CROWD)
        ]
        people = {
            key: Author(f"demo-l-{key}", key, name, followers=followers, verified=followers > 50000, email=email)
            for key, (name, followers, email) in DEMO_PEOPLE.items()
        }
        items = []

        def add(hours_ago, text, author, language, likes=0, reposts=0):
            items.append(
                NormalizedPost(
                    external_id=f"demo-listening-{len(items)}",
                    author=author,
                    text=text,
                    created_at=now - timedelta(hours=hours_ago),
                    kind="mention",
                    language_hint=language,
                    metrics=Metrics(likes=likes, reposts=reposts),
                )
            )

        # one calm post every two hours for five weeks, one in ten a grumble
        for number, hours_ago in enumerate(range(35 * 24, WAVE_END_HOURS_AGO, -2)):
            language, texts = DEMO_CALM[number % len(DEMO_CALM)]
            text = DEMO_GRUMBLES[language] if number % 10 == 9 else texts[number // len(DEMO_CALM) % len(texts)]
            add(hours_ago + 0.5, text, crowd[number % len(crowd)], language)
            if number % 4 == 0:
                language, texts = DEMO_COMPETITOR[number // 4 % len(DEMO_COMPETITOR)]
                add(hours_ago + 1, texts[number // 8 % len(texts)], crowd[(number + 7) % len(crowd)], language)
        # the promoter and the unhappy influencers' earlier posts
        for days_ago in (30, 20, 10, 5):
            add(days_ago * 24 + 3, DEMO_PRAISE, people["eliska"], "cs", likes=12)
            add(days_ago * 24 + 5, DEMO_INFLUENCER_GRUMBLES["cs"], people["tomas"], "cs", likes=800, reposts=120)
            add(days_ago * 24 + 6, DEMO_INFLUENCER_GRUMBLES["pl"], people["katarzyna"], "pl", likes=500, reposts=80)
        # the wave: eight negative posts an hour for nine hours, in Czech and Polish, ended
        # WAVE_END_HOURS_AGO hours ago
        for hour in range(9):
            for slot in range(8):
                language = "cs" if slot % 2 == 0 else "pl"
                texts = DEMO_WAVE[language]
                author = crowd[(hour * 8 + slot * 5) % len(crowd)]
                if slot == 0 and hour % 3 == 0:
                    author = people["tomas"]
                elif slot == 1 and hour % 3 == 1:
                    author = people["katarzyna"]
                famous = author in (people["tomas"], people["katarzyna"])
                add(
                    WAVE_END_HOURS_AGO + 9 - hour - slot / 8,
                    texts[(hour + slot) % len(texts)],
                    author,
                    language,
                    likes=900 if famous else 3,
                    reposts=150 if famous else 0,
                )
            if hour % 3 == 2:
                language = "cs" if hour % 2 else "pl"
                add(WAVE_END_HOURS_AGO + 9 - hour - 0.9, DEMO_COMPARISONS[language], crowd[hour % len(crowd)], language)
        Post = self.env["social.crm.post"]
        for start in range(0, len(items), 200):
            Post._ingest(account, items[start : start + 200])
        # history, not work for the routing rules
        self.env.cr.execute(
            SQL("UPDATE social_crm_post SET state = 'processed' WHERE account_id = %s AND state = 'new'", account.id)
        )
        # the detector as it ran at the end of the wave: it opened the alert then
        wave_end = fields.Datetime.now() - timedelta(hours=WAVE_END_HOURS_AGO)
        self.search([("company_id", "=", account.company_id.id)])._detect(wave_end)
