"""The Demo network: sample posts bundled with the addon, served through the
same interface as the real networks, so a fresh database shows the whole
flow without credentials or internet."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from ..publishing import PublishLimits
from ..types import Author, Metrics, NormalizedPost, Page, StreamSpec
from .base import Connector, ensure_publishable, ensure_text_length

_DATA_FILE = Path(__file__).with_name("demo_posts.json")
_KIND_OF_STREAM = {"mentions": "mention", "search": "post", "comments": "comment", "messages": "message"}


@cache
def _sample():
    with _DATA_FILE.open(encoding="utf-8") as data:
        return json.load(data)


class DemoConnector(Connector):
    network = "demo"
    label = "Demo Network"
    stream_kinds = ("mentions", "search", "comments", "messages")
    max_text_length = 1000
    can_reply = True
    can_publish = True
    publish_limits = PublishLimits(max_chars=1000, max_media=4)
    page_size = 10

    def _anchor(self) -> datetime:
        """Sample ages count back from the account's creation, so that posts
        keep the same dates from one fetch to the next."""
        anchor = self.config.options.get("anchor")
        return datetime.fromisoformat(anchor) if anchor else datetime.now(timezone.utc)

    def check_connection(self) -> str:
        return self.config.handle or "@nordlight"

    def _author(self, author_id: str) -> Author:
        data = _sample()["authors"][author_id]
        return Author(
            external_id=author_id,
            handle=data["handle"],
            display_name=data.get("display_name", ""),
            url=f"https://demo.invalid/@{data['handle']}",
            followers=data.get("followers", 0),
            verified=data.get("verified", False),
            bio=data.get("bio", ""),
            email=data.get("email", ""),
            website=data.get("website", ""),
        )

    def _post(self, item: dict, anchor: datetime) -> NormalizedPost:
        return NormalizedPost(
            external_id=item["id"],
            author=self._author(item["author"]),
            text=item["text"],
            created_at=anchor - timedelta(minutes=item["age_minutes"]),
            kind=_KIND_OF_STREAM[item["stream"]],
            url=f"https://demo.invalid/posts/{item['id']}",
            parent_external_id=item.get("parent", ""),
            thread_external_id=item.get("thread") or item["id"],
            language_hint="",
            metrics=Metrics(likes=item.get("likes", 0), replies=item.get("replies", 0), reposts=item.get("reposts", 0)),
        )

    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        """Newest first, ``page_size`` at a time; the cursor is the number of
        sample posts of the stream already served."""
        items = sorted(
            (item for item in _sample()["posts"] if item["stream"] == stream.kind),
            key=lambda item: item["age_minutes"],
        )
        if stream.backfill_limit:
            items = items[: stream.backfill_limit]
        served = int(cursor or 0)
        chunk = items[served : served + self.page_size]
        anchor = self._anchor()
        return Page(
            posts=[self._post(item, anchor) for item in chunk],
            cursor=str(served + len(chunk)),
            has_more=served + len(chunk) < len(items),
        )

    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        ensure_text_length(self, text)
        return NormalizedPost(
            external_id=f"demo-reply-{uuid.uuid4().hex[:12]}",
            author=Author(external_id=self.config.external_id or "demo-brand", handle=self.check_connection()),
            text=text,
            created_at=datetime.now(timezone.utc),
            kind=parent.kind,
            parent_external_id=parent.external_id,
            thread_external_id=parent.thread_external_id or parent.external_id,
        )

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """Nothing leaves the server; the key makes the id, so sending the same
        publication twice gives the same post, as a network with keys does."""
        ensure_publishable(self, text, media)
        return NormalizedPost(
            external_id=f"demo-post-{idempotency_key[:12] or uuid.uuid4().hex[:12]}",
            author=Author(external_id=self.config.external_id or "demo-brand", handle=self.check_connection()),
            text=text,
            created_at=datetime.now(timezone.utc),
        )

    def account_followers(self):
        """A count that grows a little every day, the same within a day."""
        days = (datetime.now(timezone.utc) - self._anchor()).days
        return 1200 + sum((self.config.handle or "demo").encode()) % 300 + 7 * max(days, 0)

    def post_metrics(self, external_ids):
        """Figures derived from the id: the same at every read, different per post."""
        metrics = {}
        for external_id in external_ids:
            seed = sum(external_id.encode())
            metrics[external_id] = Metrics(likes=3 + seed % 17, replies=1 + seed % 5, reposts=seed % 7,
                                           views=120 + seed % 400)
        return metrics


CONNECTOR = DemoConnector
