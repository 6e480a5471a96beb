"""Imitation of the VK API (v5.199) after the contract sheet: ``POST
/method/<name>`` with form parameters, ``v`` required, errors in HTTP 200
bodies (5 auth, 6 rate, 14 captcha), offset paging of walls, comments and
conversations, ``newsfeed.search`` with ``next_from``/``start_from``, comment
ids growing per wall, threads of replies, and ``messages.send`` deduplicated
by ``random_id``."""

from __future__ import annotations

import time

from .server import Request, Response

GROUP_ID = 77
TOKEN = "vk1.a.community-token"
PEOPLE = {
    501: {"id": 501, "first_name": "Ivan", "last_name": "Petrov", "screen_name": "ivan"},
    502: {"id": 502, "first_name": "Olga", "last_name": "Smirnova", "screen_name": "olga"},
}


def vk_error(code: int, message: str, **extra) -> Response:
    return Response.json({"error": {"error_code": code, "error_msg": message,
                                    "request_params": [{"key": "v", "value": "5.199"}], **extra}})


class VKImitation:
    def __init__(self):
        self.posts: list[dict] = []  # wall of -GROUP_ID and the search index
        self.comments: dict[tuple[int, int], list[dict]] = {}
        self.messages: list[dict] = []
        self.next_comment_id = 1000
        self.next_message_id = 5000
        self.next_post_id = 1
        self.error_code = 0
        self.fail_next = 0
        self.sent: dict[int, int] = {}  # random_id -> message id
        self.calls: list[tuple[str, dict]] = []

    # -- data -----------------------------------------------------------------------
    def add_post(self, text: str, from_id: int = 501, date: int | None = None, owner_id: int = -GROUP_ID,
                 **fields) -> dict:
        post = {"id": self.next_post_id, "owner_id": owner_id, "from_id": from_id,
                "date": date or int(time.time()) - 10_000 + self.next_post_id, "text": text,
                "comments": {"count": 0}, "likes": {"count": 4}, "reposts": {"count": 1}, "views": {"count": 90},
                **fields}
        self.next_post_id += 1
        self.posts.append(post)
        self.comments[(owner_id, post["id"])] = []
        return post

    def add_comment(self, post: dict, text: str, from_id: int = 502, reply_to: dict | None = None) -> dict:
        self.next_comment_id += 1
        comment = {"id": self.next_comment_id, "from_id": from_id, "date": int(time.time()) - 5000
                   + self.next_comment_id, "text": text, "post_id": post["id"], "owner_id": post["owner_id"],
                   "parents_stack": [], "thread": {"count": 0, "items": []}}
        if reply_to:
            comment["parents_stack"] = [reply_to["id"]]
            comment["reply_to_comment"] = reply_to["id"]
            reply_to["thread"]["items"].append(comment)
            reply_to["thread"]["count"] += 1
        else:
            self.comments[(post["owner_id"], post["id"])].append(comment)
        return comment

    @staticmethod
    def delete_comment(comment: dict) -> None:
        """A deleted comment with replies stays in wall.getComments: ``deleted``,
        no text, and (per the schema's required fields) still id, from_id, date."""
        comment.update(deleted=True, text="")

    @staticmethod
    def reply_delete_event(comment: dict, deleter_id: int) -> dict:
        """The ``wall_reply_delete`` object of the official schema: the deleter is ``user_id``."""
        return {"owner_id": comment["owner_id"], "id": comment["id"], "user_id": deleter_id,
                "post_id": comment["post_id"]}

    def add_message(self, text: str, peer_id: int = 501, from_id: int | None = None) -> dict:
        self.next_message_id += 1
        message = {"id": self.next_message_id, "date": int(time.time()) - 3000 + self.next_message_id,
                   "peer_id": peer_id, "from_id": from_id or peer_id, "text": text, "out": 0,
                   "conversation_message_id": self.next_message_id}
        self.messages.append(message)
        return message

    # -- HTTP -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.fail_next:
            self.fail_next -= 1
            return Response(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"})
        params = request.form()
        method = request.path.removeprefix("/method/")
        self.calls.append((method, params))
        if request.headers.get("authorization") != f"Bearer {TOKEN}" and params.get("access_token") != TOKEN:
            return vk_error(5, "User authorization failed: invalid access_token (4).")
        if params.get("v") != "5.199":
            return vk_error(8, "Invalid request: version is required")
        if self.error_code == 14:
            return vk_error(14, "Captcha needed", captcha_sid="123", captcha_img="https://api.vk.com/captcha.php")
        if self.error_code:
            return vk_error(self.error_code, "Too many requests per second")
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return vk_error(3, "Unknown method passed")
        return Response.json({"response": handler(params)})

    @staticmethod
    def _extended(items: list, **body) -> dict:
        ids = {item.get("from_id") for item in items}
        ids |= {reply.get("from_id") for item in items for reply in (item.get("thread") or {}).get("items", [])}
        return {**body, "items": items, "profiles": [PEOPLE[i] for i in ids if i in PEOPLE],
                "groups": [{"id": GROUP_ID, "name": "Acme", "screen_name": "acme"}]}

    def _groups_getById(self, params):
        return {"groups": [{"id": GROUP_ID, "name": "Acme", "screen_name": "acme"}], "profiles": []}

    def _wall_get(self, params):
        owner_id = int(params["owner_id"])
        posts = [p for p in self.posts if p["owner_id"] == owner_id]
        if params.get("filter") == "others":
            posts = [p for p in posts if p["from_id"] != owner_id]
        posts = sorted(posts, key=lambda p: p["date"] if isinstance(p["date"], int) else 0, reverse=True)
        posts = [p for p in posts if p.get("is_pinned")] + [p for p in posts if not p.get("is_pinned")]  # pinned first
        offset, count = int(params.get("offset", 0)), min(int(params.get("count", 20)), 100)
        return self._extended(posts[offset:offset + count], count=len(posts))

    def _newsfeed_search(self, params):
        query = params.get("q", "").lower()
        start_time = int(params.get("start_time", 0))
        found = sorted((p for p in self.posts if query in str(p["text"]).lower() and p["date"] >= start_time),
                       key=lambda p: p["date"], reverse=True)
        offset, count = int(params.get("start_from") or 0), min(int(params.get("count", 30)), 200)
        chunk = found[offset:offset + count]
        body = self._extended(chunk, count=len(chunk), total_count=len(found))
        if offset + count < len(found):
            body["next_from"] = str(offset + count)
        return body

    def _wall_getComments(self, params):
        comments = list(self.comments[(int(params["owner_id"]), int(params["post_id"]))])
        if params.get("sort") == "desc":
            comments.reverse()
        threads = int(params.get("thread_items_count", 0))
        offset, count = int(params.get("offset", 0)), min(int(params.get("count", 10)), 100)
        chunk = [{**c, "thread": {"count": c["thread"]["count"], "items": c["thread"]["items"][:threads]}}
                 for c in comments[offset:offset + count]]
        total = len(comments) + sum(c["thread"]["count"] for c in comments)
        return self._extended(chunk, count=total, current_level_count=len(comments))

    def _messages_getConversations(self, params):
        last = {}
        for message in self.messages:
            if message["peer_id"] not in last or message["id"] > last[message["peer_id"]]["id"]:
                last[message["peer_id"]] = message
        ordered = sorted(last.values(), key=lambda m: m["id"], reverse=True)
        offset, count = int(params.get("offset", 0)), min(int(params.get("count", 20)), 200)
        return {"count": len(ordered), "items": [
            {"conversation": {"peer": {"id": m["peer_id"], "type": "user"}}, "last_message": m}
            for m in ordered[offset:offset + count]]}

    def _messages_getHistory(self, params):
        history = sorted((m for m in self.messages if m["peer_id"] == int(params["peer_id"])),
                         key=lambda m: m["id"], reverse=True)
        offset, count = int(params.get("offset", 0)), min(int(params.get("count", 20)), 200)
        return self._extended(history[offset:offset + count], count=len(history))

    def _messages_send(self, params):
        random_id = int(params["random_id"])
        if random_id in self.sent:  # VK drops a repeated send
            return self.sent[random_id]
        if not params.get("message") or len(params["message"]) > 4096:
            raise ValueError("the connector must refuse such texts itself")
        message = self.add_message(params["message"], int(params["peer_id"]), from_id=-GROUP_ID)
        message["out"] = 1
        self.sent[random_id] = message["id"]
        return message["id"]

    def _wall_createComment(self, params):
        post = next(p for p in self.posts if p["owner_id"] == int(params["owner_id"])
                    and p["id"] == int(params["post_id"]))
        parent = None
        if params.get("reply_to_comment"):
            parent = next(c for c in self.comments[(post["owner_id"], post["id"])]
                          if c["id"] == int(params["reply_to_comment"]))
        comment = self.add_comment(post, params["message"], from_id=-int(params["from_group"]), reply_to=parent)
        return {"comment_id": comment["id"], "parents_stack": comment["parents_stack"]}

    def _wall_post(self, params):
        return {"post_id": self.add_post(params["message"], from_id=int(params["owner_id"]))["id"]}
