"""Facebook Page connector (Meta Graph API; shared machinery in ``_graph``).

Streams: ``mentions`` are posts the Page is tagged in (``/{page-id}/tagged``);
``comments`` are the comments and replies on the Page's recent posts (or on
the post ids listed in ``stream.query``), newest first; ``messages`` are
Messenger conversations.  Replies answer comments (a reply to a reply goes to
its top-level comment, as Facebook nests only one level) and messages (Send
API, only within 24 h of the person's last message).  ``publish`` posts to the
Page feed.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

from ..errors import PayloadError
from ..publishing import PublishLimits, same_text
from ..types import Author, Metrics, NormalizedPost
from ._graph import GraphConnector, _as_dict, _text
from ._parse import optional_int, optional_str, parse_datetime, required_str
from .base import ensure_publishable

_COMMENT_FIELDS = "id,message,from{id,name},created_time,parent{id},like_count,comment_count,permalink_url"


#: the author of a comment Facebook shows without ``from`` (a person who has
#: not allowed apps to see them): the comment still counts, its author is unknown
ANONYMOUS = Author(external_id="facebook-user-not-shown", handle="Facebook user (not shown)")


def _author(item: dict) -> Author:
    sender = _as_dict(item.get("from"))
    if not sender:
        return ANONYMOUS
    return Author(external_id=required_str(sender, "id"), handle=optional_str(sender, "name") or sender["id"],
                  display_name=optional_str(sender, "name"))


def _comment_id(item: dict) -> str:
    """The comment's id, or, where the answer left it out, the one its
    permalink names (``…/posts/<post>/?comment_id=<c>&reply_comment_id=<r>``)."""
    if item.get("id"):
        return required_str(item, "id")
    link = parse_qs(urlsplit(optional_str(item, "permalink_url")).query)
    post = re.search(r"/posts/(\d+)", optional_str(item, "permalink_url"))
    comment = (link.get("reply_comment_id") or link.get("comment_id") or [""])[0]
    if not (post and comment):
        raise PayloadError("comment without id or permalink")
    return f"{post.group(1)}_{comment}"


def _permalink_parent(item: dict) -> str:
    link = parse_qs(urlsplit(optional_str(item, "permalink_url")).query)
    post = re.search(r"/posts/(\d+)", optional_str(item, "permalink_url"))
    if post and link.get("reply_comment_id") and link.get("comment_id"):
        return f"{post.group(1)}_{link['comment_id'][0]}"
    return ""


class FacebookConnector(GraphConnector):
    network = "facebook"
    label = "Facebook"
    max_text_length = 8000
    can_publish = True
    # photos of a feed post: attached by id after an unpublished upload
    publish_limits = PublishLimits(max_chars=63_206, max_media=10)
    comments_newest_first = True
    oauth_scopes = (
        "pages_show_list",
        "pages_read_engagement",
        "pages_read_user_content",
        "pages_manage_engagement",
        "pages_manage_posts",
        "pages_manage_metadata",
        "pages_messaging",
    )

    def check_connection(self) -> str:
        return optional_str(self._call("GET", f"/{self.page_id()}", params={"fields": "id,name"}), "name")

    def mentions_edge(self) -> tuple[str, dict]:
        return f"/{self.page_id()}/tagged", {"fields": "id,message,created_time,from,permalink_url"}

    def mention_post(self, item: dict) -> NormalizedPost:
        return NormalizedPost(
            external_id=required_str(item, "id"),
            author=_author(item),
            text=_text(item, "message"),
            created_at=parse_datetime(item.get("created_time")),
            kind="mention",
            url=optional_str(item, "permalink_url"),
            thread_external_id=item["id"],
            metrics=self.metrics(item),
        )

    def recent_parents(self) -> list[str]:
        items, _after = self._edge(f"/{self.page_id()}/feed", {"fields": "id", "limit": self.recent_posts})
        return [optional_str(_as_dict(item), "id") for item in items if optional_str(_as_dict(item), "id")]

    def comments_edge(self, parent: str) -> tuple[str, dict]:
        return f"/{parent}/comments", {"filter": "stream", "order": "reverse_chronological", "fields": _COMMENT_FIELDS}

    def comment_post(self, item: dict, parent: str) -> NormalizedPost:
        return NormalizedPost(
            external_id=_comment_id(item),
            author=_author(item),
            text=_text(item, "message"),
            created_at=parse_datetime(item.get("created_time")),
            kind="comment",
            url=optional_str(item, "permalink_url"),
            parent_external_id=optional_str(_as_dict(item.get("parent")), "id") or _permalink_parent(item) or parent,
            thread_external_id=parent,
            metrics=self.metrics(item),
        )

    def reply_target(self, parent: NormalizedPost) -> tuple[str, str]:
        target = parent.parent_external_id if self.is_nested_reply(parent) else parent.external_id
        return f"/{target}/comments", target

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """``POST /{page-id}/feed``; photos are uploaded unpublished first
        (``POST /{page-id}/photos?published=false``) and attached by id.  The
        Graph API takes no idempotency key: the caller checks
        :meth:`find_published` after a lost answer."""
        ensure_publishable(self, text, media)
        data = {"message": text}
        for index, item in enumerate(media):
            photo = self._call("POST", f"/{self.page_id()}/photos", data={"published": "false"},
                               files={"source": (item.name, item.data, item.mimetype)})
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": required_str(photo, "id")})
        with self.single_attempt():
            body = self._call("POST", f"/{self.page_id()}/feed", data=data)
        post_id = required_str(body, "id")
        return NormalizedPost(external_id=post_id, author=self._our_author(), text=text,
                              created_at=datetime.now(timezone.utc), kind="post", thread_external_id=post_id)

    def find_published(self, text, since):
        items, _after = self._edge(f"/{self.page_id()}/feed", {"fields": "id,message,created_time,permalink_url",
                                                             "since": int(since.timestamp()), "limit": 25})
        for item in items:
            item = _as_dict(item)
            if same_text(optional_str(item, "message"), text):
                post_id = required_str(item, "id")
                return NormalizedPost(external_id=post_id, author=self._our_author(), text=_text(item, "message"),
                                      created_at=parse_datetime(item.get("created_time")), kind="post",
                                      url=optional_str(item, "permalink_url"), thread_external_id=post_id)
        return None

    def post_metrics(self, external_ids):
        metrics = {}
        for post_id in external_ids:
            item = self._call("GET", f"/{post_id}", params={
                "fields": "id,reactions.summary(total_count),comments.summary(total_count),shares"})
            metrics[post_id] = Metrics(
                likes=optional_int(_as_dict(_as_dict(item.get("reactions")).get("summary")), "total_count"),
                replies=optional_int(_as_dict(_as_dict(item.get("comments")).get("summary")), "total_count"),
                reposts=optional_int(_as_dict(item.get("shares")), "count"),
            )
        return metrics


CONNECTOR = FacebookConnector
