"""VK's official JSON Schemas (``../shared/real-api/vk/``; no recordings of
VK traffic are public) turned into answers and Callback API events, once
with only the required fields and once with every field the schema
defines, and replayed through the connector: ``wall.get``,
``wall.getComments`` with threads, and the callback events it handles."""

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from social_crm.core.connectors.base import WebhookRequest
from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.server import ImitationServer
from tests.replay.recordings import FieldChecks, ReplayImitation, network_folder

GROUP_ID = 4242
EPOCH = 1_735_000_000


class Instances:
    """Example values of a schema definition: every property (``full``) or
    the required ones, integers distinct (dates plausible), at most a few
    levels deep."""

    def __init__(self, root: Path):
        self.root = root
        self.files = {}
        self.serial = 0

    def definition(self, ref: str, here: Path):
        file_part, _, pointer = ref.partition("#")
        path = (here.parent / file_part).resolve() if file_part else here
        if path not in self.files:
            self.files[path] = json.loads(path.read_text("utf-8")) if path.is_file() else None
        document = self.files[path]
        if document is None:  # a section this selection does not hold
            return None, path
        for part in pointer.strip("/").split("/"):
            document = document[part]
        return document, path

    def make(self, schema, here: Path, full: bool, name: str = "", depth: int = 0):
        if "$ref" in schema:
            target, path = self.definition(schema["$ref"], here)
            return None if target is None else self.make(target, path, full, name, depth)
        if "allOf" in schema:
            merged = {}
            for part in schema["allOf"]:
                value = self.make(part, here, full, name, depth)
                merged.update(value if isinstance(value, dict) else {})
            return merged
        kind = schema.get("type")
        if "enum" in schema:
            return schema["enum"][0]
        if kind == "object" or "properties" in schema:
            if depth > 3:
                return {}
            value = {}
            for key, sub in (schema.get("properties") or {}).items():
                if full or sub.get("required"):
                    item = self.make(sub, here, full, key, depth + 1)
                    if item is not None:
                        value[key] = item
            return value
        if kind == "array":
            item = self.make(schema.get("items") or {}, here, full, name, depth + 1) if depth <= 3 else None
            return [] if item is None else [item]
        if kind == "integer":
            self.serial += 1
            return EPOCH + self.serial * 60 if name in ("date", "edited", "update_time") else self.serial
        if kind == "boolean":
            return False
        if kind == "string":
            return f"{name} текст ✓"
        return None

    def of(self, section: str, definition: str, full: bool):
        path = self.root / section / "objects.json"
        schema, _ = self.definition(f"#/definitions/{definition}", path)
        return self.make(schema, path, full)


@pytest.fixture(scope="module")
def instances():
    return Instances(network_folder("vk") / "vk-api-schema")


def connector(server):
    credentials = {"access_token": "t", "callback_secret": "s"}
    return build_connector("vk", server, credentials, external_id=str(GROUP_ID))


def check_common(checks, post, item, kind):
    checks.equal(post.kind, kind, "kind")
    checks.equal(post.text, item["text"], "text")
    checks.equal(post.created_at, datetime.fromtimestamp(item["date"], timezone.utc), "created_at")
    checks.equal(post.author.external_id, str(item.get("from_id", item.get("owner_id"))), "author")
    checks.equal(post.metrics.likes, item.get("likes", {}).get("count", 0), "likes")
    checks.post()


