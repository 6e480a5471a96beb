"""Imitation of the X API v2 endpoints the connector uses, after the contract
sheet: bearer and OAuth 1.0a (HMAC-SHA1, verified) auth, OAuth 2.0 token
endpoint with PKCE and single-use rotating refresh tokens, reverse-chronological
listings with ``since_id`` and opaque page tokens (``pagination_token`` for
timelines and DMs, ``next_token`` for search), ``x-rate-limit-*`` headers and
429s, problem-JSON errors, and texts escaped the way X escapes them."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from datetime import datetime, timezone
from urllib.parse import urlencode

from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature as oauth1_signature

from .server import Request, Response

OWN_ID = "1000"
OWN_HANDLE = "acme"
_EPOCH_MS = 1288834974657


def snowflake(moment: datetime, sequence: int = 0) -> str:
    return str(((int(moment.timestamp() * 1000) - _EPOCH_MS) << 22) + sequence)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def problem(status: int, title: str, kind: str, detail: str = "") -> Response:
    return Response.json(
        {"title": title, "detail": detail or title, "type": f"https://api.x.com/2/problems/{kind}"}, status
    )


class XImitation:
    def __init__(self):
        self.users = {
            OWN_ID: {"id": OWN_ID, "username": OWN_HANDLE, "name": "Acme"},
            "2000": {"id": "2000", "username": "alice", "name": "Alice", "public_metrics": {"followers_count": 42}},
            "3000": {"id": "3000", "username": "bob", "name": "Bob"},
        }
        self.tweets: list[dict] = []  # any order; served newest first
        self.dm_events: list[dict] = []
        self.access_tokens = {"good-token"}
        self.refresh_tokens = {"refresh-1"}
        self.codes: dict[str, str] = {}  # code -> S256 challenge
        self.oauth1 = {"consumer_key": "ck", "consumer_secret": "cs", "token": "ut", "token_secret": "us"}
        self.client = ("client-id", "client-secret")
        self.fail_next = 0  # answer that many requests with 503
        self.rate_limit = 300
        self.remaining: dict[str, int] = {}
        self.reset_at = 1_900_000_000
        self.token_counter = 1
        self.reply_restriction = True

    # -- data -----------------------------------------------------------------------
    def add_tweet(self, moment: datetime, text: str, author_id: str = "2000", sequence: int = 0, **fields) -> dict:
        tweet_id = fields.pop("id", None) or snowflake(moment, sequence)
        tweet = {
            "id": tweet_id,
            "text": text,
            "author_id": author_id,
            "created_at": iso(moment),
            "conversation_id": fields.pop("conversation_id", tweet_id),
            "edit_history_tweet_ids": [tweet_id],
            "public_metrics": {"like_count": 1, "reply_count": 0, "retweet_count": 2, "quote_count": 0},
            **fields,
        }
        self.tweets.append(tweet)
        return tweet

    def add_retweet(self, moment: datetime, original: dict, author_id: str = "3000", sequence: int = 0) -> dict:
        """A retweet as X lists it: the retweeter's post, its text ``RT @user: ``
        plus the original cut to 140 characters, ``referenced_tweets`` naming
        the original (expanded into ``includes.tweets`` when asked)."""
        handle = self.users[original["author_id"]]["username"]
        text = f"RT @{handle}: {original['text']}"
        return self.add_tweet(moment, text if len(text) <= 140 else text[:139] + "…", author_id=author_id,
                              sequence=sequence, referenced_tweets=[{"type": "retweeted", "id": original["id"]}],
                              public_metrics={"like_count": 0, "reply_count": 0, "retweet_count": 0,
                                              "quote_count": 0})

    def add_dm(self, moment: datetime, text: str, sender_id: str = "2000", sequence: int = 0) -> dict:
        event = {
            "id": snowflake(moment, sequence),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender_id,
            "dm_conversation_id": f"{OWN_ID}-{sender_id}",
            "created_at": iso(moment),
        }
        self.dm_events.append(event)
        return event

    def issue_code(self, verifier: str) -> str:
        """What x.com/i/oauth2/authorize would hand the browser after consent."""
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = challenge
        return code

    # -- HTTP -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.fail_next:
            self.fail_next -= 1
            return Response(503, "Service Unavailable")
        if request.path == "/2/oauth2/token":
            return self._token(request)
        if request.path == "/2/oauth2/revoke":
            self.refresh_tokens.discard(request.form().get("token"))
            self.access_tokens.discard(request.form().get("token"))
            return Response.json({"revoked": True})
        if not self._authenticated(request):
            return problem(401, "Unauthorized", "about:blank")
        endpoint = re.sub(r"/\d{3,}", "/:id", request.path)
        remaining = self.remaining.get(endpoint, self.rate_limit)
        headers = {
            "x-rate-limit-limit": str(self.rate_limit),
            "x-rate-limit-remaining": str(max(remaining - 1, 0)),
            "x-rate-limit-reset": str(self.reset_at),
        }
        if remaining <= 0:
            return Response.json({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, 429, headers)
        self.remaining[endpoint] = remaining - 1
        response = self._route(request, endpoint)
        response.headers.update(headers)
        return response

    def _authenticated(self, request: Request) -> bool:
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            return authorization[7:] in self.access_tokens
        if authorization.startswith("OAuth "):
            return self._valid_oauth1(request, authorization)
        return False

    def _valid_oauth1(self, request: Request, authorization: str) -> bool:
        params = oauth1_signature.collect_parameters(
            uri_query=urlencode([(k, v) for k, values in request.query.items() for v in values]),
            headers={"Authorization": authorization},
            exclude_oauth_signature=True,
        )
        given = dict(oauth1_signature.collect_parameters(headers={"Authorization": authorization},
                                                         exclude_oauth_signature=False))
        if given.get("oauth_consumer_key") != self.oauth1["consumer_key"] or given.get("oauth_token") != self.oauth1[
            "token"
        ]:
            return False
        base = oauth1_signature.signature_base_string(
            request.method,
            oauth1_signature.base_string_uri(f"http://{request.headers['host']}{request.path}"),
            oauth1_signature.normalize_parameters(params),
        )
        expected = oauth1_signature.sign_hmac_sha1_with_client(
            base, Client(self.oauth1["consumer_key"], self.oauth1["consumer_secret"],
                         resource_owner_secret=self.oauth1["token_secret"])
        )
        return given.get("oauth_signature_method") == "HMAC-SHA1" and given.get("oauth_signature") == expected

    def _token(self, request: Request) -> Response:
        form = request.form()
        expected_basic = "Basic " + base64.b64encode(f"{self.client[0]}:{self.client[1]}".encode()).decode()
        if request.headers.get("authorization") != expected_basic:
            return Response.json({"error": "unauthorized_client", "error_description": "bad client"}, 401)
        if form.get("grant_type") == "authorization_code":
            challenge = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge is None or computed != challenge:
                return Response.json({"error": "invalid_request", "error_description": "Value passed for the "
                                      "authorization code was invalid."}, 400)
        elif form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return Response.json({"error": "invalid_request", "error_description": "Value passed for the "
                                      "token was invalid."}, 400)
            self.refresh_tokens.discard(form["refresh_token"])  # single use
        else:
            return Response.json({"error": "unsupported_grant_type"}, 400)
        self.token_counter += 1
        access, refresh = f"access-{self.token_counter}", f"refresh-{self.token_counter}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return Response.json({
            "token_type": "bearer", "expires_in": 7200, "access_token": access,
            "scope": "tweet.read tweet.write users.read dm.read dm.write offline.access", "refresh_token": refresh,
        })

    def _route(self, request: Request, endpoint: str) -> Response:
        if request.method == "GET" and endpoint == "/2/users/me":
            return Response.json({"data": self.users[OWN_ID]})
        if request.method == "GET" and endpoint == "/2/users/:id/mentions":
            mentions = [t for t in self.tweets if f"@{OWN_HANDLE}" in str(t["text"]) and t["author_id"] != OWN_ID]
            return self._listing(request, mentions, "pagination_token", (5, 100))
        if request.method == "GET" and endpoint == "/2/users/:id/tweets":
            own = [t for t in self.tweets if t["author_id"] == OWN_ID and t["conversation_id"] == t["id"]]
            return self._listing(request, own, "pagination_token", (5, 100))
        if request.method == "GET" and endpoint == "/2/tweets/search/recent":
            if request.arg("pagination_token"):
                return problem(400, "Invalid Request", "invalid-request", "pagination_token is not a search parameter")
            query = request.arg("query")
            if not query or len(query) > 512:
                return problem(400, "Invalid Request", "invalid-request", "query length must be 1-512")
            return self._listing(request, [t for t in self.tweets if self._matches(t, query)], "next_token", (10, 100))
        if request.method == "GET" and endpoint == "/2/dm_events":
            return self._listing(request, self.dm_events, "pagination_token", (1, 100), users_key="sender_id")
        if request.method == "POST" and endpoint == "/2/tweets":
            return self._create_tweet(request.json())
        if request.method == "POST" and endpoint == "/2/dm_conversations/with/:id/messages":
            participant = request.path.split("/")[4]
            text = (request.json() or {}).get("text", "")
            if not text or participant not in self.users:
                return problem(400, "Invalid Request", "invalid-request")
            event = self.add_dm(datetime.now(timezone.utc), text, sender_id=OWN_ID, sequence=len(self.dm_events))
            event["dm_conversation_id"] = f"{OWN_ID}-{participant}"
            return Response.json({"data": {"dm_conversation_id": event["dm_conversation_id"],
                                           "dm_event_id": event["id"]}}, 201)
        return problem(404, "Not Found Error", "resource-not-found")

    @staticmethod
    def _matches(tweet: dict, query: str) -> bool:
        conversations = re.findall(r"conversation_id:(\d+)", query)
        if conversations:
            return tweet["conversation_id"] in conversations and tweet["id"] not in conversations
        return all(word.lower() in tweet["text"].lower() for word in query.split())

    def _listing(self, request, items, token_param, bounds, users_key="author_id") -> Response:
        max_results = int(request.arg("max_results", "10"))
        if not bounds[0] <= max_results <= bounds[1]:
            return problem(400, "Invalid Request", "invalid-request", f"max_results must be in {bounds}")
        ordered = sorted(items, key=lambda item: int(item["id"]), reverse=True)
        since_id = request.arg("since_id")
        if since_id:
            ordered = [item for item in ordered if int(item["id"]) > int(since_id)]
        start = int(request.arg(token_param, "t0")[1:]) if request.arg(token_param) else 0
        chunk = ordered[start:start + max_results]
        if not chunk:
            return Response.json({"meta": {"result_count": 0}})
        meta = {"result_count": len(chunk), "newest_id": chunk[0]["id"], "oldest_id": chunk[-1]["id"]}
        if start + max_results < len(ordered):
            meta["next_token"] = f"t{start + max_results}"
        data = [self._escaped(item) for item in chunk]
        includes = {}
        expansions = request.arg("expansions").split(",")
        if "referenced_tweets.id" in expansions:
            referenced = {ref["id"] for item in chunk for ref in item.get("referenced_tweets", [])}
            includes["tweets"] = [self._escaped(t) for t in self.tweets if t["id"] in referenced]
        authors = {item.get(users_key) for item in chunk}
        if "referenced_tweets.id.author_id" in expansions:
            authors |= {t["author_id"] for t in includes.get("tweets", [])}
        includes["users"] = [self.users[i] for i in sorted(authors, key=str) if i in self.users]
        if not includes["tweets" if "tweets" in includes else "users"]:
            includes.pop("tweets", None)
        return Response.json({"data": data, "includes": includes, "meta": meta})

    @staticmethod
    def _escaped(item: dict) -> dict:
        """X sends ``&``, ``<`` and ``>`` as entities in texts."""
        if isinstance(item.get("text"), str):
            item = {**item, "text": html.escape(item["text"], quote=False)}
        return item

    def _create_tweet(self, payload) -> Response:
        text = (payload or {}).get("text")
        if not isinstance(text, str) or not text or len(text) > 280:
            return problem(400, "Invalid Request", "invalid-request", "text must be 1-280 characters")
        reply_to = ((payload or {}).get("reply") or {}).get("in_reply_to_tweet_id")
        conversation = None
        if reply_to:
            target = next((t for t in self.tweets if t["id"] == reply_to), None)
            if target is None:
                return problem(400, "Invalid Request", "invalid-request", "in_reply_to_tweet_id not found")
            if self.reply_restriction and f"@{OWN_HANDLE}" not in target["text"] and target["author_id"] != OWN_ID:
                return problem(403, "Forbidden", "about:blank",
                               "Reply to this conversation is not allowed because you have not been mentioned")
            conversation = target["conversation_id"]
        tweet = self.add_tweet(datetime.now(timezone.utc), text, author_id=OWN_ID, sequence=len(self.tweets) % 4096)
        if conversation:
            tweet["conversation_id"] = conversation
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
        return Response.json({"data": {"id": tweet["id"], "text": text,
                                       "edit_history_tweet_ids": [tweet["id"]]}}, 201)
