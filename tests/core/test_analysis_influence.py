import dataclasses

import pytest

from social_crm.core.analysis import InfluenceScore, influence_score


def test_breakdown_sums_to_score_and_explains_it():
    result = influence_score(
        followers=120_000, verified=True, posts=35, likes=9_000, replies=800, reposts=1_200, engaged_by_influential=6
    )
    assert set(result.breakdown) == {"reach", "amplification", "network", "activity"}
    assert sum(result.breakdown.values()) == pytest.approx(result.score, abs=1e-9)
    assert 0 < result.score <= 100


def test_score_is_monotonic_in_followers():
    previous = -1.0
    for followers in [0, 1, 5, 10, 50, 100, 999, 1_000, 12_345, 100_000, 10**6, 10**7, 10**8]:
        score = influence_score(followers, False, posts=20, likes=400, replies=40, reposts=30).score
        assert score >= previous
        previous = score


def test_score_is_monotonic_in_followers_step_by_step():
    scores = [influence_score(f, False, posts=7, likes=90, replies=9, reposts=3).score for f in range(0, 3000, 7)]
    assert scores == sorted(scores)


def test_nobody_scores_zero_and_the_best_reach_one_hundred():
    assert influence_score(0, False, 0, 0, 0, 0).score == 0.0
    top = influence_score(10**8, True, posts=100, likes=10**9, replies=10**7, reposts=10**7, engaged_by_influential=50)
    assert top.score == pytest.approx(100.0)


def test_engagement_relative_to_reach_counts():
    small_but_loved = influence_score(500, False, posts=10, likes=500, replies=50, reposts=20)
    ignored = influence_score(500, False, posts=10, likes=5, replies=0, reposts=0)
    assert small_but_loved.breakdown["amplification"] > ignored.breakdown["amplification"]


def test_verified_and_influential_engagers_raise_network_points():
    base = influence_score(1_000, False, 10, 50, 5, 5)
    verified = influence_score(1_000, True, 10, 50, 5, 5)
    noticed = influence_score(1_000, False, 10, 50, 5, 5, engaged_by_influential=10)
    assert verified.breakdown["network"] > base.breakdown["network"]
    assert noticed.breakdown["network"] > base.breakdown["network"]


def test_negative_inputs_are_treated_as_zero():
    assert influence_score(-5, False, -1, -10, -1, -1) == influence_score(0, False, 0, 0, 0, 0)


def test_influence_score_is_frozen():
    result = influence_score(10, False, 1, 1, 0, 0)
    assert isinstance(result, InfluenceScore)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 99.0
