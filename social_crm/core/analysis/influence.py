"""Influence of an author, 0-100, in the spirit of Klout: how far and how strongly they are heard.

Every score carries its breakdown (component -> points) so that an agent sees
why an author scores 78.  Components and their maximum points:

* ``reach`` (40): followers, log-scaled (10 million followers give full points);
* ``amplification`` (30): replies, reposts and likes per post, relative to reach
  (an author of 500 followers whose posts get 50 reactions amplifies more than
  one of 500,000 with the same 50);
* ``network`` (20): a verified account, and how many influential accounts
  engage with the author;
* ``activity`` (10): how many posts we stored from them recently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

REACH_POINTS, AMPLIFICATION_POINTS, NETWORK_POINTS, ACTIVITY_POINTS = 40.0, 30.0, 20.0, 10.0
#: followers for full reach points (log10 scale)
_FULL_REACH_DECADES = 7.0
# A repost carries a post to a new audience; a reply is effort; a like is cheap.
_REPOST_WEIGHT, _REPLY_WEIGHT, _LIKE_WEIGHT = 3.0, 2.0, 1.0
#: amplification compares engagement per post with the square root of reach
#: (engagement grows slower than audience), over three decades of that ratio
_AMPLIFICATION_DECADES = 3.0
_AMPLIFICATION_OFFSET = 1.0
_VERIFIED_POINTS = 8.0
#: influential engagers for full network points
_FULL_INFLUENTIAL_ENGAGERS = 20
#: stored posts for full activity points (log10 scale)
_FULL_ACTIVITY_DECADES = 2.0


@dataclass(frozen=True, slots=True)
class InfluenceScore:
    score: float
    breakdown: dict[str, float] = field(default_factory=dict)


def _clamp01(value: float) -> float:
    return max(0.0, min(1.0, value))


def influence_score(
    followers: int,
    verified: bool,
    posts: int,
    likes: int,
    replies: int,
    reposts: int,
    engaged_by_influential: int = 0,
) -> InfluenceScore:
    """Influence 0..100 of an author; ``posts``/``likes``/``replies``/``reposts`` are totals over their stored posts.

    The score never falls when followers grow (all else equal): reach gains
    40/7 points per decade of followers while amplification loses at most 5.
    """
    followers, posts = max(0, int(followers)), max(0, int(posts))
    reach_decades = min(math.log10(1 + followers), _FULL_REACH_DECADES)
    reach = REACH_POINTS * reach_decades / _FULL_REACH_DECADES

    engagement = _LIKE_WEIGHT * max(0, likes) + _REPLY_WEIGHT * max(0, replies) + _REPOST_WEIGHT * max(0, reposts)
    per_post = engagement / max(posts, 1)
    relative = math.log10(1 + per_post) - reach_decades / 2 + _AMPLIFICATION_OFFSET
    amplification = AMPLIFICATION_POINTS * _clamp01(relative / _AMPLIFICATION_DECADES) if engagement else 0.0

    engagers = math.log2(1 + max(0, engaged_by_influential)) / math.log2(1 + _FULL_INFLUENTIAL_ENGAGERS)
    network = (_VERIFIED_POINTS if verified else 0.0) + (NETWORK_POINTS - _VERIFIED_POINTS) * _clamp01(engagers)

    activity = ACTIVITY_POINTS * _clamp01(math.log10(1 + posts) / _FULL_ACTIVITY_DECADES)

    components = {"reach": reach, "amplification": amplification, "network": network, "activity": activity}
    score = round(sum(components.values()), 1)  # rounding the total keeps the score monotonic
    breakdown = {name: round(points, 1) for name, points in components.items()}
    # rounding each component can leave the sum 0.1 or 0.2 off: the largest component absorbs it
    largest = max(breakdown, key=breakdown.__getitem__)
    breakdown[largest] = round(breakdown[largest] + score - sum(breakdown.values()), 1)
    return InfluenceScore(score=score, breakdown=breakdown)
