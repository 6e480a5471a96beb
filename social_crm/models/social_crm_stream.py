import logging
import random
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
        string="Items Skipped", readonly=True, copy=False, help="Malformed items skipped; the log says why."
    )


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
                            "skipped_count": self.skipped_count + len(page.skipped),
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
