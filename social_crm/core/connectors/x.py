"""X (Twitter) API v2 connector.

Streams
    ``mentions``  ``GET /2/users/:id/mentions`` (``pagination_token``, ``since_id``).
    ``search``    ``GET /2/tweets/search/recent`` with ``stream.query`` (``next_token``, ``since_id``).
    ``comments``  replies to our posts: recent search ``conversation_id:<id>``; ``stream.query``
                  lists the conversation (post) ids, separated by spaces or commas; an empty
                  query uses the account's 10 latest original posts.
    ``messages``  ``GET /2/dm_events`` (no ``since_id``: a run stops at the newest event of the
                  previous run).

Reposts: a retweet is the retweeter's post with a cut ``RT @user: …`` text;
the original (``referenced_tweets`` type ``retweeted``, expanded into
``includes.tweets``) is stored instead, with its own author and full text; a
retweet whose original is not in the answer is a counted skip.

Edits: X gives every version of an edited post a new id and lists the chain,
oldest first, in ``edit_history_tweet_ids``.  The *first* id of the chain is
the post's stable ``external_id``, so an edit updates the stored post instead
of creating a new one; ``edited_at`` is the creation time of the version
received and ``created_at`` the original's (read from its snowflake id).

Auth: OAuth 2.0 authorization code with PKCE (S256); the refresh tokens are
single-use, so every refresh is handed to ``save_credentials``.  OAuth 1.0a user
tokens (``consumer_key``, ``consumer_secret``, ``access_token``,
``access_token_secret``, entered by hand) are used instead when present.

Webhooks: Account Activity API (CRC handshake, HMAC-SHA256 signatures with the
OAuth 2.0 client secret or the legacy consumer secret, v1.1 payloads).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
from datetime import datetime, timezone
from typing import Any

import requests
from requests_oauthlib import OAuth1

from ..errors import (
    AuthError,
    ConnectorError,
    DuplicateContent,
    PayloadError,
    RateLimited,
    TransientError,
    WebhookRejected,
)
from ..publishing import PublishLimits, same_text
from ..types import Author, Metrics, NormalizedPost, Page, RateLimit, SkippedItem, StreamSpec
from ._oauth import OAuth2Connector, TokenRejected
from ._parse import (
    clean_text,
    dump_cursor,
    ensure_webhook_size,
    header_int,
    load_cursor,
    optional_int,
    optional_str,
    parse_datetime,
    required_str,
    walk_newest_first,
    webhook_json,
)
from .base import WebhookRequest, WebhookResponse, ensure_publishable, ensure_text_length, retry_after

_logger = logging.getLogger(__name__)

_TWEET_FIELDS = (
    "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,"
    "edit_history_tweet_ids,note_tweet,lang"
)
#: the originals of retweets and their authors come in ``includes``
_TWEET_EXPANSIONS = "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
_USER_FIELDS = "username,name,profile_image_url,public_metrics,verified,description,url"
_DM_FIELDS = "id,text,event_type,created_at,sender_id,dm_conversation_id"
#: X's epoch of snowflake ids, in milliseconds
_SNOWFLAKE_EPOCH_MS = 1288834974657
_MAX_QUERY_LENGTH = 512
_SIGNATURE_HEADERS = ("X-Twitter-Webhooks-Signature-OAuth2", "X-Twitter-Webhooks-Signature")


def _snowflake_time(tweet_id: str) -> datetime:
    if not tweet_id.isdigit():
        raise PayloadError(f"id {tweet_id[:30]!r} is not a snowflake")
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000, tz=timezone.utc)


def _text(value: Any, what: str = "text") -> str:
    """X escapes ``&``, ``<`` and ``>`` as entities in post texts; undo that to keep the text as written."""
    if not isinstance(value, str):
        raise PayloadError(f"{what} is missing or not a string")
    return clean_text(html.unescape(value))


def _conversation_id(first: str, second: str) -> str:
    """X names a one-to-one DM conversation ``smallerId-largerId``."""
    low, high = sorted((first, second), key=lambda value: (len(value), value))
    return f"{low}-{high}"


def _signature(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


class XConnector(OAuth2Connector):
    network = "x"
    label = "X"
    default_base_url = "https://api.x.com"
    stream_kinds = ("mentions", "search", "comments", "messages")
    # X counts 280 *weighted* characters (CJK and emoji count twice, links 23); the
    # plain length is the check we can make without X's text library
    max_text_length = 280
    can_reply = True
    can_publish = True
    # up to 4 images a post; every link counts 23 characters (t.co)
    publish_limits = PublishLimits(max_chars=280, max_media=4, link_length=23)
    has_webhooks = True
    credential_fields = (
        "client_id",
        "client_secret",
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
    )
    oauth_scopes = ("tweet.read", "tweet.write", "users.read", "dm.read", "dm.write", "offline.access")
    oauth_pkce = True

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        #: items per request (X allows up to 100); option ``page_size``
        self.page_size = int(config.options.get("page_size", 100))
        self._user: dict | None = None

    # -- OAuth endpoints -------------------------------------------------------
    def oauth_authorize_endpoint(self) -> str:
        return self.config.options.get("authorize_url", "https://x.com/i/oauth2/authorize")

    def oauth_token_endpoint(self) -> str:
        return f"{self.base_url}/2/oauth2/token"

    def oauth_revoke_endpoint(self) -> str:
        return f"{self.base_url}/2/oauth2/revoke"

    def revoke(self) -> None:
        if self._uses_oauth1():  # OAuth 1.0a tokens are revoked in the developer portal
            return None
        return super().revoke()

    # -- transport -------------------------------------------------------------
    def _uses_oauth1(self) -> bool:
        credentials = self.config.credentials
        return bool(credentials.get("consumer_key") and credentials.get("access_token_secret"))

    def _api(self, method: str, path: str, **kwargs) -> requests.Response:
        if not self._uses_oauth1():
            return self.authorized(method, path, **kwargs)
        credentials = self.config.credentials
        auth = OAuth1(
            credentials["consumer_key"],
            credentials.get("consumer_secret", ""),
            credentials.get("access_token", ""),
            credentials["access_token_secret"],
        )
        # JSON bodies (json=) are not part of the OAuth 1.0a signature, form bodies would be
        return self.http(method, path, auth=auth, **kwargs)

    def read_rate_limit(self, response: requests.Response) -> RateLimit | None:
        headers = response.headers
        if "x-rate-limit-reset" not in headers and "x-rate-limit-remaining" not in headers:
            return None
        reset = header_int(headers, "x-rate-limit-reset")
        return RateLimit(
            remaining=header_int(headers, "x-rate-limit-remaining"),
            limit=header_int(headers, "x-rate-limit-limit"),
            reset_at=datetime.fromtimestamp(reset, tz=timezone.utc) if reset is not None else None,
        )

    def check_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        if status == 429:
            reset = header_int(response.headers, "x-rate-limit-reset")
            reset_at = datetime.fromtimestamp(reset, tz=timezone.utc) if reset is not None else retry_after(response)
            raise RateLimited(f"X: rate limit reached ({self._problem(response)})", reset_at)
        if status >= 500:
            raise TransientError(f"X: HTTP {status}")
        if status == 401:
            raise TokenRejected(f"X: the credentials were refused (HTTP 401): {self._problem(response)}")
        problem = self._problem(response)
        if status == 403 and ("client-forbidden" in problem or "unsupported-authentication" in problem):
            raise AuthError(f"X: HTTP 403: {problem}")
        # other 403s are refusals of one action (e.g. replying to someone who did not mention us)
        raise ConnectorError(f"X: HTTP {status}: {problem}")

    @staticmethod
    def _problem(response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text[:200]
        if not isinstance(body, dict):
            return ""
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and not body.get("detail"):
            body = errors[0]
        parts = [optional_str(body, key) for key in ("title", "detail", "message", "type")]
        return " | ".join(part for part in parts if part)[:300]

    # -- account ----------------------------------------------------------------
    def _me(self) -> dict:
        if self._user is None:
            body = self._api("GET", "/2/users/me").json()
            user = body.get("data") if isinstance(body, dict) else None
            if not isinstance(user, dict) or not user.get("id"):
                raise PayloadError("X: /2/users/me returned no user")
            self._user = user
        return self._user

    def _own_id(self) -> str:
        return self.config.external_id or str(self._me()["id"])

    def check_connection(self) -> str:
        me = self._me()
        self.account_external_id = optional_str(me, "id")
        return optional_str(me, "username")

    # -- reading ----------------------------------------------------------------
    def fetch_page(self, stream: StreamSpec, cursor: str) -> Page:
        state = load_cursor(cursor)
        if stream.kind == "messages":
            return self._read(
                stream, state, "/2/dm_events", "pagination_token", "message",
                {"dm_event.fields": _DM_FIELDS, "event_types": "MessageCreate", "expansions": "sender_id",
                 "user.fields": _USER_FIELDS},
                min_results=1, since_supported=False,
            )
        params = {"tweet.fields": _TWEET_FIELDS, "expansions": _TWEET_EXPANSIONS, "user.fields": _USER_FIELDS}
        if stream.kind == "mentions":
            return self._read(stream, state, f"/2/users/{self._own_id()}/mentions", "pagination_token", "mention",
                              params, min_results=5)
        if stream.kind == "search":
            query = stream.query.strip()
            kind = "post"
        elif stream.kind == "comments":
            # a run keeps its query: next_token is only valid for the query that produced it
            query = state.get("query") or self._conversation_query(stream.query)
            kind = "comment"
        else:
            raise ConnectorError(f"X: unknown stream kind {stream.kind!r}")
        if not query:
            return Page(cursor=dump_cursor(state), rate_limit=self.last_rate_limit)
        if len(query) > _MAX_QUERY_LENGTH:
            raise ConnectorError(f"X: search queries have at most {_MAX_QUERY_LENGTH} characters")
        state["query"] = query if stream.kind == "comments" else ""
        return self._read(stream, state, "/2/tweets/search/recent", "next_token", kind,
                          {**params, "query": query}, min_results=10)

    def _conversation_query(self, query: str) -> str:
        ids = [part for part in re.split(r"[\s,]+", query) if part]
        if not ids:
            body = self._api("GET", f"/2/users/{self._own_id()}/tweets",
                             params={"max_results": 10, "exclude": "retweets,replies"}).json()
            ids = [item["id"] for item in body.get("data") or [] if isinstance(item, dict) and item.get("id")]
        if any(not str(conversation_id).isdigit() for conversation_id in ids):
            raise ConnectorError("X: a comments stream lists post ids (digits), separated by spaces or commas")
        return " OR ".join(f"conversation_id:{conversation_id}" for conversation_id in ids)

    def _read(self, stream, state, path, token_param, kind, params, *, min_results, since_supported=True) -> Page:
        known = state.get("known")
        params = dict(params)
        if known and since_supported:
            params["since_id"] = known["id"]
        wanted = self.page_size
        if not known and stream.backfill_limit:
            wanted = stream.backfill_limit - state.get("count", 0)
        params["max_results"] = max(min_results, min(self.page_size, wanted))
        if state.get("page"):
            params[token_param] = state["page"]
        body = self._api("GET", path, params=params).json()
        if not isinstance(body, dict):
            raise PayloadError(f"X: {path} returned no JSON object")
        items = body.get("data") or []
        users = self._users(body)
        originals = self._included_tweets(body)
        entries, skipped = [], []
        for item in items if isinstance(items, list) else []:
            try:
                version_id = required_str(item, "id")
                if kind == "message":
                    post = self._dm_post(item, users)
                else:
                    post = self._tweet_post(self._original(item, originals), users, kind)
            except PayloadError as error:
                skipped.append(SkippedItem(str(error), optional_str(item, "id")))
                continue
            entries.append((version_id, post.edited_at or post.created_at, post))
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        posts, more = walk_newest_first(state, entries, optional_str(meta, "next_token"), stream.backfill_limit)
        if not more:
            state.pop("query", None)
        return Page(posts=posts, cursor=dump_cursor(state), has_more=more, skipped=skipped,
                    rate_limit=self.last_rate_limit)

    @staticmethod
    def _included_tweets(body: dict) -> dict[str, dict]:
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        tweets = includes.get("tweets") if isinstance(includes.get("tweets"), list) else []
        return {str(tweet["id"]): tweet for tweet in tweets if isinstance(tweet, dict) and tweet.get("id")}

    @staticmethod
    def _original(tweet: dict, originals: dict[str, dict]) -> dict:
        """The tweet itself, or for a retweet the retweeted original."""
        references = tweet.get("referenced_tweets")
        if isinstance(references, list):
            retweeted = next((optional_str(ref, "id") for ref in references
                              if isinstance(ref, dict) and ref.get("type") == "retweeted"), "")
            if not retweeted:
                return tweet
            if retweeted not in originals:
                raise PayloadError("a retweet whose original is not in the answer")
            return originals[retweeted]
        if isinstance(tweet.get("text"), str) and tweet["text"].startswith("RT @"):
            # asked without referenced_tweets: X's retweet text is "RT @user: " and the original, cut
            raise PayloadError("a retweet (RT @…) whose original is not in the answer")
        return tweet

    @staticmethod
    def _users(body: dict) -> dict[str, dict]:
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        users = includes.get("users") if isinstance(includes.get("users"), list) else []
        return {str(user["id"]): user for user in users if isinstance(user, dict) and user.get("id")}

    @staticmethod
    def _author(user_id: str, user: dict) -> Author:
        username = optional_str(user, "username") or optional_str(user, "screen_name")
        metrics = user.get("public_metrics") if isinstance(user.get("public_metrics"), dict) else user
        return Author(
            external_id=user_id,
            handle=username or user_id,
            display_name=optional_str(user, "name"),
            url=f"https://x.com/{username}" if username else "",
            followers=optional_int(metrics, "followers_count"),
            verified=user.get("verified") is True,
            bio=optional_str(user, "description"),
            website=optional_str(user, "url"),
        )

    def _tweet_post(self, tweet: dict, users: dict[str, dict], kind: str) -> NormalizedPost:
        """A v2 post object."""
        version_id = required_str(tweet, "id")
        history = tweet.get("edit_history_tweet_ids")
        stable_id = str(history[0]) if isinstance(history, list) and history and history[0] else version_id
        # asked without created_at, the id still tells when (a snowflake)
        version_time = parse_datetime(tweet["created_at"]) if tweet.get("created_at") else _snowflake_time(version_id)
        note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
        text = _text(note.get("text") if isinstance(note.get("text"), str) else tweet.get("text"))
        author_id = required_str(tweet, "author_id")
        author = self._author(author_id, users.get(author_id, {}))
        references = tweet.get("referenced_tweets") if isinstance(tweet.get("referenced_tweets"), list) else []
        parent = next((optional_str(ref, "id") for ref in references
                       if isinstance(ref, dict) and ref.get("type") == "replied_to"), "")
        metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
        return NormalizedPost(
            external_id=stable_id,
            author=author,
            text=text,
            created_at=_snowflake_time(stable_id) if stable_id != version_id else version_time,
            kind=kind,
            url=f"https://x.com/{author.handle}/status/{stable_id}",
            parent_external_id=parent,
            thread_external_id=optional_str(tweet, "conversation_id"),
            language_hint=optional_str(tweet, "lang") if tweet.get("lang") not in ("und", "zxx") else "",
            edited_at=version_time if stable_id != version_id else None,
            metrics=Metrics(
                likes=optional_int(metrics, "like_count"),
                replies=optional_int(metrics, "reply_count"),
                reposts=optional_int(metrics, "retweet_count"),
                quotes=optional_int(metrics, "quote_count"),
                views=optional_int(metrics, "impression_count"),
            ),
        )

    def _dm_post(self, event: dict, users: dict[str, dict]) -> NormalizedPost:
        """A v2 DM event."""
        event_type = optional_str(event, "event_type")
        if event_type and event_type != "MessageCreate":
            raise PayloadError(f"a {event_type} event, not a message")
        sender_id = required_str(event, "sender_id")
        return NormalizedPost(
            external_id=required_str(event, "id"),
            author=self._author(sender_id, users.get(sender_id, {})),
            text=_text(event.get("text")),
            created_at=parse_datetime(event.get("created_at")),
            kind="message",
            thread_external_id=optional_str(event, "dm_conversation_id"),
        )

    # -- writing ----------------------------------------------------------------
    def _our_author(self) -> Author:
        if self.config.external_id:
            return Author(external_id=self.config.external_id, handle=self.config.handle or self.config.external_id)
        me = self._me()
        return self._author(str(me["id"]), me)

    def reply(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        ensure_text_length(self, text)
        if parent.kind == "message":
            return self._send_dm(parent, text)
        return self._post_tweet({"text": text, "reply": {"in_reply_to_tweet_id": parent.external_id}},
                                kind="comment", parent=parent)

    def publish(self, text, media=(), *, idempotency_key="", title=""):
        """``POST /2/tweets``, images uploaded first with ``POST /2/media/upload``.
        X takes no idempotency key: the caller checks :meth:`find_published`
        after a lost answer, so the post itself is sent once, never retried."""
        ensure_publishable(self, text, media)
        payload = {"text": text}
        if media:
            payload["media"] = {"media_ids": [self._upload_media(item) for item in media]}
        with self.single_attempt():
            try:
                return self._post_tweet(payload, kind="post")
            except ConnectorError as error:
                if "duplicate content" in str(error).lower():
                    raise DuplicateContent(str(error)) from None
                raise

    def _upload_media(self, item) -> str:
        response = self._api("POST", "/2/media/upload", data={"media_category": "tweet_image"},
                             files={"media": (item.name, item.data, item.mimetype)})
        data = response.json().get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise PayloadError("X: the media upload returned no media id")
        return str(data["id"])

    def find_published(self, text, since):
        body = self._api("GET", f"/2/users/{self._own_id()}/tweets", params={
            "max_results": 20, "exclude": "retweets,replies", "tweet.fields": _TWEET_FIELDS,
            "start_time": since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }).json()
        for item in body.get("data") or []:
            if isinstance(item, dict) and same_text(_text(item.get("text")), text):
                return self._tweet_post(item, self._users(body), "post")
        return None

    def account_followers(self):
        body = self._api("GET", "/2/users/me", params={"user.fields": "public_metrics"}).json()
        user = body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else {}
        return optional_int(user.get("public_metrics") if isinstance(user.get("public_metrics"), dict) else {},
                            "followers_count")

    def post_metrics(self, external_ids):
        metrics = {}
        for start in range(0, len(external_ids), 100):  # the lookup takes 100 ids
            body = self._api("GET", "/2/tweets", params={
                "ids": ",".join(external_ids[start:start + 100]), "tweet.fields": _TWEET_FIELDS,
            }).json()
            for item in body.get("data") or []:
                if isinstance(item, dict) and item.get("id"):
                    metrics[str(item["id"])] = self._tweet_post(item, {}, "post").metrics
        return metrics

    def _post_tweet(self, payload: dict, kind: str, parent: NormalizedPost | None = None) -> NormalizedPost:
        data = self._api("POST", "/2/tweets", json=payload).json().get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise PayloadError("X: POST /2/tweets returned no post id")
        post_id = str(data["id"])
        author = self._our_author()
        return NormalizedPost(
            external_id=post_id,
            author=author,
            text=payload["text"],
            created_at=_snowflake_time(post_id),
            kind=kind,
            url=f"https://x.com/{author.handle}/status/{post_id}",
            parent_external_id=parent.external_id if parent else "",
            thread_external_id=(parent.thread_external_id or parent.external_id) if parent else post_id,
        )

    def _send_dm(self, parent: NormalizedPost, text: str) -> NormalizedPost:
        own_id = self._own_id()
        participant = parent.author.external_id
        if participant == own_id and "-" in parent.thread_external_id:
            # answering our own message: the other side of the one-to-one conversation
            participant = next(part for part in parent.thread_external_id.split("-") if part != own_id)
        response = self._api("POST", f"/2/dm_conversations/with/{participant}/messages", json={"text": text})
        data = response.json().get("data")
        if not isinstance(data, dict) or not data.get("dm_event_id"):
            raise PayloadError("X: the DM was sent but X returned no event id")
        event_id = str(data["dm_event_id"])
        return NormalizedPost(
            external_id=event_id,
            author=self._our_author(),
            text=text,
            created_at=_snowflake_time(event_id) if event_id.isdigit() else datetime.now(timezone.utc),
            kind="message",
            parent_external_id=parent.external_id,
            thread_external_id=optional_str(data, "dm_conversation_id") or _conversation_id(own_id, participant),
        )

    # -- webhooks (Account Activity API) ------------------------------------------
    def _webhook_secrets(self) -> list[str]:
        credentials = self.config.credentials
        return [secret for secret in (credentials.get("client_secret"), credentials.get("consumer_secret")) if secret]

    def webhook_handshake(self, request: WebhookRequest) -> WebhookResponse | None:
        crc_token = request.query.get("crc_token")
        if request.method.upper() != "GET" or not crc_token:
            return None
        secrets = self._webhook_secrets()
        if not secrets:
            raise WebhookRejected("X: no client or consumer secret to answer the CRC check")
        return WebhookResponse(
            body=json.dumps({"response_token": _signature(secrets[0], crc_token.encode())}),
            content_type="application/json",
        )

    def parse_webhook(self, request: WebhookRequest) -> list[NormalizedPost]:
        body = ensure_webhook_size(request.body)
        headers = {name.lower(): value for name, value in request.headers.items()}
        signatures = [headers[name.lower()] for name in _SIGNATURE_HEADERS if headers.get(name.lower())]
        if not signatures:
            raise WebhookRejected("X: webhook without signature")
        expected = [_signature(secret, body) for secret in self._webhook_secrets()]
        # X may send both headers, each signed with its own secret; one verified signature is proof
        if not any(hmac.compare_digest(signature, wanted) for signature in signatures for wanted in expected):
            raise WebhookRejected("X: webhook signature does not match")
        payload = webhook_json(body)
        if not isinstance(payload, dict):
            raise WebhookRejected("X: webhook body is not an object")
        return self._webhook_posts(payload)

    def _webhook_posts(self, payload: dict) -> list[NormalizedPost]:
        own_id = optional_str(payload, "for_user_id") or self.config.external_id
        users = payload.get("users") if isinstance(payload.get("users"), dict) else {}
        readers = (
            ("tweet_create_events", lambda item: self._v1_tweet(item, own_id)),
            ("direct_message_events", lambda item: self._v1_message(item, users)),
            ("tweet_delete_events", self._v1_deletion),
        )
        posts = []
        for key, read in readers:
            events = payload.get(key)
            for event in events if isinstance(events, list) else []:
                try:
                    post = read(event)
                except PayloadError as error:
                    _logger.info("X webhook: skipped one of %s: %s", key, error)
                    self.webhook_skipped.append(SkippedItem(str(error), optional_str(event, "id_str")))
                    continue
                if post is not None:
                    posts.append(post)
        return posts

    def _v1_tweet(self, tweet: dict, own_id: str) -> NormalizedPost:
        if isinstance(tweet.get("retweeted_status"), dict):  # a retweet: the original, whole
            tweet = tweet["retweeted_status"]
        version_id = required_str(tweet, "id_str")
        edit_history = tweet.get("edit_history") if isinstance(tweet.get("edit_history"), dict) else {}
        stable_id = optional_str(edit_history, "initial_tweet_id") or version_id
        user = tweet.get("user") if isinstance(tweet.get("user"), dict) else {}
        author = self._author(required_str(user, "id_str"), user)
        extended = tweet.get("extended_tweet") if isinstance(tweet.get("extended_tweet"), dict) else {}
        # ``extended_tweet.full_text`` in webhooks, ``full_text`` in tweet_mode=extended answers
        full_text = extended.get("full_text") if isinstance(extended.get("full_text"), str) else tweet.get("full_text")
        text = _text(full_text if isinstance(full_text, str) else tweet.get("text"))
        version_time = parse_datetime(tweet.get("timestamp_ms") or tweet.get("created_at"))
        parent = optional_str(tweet, "in_reply_to_status_id_str")
        mentions = (tweet.get("entities") or {}).get("user_mentions") if isinstance(tweet.get("entities"), dict) else []
        mentioned = any(isinstance(m, dict) and optional_str(m, "id_str") == own_id for m in mentions or [])
        if author.external_id == own_id:
            kind = "comment" if parent else "post"
        elif parent and optional_str(tweet, "in_reply_to_user_id_str") == own_id:
            kind = "comment"
        else:
            kind = "mention" if mentioned else "post"
        return NormalizedPost(
            external_id=stable_id,
            author=author,
            text=text,
            created_at=_snowflake_time(stable_id) if stable_id != version_id else version_time,
            kind=kind,
            url=f"https://x.com/{author.handle}/status/{stable_id}",
            parent_external_id=parent,
            language_hint=optional_str(tweet, "lang") if tweet.get("lang") not in ("und", "zxx") else "",
            edited_at=version_time if stable_id != version_id else None,
            metrics=Metrics(
                likes=optional_int(tweet, "favorite_count"),
                replies=optional_int(tweet, "reply_count"),
                reposts=optional_int(tweet, "retweet_count"),
                quotes=optional_int(tweet, "quote_count"),
            ),
        )

    def _v1_message(self, event: dict, users: dict) -> NormalizedPost | None:
        if event.get("type") != "message_create":
            return None
        create = event.get("message_create") if isinstance(event.get("message_create"), dict) else {}
        sender_id = required_str(create, "sender_id")
        target = create.get("target") if isinstance(create.get("target"), dict) else {}
        data = create.get("message_data") if isinstance(create.get("message_data"), dict) else {}
        user = users.get(sender_id) if isinstance(users.get(sender_id), dict) else {}
        recipient_id = optional_str(target, "recipient_id")
        return NormalizedPost(
            external_id=required_str(event, "id"),
            author=self._author(sender_id, user),
            text=_text(data.get("text")),
            created_at=parse_datetime(event.get("created_timestamp")),
            kind="message",
            thread_external_id=_conversation_id(sender_id, recipient_id) if recipient_id else "",
        )

    @staticmethod
    def _v1_deletion(event: dict) -> NormalizedPost:
        status = event.get("status") if isinstance(event.get("status"), dict) else {}
        user_id = required_str(status, "user_id")
        return NormalizedPost(
            external_id=required_str(status, "id"),
            author=Author(external_id=user_id, handle=user_id),
            text="",
            created_at=parse_datetime(event.get("timestamp_ms")),
            deleted=True,
        )


CONNECTOR = XConnector
