"""Text analysis of social posts: language, sentiment, intent, and author influence.

Pure Python (never imports ``odoo``).  Build one :class:`Analyzer` and reuse it:
lexicons and models load once per process and ``analyse`` stays fast.

Sentiment and intent come from the lexicons and keyword rules, combined by a
small learned model (``learned.py``) for the languages it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .influence import InfluenceScore, influence_score
from .intent import (
    COMPLAINT,
    OTHER,
    PRAISE,
    QUESTION,
    IntentClassifier,
    KeywordLists,
    decide,
    merge_keywords,
    shipped_keywords,
)
from .language import LanguageDetector, normalize_language_code
from .learned import intent_from_probabilities, learned_model, sentiment_from_probabilities
from .normalize import normalize_text
from .rating import blend_star_rating
from .sentiment import QUESTION_MARKS, Signal, lexicon_languages, scored_sentiment

VERSION = "social_crm-analysis/2.0"
#: the reasons name at most this many words per signal
EXPLAINED_WORDS = 5

__all__ = [
    "VERSION",
    "Analysis",
    "Analyzer",
    "blend_star_rating",
    "InfluenceScore",
    "influence_score",
    "normalize_text",
]


@dataclass(frozen=True, slots=True)
class Analysis:
    language: str
    language_confidence: float
    sentiment_score: float
    sentiment_label: str
    sentiment_supported: bool
    intent: str
    version: str = VERSION
    #: which words and signals decided the labels, for the agent (see ``_explain``); JSON-ready
    reasons: dict = field(default_factory=dict, hash=False)


class Analyzer:
    """Language, sentiment and intent of posts, for the languages a company works in."""

    def __init__(
        self,
        languages: tuple[str, ...] | list[str] | None = None,
        detector: str = "auto",
        intent_keywords: KeywordLists | None = None,
    ):
        self._detector = LanguageDetector(languages, detector)
        self._intents = IntentClassifier(merge_keywords(shipped_keywords(), intent_keywords))

    @property
    def supported_languages(self) -> tuple[str, ...]:
        """Languages this analyzer can detect and score sentiment for."""
        return tuple(sorted(set(lexicon_languages()) & self._detector.languages))

    @property
    def detector_name(self) -> str:
        return self._detector.name

    def sentiment(self, text: str, language: str) -> tuple[float, str, bool]:
        """``(score, label, supported)`` of ``text`` already known to be in ``language``."""
        score, label, supported, _intent, _why = self._sentiment_and_intent(
            normalize_text(text), normalize_language_code(language)
        )
        return score, label, supported

    def analyse(self, text: str, language_hint: str = "", language_prior: str = "", star_rating: int = 0) -> Analysis:
        """Analyse one post.  ``language_hint``: the network's language tag; ``language_prior``: the partner's;
        ``star_rating``: a review's 1..5 stars, which rule its sentiment (see ``rating.py``)."""
        clean = normalize_text(text or "")
        language, confidence = self._detector.detect(clean, hint=language_hint, prior=language_prior)
        score, label, supported, intent, reasons = self._sentiment_and_intent(clean, language)
        analysis = Analysis(
            language=language,
            language_confidence=confidence,
            sentiment_score=score,
            sentiment_label=label,
            sentiment_supported=supported,
            intent=intent,
            reasons=reasons,
        )
        return blend_star_rating(analysis, star_rating, clean) if star_rating else analysis

    def _sentiment_and_intent(self, clean: str, language: str) -> tuple[float, str, bool, str, dict]:
        """``(score, label, supported, intent, reasons)`` of normalised text.

        The learned model combines lexicon and rules in the languages it was trained on.
        """
        # "und" and other languages without a lexicon: emoji-only sentiment, flagged unsupported
        score, label, supported, signals = scored_sentiment(clean, language)
        rule_points, keywords = self._intents.scores_and_matches(clean, language, score)
        model = learned_model()
        learned_words: list[str] = []
        if supported and model is not None and language in model.languages and clean:
            rows = model.rows(clean, language)
            sentiment_probabilities, intent_probabilities = model.predict(clean, language, score, rule_points, rows)
            score, label = sentiment_from_probabilities(sentiment_probabilities, model.sentiment_threshold)
            intent = intent_from_probabilities(intent_probabilities)
            learned_words = model.sentiment_reasons(rows, label)
        else:
            intent = decide(rule_points)
        return score, label, supported, intent, _explain(clean, score, label, signals, learned_words, intent, keywords)


def _explain(
    clean: str,
    score: float,
    label: str,
    signals: list[Signal],
    learned_words: list[str],
    intent: str,
    keywords: dict[str, list[str]],
) -> dict:
    """What decided the labels, as data the interface words in the reader's language:
    the strongest lexicon words with their valences and notes, the model's words, the
    intent and what pointed to it (its keywords, a question mark or word, the tone)."""
    strongest = sorted(signals, key=lambda signal: -abs(signal[1]))[:EXPLAINED_WORDS]
    has_mark = any(mark in clean for mark in QUESTION_MARKS)
    return {
        "sentiment": label,
        "score": score,
        "words": [[word, round(value, 1), list(notes)] for word, value, notes in strongest],
        "learned_words": learned_words,
        "intent": intent,
        "intent_words": list(dict.fromkeys(keywords.get(intent, [])))[:EXPLAINED_WORDS],
        "question_mark": has_mark and intent != OTHER,
        "question_word": not has_mark and intent == QUESTION,
        "tone": intent in (COMPLAINT, PRAISE) and not keywords.get(intent),
    }
