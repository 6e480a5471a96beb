"""Learned sentiment and intent, stacked on the lexicons and keyword rules.

The lexicons know words that carry feelings; many posts carry none ("paid for
500 Mbps, the speed test shows 40").  A small model learned from labelled
posts (``benchmarks/train_analysis_model.py``) reads what they state:

* stage 1, per task (sentiment 3 classes, intent 5), a softmax regression over
  binary features of the post: its words, word pairs, and word beginnings and
  endings (which stand for stems and inflections in Czech, Polish, Russian,
  Ukrainian and Persian);
* stage 2, per task, a softmax regression over stage 1's log-probabilities,
  the lexicon score (VADER's for English, with its own weight) and the
  keyword rules' points per intent.  Stage 2 was fitted on stage 1's
  out-of-fold predictions, so it learned how far to trust each source.

It applies only to the languages it was trained on, all of which have a
lexicon; any other language keeps the emoji-only fallback.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import re
from pathlib import Path

import numpy as np

from .intent import COMPLAINT, INTENTS, PRAISE, PURCHASE_INTENT, QUESTION
from .sentiment import NEGATIVE, NEUTRAL, POSITIVE, QUESTION_MARKS

MODEL_PATH = Path(__file__).parent / "data" / "model" / "analysis_model.json.gz"

SENTIMENTS = (NEGATIVE, NEUTRAL, POSITIVE)
#: the keyword rules' points that stage 2 reads, in this order
RULE_INTENTS = (COMPLAINT, PURCHASE_INTENT, QUESTION, PRAISE)
#: words longer than this also give their beginning and ending as features
_PIECE_MIN_LENGTH = 5
_STEM_LENGTH, _ENDING_LENGTH = 4, 3
_NUMBER = "<num>"
# emoji and ! ? are features too: they often carry the whole sentiment or intent
_WORD = re.compile(r"\w[\w\u200c'’\-]*\w|\w|[!?؟]|[^\w\s.,;:()\"'«»„“”\-]")
#: log-probabilities below this carry no more information to stage 2
_MIN_LOG_PROBABILITY = -10.0


def text_features(text: str, language: str) -> set[str]:
    """Binary features of normalised ``text``: language, words, word pairs, word beginnings and endings."""
    words = [_NUMBER if word.isdigit() else word for word in _WORD.findall(text.lower())]
    features = {f"lang={language}"}
    features.update(words)
    features.update(f"{first} {second}" for first, second in zip(words, words[1:], strict=False))
    for word in words:
        if len(word) >= _PIECE_MIN_LENGTH:
            features.add(word[:_STEM_LENGTH] + "-")
            features.add("-" + word[-_ENDING_LENGTH:])
    return features


def stage2_features(
    log_probabilities: list[float], language: str, lexicon_score: float, rule_points: dict[str, float], text: str
) -> list[float]:
    """Stage 2's inputs: stage 1's log-probabilities (sentiment then intent), lexicon and rule signals."""
    return [
        *log_probabilities,
        lexicon_score,
        lexicon_score if language == "en" else 0.0,  # VADER's human-rated lexicon earns its own weight
        1.0 if any(mark in text for mark in QUESTION_MARKS) else 0.0,
        *(rule_points[intent] for intent in RULE_INTENTS),
    ]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax, floored at ``_MIN_LOG_PROBABILITY`` (training's vectorised twin of ``_log_softmax``)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    result = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return np.maximum(result, _MIN_LOG_PROBABILITY)


def _log_softmax(logits: list[float]) -> list[float]:
    """``log_softmax`` of one short vector: plain floats are faster than numpy at this size."""
    top = max(logits)
    normaliser = top + math.log(sum(math.exp(logit - top) for logit in logits))
    return [max(logit - normaliser, _MIN_LOG_PROBABILITY) for logit in logits]


def _softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    exponentials = [math.exp(logit - top) for logit in logits]
    total = sum(exponentials)
    return [value / total for value in exponentials]


class LearnedModel:
    """The trained model file: vocabulary, stage 1 and stage 2 weights of both tasks."""

    def __init__(self, data: dict):
        self.version = data["version"]
        self.languages = frozenset(data["languages"])
        #: |P(positive) - P(negative)| below this is neutral (chosen by cross-validation in training)
        self.sentiment_threshold = data["sentiment_threshold"]
        self._vocabulary = {feature: row for row, feature in enumerate(data["features"])}
        self._features = data["features"]
        # each stage's weights of both tasks side by side: one product per stage and post
        self._stage1 = np.array(data["stage1"]["weights"], dtype=np.float64)
        self._stage1_bias = data["stage1"]["bias"]
        stage2 = data["stage2"]
        self._stage2 = np.hstack(
            [np.array(stage2[task]["weights"], dtype=np.float64) for task in ("sentiment", "intent")]
        )
        self._stage2_bias = stage2["sentiment"]["bias"] + stage2["intent"]["bias"]
        self._sentiment_width = len(SENTIMENTS)

    def rows(self, text: str, language: str) -> list[int]:
        """The weight rows of the features of ``text`` the model knows."""
        return [row for feature in text_features(text, language) if (row := self._vocabulary.get(feature)) is not None]

    def stage1_log_probabilities(self, text: str, language: str, rows: list[int] | None = None) -> list[float]:
        """Stage 1's log-probabilities of the sentiments then the intents (in ``SENTIMENTS``, ``INTENTS`` order)."""
        rows = self.rows(text, language) if rows is None else rows
        logits = self._stage1_bias
        if rows:
            # rows are L2-normalised in training: every present feature weighs 1/sqrt(count)
            scale = 1.0 / math.sqrt(len(rows))
            logits = [
                bias + weight * scale
                for bias, weight in zip(logits, self._stage1[rows].sum(axis=0).tolist(), strict=True)
            ]
        width = self._sentiment_width
        return _log_softmax(logits[:width]) + _log_softmax(logits[width:])

    def sentiment_reasons(self, rows: list[int], label: str, limit: int = 3) -> list[str]:
        """The features (words, word pairs, pieces) among ``rows`` that pushed stage 1 most towards ``label``."""
        if not rows or label not in SENTIMENTS:
            return []
        weights = self._stage1[rows, : self._sentiment_width]
        column = SENTIMENTS.index(label)
        towards = weights[:, column] - weights.mean(axis=1)
        ranked = sorted(zip(towards.tolist(), rows, strict=True), reverse=True)[:limit]
        return [self._features[row] for push, row in ranked if push > 0 and not self._features[row].startswith("lang=")]

    def predict(
        self,
        text: str,
        language: str,
        lexicon_score: float,
        rule_points: dict[str, float],
        rows: list[int] | None = None,
    ) -> tuple[list[float], list[float]]:
        """Probabilities of ``SENTIMENTS`` and of ``INTENTS`` for normalised ``text`` in a trained language.

        ``rows``: ``self.rows(text, language)`` when the caller has them already.
        """
        inputs = stage2_features(
            self.stage1_log_probabilities(text, language, rows), language, lexicon_score, rule_points, text
        )
        products = (np.array(inputs) @ self._stage2).tolist()
        logits = [product + bias for product, bias in zip(products, self._stage2_bias, strict=True)]
        width = self._sentiment_width
        return _softmax(logits[:width]), _softmax(logits[width:])


@functools.lru_cache(maxsize=1)
def learned_model() -> LearnedModel | None:
    """The shipped model, loaded once per process; ``None`` when the file is missing."""
    if not MODEL_PATH.is_file():
        return None
    with gzip.open(MODEL_PATH, "rt", encoding="utf-8") as handle:
        return LearnedModel(json.load(handle))


def sentiment_from_probabilities(probabilities: list[float], threshold: float) -> tuple[float, str]:
    """``(score, label)``: the score is P(positive) - P(negative); within ``threshold`` of 0 it is neutral."""
    negative, _neutral, positive = probabilities
    score = round(positive - negative, 4)
    if score >= threshold:
        return score, POSITIVE
    if score <= -threshold:
        return score, NEGATIVE
    return score, NEUTRAL


def intent_from_probabilities(probabilities: list[float]) -> str:
    return INTENTS[max(range(len(INTENTS)), key=probabilities.__getitem__)]
