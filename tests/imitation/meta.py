"""Imitation of the Meta Graph API (Facebook Pages and Instagram) after the
contract sheet: versioned paths, bearer tokens (error 190 on a bad one),
cursor paging (``paging.cursors.after`` plus ``paging.next`` except on the last
page), throttling as HTTP 400/403 with codes 4/17/32/613/800xx and
``X-Business-Use-Case-Usage``, the Facebook Login token exchanges, comment
edges (Facebook newest first on ``order=reverse_chronological``), Instagram
replies on top-level comments only, and the Send API's 24 h window."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from .server import Request, Response

VERSION = "v25.0"
PAGE_ID = "111"
IG_ID = "17841400000000001"
PAGE_TOKEN = "page-token"


def graph_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def graph_error(status: int, code: int, message: str, subcode: int | None = None, headers=None, **extra) -> Response:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC", **extra}
    if subcode:
        error["error_subcode"] = subcode
    return Response.json({"error": error}, status, headers)


class MetaImitation:
    def __init__(self):
        self.now = datetime.now(timezone.utc)
        self.feed: list[dict] = []  # newest first
        self.tagged: list[dict] = []
        self.comments: dict[str, list[dict]] = {}  # object id -> comments, oldest first
        self.conversations: list[dict] = []
        self.media: list[dict] = []
        self.ig_tags: list[dict] = []
        self.ig_comments: dict[str, list[dict]] = {}
        self.tokens = {PAGE_TOKEN}
        self.fail_next = 0
        self.throttle: tuple[int, int, int] | None = None  # (status, code, minutes)
        self.usage = 12
        self.counter = 0
        self.posted: list[tuple[str, dict]] = []

    def next_id(self) -> str:
        self.counter += 1
        return str(900 + self.counter)

    # -- data -----------------------------------------------------------------------
    def add_post(self, moment: datetime, message: str = "Our news") -> dict:
        post = {"id": f"{PAGE_ID}_{self.next_id()}", "message": message, "created_time": graph_time(moment),
                "from": {"id": PAGE_ID, "name": "Acme Page"}, "permalink_url": "https://facebook.com/p"}
        self.feed.insert(0, post)
        self.comments[post["id"]] = []
        return post

    def add_comment(self, post_id: str, moment: datetime, message: str, parent: str = "", sender=None) -> dict:
        comment = {"id": f"{post_id.split('_')[-1]}_{self.next_id()}", "message": message,
                   "created_time": graph_time(moment), "from": sender or {"id": "5001", "name": "Alice Doe"},
                   "like_count": 2, "comment_count": 0}
        if parent:
            comment["parent"] = {"id": parent}
        self.comments[post_id].append(comment)
        return comment

    def add_hidden_author_comment(self, post_id: str, moment: datetime, message: str, reply_to: dict | None = None):
        """A comment as Facebook shows a person who keeps apps from seeing
        them: no ``from``; and answered to fields that leave out ``id``, only
        its permalink names it (``?comment_id=…&reply_comment_id=…``)."""
        comment = self.add_comment(post_id, moment, message, parent=reply_to["id"] if reply_to else "")
        del comment["from"]
        post = post_id.split("_")[-1]
        own = comment.pop("id").split("_")[-1]
        link = f"https://www.facebook.com/{PAGE_ID}/posts/{post}/?comment_id="
        comment.pop("parent", None)
        comment["permalink_url"] = (
            f"{link}{reply_to['id'].split('_')[-1]}&reply_comment_id={own}" if reply_to else f"{link}{own}"
        )
        return comment

    @staticmethod
    def attach(message: dict, mime_type: str, name: str) -> dict:
        """A photo or file on a Messenger message; with no words, no ``message`` field."""
        if message.get("message") == "":
            del message["message"]
        message["attachments"] = {"data": [{"id": "6511432", "mime_type": mime_type, "name": name, "size": 54542}]}
        return message

    def add_conversation(self, updated: datetime, messages: list[tuple[datetime, str, dict]]) -> dict:
        conversation = {"id": f"t_{self.next_id()}", "updated_time": graph_time(updated), "messages": {"data": [
            {"id": f"m_{self.next_id()}", "message": text, "created_time": graph_time(moment), "from": sender,
             "to": {"data": [{"id": PAGE_ID}]}}
            for moment, text, sender in sorted(messages, key=lambda m: m[0], reverse=True)
        ]}}
        self.conversations.append(conversation)
        self.conversations.sort(key=lambda c: c["updated_time"], reverse=True)
        return conversation

    def add_media(self, moment: datetime, caption: str = "New product") -> dict:
        media = {"id": f"1790{self.next_id()}", "caption": caption, "timestamp": graph_time(moment),
                 "permalink": "https://instagram.com/p/x", "like_count": 3, "comments_count": 0}
        self.media.insert(0, media)
        self.ig_comments[media["id"]] = []
        return media

    def add_ig_comment(self, media_id: str, moment: datetime, text: str, replies=()) -> dict:
        comment = {"id": f"1780{self.next_id()}", "text": text, "timestamp": graph_time(moment),
                   "username": "bob.ig", "from": {"id": "6001", "username": "bob.ig"}, "like_count": 1}
        comment["replies"] = {"data": [
            {"id": f"1780{self.next_id()}", "text": reply, "timestamp": graph_time(moment + timedelta(seconds=i + 1)),
             "username": "carol.ig", "from": {"id": "6002", "username": "carol.ig"}, "parent_id": comment["id"]}
            for i, reply in enumerate(replies)
        ]}
        self.ig_comments[media_id].append(comment)
        return comment

    # -- HTTP -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.fail_next:
            self.fail_next -= 1
            return graph_error(500, 2, "Service temporarily unavailable", is_transient=True)
        if not request.path.startswith(f"/{VERSION}/"):
            return graph_error(400, 2635, "You are calling a deprecated version of the Ads API.")
        path = request.path[len(VERSION) + 1:]
        if path == "/oauth/access_token":
            return self._oauth(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token == "long-user" and path == "/me/accounts":
            return Response.json({"data": [{"id": PAGE_ID, "name": "Acme Page", "access_token": PAGE_TOKEN,
                                            "instagram_business_account": {"id": IG_ID}},
                                           {"id": "222", "name": "Other Page", "access_token": "other"}]})
        if token not in self.tokens:
            return graph_error(400, 190, "Error validating access token: Session has expired.", 463)
        if self.throttle:
            status, code, minutes = self.throttle
            usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 30,
                                "estimated_time_to_regain_access": minutes}]}
            return graph_error(status, code, "(#80001) There have been too many calls to this Page account.",
                               headers={"X-Business-Use-Case-Usage": json.dumps(usage)}, is_transient=True)
        response = self._route(request, path, request.form() if request.method == "POST" and
                               request.headers.get("content-type", "").startswith("application/x-www") else {})
        response.headers["X-App-Usage"] = json.dumps({"call_count": self.usage, "total_time": 3, "total_cputime": 2})
        return response

    def _oauth(self, request: Request) -> Response:
        if request.arg("client_id") != "app-1" or request.arg("client_secret") != "app-secret":
            return graph_error(400, 101, "Error validating application.")
        if request.arg("grant_type") == "fb_exchange_token":
            if request.arg("fb_exchange_token") != "short-user":
                return graph_error(400, 190, "Invalid OAuth access token.")
            return Response.json({"access_token": "long-user", "token_type": "bearer", "expires_in": 5183944})
        if request.arg("code") != "good-code" or not request.arg("redirect_uri"):
            return graph_error(400, 100, "Invalid verification code format.", 36007)
        return Response.json({"access_token": "short-user", "token_type": "bearer", "expires_in": 5183})

    def _paged(self, request: Request, items: list) -> Response:
        limit = int(request.arg("limit", "25"))
        after = request.arg("after")
        start = int(base64.b64decode(after)) if after else 0
        chunk = items[start:start + limit]
        paging = {"cursors": {"before": base64.b64encode(str(start).encode()).decode(),
                              "after": base64.b64encode(str(start + len(chunk)).encode()).decode()}}
        if start + limit < len(items):
            paging["next"] = f"https://graph.facebook.com/{VERSION}/next?after={paging['cursors']['after']}"
        return Response.json({"data": chunk, "paging": paging} if chunk else {"data": []})

    def _route(self, request: Request, path: str, form: dict) -> Response:
        parts = path.strip("/").split("/")
        if request.method == "GET":
            if parts == [PAGE_ID]:
                return Response.json({"id": PAGE_ID, "name": "Acme Page"})
            if parts == [IG_ID]:
                return Response.json({"id": IG_ID, "username": "acme.ig"})
            if parts == [PAGE_ID, "feed"]:
                return self._paged(request, self.feed)
            if parts == [PAGE_ID, "tagged"]:
                return self._paged(request, self.tagged)
            if parts == [PAGE_ID, "conversations"]:
                if request.arg("platform") not in ("messenger", "instagram"):
                    return graph_error(400, 100, "(#100) Param platform must be one of {MESSENGER, INSTAGRAM}")
                return self._paged(request, self.conversations)
            if parts == [IG_ID, "media"]:
                return self._paged(request, self.media)
            if parts == [IG_ID, "tags"]:
                return self._paged(request, self.ig_tags)
            if len(parts) == 2 and parts[1] == "comments" and parts[0] in self.comments:
                comments = self.comments[parts[0]]
                if request.arg("order") == "reverse_chronological":
                    comments = list(reversed(comments))
                return self._paged(request, comments)
            if len(parts) == 2 and parts[1] == "comments" and parts[0] in self.ig_comments:
                return self._paged(request, self.ig_comments[parts[0]])
        if request.method == "POST":
            return self._write(request, parts, form)
        return graph_error(400, 100, f"Unsupported get request. Object with ID '{parts[0]}' does not exist", 33)

    def _write(self, request: Request, parts: list[str], form: dict) -> Response:
        self.posted.append(("/" + "/".join(parts), form or request.json()))
        if parts == [PAGE_ID, "messages"]:
            return self._send(request.json())
        if parts == [PAGE_ID, "subscribed_apps"]:
            fields = set(form.get("subscribed_fields", "").split(","))
            if not fields <= {"feed", "mention", "messages", "message_edits"} or not fields - {""}:
                return graph_error(400, 100, "(#100) Param subscribed_fields must be one of ...")
            return Response.json({"success": True})
        message = form.get("message", "")
        if not message:
            return graph_error(400, 100, "(#100) The parameter message is required")
        if parts == [PAGE_ID, "feed"]:
            return Response.json({"id": self.add_post(self.now, message)["id"]})
        if len(parts) == 2 and parts[1] == "comments":
            fb_comments = {c["id"] for comments in self.comments.values() for c in comments}
            if parts[0] in self.comments or parts[0] in fb_comments or parts[0] in self.ig_comments:
                return Response.json({"id": f"{parts[0]}_{self.next_id()}"})
        if len(parts) == 2 and parts[1] == "replies":
            top_level = {c["id"] for comments in self.ig_comments.values() for c in comments}
            if parts[0] in top_level:
                return Response.json({"id": f"1780{self.next_id()}"})
            return graph_error(400, 100, "(#100) Replies can only be made on top-level comments")
        if parts == [IG_ID, "mentions"] and form.get("media_id"):
            return Response.json({"id": f"1780{self.next_id()}"})
        return graph_error(400, 100, f"Unsupported post request. Object with ID '{parts[0]}' does not exist", 33)

    def _send(self, payload: dict) -> Response:
        recipient = (payload.get("recipient") or {}).get("id")
        text = (payload.get("message") or {}).get("text", "")
        if payload.get("messaging_type") != "RESPONSE" or not recipient or not text:
            return graph_error(400, 100, "(#100) Invalid parameter")
        if len(text) > 2000:
            return graph_error(400, 100, "(#100) Length of param message[text] must be less than or equal to 2000")
        last = [m["created_time"] for c in self.conversations for m in c["messages"]["data"]
                if m["from"]["id"] == recipient]
        if not last or datetime.strptime(max(last), "%Y-%m-%dT%H:%M:%S%z") < self.now - timedelta(hours=24):
            return graph_error(400, 10, "(#10) This message is sent outside of allowed window.", 2018278)
        return Response.json({"recipient_id": recipient, "message_id": f"m_{self.next_id()}"})
