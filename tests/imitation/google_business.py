"""An imitation of Google Business Profile's review API (My Business API v4),
the Business Information API's location list and Google's OAuth endpoints,
written from Google's reference pages (see the connector's docstring):
reviews newest update first with pageSize/pageToken paging, reviewer
anonymity, STAR_RATING enum, edits that move a review to the top with a new
updateTime, PUT …/reply (one reply a review, replaced by the next, 4096
bytes at most, refused on unverified locations), Google's error shape,
RESOURCE_EXHAUSTED, token refresh without a new refresh token."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

from .oauth import OAuthImitation
from .server import Request, Response
from .youtube import google_error, iso

CLIENT_ID = "gbp-client.apps.googleusercontent.com"
CLIENT_SECRET = "gbp-secret"
ACCOUNT = "accounts/1122334455"
START = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
STAR_NAMES = {0: "STAR_RATING_UNSPECIFIED", 1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}


class GoogleBusinessImitation(OAuthImitation):
    def __init__(self):
        super().__init__()
        self._clock = itertools.count(1)
        #: location id -> reviews, in no particular order (the API sorts them)
        self.reviews: dict[str, list[dict]] = {"5550001": [], "5550002": []}
        self.unverified: set[str] = set()

    # -- fixtures -------------------------------------------------------------
    def _now(self) -> str:
        return iso(START + timedelta(minutes=next(self._clock)))

    def add_review(self, text: str | None, stars: int, who: str = "Alice Novak", location: str = "5550001",
                   anonymous: bool = False) -> dict:  # fmt: skip
        review_id = f"AbFvOq{next(self._serial):06d}"
        moment = self._now()
        review = {
            "name": f"{ACCOUNT}/locations/{location}/reviews/{review_id}",
            "reviewId": review_id,
            "reviewer": {"isAnonymous": True, "displayName": "A Google User"}
            if anonymous
            else {
                "profilePhotoUrl": f"https://lh3.googleusercontent.com/a-/{who.replace(' ', '')}=s120-c",
                "displayName": who,
                "isAnonymous": False,
            },
            "starRating": STAR_NAMES[stars],
            "createTime": moment,
            "updateTime": moment,
        }
        if text is not None:  # a rating without text has no comment at all
            review["comment"] = text
        self.reviews[location].append(review)
        return review

    def edit_review(self, review: dict, text: str | None = None, stars: int | None = None) -> None:
        if text is not None:
            review["comment"] = text
        if stars is not None:
            review["starRating"] = STAR_NAMES[stars]
        review["updateTime"] = self._now()

    # -- HTTP -------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.failures:
            return self.failures.pop(0)
        if request.path.startswith("/oauth2/"):
            return self._oauth(request)
        if self.bearer_refused(request):
            return google_error(401, "authError", "Request had invalid authentication credentials.", "global")
        path = unquote(request.path)
        if path == f"/v1/{ACCOUNT}/locations":
            if request.arg("readMask") != "name,title":
                return google_error(400, "badRequest", "Request must contain a valid readMask.", "global")
            return self._paged(request, [{"name": f"locations/{lid}", "title": f"Shop {lid}"} for lid in self.reviews],
                               "locations", 100)  # fmt: skip
        parts = path.strip("/").split("/")
        # /v4/accounts/{a}/locations/{l}/reviews[/{r}/reply]
        if len(parts) >= 6 and parts[0] == "v4" and "/".join(parts[1:3]) == ACCOUNT and parts[5] == "reviews":
            location = parts[4]
            if location not in self.reviews:
                return google_error(404, "notFound", "Requested entity was not found.", "global")
            if len(parts) == 6 and request.method == "GET":
                return self._reviews(request, location)
            if len(parts) == 8 and parts[7] == "reply" and request.method == "PUT":
                return self._reply(request, location, "/".join(parts[1:7]))
        return google_error(404, "notFound", "Requested entity was not found.", "global")

    def _oauth(self, request: Request) -> Response:
        form = request.form()
        if request.path == "/oauth2/revoke":
            self.revoke(form.get("token"))
            return Response.json({})
        if not self.grant(form):
            return Response.json(
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400
            )
        payload = {"access_token": self.new_access_token("ya29.gbp"), "expires_in": 3599, "token_type": "Bearer",
                   "scope": "https://www.googleapis.com/auth/business.manage"}  # fmt: skip
        if form.get("grant_type") == "authorization_code":  # Google does not rotate refresh tokens
            payload["refresh_token"] = f"refresh-{next(self._serial)}"
            self.refresh_tokens.add(payload["refresh_token"])
        return Response.json(payload)

    def _reviews(self, request: Request, location: str) -> Response:
        if request.arg("orderBy", "updateTime desc") not in ("updateTime desc", "rating", "rating desc"):
            return google_error(400, "badRequest", "Invalid orderBy.", "global")
        ordered = sorted(self.reviews[location], key=lambda review: review.get("updateTime", ""), reverse=True)
        response = self._paged(request, ordered, "reviews", 50)
        numbers = {name: number for number, name in STAR_NAMES.items()}
        rated = [numbers[review.get("starRating")] for review in ordered if numbers.get(review.get("starRating"))]
        response.body = {**response.body, "totalReviewCount": len(ordered)}
        if rated:
            response.body["averageRating"] = round(sum(rated) / len(rated), 1)
        return response

    def _paged(self, request: Request, items: list[dict], key: str, largest: int) -> Response:
        size = int(request.arg("pageSize") or 20)
        if size > largest:
            return google_error(400, "badRequest", f"pageSize must be at most {largest}.", "global")
        start = int(request.arg("pageToken").removeprefix("p") or 0) if request.arg("pageToken") else 0
        payload = {key: items[start : start + size]} if items[start : start + size] else {}
        if start + size < len(items):
            payload["nextPageToken"] = f"p{start + size}"
        return Response(200, payload)

    def _reply(self, request: Request, location: str, name: str) -> Response:
        review = next((r for r in self.reviews[location] if r["name"] == name), None)
        if review is None:
            return google_error(404, "notFound", "Requested entity was not found.", "global")
        if location in self.unverified:
            return google_error(400, "failedPrecondition", "Location is not verified.", "global")
        comment = (request.json() or {}).get("comment") or ""
        if not comment or len(comment.encode()) > 4096:
            return google_error(400, "badRequest", "Reply comment must be 1 to 4096 bytes.", "global")
        review["reviewReply"] = {"comment": comment, "updateTime": self._now()}
        return Response.json(review["reviewReply"])
