import logging
from datetime import timezone
from functools import lru_cache
from textwrap import shorten
from time import monotonic

from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from psycopg2 import errors
from psycopg2.extensions import TransactionRollbackError
from psycopg2.extras import Json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, plaintext2html

from ..core.analysis import Analyzer
from ..core.analysis.sentiment import AFTER_CONTRAST, NEGATED, SARCASM
from ..core.errors import ConnectorError
from ..core.routing import PostFacts
from ..core.threads import parents_to_look_up, thread_ids
from ..core.types import POST_KINDS, Author, NormalizedPost
from .res_partner import SOCIAL_STAT_POST_FIELDS
from .social_crm_account import to_naive_utc

_logger = logging.getLogger(__name__)

#: seconds between two wake-ups of the routing cron's workers by one process (see ``_wake_routing``)
ROUTING_WAKE_INTERVAL = 1.0
_routing_woken = {}

#: the explanation shown on the post is cut at this length
EXPLANATION_CHARS = 400

SENTIMENT_LABELS = [("positive", "Positive"), ("neutral", "Neutral"), ("negative", "Negative")]
INTENTS = [
    ("complaint", "Complaint"),
    ("question", "Question"),
    ("purchase_intent", "Purchase Intent"),
    ("praise", "Praise"),
    ("other", "Other"),
]
POST_KIND_LABELS = {"post": "Post", "mention": "Mention", "comment": "Comment", "message": "Direct Message"}


#: the score a label corrected by an agent stands for in averages and trends
LABEL_SCORES = {"positive": 0.5, "neutral": 0.0, "negative": -0.5}


@lru_cache(maxsize=16)
def analyzer_for(languages, keywords):
    """Analyzers load their lexicons once; one per company configuration."""
    extra = {language: {intent: list(words) for intent, words in intents} for language, intents in keywords}
    return Analyzer(languages=languages or None, intent_keywords=extra or None)