@pytest.mark.parametrize("full", [False, True], ids=["required fields", "every field"])
def test_wall_and_comments(instances, full):
    checks = FieldChecks()
    # the schema marks no field of a wall post required: the post has every field
    post = {**instances.of("wall", "wall_wallpost", True), "owner_id": -GROUP_ID, "id": 7}
    comment = instances.of("wall", "wall_wall_comment", full)
    answer = {"response": {"count": 1, "items": [post], "profiles": [], "groups": []}}
    comments = {"response": {"count": 1, "current_level_count": 1, "items": [comment], "profiles": [], "groups": []}}
    imitation = ReplayImitation()
    imitation.queue("/wall.get", answer)
    imitation.queue("/wall.getComments", comments)
    with ImitationServer(imitation) as server:
        wall = read_all(connector(server), StreamSpec("mentions"))
        read = read_all(connector(server), StreamSpec("comments", f"-{GROUP_ID}_7"))
    assert not wall.skipped and not read.skipped
    [wall_post] = wall.posts
    check_common(checks, wall_post, post, "mention")
    checks.equal(wall_post.external_id, f"-{GROUP_ID}_7", "id")
    checks.equal(wall_post.url, f"https://vk.com/wall-{GROUP_ID}_7", "url")
    checks.equal(wall_post.metrics.views, post.get("views", {}).get("count", 0), "views")
    checks.equal(wall_post.deleted, post.get("is_deleted") is True, "deleted")
    nested = comment.get("thread", {}).get("items", [])
    assert len(read.posts) == 1 + len(nested)
    top = read.posts[0] if read.posts[0].external_id.endswith(f"_{comment['id']}") else read.posts[1]
    check_common(checks, top, comment, "comment")
    checks.equal(top.external_id, f"-{GROUP_ID}_7_{comment['id']}", "id")
    checks.equal(top.thread_external_id, f"-{GROUP_ID}_7", "thread")
    parent = comment.get("reply_to_comment") or (comment.get("parents_stack") or [0])[-1]
    checks.equal(top.parent_external_id, f"-{GROUP_ID}_7_{parent}" if parent else f"-{GROUP_ID}_7", "parent")
    checks.equal(top.url, f"https://vk.com/wall-{GROUP_ID}_7?reply={comment['id']}", "url")
    checks.equal(top.deleted, comment.get("deleted") is True, "deleted")
    checks.report(f"vk wall and comments ({'every field' if full else 'required fields'})", Counter())


def callback(event_type, obj):
    body = {"type": event_type, "object": obj, "group_id": GROUP_ID, "event_id": f"e-{event_type}", "secret": "s"}
    return WebhookRequest("POST", {}, {}, json.dumps(body).encode())


@pytest.mark.parametrize("full", [False, True], ids=["required fields", "every field"])
def test_callback_events(instances, full):
    checks, skipped = FieldChecks(), Counter()
    vk = connector(type("Server", (), {"url": "http://127.0.0.1:9"})())
    events = {
        name: instances.of("callback", f"callback_{name}", full)
        for name in ("wall_reply_new", "wall_reply_edit", "wall_reply_restore", "message_new")
    }
    events["wall_post_new"] = instances.of("callback", "callback_wall_post_new", True)  # nothing required
    events["wall_reply_delete"] = instances.of("callback", "callback_wall_comment_delete", full)
    events["group_join"] = instances.of("callback", "callback_group_join", full)
    events["like_add"] = instances.of("callback", "callback_like_add_remove", full)
    for name, obj in events.items():
        if name.startswith("wall_reply") and name != "wall_reply_delete":
            obj.update(owner_id=-GROUP_ID, post_id=7)
        if name == "wall_post_new":
            obj.update(owner_id=-GROUP_ID)
        if name == "message_new" and "id" not in (obj.get("message") or {}):
            continue  # the message object is defined in the messages section, not in this selection
        posts = vk.parse_webhook(callback(name, obj))
        if name in ("group_join", "like_add"):
            assert posts == [] and vk.webhook_skipped[-1].reason == f"a {name} event, not a post"
            continue
        assert len(posts) == 1, (name, vk.webhook_skipped[-1:], obj)
        [post] = posts
        if name == "wall_reply_delete":
            checks.equal(post.author.external_id, str(obj["user_id"]), "the deleter")
            checks.equal(post.external_id, f"{obj['owner_id']}_{obj['post_id']}_{obj['id']}", "id")
            checks.equal(post.deleted, True, "deleted")
        elif name == "message_new":
            message = obj["message"]
            check_common(checks, post, message, "message")
            checks.equal(post.external_id, str(message["id"]), "id")
            checks.equal(post.thread_external_id, str(message["peer_id"]), "thread")
        elif name == "wall_post_new":
            check_common(checks, post, obj, "mention")
        else:
            check_common(checks, post, obj, "comment")
            checks.equal(post.external_id, f"-{GROUP_ID}_7_{obj['id']}", "id")
    skipped.update(s.reason for s in vk.webhook_skipped)
    checks.report(f"vk callbacks ({'every field' if full else 'required fields'})", skipped)
