"""A review's star rating as a sentiment signal, combined with its text.

The stars are the customer's own verdict, so they decide the label: 1 or 2
stars are negative and 4 or 5 positive whatever the text's wording (a
"great, if only it worked" 1-star review is a complaint); 3 stars are
mixed, so the text decides (neutral without text).  The score, which feeds
averages, trends and the routing rules' sentiment threshold, is 70 % stars
and 30 % text; without text, or in a language without sentiment lexicon,
it is the stars' score alone.  So a 1-star review with no text is negative
with a score of -1.
"""

from __future__ import annotations

from dataclasses import replace

from .sentiment import NEGATIVE, NEUTRAL, POSITIVE

#: the sentiment score each star rating stands for
STAR_SCORES = {1: -1.0, 2: -0.6, 3: 0.0, 4: 0.6, 5: 1.0}
#: the stars' share of the blended score when the text has a sentiment of its own
STAR_WEIGHT = 0.7


def blend_star_rating(analysis, stars: int, text: str):
    """``analysis`` (an :class:`~.Analysis`) with its sentiment ruled by ``stars`` (1..5; other values: unchanged)."""
    if stars not in STAR_SCORES:
        return analysis
    star_score = STAR_SCORES[stars]
    text_counts = bool((text or "").strip()) and analysis.sentiment_supported
    score = STAR_WEIGHT * star_score + (1 - STAR_WEIGHT) * analysis.sentiment_score if text_counts else star_score
    if stars <= 2:
        label = NEGATIVE
    elif stars >= 4:
        label = POSITIVE
    else:
        label = analysis.sentiment_label if text_counts else NEUTRAL
    # the stars are a sentiment in every language: the label is supported even where the text's is not
    score = round(score, 4)
    reasons = {**analysis.reasons, "sentiment": label, "score": score, "stars": stars}
    return replace(analysis, sentiment_score=score, sentiment_label=label, sentiment_supported=True, reasons=reasons)