class SocialCrmPost(models.Model):
    _name = "social.crm.post"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Social Post"
    _order = "published_date desc, id desc"

    account_id = fields.Many2one("social.crm.account", required=True, ondelete="cascade", index=True)
    stream_id = fields.Many2one("social.crm.stream", ondelete="set null", index="btree_not_null")
    network = fields.Selection(selection="_selection_network", required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    external_id = fields.Char(string="Network ID", required=True)
    direction = fields.Selection(
        [("incoming", "Incoming"), ("outgoing", "Outgoing")], default="incoming", required=True
    )
    kind = fields.Selection([(kind, POST_KIND_LABELS[kind]) for kind in POST_KINDS], default="post", required=True)
    url = fields.Char(string="URL")
    # indexed by the covering indexes below
    profile_id = fields.Many2one("social.crm.profile", string="Author", ondelete="restrict")
    partner_id = fields.Many2one("res.partner", string="Customer")
    text = fields.Text(help="Exactly as received from the network.")
    published_date = fields.Datetime(string="Published", index=True)
    edited_date = fields.Datetime(string="Edited")
    is_deleted = fields.Boolean(string="Deleted on Network", help="Deleted posts are kept, never lost.")
    parent_external_id = fields.Char(string="Parent Network ID")
    thread_external_id = fields.Char(string="Thread Network ID", index="btree_not_null")
    parent_id = fields.Many2one("social.crm.post", string="In Reply To", index="btree_not_null", ondelete="set null")
    child_ids = fields.One2many("social.crm.post", "parent_id", string="Replies")
    language = fields.Char(help="ISO 639-1 code, or 'und' when the text is too short to tell.")
    language_confidence = fields.Float(digits=(3, 2))
    sentiment_score = fields.Float(digits=(3, 2), aggregator="avg")
    sentiment_label = fields.Selection(SENTIMENT_LABELS, string="Sentiment", index=True)
    sentiment_supported = fields.Boolean(help="False when the language has no sentiment analyzer.")
    star_rating = fields.Integer(
        string="Stars",
        readonly=True,
        help="A review's star rating, 1 to 5. It rules the sentiment: 1 or 2 stars are negative, 4 or 5 positive, "
        "3 take the text's label; the score is 70 % stars and 30 % text.",
    )
    intent = fields.Selection(INTENTS, index=True)
    analyzer_version = fields.Char(readonly=True)
    analysis_reasons = fields.Json(readonly=True, copy=False)
    analysis_explanation = fields.Text(
        string="Why",
        compute="_compute_analysis_explanation",
        help="The words and signals that decided the sentiment and the intent.",
    )
    analysis_error = fields.Text(readonly=True)
    like_count = fields.Integer(string="Likes")
    reply_count = fields.Integer(string="Replies Count")
    repost_count = fields.Integer(string="Reposts")
    view_count = fields.Integer(string="Views")
    state = fields.Selection(
        [("new", "New"), ("processed", "Processed"), ("ignored", "Ignored"), ("replied", "Replied")],
        default="new",
        required=True,
        index=True,
    )
    rule_id = fields.Many2one("social.crm.rule", string="Routed By", readonly=True, ondelete="set null")
    processing_error = fields.Text(readonly=True, help="Why routing failed; the post waits until it is reset to New.")
    first_response_date = fields.Datetime(readonly=True, copy=False)
    response_time_hours = fields.Float(
        string="First Response (hours)", readonly=True, copy=False, aggregator="avg", digits=(10, 2)
    )
    delivery_ids = fields.Many2many("social.crm.delivery", compute="_compute_delivery_ids", string="Delivery Reports")
    ticket_id = fields.Many2one("helpdesk.ticket", index="btree_not_null", ondelete="set null")
    lead_id = fields.Many2one("crm.lead", index="btree_not_null", ondelete="set null")
    answering_names = fields.Char(compute="_compute_answering_names", string="Being Answered By")

    _external_id_unique = models.Constraint(
        "UNIQUE(account_id, external_id)",
        "A post is stored once per account.",
    )
    # Every ingested page refreshes its authors' influence and its customers' figures from
    # all their posts: these indexes hold what those aggregates read, so they run as
    # index-only scans instead of reading posts scattered over the whole table.
    _profile_engagement_idx = models.Index("(profile_id) INCLUDE (direction, like_count, reply_count, repost_count)")
    _partner_figures_idx = models.Index(
        "(partner_id) INCLUDE (id, direction, is_deleted, company_id, sentiment_score, published_date, intent, network)"
        " WHERE partner_id IS NOT NULL"
    )
    # replies stored before their parent: found by this index when the parent arrives
    _orphan_reply_idx = models.Index("(account_id, parent_external_id) WHERE parent_id IS NULL")

    @api.model
    def _selection_network(self):
        return self.env["social.crm.account"]._selection_network()

    @api.depends("analysis_reasons")
    @api.depends_context("lang")
    def _compute_analysis_explanation(self):
        sentiments = dict(self._fields["sentiment_label"]._description_selection(self.env))
        intents = dict(self._fields["intent"]._description_selection(self.env))
        for post in self:
            reasons = post.analysis_reasons
            post.analysis_explanation = post._explain(reasons, sentiments, intents) if reasons else False

    def _explain(self, reasons, sentiments, intents):
        """The analyzer's reasons (``core.analysis._explain``) in one line of the reader's language."""
        notes = {
            NEGATED: lambda word: self.env._("%(word)s (negated)", word=word),
            AFTER_CONTRAST: lambda word: self.env._("%(word)s (after contrast)", word=word),
            SARCASM: lambda word: self.env._(
                "%(word)s (sarcasm marker: the positive words read as negative)", word=word
            ),
        }
        words = []
        for word, value, word_notes in reasons.get("words", []):
            for note in word_notes:
                word = notes[note](word) if note in notes else word
            words.append(f"{word} {value:+.1f}")
        label = sentiments.get(reasons.get("sentiment"), reasons.get("sentiment"))
        parts = [
            self.env._(
                "Sentiment %(label)s (%(score)s): %(words)s",
                label=label,
                score=f"{reasons.get('score', 0.0):+.2f}",
                words=", ".join(words) or self.env._("no sentiment words"),
            )
        ]
        if reasons.get("stars"):
            parts.append(self.env._("%(stars)s-star review", stars=reasons["stars"]))
        if reasons.get("learned_words"):
            parts.append(self.env._("learned model: %(words)s", words=", ".join(reasons["learned_words"])))
        why_intent = list(reasons.get("intent_words", []))
        if reasons.get("question_mark"):
            why_intent.append(self.env._("question mark"))
        if reasons.get("question_word"):
            why_intent.append(self.env._("question word"))
        if reasons.get("tone"):
            why_intent.append(self.env._("%(label)s tone", label=label))
        intent = intents.get(reasons.get("intent"), reasons.get("intent"))
        parts.append(
            self.env._("Intent %(intent)s: %(reasons)s", intent=intent, reasons=", ".join(why_intent))
            if why_intent
            else self.env._("Intent %(intent)s", intent=intent)
        )
        return shorten("; ".join(parts), EXPLANATION_CHARS, placeholder=" …")

    @api.depends_context("uid")
    def _compute_answering_names(self):
        others = self.env["social.crm.post.answering"]._others(self)
        for post in self:
            post.answering_names = ", ".join(others.get(post.id, self.env["res.users"]).mapped("name"))

    def _compute_delivery_ids(self):
        deliveries = self.env["social.crm.delivery"].search(
            [("account_id", "in", self.account_id.ids), ("message_id", "in", self.mapped("external_id"))]
        )
        by_message = {}
        for line in deliveries:
            by_message.setdefault((line.account_id.id, line.message_id), []).append(line.id)
        for post in self:
            post.delivery_ids = [(6, 0, by_message.get((post.account_id.id, post.external_id), []))]

    @api.depends("profile_id", "text")
    def _compute_display_name(self):
        for post in self:
            excerpt = " ".join((post.text or "").split())[:60]
            author = post.profile_id.display_name or ""
            post.display_name = f"{author}: {excerpt}" if author else excerpt or post.external_id

    @api.model_create_multi
    def create(self, vals_list):
        posts = super().create(vals_list)
        self.env["res.partner"]._social_refresh_stats(posts.partner_id.ids)
        return posts

    def write(self, vals):
        if {"sentiment_label", "intent"} & set(vals) and not self.env.context.get("social_crm_analysis"):
            self._record_corrections(vals)
            if vals.get("sentiment_label") in LABEL_SCORES and "sentiment_score" not in vals:
                vals = dict(vals, sentiment_score=LABEL_SCORES[vals["sentiment_label"]])
        moves_figures = SOCIAL_STAT_POST_FIELDS.intersection(vals) and not self.env.context.get(
            "social_crm_defer_partner_stats"
        )
        partners_before = self.partner_id.ids if moves_figures else []
        result = super().write(vals)
        if moves_figures:
            self.env["res.partner"]._social_refresh_stats(partners_before + self.partner_id.ids)
        return result

    def unlink(self):
        partner_ids = self.partner_id.ids
        result = super().unlink()
        self.env["res.partner"]._social_refresh_stats(partner_ids)
        return result

    def _record_corrections(self, vals):
        """Keep what an agent changed in the analysis, with the text it was about."""
        corrections = []
        for post in self:
            sentiment = vals.get("sentiment_label", post.sentiment_label)
            intent = vals.get("intent", post.intent)
            if (sentiment, intent) != (post.sentiment_label, post.intent):
                corrections.append(
                    {
                        "post_id": post.id,
                        "company_id": post.company_id.id,
                        "text": post.text,
                        "language": post.language,
                        "analyzer_version": post.analyzer_version,
                        "original_sentiment": post.sentiment_label,
                        "corrected_sentiment": sentiment,
                        "original_intent": post.intent,
                        "corrected_intent": intent,
                    }
                )
        self.env["social.crm.analysis.correction"].sudo().create(corrections)

    def action_ignore(self):
        self.write({"state": "ignored"})

    def action_reset_to_new(self):
        self.write({"state": "new", "processing_error": False})

    def action_reply(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reply on %(network)s", network=self._network_label()),
            "res_model": "social.crm.reply",
            "view_mode": "form",
            "target": "new",
            "context": {"default_post_id": self.id},
        }

    def action_ai_recheck(self):
        self.ensure_one()
        return self.env["social.crm.ai.log"]._recheck(self)

    def _network_label(self):
        return dict(self._fields["network"]._description_selection(self.env)).get(self.network, self.network)

    def action_open_on_network(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.url, "target": "new"}

    # -- ingestion -----------------------------------------------------------
    @api.model
    def _ingest(self, account, items, stream=None):
        """Store a page of normalised posts of ``account`` (read by ``stream``,
        or pushed by a webhook) and return how many are new.  New posts are
        analysed and inserted in one statement whose ON CONFLICT clause makes a
        post stored twice impossible, even with two workers; posts already
        stored are updated when edited or deleted."""
        # rows in one order in every worker: concurrent pages lock them in the same order, never in a cycle
        items = sorted({item.external_id: item for item in items}.values(), key=lambda item: item.external_id)
        if not items:
            return 0
        # the statements below are plain SQL: pending ORM writes (a partner just linked) go first
        self.env.flush_all()
        profiles = (
            self.env["social.crm.profile"]
            .with_context(social_crm_defer_partner_stats=True)
            ._upsert_authors(account, [item.author for item in items])
        )
        self.env.cr.execute(
            SQL(
                "SELECT external_id, id FROM social_crm_post WHERE account_id = %s AND external_id = ANY(%s)",
                account.id,
                [item.external_id for item in items],
            )
        )
        stored = dict(self.env.cr.fetchall())
        new_items = [item for item in items if item.external_id not in stored]
        new_ids = self._insert_new(account, stream, new_items, profiles)
        self._apply_changes({stored[item.external_id]: item for item in items if item.external_id in stored})
        if new_ids:
            self._link_parents(new_ids)
            self._wake_routing()
        self.invalidate_model()
        authors = self.env["social.crm.profile"].browse(profile_id for profile_id, _partner in profiles.values())
        authors._update_influence()
        # one statement refreshes the figures of every customer the page touched
        self.env["res.partner"]._social_refresh_stats(authors.partner_id.ids)
        return len(new_ids)

    def _wake_routing(self):
        """Routing runs in its own cron, right away, so fetching never waits
        for it.  Every page leaves a trigger row, which keeps the cron due;
        the cron workers are woken at most once a second per process: waking
        them opens a new connection to the ``postgres`` database (about 10 ms,
        the largest cost of a page after analysis), and a worker busy with
        the cron meanwhile still sees the trigger rows.  A page that is not
        followed by a wake-up is routed at the workers' next poll (a minute)
        at the latest."""
        cron = self.env.ref("social_crm.ir_cron_process_new_posts").sudo()
        self.env.cr.execute(
            SQL("INSERT INTO ir_cron_trigger (cron_id, call_at) VALUES (%s, %s)", cron.id, self.env.cr.now())
        )
        database = self.env.cr.dbname
        if monotonic() - _routing_woken.get(database, float("-inf")) >= ROUTING_WAKE_INTERVAL:
            _routing_woken[database] = monotonic()
            self.env.cr.postcommit.add(cron._notifydb)

    def _analyzer(self, company):
        """The company's analyzer; finding it reads the company's intent
        keywords, so callers find it once per page."""
        return analyzer_for(
            company._social_crm_language_codes(), self.env["social.crm.intent.keyword"]._lists_for(company)
        )

    def _analyse(self, analyzer, text, language_hint, partner_lang, star_rating=0):
        """Analysis values of one text (and a review's stars); a failure is
        stored with the post, never a reason to drop it."""
        try:
            result = analyzer.analyse(
                text, language_hint=language_hint, language_prior=partner_lang or "", star_rating=star_rating
            )
        except Exception as error:  # noqa: BLE001 - any analyzer failure must keep the post
            _logger.info("Analysis of a post failed: %s", error)
            return {"analysis_error": f"{type(error).__name__}: {error}"}
        return {
            "language": result.language,
            "language_confidence": result.language_confidence,
            "sentiment_score": result.sentiment_score,
            "sentiment_label": result.sentiment_label,
            "sentiment_supported": result.sentiment_supported,
            "intent": result.intent,
            "analyzer_version": result.version,
            "analysis_reasons": result.reasons,
            "analysis_error": None,
        }

    _INSERT_COLUMNS = (
        "account_id", "stream_id", "network", "company_id", "external_id", "direction", "kind", "url",
        "profile_id", "partner_id", "text", "published_date", "edited_date", "is_deleted", "parent_external_id",
        "thread_external_id", "language", "language_confidence", "sentiment_score", "sentiment_label",
        "sentiment_supported", "intent", "analyzer_version", "analysis_error", "like_count", "reply_count",
        "repost_count", "view_count", "state", "create_uid", "create_date", "write_uid", "write_date",
        "star_rating",
        "analysis_reasons",
    )  # fmt: skip

    def _insert_new(self, account, stream, items, profiles):
        if not items:
            return []
        company = account.company_id
        partner_ids = {partner_id for _profile_id, partner_id in profiles.values() if partner_id}
        partners = self.env["res.partner"].browse(partner_ids)
        partners.fetch(["lang"])  # the language alone: reading a partner loads every column of res.partner
        partner_langs = {partner.id: partner.lang for partner in partners}
        now = self.env.cr.now()
        uid = self.env.uid
        analyzer = self._analyzer(company)
        threads = thread_ids(items, self._stored_threads(account, parents_to_look_up(items)))
        rows = []
        for item in items:
            profile_id, partner_id = profiles[item.author.external_id]
            own = account._is_own(item.author)
            values = {
                "account_id": account.id,
                "stream_id": stream.id if stream else None,
                "network": account.network,
                "company_id": company.id,
                "external_id": item.external_id,
                "direction": "outgoing" if own else "incoming",
                "kind": item.kind,
                "url": item.url or None,
                "profile_id": profile_id,
                "partner_id": partner_id,
                "text": item.text,
                "published_date": to_naive_utc(item.created_at),
                "edited_date": to_naive_utc(item.edited_at) or None,
                "is_deleted": item.deleted,
                "parent_external_id": item.parent_external_id or None,
                "thread_external_id": threads[item.external_id],
                "like_count": item.metrics.likes,
                "reply_count": item.metrics.replies,
                "repost_count": item.metrics.reposts,
                "view_count": item.metrics.views,
                "star_rating": item.star_rating,
                # our own posts coming back are not customer posts to act on
                "state": "processed" if own else "new",
                "create_uid": uid,
                "create_date": now,
                "write_uid": uid,
                "write_date": now,
            }
            values.update(
                self._analyse(analyzer, item.text, item.language_hint, partner_langs.get(partner_id), item.star_rating)
            )
            if values.get("analysis_reasons"):
                values["analysis_reasons"] = Json(values["analysis_reasons"])
            # a tuple is one parameter that psycopg2 writes as "(v1, v2, …)": one SQL object per row, not per value
            rows.append(SQL("%s", tuple(values.get(column) for column in self._INSERT_COLUMNS)))
        self.env.cr.execute(
            SQL(
                """INSERT INTO social_crm_post (%s) VALUES %s
                   ON CONFLICT (account_id, external_id) DO NOTHING RETURNING id""",
                SQL(", ").join(SQL.identifier(column) for column in self._INSERT_COLUMNS),
                SQL(", ").join(rows),
            ),
            log_exceptions=False,  # a concurrent page storing the same posts: retried by the caller
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _stored_threads(self, account, external_ids):
        """``{external_id: thread}`` of the stored posts of ``account`` among ``external_ids``."""
        if not external_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """SELECT external_id, thread_external_id FROM social_crm_post
                    WHERE account_id = %s AND external_id = ANY(%s)""",
                account.id,
                list(external_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _apply_changes(self, items_by_id):
        """Update stored posts that the network reports edited, deleted or with
        new engagement counts; an edited text is analysed again."""
        for post in self.browse(items_by_id).sudo():
            item = items_by_id[post.id]
            values = {}
            if item.deleted and not post.is_deleted:
                values["is_deleted"] = True
            # a review edited by its author may change its stars alone
            if (item.text != post.text or item.star_rating != post.star_rating) and not item.deleted:
                values.update(
                    text=item.text,
                    star_rating=item.star_rating,
                    edited_date=to_naive_utc(item.edited_at) or fields.Datetime.now(),
                )
                values.update(
                    self._analyse(
                        self._analyzer(post.company_id),
                        item.text,
                        item.language_hint,
                        post.partner_id.lang,
                        item.star_rating,
                    )
                )
            metrics = {
                "like_count": item.metrics.likes,
                "reply_count": item.metrics.replies,
                "repost_count": item.metrics.reposts,
                "view_count": item.metrics.views,
            }
            values.update({key: value for key, value in metrics.items() if value and value != post[key]})
            if values:
                # the page refreshes its customers' figures once, in _ingest
                post.with_context(social_crm_analysis=True, social_crm_defer_partner_stats=True).write(values)

    def _link_parents(self, post_ids):
        """Resolve parent ids of new posts, and of stored replies whose parent
        just arrived, in one statement."""
        # two index lookups (new replies -> their parents, new posts -> the
        # replies waiting for them); an OR of both would scan the whole table
        self.env.cr.execute(
            SQL(
                """
                UPDATE social_crm_post child SET parent_id = link.parent_id
                  FROM (
                        SELECT child.id AS child_id, parent.id AS parent_id
                          FROM social_crm_post child
                          JOIN social_crm_post parent
                            ON parent.account_id = child.account_id AND parent.external_id = child.parent_external_id
                         WHERE child.id = ANY(%(ids)s) AND child.parent_id IS NULL
                     UNION
                        SELECT child.id, parent.id
                          FROM social_crm_post parent
                          JOIN social_crm_post child
                            ON child.account_id = parent.account_id AND child.parent_external_id = parent.external_id
                         WHERE parent.id = ANY(%(ids)s) AND child.parent_id IS NULL
                       ) link
                 WHERE child.id = link.child_id
                """,
                ids=post_ids,
            )
        )
        # replies stored before their parent took the parent's id as thread;
        # a parent that is itself a reply brings them into its own thread
        self.env.cr.execute(
            SQL(
                """
                UPDATE social_crm_post waiting SET thread_external_id = arrived.thread_external_id
                  FROM social_crm_post arrived
                 WHERE arrived.id = ANY(%(ids)s)
                   AND arrived.thread_external_id <> arrived.external_id
                   AND waiting.account_id = arrived.account_id
                   AND waiting.thread_external_id = arrived.external_id
                   AND waiting.parent_external_id IS NOT NULL
                   AND waiting.id <> arrived.id
                """,
                ids=post_ids,
            )
        )

    # -- routing -------------------------------------------------------------
    def _facts(self):
        return PostFacts(
            network=self.network,
            account_id=self.account_id.id,
            stream_id=self.stream_id.id or 0,
            language=self.language or "und",
            sentiment=self.sentiment_score,
            intent=self.intent or "other",
            influence=self.profile_id.influence_score,
            text=self.text or "",
            partner_tag_ids=frozenset(self.partner_id.category_id.ids),
        )

    def action_route_new_posts(self):
        """Route every new post now, as the scheduled action does (the list's
        button for managers: no developer mode needed to run the scheduled
        action by hand); the selection, if any, does not matter."""
        if not self.env.user.has_group("social_crm.group_social_crm_manager"):
            raise AccessError(self.env._("Only Social CRM managers can run the routing."))
        # routed here and now (also where the queue bridge would enqueue jobs), as the scheduled
        # action routes: rules create tickets, leads and activities whatever the manager's own rights
        posts, routed = self.sudo(), 0
        while processed := posts._process_new():
            routed += processed
            self.env["ir.cron"]._commit_progress(processed)  # outside a cron run: one commit per batch
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s new posts routed.", count=routed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_process_new(self, batch_size=200):
        """Route new posts batch by batch, committing after each batch."""
        cron = self.env["ir.cron"]
        while processed := self._process_new(batch_size):
            if not cron._commit_progress(processed):
                break

    @api.model
    def _process_new(self, limit=200):
        """Route up to ``limit`` new incoming posts and return how many.

        The rows are locked with SKIP LOCKED, so two workers never route the
        same post, and each post leaves the "new" state in the transaction that
        creates its ticket or lead, so a rule never acts twice on a post."""
        self.env.cr.execute(
            SQL(
                """SELECT id FROM social_crm_post
                    WHERE state = 'new' AND direction = 'incoming' AND processing_error IS NULL
                    ORDER BY published_date, id LIMIT %s FOR UPDATE SKIP LOCKED""",
                limit,
            )
        )
        posts = self.browse(row[0] for row in self.env.cr.fetchall())
        if posts:
            posts._route()
        return len(posts)

    def _route(self):
        rules = {
            company: self.env["social.crm.rule"].search([("company_id", "=", company.id)])._compiled()
            for company in self.company_id
        }
        for post in self:
            try:
                with self.env.cr.savepoint():
                    post._route_one(rules[post.company_id])
            except (TransactionRollbackError, errors.UniqueViolation):
                # a concurrent worker touched the same rows, or created the same
                # unique record (the lead's utm.source) first: invisible to this
                # transaction's snapshot, so the whole batch is retried later
                raise
            except Exception as error:  # noqa: BLE001 - one post must not block the others
                _logger.info("Routing social post %s failed: %s", post.id, error)
                post.processing_error = f"{type(error).__name__}: {error}"
        self.filtered(lambda post: post.partner_id and not post.processing_error)._log_on_partners()

    def _route_one(self, compiled_rules):
        ticket = self._open_thread_ticket()
        if ticket:
            # a follow-up in a conversation that already has an open ticket joins it
            self.write({"ticket_id": ticket.id, "state": "processed"})
            ticket._social_log_posts(self)
            return
        facts = self._facts()
        for rule, conditions in compiled_rules:
            if not conditions.accepts(facts):
                continue
            self._apply_rule(rule)
            if not rule.continue_after:
                break
        if self.state == "new":  # a rule may have ignored it, or an acknowledgement replied
            self.state = "processed"

    def _open_thread_ticket(self):
        """The open ticket this post follows up: its parent's, else the first
        one opened in its thread (a reply stored before its parent may have
        opened a later one)."""
        if self.parent_id.ticket_id and not self.parent_id.ticket_id.closed:
            return self.parent_id.ticket_id
        if not self.thread_external_id:
            return self.env["helpdesk.ticket"]
        return self.search(
            [
                ("account_id", "=", self.account_id.id),
                ("thread_external_id", "=", self.thread_external_id),
                ("ticket_id", "!=", False),
                ("ticket_id.closed", "=", False),
                ("id", "!=", self.id),
            ]
        ).ticket_id.sorted("id")[:1]

    def _apply_rule(self, rule):
        """Carry out ``rule`` on the post."""
        values = {"rule_id": rule.id}
        record = None
        if rule.action == "ignore":
            values["state"] = "ignored"
        elif rule.action == "ticket":
            record = self.env["helpdesk.ticket"]._social_create_from_post(self, rule)
            values["ticket_id"] = record.id
        elif rule.action == "lead":
            record = self.env["crm.lead"]._social_create_from_post(self, rule)
            values["lead_id"] = record.id
        self.write(values)
        if rule.activity_type_id:
            # where an agent sees it: the new record, else the customer, else the post itself
            target = record or self.partner_id or self
            target.activity_schedule(
                activity_type_id=rule.activity_type_id.id,
                summary=rule.activity_summary or shorten(self.text or "", 60),
                date_deadline=fields.Date.context_today(self) + relativedelta(days=rule.activity_days),
                user_id=rule._activity_user(record).id,
            )
        if rule.acknowledge and rule.acknowledgement and rule.action != "ignore":
            self._acknowledge(rule)

    def _acknowledge(self, rule):
        author = self.profile_id.name or self.profile_id.handle or ""
        try:
            self._reply(rule.acknowledgement.replace("{author}", author))
        except UserError as error:
            # the post is routed all the same; the agent sees why no acknowledgement went out
            _logger.info("Acknowledgement of social post %s not sent: %s", self.id, error)

    # -- presentation and chatter -------------------------------------------
    def _quote_html(self):
        """The post as safe HTML: text escaped, author, and a link to the
        network only when it is a web address."""
        author = self.profile_id.display_name or self.env._("Unknown author")
        link = Markup("")
        if self.url and self.url.startswith(("https://", "http://")):
            link = Markup(' · <a href="%s" target="_blank" rel="noopener noreferrer">%s</a>') % (
                self.url,
                self.env._("View on %(network)s", network=self._network_label()),
            )
        # no <blockquote>: the chatter folds quotes away behind "•••"
        return Markup('<div dir="auto">%s</div><p class="text-muted small"><strong>%s</strong> · %s%s</p>') % (
            plaintext2html(self.text or ""),
            author,
            self._network_label(),
            link,
        )

    def _log_on_partners(self):
        """Log the posts in their partners' chatter with the Social subtype,
        in one batch, so social history reads with calls and e-mails."""
        subtype = self.env.ref("social_crm.mt_social_post")
        self.env["mail.message"].sudo().create(
            [
                {
                    "model": "res.partner",
                    "res_id": post.partner_id.id,
                    "body": post._quote_html(),
                    "message_type": "comment",
                    "subtype_id": subtype.id,
                    "author_id": post.partner_id.id,
                    "date": post.published_date or fields.Datetime.now(),
                    "social_post_id": post.id,
                }
                for post in self
            ]
        )

    # -- replying ------------------------------------------------------------
    def _to_normalized(self):
        self.ensure_one()
        return NormalizedPost(
            external_id=self.external_id,
            author=Author(
                external_id=self.profile_id.external_id or "",
                handle=self.profile_id.handle or "",
                display_name=self.profile_id.name or "",
            ),
            text=self.text or "",
            created_at=(self.published_date or self.create_date).replace(tzinfo=timezone.utc),
            kind=self.kind,
            url=self.url or "",
            parent_external_id=self.parent_external_id or "",
            thread_external_id=self.thread_external_id or "",
        )

    def _reply(self, text):
        """Send ``text`` as a reply on the network, store it as our outgoing
        post, and record the first response time; return the stored reply.

        Once the network published the reply nothing is rolled back: the
        reply, the post's state and the first response are recorded whatever
        the user's rights elsewhere, and a chatter that cannot be written is
        reported to the user (see :meth:`_record_reply`)."""
        self.ensure_one()
        published = self._published_reply(text)
        if published:
            raise UserError(
                self.env._(
                    "This reply is already public on %(network)s (sent %(date)s); it was not sent again.",
                    network=self._network_label(),
                    date=published.published_date or published.create_date,
                )
            )
        try:
            sent = self.account_id._connector().reply(self._to_normalized(), text)
        except (ConnectorError, NotImplementedError) as error:
            raise UserError(self.env._("The reply was not sent: %(error)s", error=error)) from None
        try:
            with self.env.cr.savepoint():
                return self._record_reply(sent)
        except Exception as error:  # noqa: BLE001 - whatever failed, the agent must know the reply is public
            _logger.info("Social reply to post %s is public but was not recorded: %s", self.id, error)
            raise UserError(
                self.env._(
                    "Your reply is already public on %(network)s (%(url)s), but Odoo could not record it: "
                    "%(error)s. Do not send it again.",
                    network=self._network_label(),
                    url=sent.url or sent.external_id,
                    error=error,
                )
            ) from None

    def _published_reply(self, text):
        """Our reply to this post already published with ``text`` (networks
        may prefix a mention), so that a second Send does not publish it twice."""
        wanted = " ".join(text.split())
        # searched, not read from child_ids: the reply's link was written by SQL in _ingest
        replies = self.sudo().search([("parent_id", "=", self.id), ("direction", "=", "outgoing")])
        return replies.filtered(lambda reply: wanted in " ".join((reply.text or "").split())).sorted("id")[:1]

    def _record_reply(self, sent):
        """Record the reply the network published.  Superuser rights, because
        the reply is public already: an agent who may not write the customer
        or create posts must not lose what the customer has read.  What the
        chatter cannot take is logged and returned as ``failed_logs``."""
        post = self.sudo()
        post._ingest(post.account_id, [sent], post.stream_id)
        reply = post.search([("account_id", "=", post.account_id.id), ("external_id", "=", sent.external_id)])
        reply.write(
            {
                "direction": "outgoing",
                "state": "processed",
                "parent_id": post.id,
                "ticket_id": post.ticket_id.id,
                "lead_id": post.lead_id.id,
                "partner_id": post.partner_id.id,
            }
        )
        now = fields.Datetime.now()
        values = {"state": "replied"}
        if not post.first_response_date:
            values["first_response_date"] = now
            values["response_time_hours"] = (now - (post.published_date or post.create_date)).total_seconds() / 3600
        post.write(values)
        post.ticket_id._social_record_first_response(now)
        body = Markup("<p>%s</p>%s") % (
            self.env._("Replied on %(network)s:", network=self._network_label()),
            reply._quote_html(),
        )
        for record in (post.ticket_id, post.lead_id, post.partner_id):
            if not record:
                continue
            try:
                with self.env.cr.savepoint():
                    # sudo keeps the agent as author: only the access check is skipped
                    message = record.message_post(
                        body=body, subtype_xmlid="social_crm.mt_social_post", message_type="comment"
                    )
                    message.social_post_id = reply
            except Exception as error:  # noqa: BLE001 - the reply is public: a chatter must not undo it
                _logger.info("Social reply %s could not be logged on %s: %s", reply.id, record, error)
                reply.processing_error = self.env._(
                    "Not logged on %(record)s: %(error)s", record=record.display_name, error=error
                )
        return reply
