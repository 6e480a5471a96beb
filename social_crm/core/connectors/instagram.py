"""Instagram professional account connector, through Facebook Login and the
Meta Graph API (shared machinery in ``_graph``).

The account's ``external_id`` is the Instagram user id; ``page_id`` (stored by
``fetch_token``) is the Facebook Page it is linked to, which owns the inbox.

Streams: ``mentions`` are media the account is tagged in (``/{ig-user-id}/tags``);
``comments`` are comments and their first replies on the account's recent
media (or on the media ids listed in ``stream.query``); ``messages`` are
Instagram Direct conversations (``platform=instagram``).  Replies answer
comments (``/{comment-id}/replies``, on top-level comments only, so a reply to
a reply goes to its top-level comment), tagged media (``/{ig-user-id}/mentions``)
and messages (Send API, 24 h window, 1000 characters).  Publishing needs
media and is not offered.  ``mentions`` webhooks carry only ids and are not
turned into posts; the ``mentions`` stream picks those posts up.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..errors import ConnectorError, PayloadError, RateLimited
from ..publishing import PublishLimits, same_text
from ..types import Author, Metrics, NormalizedPost
from ._graph import GraphConnector, _as_dict, _text
from ._parse import optional_int, optional_str, parse_datetime, required_str
from .base import ensure_publishable, ensure_text_length

_COMMENT_FIELDS = "id,text,timestamp,username,from,like_count,parent_id"


def _author(item: dict) -> Author:
    sender = _as_dict(item.get("from"))
    username = optional_str(sender, "username") or optional_str(item, "username")
    external_id = optional_str(sender, "id") or username
    if not external_id:
        raise PayloadError("missing author (from or username)")
    return Author(external_id=external_id, handle=username or external_id,
                  url=f"https://www.instagram.com/{username}" if username else "")


class InstagramConnector(GraphConnector):
    network = "instagram"
    label = "Instagram"
    max_text_length = 2200
    max_message_length = 1000
    can_publish = True
    # a post is an image (JPEG) or a carousel of up to 10, fetched by Meta from a
    # public URL; links in captions are not clickable
    publish_limits = PublishLimits(max_chars=2200, max_media=10, media_types=("image/jpeg",), requires_media=True,
                                   links_clickable=False, media_by_url=True)
    messaging_platform = "instagram"
    # Instagram events are chosen per app (object "instagram"); the Page only has to install the app
    webhook_fields = ("feed",)
    oauth_scopes = (
        "instagram_basic",
        "instagram_manage_comments",
        "instagram_manage_messages",
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_metadata",
        "instagram_content_publish",
    )

    def ig_user_id(self) -> str:
        ig_user_id = self.config.external_id or self.config.credentials.get("ig_user_id")
        if not ig_user_id:
            raise ConnectorError("Instagram: the Instagram account id is unknown; connect the account again")
        return ig_user_id

    def _page_matches(self, page: dict) -> bool:
        return optional_str(_as_dict(page.get("instagram_business_account")), "id") == self.config.external_id

    def _our_author(self) -> Author:
        return Author(external_id=self.ig_user_id(), handle=self.config.handle or self.ig_user_id())

    def check_connection(self) -> str:
        return optional_str(self._call("GET", f"/{self.ig_user_id()}", params={"fields": "id,username"}), "username")

    def mentions_edge(self) -> tuple[str, dict]:
        fields = "id,caption,timestamp,username,permalink,like_count,comments_count"
        return f"/{self.ig_user_id()}/tags", {"fields": fields}

    def mention_post(self, item: dict) -> NormalizedPost:
        return NormalizedPost(
            external_id=required_str(item, "id"),
            author=_author(item),
            text=_text(item, "caption"),
            created_at=parse_datetime(item.get("timestamp")),
            kind="mention",
            url=optional_str(item, "permalink"),
            thread_external_id=item["id"],
            metrics=self.metrics(item),
        )

    def recent_parents(self) -> list[str]:
        items, _after = self._edge(f"/{self.ig_user_id()}/media", {"fields": "id", "limit": self.recent_posts})
        return [optional_str(_as_dict(item), "id") for item in items if optional_str(_as_dict(item), "id")]

    def comments_edge(self, parent: str) -> tuple[str, dict]:
        return f"/{parent}/comments", {"fields": f"{_COMMENT_FIELDS},replies{{{_COMMENT_FIELDS}}}"}

    def flatten_comments(self, items: list) -> list:
        """Top-level comments followed by the first page of their replies."""
        flat = []
        for item in items:
            flat.append(item)
            replies = _as_dict(_as_dict(item).get("replies")).get("data")
            for reply in replies if isinstance(replies, list) else []:
                if isinstance(reply, dict):
                    flat.append({"parent_id": optional_str(_as_dict(item), "id"), **reply})
        return flat

    def comment_post(self, item: dict, parent: str) -> NormalizedPost:
        return NormalizedPost(
            external_id=required_str(item, "id"),
            author=_author(item),
            text=_text(item, "text"),
            created_at=parse_datetime(item.get("timestamp")),
            kind="comment",
            parent_external_id=optional_str(item, "parent_id") or parent,
            thread_external_id=parent,
            metrics=self.metrics(item),
        )

    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        if parent.kind != "mention":
            return super().reply(parent, text)
        ensure_text_length(self, text)
        body = self._call("POST", f"/{self.ig_user_id()}/mentions",
                          data={"media_id": parent.external_id, "message": text})
        return self._created(body, text, parent.external_id, parent)

    def reply_target(self, parent: NormalizedPost) -> tuple[str, str]:
        if parent.kind == "post":  # our own media: a new comment
            return f"/{parent.external_id}/comments", parent.external_id
        target = parent.parent_external_id if self.is_nested_reply(parent) else parent.external_id
        return f"/{target}/replies", target

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """A media container per image (``POST /{ig-user-id}/media`` with its
        public ``image_url``; a ``CAROUSEL`` container for several), then
        ``POST /{ig-user-id}/media_publish``.  No idempotency key: the caller
        checks :meth:`find_published` after a lost answer."""
        ensure_publishable(self, text, media)
        user = self.ig_user_id()
        if len(media) == 1:
            container = self._call("POST", f"/{user}/media", data={"image_url": media[0].url, "caption": text})
        else:
            children = [required_str(self._call("POST", f"/{user}/media", data={
                "image_url": item.url, "is_carousel_item": "true"}), "id") for item in media]
            container = self._call("POST", f"/{user}/media", data={
                "media_type": "CAROUSEL", "children": ",".join(children), "caption": text})
        with self.single_attempt():
            try:
                published = self._call("POST", f"/{user}/media_publish",
                                       data={"creation_id": required_str(container, "id")})
            except ConnectorError as error:
                if "(code 9," in str(error):  # the 50 posts per 24 hours of the content publishing API
                    raise RateLimited(f"Instagram: publishing limit reached: {error}",
                                      datetime.now(timezone.utc) + timedelta(hours=1)) from None
                raise
        media_id = required_str(published, "id")
        permalink = optional_str(self._call("GET", f"/{media_id}", params={"fields": "permalink"}), "permalink")
        return NormalizedPost(external_id=media_id, author=self._our_author(), text=text,
                              created_at=datetime.now(timezone.utc), kind="post", url=permalink,
                              thread_external_id=media_id)

    def find_published(self, text, since):
        items, _after = self._edge(f"/{self.ig_user_id()}/media", {"fields": "id,caption,timestamp,permalink",
                                                                 "limit": 25})
        for item in items:
            item = _as_dict(item)
            created = parse_datetime(item.get("timestamp"))
            if created >= since and same_text(optional_str(item, "caption"), text):
                media_id = required_str(item, "id")
                return NormalizedPost(external_id=media_id, author=self._our_author(), text=_text(item, "caption"),
                                      created_at=created, kind="post", url=optional_str(item, "permalink"),
                                      thread_external_id=media_id)
        return None

    def post_metrics(self, external_ids):
        metrics = {}
        for media_id in external_ids:
            item = self._call("GET", f"/{media_id}", params={"fields": "id,like_count,comments_count"})
            metrics[media_id] = Metrics(likes=optional_int(item, "like_count"),
                                        replies=optional_int(item, "comments_count"))
        return metrics


CONNECTOR = InstagramConnector

