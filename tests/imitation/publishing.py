"""The networks' publish endpoints, added to the reading imitations by subclassing
them (the reading fixtures stay as they are).

Each follows the network's documentation: the separate media upload step where
the network has one (X ``POST /2/media/upload``, Mastodon ``POST /api/v2/media``,
Bluesky ``uploadBlob``, Meta unpublished photos and Instagram containers, VK
upload server then ``photos.saveWallPhoto``, Telegram multipart ``sendPhoto``)
and its refusals: duplicate content, too long, rate limits.

:class:`LosesAnswers` imitates a timeout after the network did the work: the
request is carried out, its answer comes too late for the client.
"""

from __future__ import annotations

import json
import time
from email.parser import BytesParser
from email.policy import HTTP

from . import bluesky, mastodon, meta, reddit, telegram, vk, x
from .server import ImitationServer, Request, Response


def multipart(request: Request) -> dict[str, tuple[str, str, bytes]]:
    """``name -> (filename, content type, bytes)`` of a multipart/form-data body."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = (part.get_filename() or "", part.get_content_type(), part.get_payload(decode=True) or b"")
    return parts


def multipart_fields(request: Request) -> dict[str, str]:
    """The plain (non-file) fields of a multipart body, as text."""
    return {name: data.decode() for name, (filename, _type, data) in multipart(request).items() if not filename}


class AnswerLost(Exception):
    """Raised by a handler to close the connection without answering."""


class LosesAnswers:
    """Mixin: the next requests to the paths in ``lose_answers`` are carried out,
    then answered after ``lost_delay`` seconds, later than the client waits;
    with ``lose_mode = "drop"`` the connection is closed without an answer
    instead (Odoo's test harness raises every client timeout to 10 s)."""

    lost_delay = 0.6

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lose_answers: list[str] = []
        self.lose_mode = "timeout"

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        if request.method == "POST" and request.path in self.lose_answers:
            self.lose_answers.remove(request.path)
            if self.lose_mode == "drop":
                raise AnswerLost(request.path)
            time.sleep(self.lost_delay)
        return response


def serve(imitation) -> ImitationServer:
    """An imitation server that drops lost answers quietly (no traceback on stderr)."""
    server = ImitationServer(imitation)
    server._httpd.handle_error = lambda request, client_address: None
    return server


class XPublishing(LosesAnswers, x.XImitation):
    def __init__(self):
        super().__init__()
        self.media: dict[str, dict] = {}

    def _route(self, request: Request, endpoint: str) -> Response:
        if request.method == "POST" and endpoint == "/2/media/upload":
            parts = multipart(request)
            if "media" not in parts:
                return x.problem(400, "Invalid Request", "invalid-request", "media is required")
            media_id = str(1_900_000_000_000_000_000 + len(self.media))
            self.media[media_id] = {"category": parts.get("media_category", ("", "", b""))[2].decode(),
                                    "type": parts["media"][1], "size": len(parts["media"][2])}
            return Response.json({"data": {"id": media_id, "media_key": f"3_{media_id}", "size": len(parts["media"][2]),
                                           "expires_after_secs": 86400}})
        if request.method == "POST" and endpoint == "/2/tweets":
            payload = request.json() or {}
            media_ids = (payload.get("media") or {}).get("media_ids") or []
            if len(media_ids) > 4 or any(media_id not in self.media for media_id in media_ids):
                return x.problem(400, "Invalid Request", "invalid-request", "Your media IDs are invalid.")
            if not payload.get("reply") and any(t["author_id"] == x.OWN_ID and t["text"] == payload.get("text")
                                                for t in self.tweets):
                return x.problem(403, "Forbidden", "about:blank",
                                 "You are not allowed to create a Tweet with duplicate content.")
            response = super()._route(request, endpoint)
            if response.status == 201 and media_ids:
                self.tweets[-1]["attachments"] = {"media_keys": [f"3_{media_id}" for media_id in media_ids]}
            return response
        if request.method == "GET" and endpoint == "/2/tweets":
            wanted = request.arg("ids").split(",")
            return Response.json({"data": [self._escaped(t) for t in self.tweets if t["id"] in wanted]})
        return super()._route(request, endpoint)


class MastodonPublishing(LosesAnswers, mastodon.MastodonImitation):
    def __init__(self):
        super().__init__()
        self.media: dict[str, dict] = {}
        self.followers = 87

    def _api(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/api/v2/media":
            parts = multipart(request)
            if "file" not in parts:
                return Response.json({"error": "Validation failed: File can't be blank"}, 422)
            media_id = f"media-{len(self.media) + 1}"
            self.media[media_id] = {"id": media_id, "type": "image", "url": f"https://files.example/{media_id}",
                                    "description": multipart_fields(request).get("description")}
            return Response.json(self.media[media_id])
        if request.path == "/api/v1/accounts/verify_credentials":
            return Response.json({**mastodon.OWN_ACCOUNT, "followers_count": self.followers})
        if request.method == "POST" and request.path == "/api/v1/statuses":
            media_ids = (request.json() or {}).get("media_ids") or []
            if len(media_ids) > 4 or any(media_id not in self.media for media_id in media_ids):
                return Response.json({"error": "Validation failed: Media attachments are invalid"}, 422)
            response = super()._api(request)
            if response.status == 200 and media_ids:
                status = list(self.statuses.values())[-1]
                status["media_attachments"] = [self.media[media_id] for media_id in media_ids]
            return response
        return super()._api(request)


class BlueskyPublishing(LosesAnswers, bluesky.BlueskyImitation):
    max_blob_bytes = 1_000_000

    def __init__(self):
        super().__init__()
        self.blobs: list[dict] = []

    def _com_atproto_repo_uploadBlob(self, request):
        if len(request.body) > self.max_blob_bytes:
            return bluesky.error(400, "BlobTooLarge", "This file is too large")
        blob = {"$type": "blob", "ref": {"$link": f"bafkreiblob{len(self.blobs)}"},
                "mimeType": request.headers.get("content-type", ""), "size": len(request.body)}
        self.blobs.append(blob)
        return Response.json({"blob": blob})

    def _com_atproto_repo_createRecord(self, request):
        record = request.json().get("record") or {}
        images = (record.get("embed") or {}).get("images") or []
        if len(images) > 4 or any(image.get("image") not in self.blobs for image in images):
            return bluesky.error(400, "InvalidRequest", "Invalid app.bsky.embed.images")
        return super()._com_atproto_repo_createRecord(request)

    def _app_bsky_actor_getProfile(self, request):
        if request.arg("actor") not in (bluesky.OWN_DID, bluesky.OWN_HANDLE):
            return bluesky.error(400, "InvalidRequest", "Profile not found")
        return Response.json({"did": bluesky.OWN_DID, "handle": bluesky.OWN_HANDLE, "followersCount": 321,
                              "followsCount": 12, "postsCount": len(self.posts)})

    def _app_bsky_feed_getPosts(self, request):
        wanted = request.query.get("uris", [])
        return Response.json({"posts": [p for p in self.posts if p["uri"] in wanted]})


class TelegramPublishing(LosesAnswers, telegram.TelegramImitation):
    CHANNEL = {"id": -1001234567890, "type": "channel", "title": "Acme News", "username": "acme_news"}

    def __init__(self):
        super().__init__()
        self.files: dict[str, tuple[str, str, bytes]] = {}

    def handle(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("multipart/"):
            return super().handle(request)
        # sendPhoto/sendMediaGroup: the same checks, with the multipart fields as parameters
        parts = multipart(request)
        fields = {name: data.decode() for name, (filename, _t, data) in parts.items() if not filename}
        self.files = {name: part for name, part in parts.items() if part[0]}
        return super().handle(Request(request.method, request.path, {k: [v] for k, v in fields.items()},
                                      request.headers, b""))

    def _channel_message(self, chat_id, **content) -> dict:
        if str(chat_id) not in (f"@{self.CHANNEL['username']}", str(self.CHANNEL["id"])):
            raise LookupError(chat_id)
        message_id = self.next_message_id.get(self.CHANNEL["id"], 1)
        self.next_message_id[self.CHANNEL["id"]] = message_id + 1
        message = {"message_id": message_id, "sender_chat": self.CHANNEL, "chat": self.CHANNEL,
                   "date": int(time.time()), **content}
        self.sent.append(message)
        return message

    def _sendMessage(self, params):
        if not str(params.get("chat_id", "")).startswith(("@", "-100")):
            return super()._sendMessage(params)
        text = params.get("text") or ""
        if not 1 <= len(text) <= 4096:
            return telegram.error(400, f"Bad Request: message {'is too long' if text else 'text is empty'}")
        try:
            return self.ok(self._channel_message(params["chat_id"], text=text))
        except LookupError:
            return telegram.error(400, "Bad Request: chat not found")

    def _sendPhoto(self, params):
        return self._send_photos(params, [self.files["photo"]] if "photo" in self.files else [])

    def _sendMediaGroup(self, params):
        album = json.loads(params.get("media") or "[]")
        photos = [self.files.get(item.get("media", "").removeprefix("attach://")) for item in album]
        if not 2 <= len(album) <= 10 or None in photos:
            return telegram.error(400, "Bad Request: wrong number of media or a missing file")
        response = self._send_photos({**params, "caption": album[0].get("caption", "")}, photos)
        if response.status == 200:
            response = self.ok([json.loads(response.body)["result"]])
        return response

    def _send_photos(self, params, photos):
        caption = params.get("caption") or ""
        if len(caption) > 1024:
            return telegram.error(400, "Bad Request: message caption is too long")
        if not photos:
            return telegram.error(400, "Bad Request: there is no photo in the request")
        try:
            return self.ok(self._channel_message(params["chat_id"], caption=caption,
                                                 photo=[{"file_id": f"photo-{len(self.sent)}", "width": 800}]))
        except LookupError:
            return telegram.error(400, "Bad Request: chat not found")


class RedditPublishing(LosesAnswers, reddit.RedditImitation):
    def __init__(self):
        super().__init__()
        self.submitted: list[dict] = []
        self.submit_errors: list = []

    def _api(self, request: Request) -> Response:
        if request.path == "/api/submit" and request.method == "POST":
            return self._submit(request.form())
        if request.path == "/user/shop/submitted":
            return self._listing(request, self.submitted)
        if request.path == "/api/info":
            wanted = request.arg("id").split(",")
            return self._listing(request, [t for t in self.submitted if t["data"]["name"] in wanted])
        return super()._api(request)

    def _submit(self, form: dict) -> Response:
        if self.submit_errors:
            return Response.json({"json": {"errors": [self.submit_errors.pop(0)]}})
        if not form.get("title"):
            return Response.json({"json": {"errors": [["NO_TEXT", "we need something here", "title"]]}})
        if len(form.get("title", "")) > 300:
            return Response.json({"json": {"errors": [["TOO_LONG", "this is too long (max: 300)", "title"]]}})
        if len(form.get("text", "")) > 40_000:
            return Response.json({"json": {"errors": [["TOO_LONG", "this is too long (max: 40000)", "text"]]}})
        serial = next(self._serial)
        name = f"t3_p{serial:x}"
        thing = {"kind": "t3", "data": {
            "id": name[3:], "name": name, "author": "shop", "title": form["title"], "selftext": form.get("text", ""),
            "subreddit": form.get("sr"), "created_utc": time.time(), "edited": False, "score": 1, "num_comments": 0,
            "permalink": f"/r/{form.get('sr')}/comments/{name[3:]}/post/",
        }}
        self.submitted.append(thing)
        url = f"https://www.reddit.com{thing['data']['permalink']}"
        return Response.json({"json": {"errors": [], "data": {"url": url, "drafts_count": 0, "id": name[3:],
                                                              "name": name}}})


class VKPublishing(LosesAnswers, vk.VKImitation):
    def __init__(self):
        super().__init__()
        self.photos: list[dict] = []
        self.uploads: dict[str, bytes] = {}
        self.guids: dict[str, int] = {}

    def handle(self, request: Request) -> Response:
        if request.path == "/upload/photo":  # the upload server: no token, a multipart body
            photo = multipart(request).get("photo")
            if not photo:
                return Response.json({"error": "no photo"})
            key = f"upload-{len(self.uploads)}"
            self.uploads[key] = photo[2]
            return Response.json({"server": 1, "photo": key, "hash": "h" + key})
        self._host = request.headers.get("host", "")
        return super().handle(request)

    def _photos_getWallUploadServer(self, params):
        return {"upload_url": f"http://{self._host}/upload/photo", "album_id": -14, "user_id": 0}

    def _photos_saveWallPhoto(self, params):
        if params.get("photo") not in self.uploads or params.get("hash") != "h" + params.get("photo", ""):
            return []
        photo = {"id": 4000 + len(self.photos), "owner_id": -vk.GROUP_ID, "sizes": []}
        self.photos.append(photo)
        return [photo]

    def _wall_post(self, params):
        guid = params.get("guid")
        if guid and guid in self.guids:  # VK keeps the first post of a guid
            return {"post_id": self.guids[guid]}
        result = super()._wall_post(params)
        self.posts[-1]["attachments"] = [a for a in params.get("attachments", "").split(",") if a]
        if guid:
            self.guids[guid] = result["post_id"]
        return result

    def _wall_getById(self, params):
        wanted = params.get("posts", "").split(",")
        return self._extended([p for p in self.posts if f"{p['owner_id']}_{p['id']}" in wanted])


class MetaPublishing(LosesAnswers, meta.MetaImitation):
    def __init__(self):
        super().__init__()
        self.photos: dict[str, dict] = {}
        self.containers: dict[str, dict] = {}
        self.published_per_day = 0
        self.publish_limit = 50  # Instagram: 50 API posts per 24 hours

    def _route(self, request: Request, path: str, form: dict) -> Response:
        parts = path.strip("/").split("/")
        if request.method == "POST" and parts == [meta.PAGE_ID, "photos"]:
            fields = multipart_fields(request) if request.body and not form else form
            if "source" not in multipart(request) and not fields.get("url"):
                return meta.graph_error(400, 324, "(#324) Requires upload file")
            photo_id = self.next_id()
            self.photos[photo_id] = {"published": fields.get("published") != "false"}
            return Response.json({"id": photo_id})
        if request.method == "POST" and parts == [meta.PAGE_ID, "feed"]:
            attached = [value for key, value in form.items() if key.startswith("attached_media[")]
            if any(json.loads(value).get("media_fbid") not in self.photos for value in attached):
                return meta.graph_error(400, 100, "(#100) Invalid attached_media")
            if any(post["message"] == form.get("message") for post in self.feed[:1]):
                return meta.graph_error(400, 506, "(#506) Duplicate status message")
            response = super()._route(request, path, form)
            self.feed[0]["attached_media"] = attached
            return response
        if request.method == "POST" and parts == [meta.IG_ID, "media"]:
            if not form.get("image_url") and form.get("media_type") != "CAROUSEL":
                return meta.graph_error(400, 100, "(#100) Only photo or video can be accepted as media type.")
            if len(form.get("caption", "")) > 2200:
                return meta.graph_error(400, 100, "(#100) The caption is too long", 2207013)
            container_id = f"1790{self.next_id()}"
            self.containers[container_id] = {**form, "published": False}
            return Response.json({"id": container_id})
        if request.method == "POST" and parts == [meta.IG_ID, "media_publish"]:
            container = self.containers.get(form.get("creation_id", ""))
            if container is None:
                return meta.graph_error(400, 100, "(#100) Media ID is not available", 2207027)
            if self.published_per_day >= self.publish_limit:
                return meta.graph_error(400, 9, "Application request limit reached", 2207042)
            self.published_per_day += 1
            media = self.add_media(self.now, container.get("caption", ""))
            container["published"] = True
            return Response.json({"id": media["id"]})
        if request.method == "GET" and len(parts) == 1 and any(m["id"] == parts[0] for m in self.media):
            media = next(m for m in self.media if m["id"] == parts[0])
            return Response.json({"id": media["id"], "permalink": f"https://www.instagram.com/p/{media['id']}/",
                                  "like_count": media.get("like_count", 0),
                                  "comments_count": len(self.ig_comments.get(media["id"], []))})
        return super()._route(request, path, form)

