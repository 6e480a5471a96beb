import logging
import random
import re
import time

from psycopg2.extensions import TransactionRollbackError

from odoo import fields, models

from ..core.types import STREAM_KINDS, StreamSpec

_logger = logging.getLogger(__name__)

#: attempts to store a page that keeps losing races with other workers
PAGE_ATTEMPTS = 5

STREAM_KIND_LABELS = {
    "mentions": "Mentions",
    "search": "Keyword / Hashtag Search",
    "comments": "Comments on Our Posts",
    "messages": "Direct Messages",
}


class SocialCrmStream(models.Model):
    _name = "social.crm.stream"
    _inherit = ["social.crm.post.counter"]
    _social_post_field = "stream_id"
    _description = "Social Stream"
    _order = "account_id, sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    account_id = fields.Many2one("social.crm.account", required=True, ondelete="cascade", index=True)
    network = fields.Selection(related="account_id.network", store=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    kind = fields.Selection([(kind, STREAM_KIND_LABELS[kind]) for kind in STREAM_KINDS], required=True)
    query = fields.Char(help="Keywords or #hashtag for a search stream; post or conversation ids for comments.")
    cursor = fields.Char(
        readonly=True, copy=False, help="Where the next fetch continues; it advances only once a page is stored."
    )
    backfill_limit = fields.Integer(
        string="Backfill Cap", default=200, help="The first fetch reads at most this many older posts (0: no cap)."
    )
    last_fetch_date = fields.Datetime(readonly=True, copy=False)
    fetched_count = fields.Integer(string="Posts Stored", readonly=True, copy=False)
    skipped_count = fields.Integer(
        string="Items Skipped",
        readonly=True,
        copy=False,
        help="Items of the network's answers that were not stored as posts; Skip Reasons says why.",
    )
    #: ``{reason: count}`` of every item skipped since the stream was created
    skip_reason_counts = fields.Json(readonly=True, copy=False)
    skip_summary = fields.Text(
        string="Skip Reasons", compute="_compute_skip_summary", help="How many items were skipped, by reason."
    )
    last_skip_date = fields.Datetime(string="Last Skip", readonly=True, copy=False)

    def _compute_skip_summary(self):
        for stream in self:
            counts = stream.skip_reason_counts or {}
            stream.skip_summary = "\n".join(
                f"{count} × {reason}" for reason, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
            )

    def _skip_values(self, skipped):
        """The counters after a page's skipped items: by reason, with the
        item's own values (ids, quoted text) left out so that one reason is
        one line however many items it hits."""
        if not skipped:
            return {}
        counts = dict(self.skip_reason_counts or {})
        for item in skipped:
            reason = skip_reason_key(item.reason)
            counts[reason] = counts.get(reason, 0) + 1
        return {
            "skipped_count": self.skipped_count + len(skipped),
            "skip_reason_counts": counts,
            "last_skip_date": fields.Datetime.now(),
        }

    def action_reset_cursor(self):
        """Start again from the newest posts; stored posts are never duplicated."""
        self.write({"cursor": False})

    def _spec(self):
        return StreamSpec(kind=self.kind, query=self.query or "", backfill_limit=self.backfill_limit)

    def _fetch(self, connector, max_pages):
        """Read up to ``max_pages`` pages; each page and the cursor after it
        are committed together, so the cursor never runs ahead of the posts."""
        self.ensure_one()
        for _page_number in range(max_pages):
            page = connector.fetch_page(self._spec(), self.cursor or "")
            for skipped in page.skipped:
                _logger.info(
                    "Stream %s skipped item %s: %s", self.id, skipped.external_id or "(no id)", skipped.reason
                )
            self._store_page(page, connector)
            if not page.has_more:
                break

    def _store_page(self, page, connector):
        """Store a page and the cursor after it, and commit.  A page that loses
        a race with another worker storing the same authors or posts at the
        same moment (a serialization failure or a deadlock) is rolled back and
        stored again: the transaction holds nothing but this page."""
        Post = self.env["social.crm.post"]
        for attempt in range(1, PAGE_ATTEMPTS + 1):
            try:
                with self.env.cr.savepoint():
                    stored = Post._ingest(self.account_id, page.posts, self)
                    self.write(
                        {
                            "query": connector.moved_to or self.query,
                            "cursor": page.cursor,
                            "last_fetch_date": fields.Datetime.now(),
                            "fetched_count": self.fetched_count + stored,
                            **self._skip_values(page.skipped),
                        }
                    )
                self.env["ir.cron"]._commit_progress()
                return
            except TransactionRollbackError as error:
                if attempt == PAGE_ATTEMPTS:
                    raise
                _logger.info("Stream %s: page stored again after a concurrent update (%s)", self.id, error.pgcode)
                self.env.cr.rollback()
                self.env.invalidate_all()
                time.sleep(random.uniform(0.05, 0.25) * attempt)  # noqa: S311 - jitter, not crypto


def skip_reason_key(reason):
    """``"invalid timestamp 'never': …"`` → ``"invalid timestamp"``: the reason
    without the values of the item it was given for."""
    reason = re.sub(r"'[^']*'|\"[^\"]*\"", "", (reason or "unknown").split(": ")[0])
    return re.sub(r"\s+", " ", re.sub(r"\d+", "N", reason)).strip()[:120] or "unknown"
