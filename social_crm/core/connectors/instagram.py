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

from ..errors import ConnectorError, PayloadError
from ..types import Author, NormalizedPost
from ._graph import GraphConnector, _as_dict, _text
from ._parse import optional_str, parse_datetime, required_str
from .base import ensure_text_length

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


CONNECTOR = InstagramConnector
