"""What a customer wants from a post: complain, ask, buy, praise, or none of these.

Keyword lists per language are data (``data/intent/<lang>.json``) that a
manager can extend; the decision weighs keyword hits together with the
sentiment score and question marks, because a complaint is often phrased as
a question ("Why is my bill higher?") and praise often names no keyword.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from .language import normalize_language_code
from .sentiment import QUESTION_MARKS

_DATA = Path(__file__).parent / "data" / "intent"

COMPLAINT, QUESTION, PURCHASE_INTENT, PRAISE, OTHER = "complaint", "question", "purchase_intent", "praise", "other"
INTENTS = (COMPLAINT, QUESTION, PURCHASE_INTENT, PRAISE, OTHER)
#: when two intents score the same, the one a service agent must act on first wins
_PRIORITY = (COMPLAINT, PURCHASE_INTENT, QUESTION, PRAISE)
# Points per keyword hit.  A purchase keyword outweighs the question form it often takes
# ("Do you have it in size 42?"), so its one hit beats a question mark plus interrogatives.
_COMPLAINT_HIT, _PURCHASE_HIT, _PRAISE_HIT = 2.0, 2.5, 2.0
_QUESTION_FORM, _QUESTION_FORM_AND_MARK, _QUESTION_WORD_INSIDE = 2.0, 2.5, 1.0
_MIN_SCORE = 2.0

KeywordLists = dict[str, dict[str, list[str]]]


def _keyword_pattern(keywords: list[str]) -> re.Pattern | None:
    """One regex for a keyword list: whole words, or word beginnings for entries ending in ``*``."""
    alternatives = []
    for keyword in sorted({k.strip().lower() for k in keywords if k.strip()}, key=len, reverse=True):
        if keyword.endswith("*"):
            alternatives.append(re.escape(keyword[:-1]))
        else:
            alternatives.append(re.escape(keyword) + r"(?![\w\u200c])")
    if not alternatives:
        return None
    return re.compile(r"(?<![\w\u200c])(?:" + "|".join(alternatives) + ")")


@functools.lru_cache(maxsize=1)
def shipped_keywords() -> KeywordLists:
    """The keyword lists shipped with the addon, by language then intent."""
    lists: KeywordLists = {}
    for path in sorted(_DATA.glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
        lists[path.stem] = {intent: data.get(intent, []) for intent in _PRIORITY}
    return lists


def merge_keywords(base: KeywordLists, extra: KeywordLists | None) -> KeywordLists:
    """``base`` with ``extra``'s keywords added (new languages and intents included); inputs are not changed."""
    merged = {lang: {intent: list(words) for intent, words in intents.items()} for lang, intents in base.items()}
    for code, intents in (extra or {}).items():
        lang = normalize_language_code(code) or code  # a manager may write "cs_CZ"
        for intent, words in intents.items():
            if intent not in _PRIORITY:
                raise ValueError(f"unknown intent {intent!r}; use one of {_PRIORITY}")
            target = merged.setdefault(lang, {}).setdefault(intent, [])
            target.extend(word for word in words if word not in target)
    return merged


class IntentClassifier:
    def __init__(self, keywords: KeywordLists):
        self._patterns = {
            lang: {intent: pattern for intent, words in intents.items() if (pattern := _keyword_pattern(words))}
            for lang, intents in keywords.items()
        }

    def classify(self, text: str, language: str, sentiment_score: float) -> str:
        return decide(self.scores(text, language, sentiment_score))

    def scores(self, text: str, language: str, sentiment_score: float) -> dict[str, float]:
        """Points of each intent but "other" from keyword hits, question form and tone."""
        return self.scores_and_matches(text, language, sentiment_score)[0]

    def scores_and_matches(
        self, text: str, language: str, sentiment_score: float
    ) -> tuple[dict[str, float], dict[str, list[str]]]:
        """``scores`` and the keywords found per intent (what an agent is shown as the reason)."""
        lowered = text.lower()
        patterns = self._patterns.get(language, {})
        matches = {intent: found.findall(lowered) for intent, found in patterns.items()}
        hits = {intent: len(found) for intent, found in matches.items()}
        return {
            COMPLAINT: _COMPLAINT_HIT * hits.get(COMPLAINT, 0) + _complaint_tone(sentiment_score),
            PURCHASE_INTENT: _PURCHASE_HIT * hits.get(PURCHASE_INTENT, 0),
            QUESTION: _question_form(text, lowered, patterns.get(QUESTION), hits.get(QUESTION, 0)),
            # thanks in an angry post is sarcasm or politeness, not praise
            PRAISE: 0.0
            if sentiment_score <= -0.3
            else _PRAISE_HIT * hits.get(PRAISE, 0) + _praise_tone(sentiment_score),
        }, {intent: found for intent, found in matches.items() if found}


def decide(scores: dict[str, float]) -> str:
    """The rules' intent: the highest score if it reaches the minimum, ties going to what an agent must act on first."""
    best = max(_PRIORITY, key=lambda intent: (scores[intent], -_PRIORITY.index(intent)))
    return best if scores[best] >= _MIN_SCORE else OTHER


def _question_form(text: str, lowered: str, question_words: re.Pattern | None, hits: int) -> float:
    """A question mark, or a question word opening the post; elsewhere "how"/"jak"/"как" are often conjunctions."""
    has_mark = any(mark in text for mark in QUESTION_MARKS)
    if has_mark:
        return _QUESTION_FORM_AND_MARK if hits else _QUESTION_FORM
    if question_words is not None and question_words.match(lowered):
        return _QUESTION_FORM
    return _QUESTION_WORD_INSIDE if hits else 0.0


def _complaint_tone(score: float) -> float:
    """Clearly negative posts are complaints even without a keyword; clearly positive ones rarely are."""
    if score <= -0.3:
        return 2.0
    if score < -0.05:
        return 1.0
    return -1.0 if score >= 0.3 else 0.0


def _praise_tone(score: float) -> float:
    """A clearly positive post to a brand is praise even without a keyword."""
    if score >= 0.5:
        return 2.0
    return 0.5 if score > 0.05 else 0.0
