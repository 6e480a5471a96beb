"""Sentiment of a post, -1..1, in the language it is written in.

English is scored by ``vaderSentiment`` with its lexicon extended by words and
phrases from customer-service conversations.  Every other language with a
lexicon under ``data/sentiment/`` is scored by :class:`LexiconScorer`, which
follows VADER's rules: valences -4..4 summed and squashed, negation within
its clause (before the word, after it for languages such as Persian, or as a
verb prefix as in Czech), intensifiers and superlative prefixes, "but"
shifting weight to the second clause and "although" taking it from its own,
emoji, exclamation marks and capitals.  Words are looked up as written, by
stem (entries ending in ``*``), then by lemma (the compact table of ``lemmas.py``); multi-word phrases
("k ničemu", "не работает") count as one.  A question whose polarity is
faint is labelled neutral.

A sarcasm marker ("#sarcasm", "/s", "🙄", "yeah right", "ну конечно") turns a
positive score negative.

A language without a lexicon gets a score from emoji alone, flagged
unsupported: never an English guess.
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path

from .lemmas import lemma_table

_DATA = Path(__file__).parent / "data" / "sentiment"

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
#: VADER's thresholds for its compound score
LABEL_THRESHOLD = 0.05
#: a question with only a faint cue ("can I cancel...?", "is it free?") asks for information: neutral
QUESTION_LABEL_THRESHOLD = 0.25
QUESTION_MARKS = ("?", "؟")

# VADER's empirically derived constants (Hutto & Gilbert 2014)
_BOOST = 0.293
_NEGATION_SCALAR = -0.74
_CAPS_INCREMENT = 0.733
_EXCLAMATION_INCREMENT = 0.292
_MAX_EXCLAMATIONS = 4
_NORMALIZATION_ALPHA = 15.0
_NEGATION_WINDOW = 3
_POST_NEGATION_WINDOW = 2
_BEFORE_CONTRAST, _AFTER_CONTRAST = 0.5, 1.5
_CONCEDED = 0.5
_MIN_STEM = 3
#: negation does not reach across these
_CLAUSE_BREAKS = frozenset(',.;:!?()"،؛؟')

_VADER_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_EMOTICON = r"(?:[:;=8][\-^']?[()\[\]DPp/\\|*]+|<3|</3)"
# words may hold apostrophes, hyphens and Persian's zero-width non-joiner
_TOKEN = re.compile(_EMOTICON + r"|\w[\w\u200c'’\-]*\w|\w|[^\w\s]")


def label_for(score: float, threshold: float = LABEL_THRESHOLD) -> str:
    if score >= threshold:
        return POSITIVE
    if score <= -threshold:
        return NEGATIVE
    return NEUTRAL


def _squash(total: float) -> float:
    """VADER's normalisation of a valence sum into -1..1."""
    return max(-1.0, min(1.0, total / math.sqrt(total * total + _NORMALIZATION_ALPHA)))


def _exclamation_emphasis(text: str, total: float) -> float:
    emphasis = min(text.count("!"), _MAX_EXCLAMATIONS) * _EXCLAMATION_INCREMENT
    return math.copysign(emphasis, total) if total else 0.0


def _read_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@functools.lru_cache(maxsize=1)
def _emoji_valences() -> dict[str, float]:
    return _read_json(_DATA / "emoji.json")["emoji"]


#: what a signal's note says happened to the word (the interface words them in its language)
NEGATED, AFTER_CONTRAST, SARCASM = "negated", "after_contrast", "sarcasm"
#: a word that carried the score, its valence and the notes on how it was read
Signal = tuple[str, float, tuple[str, ...]]


def emoji_score(text: str) -> float:
    """Sentiment from emoji and emoticons only: the fallback for languages without a lexicon."""
    return emoji_scored(text)[0]


def emoji_scored(text: str) -> tuple[float, list[Signal]]:
    """``emoji_score`` and the emoji that carried it."""
    valences = _emoji_valences()
    signals = [(token, valences[token], ()) for token in _TOKEN.findall(text) if token in valences]
    total = sum(value for _token, value, _notes in signals)
    return (_squash(total + _exclamation_emphasis(text, total)) if total else 0.0), signals


@functools.lru_cache(maxsize=1)
def _sarcasm_markers() -> re.Pattern:
    markers = sorted(set(_read_json(_DATA / "common.json")["sarcasm_markers"]), key=len, reverse=True)
    alternatives = [
        re.escape(marker[:-1]) + r"\w*" if marker.endswith("*") else re.escape(marker) for marker in markers
    ]
    return re.compile(r"(?<![\w/])(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def lexicon_languages() -> tuple[str, ...]:
    """Languages with a lexicon file, English (VADER) included."""
    return tuple(sorted(path.stem for path in _DATA.glob("*.json") if len(path.stem) == 2))


class _Entries:
    """Lexicon entries: whole words, or stems (entries ending in ``*``) matching any word they begin."""

    def __init__(self, entries: dict):
        self._exact = {key: value for key, value in entries.items() if not key.endswith("*")}
        self._stems = {key[:-1]: value for key, value in entries.items() if key.endswith("*")}
        self._longest = max(map(len, self._stems), default=0)

    def get(self, word: str, min_stem: int = _MIN_STEM):
        """The whole-word entry, else the longest stem of at least ``min_stem`` characters; ``None`` if none."""
        value = self._exact.get(word)
        if value is not None:
            return value
        for end in range(min(len(word), self._longest), min_stem - 1, -1):
            value = self._stems.get(word[:end])
            if value is not None:
                return value
        return None

    def all(self, word: str) -> list:
        """Every entry matching ``word``: the whole-word one first, then stems, longest first."""
        found = [self._exact[word]] if word in self._exact else []
        stems = self._stems
        return found + [stems[word[:end]] for end in range(min(len(word), self._longest), 0, -1) if word[:end] in stems]

    def __contains__(self, word: str) -> bool:
        return self.get(word) is not None


class LexiconScorer:
    """VADER's rules over one language's lexicon file."""

    def __init__(self, language: str, lexicon: dict, common_words: dict[str, float]):
        self.language = language
        self._words = _Entries({**common_words, **lexicon["words"]})
        self._negators = _Entries(dict.fromkeys(lexicon.get("negators", []), True))
        self._post_negators = _Entries(dict.fromkeys(lexicon.get("post_negators", []), True))
        self._negation_prefixes = tuple(lexicon.get("negation_prefixes", []))
        self._superlative_prefixes = tuple(lexicon.get("superlative_prefixes", []))  # Czech "nej-", Polish "naj-"
        # "although": the clause it opens concedes a point, so it weighs less
        self._concessive = tuple(tuple(words.split()) for words in lexicon.get("concessive", []))
        self._boosters: dict[str, float] = lexicon.get("boosters", {})
        self._contrast = frozenset(lexicon.get("contrast", []))
        #: whether the lexicon is matched by lemma too (inflected languages)
        self.lemmatizes = bool(lexicon.get("lemmatize", False))
        self._lemmas = lemma_table(language) if self.lemmatizes else {}
        # spelling variants folded before lookup, e.g. Arabic yeh/kaf typed in Persian text
        self._characters = str.maketrans(lexicon.get("character_map", {}))
        # phrases indexed by their first word, longest phrase first
        phrases_by_start: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        for phrase, value in sorted(lexicon.get("phrases", {}).items(), key=lambda item: -len(item[0].split())):
            parts = tuple(phrase.lower().split())
            phrases_by_start.setdefault(parts[0], []).append((parts, value))
        self._phrases = _Entries(phrases_by_start)
        self._valence_cache: dict[str, float | None] = {}
        self._emoji = _emoji_valences()

    # ------------------------------------------------------------ lookup

    def listed_valence(self, word: str) -> float | None:
        """Valence of ``word`` as listed (whole word or stem) or, failing that, of its lemma."""
        value = self._words.get(word)
        if value is None:
            lemma = self._lemmas.get(word)
            if lemma is not None:
                value = self._words.get(lemma)
        return value

    def lexicon_valence(self, word: str) -> float | None:
        """Valence of ``word`` in the lexicon alone, no lemma: what the lemma table is built from."""
        return self._words.get(word)

    def valence(self, word: str) -> float | None:
        """Valence of a lower-cased word, ``None`` if it carries none.  Cached: vocabularies are small."""
        if word in self._valence_cache:
            return self._valence_cache[word]
        value = self._words.get(word)
        for prefix in self._superlative_prefixes if value is None else ():
            if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
                base = self.listed_valence(word[len(prefix) :])
                if base is not None:
                    value = base + math.copysign(_BOOST, base)
                    break
        if value is None:
            # negated verbs (Czech "nezklamali", Persian "نمی‌خواهم") before lemmas, which drop the negation
            for prefix in self._negation_prefixes:
                if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
                    base = self.listed_valence(word[len(prefix) :])
                    if base is not None:
                        value = base * _NEGATION_SCALAR
                        break
        if value is None:
            value = self.listed_valence(word)
        if len(self._valence_cache) > 200_000:  # bounded for long-running workers
            self._valence_cache.clear()
        self._valence_cache[word] = value
        return value

    def _negated(self, words: list[str], start: int, end: int) -> bool:
        """Whether a negator governs ``words[start:end]``: before it, or after it, within its clause."""
        negated = False
        for word in reversed(words[max(0, start - _NEGATION_WINDOW) : start]):
            if word in _CLAUSE_BREAKS:
                break
            if word in self._negators:
                negated = True
                break
        for word in words[end : end + _POST_NEGATION_WINDOW]:
            if word in _CLAUSE_BREAKS:
                break
            if word in self._post_negators:
                return not negated  # a second negation cancels the first
        return negated

    @staticmethod
    def _starts_any(words: list[str], index: int, sequences: tuple[tuple[str, ...], ...]) -> bool:
        return any(tuple(words[index : index + len(sequence)]) == sequence for sequence in sequences)

    def _phrase_at(self, words: list[str], index: int) -> tuple[int, float] | None:
        """``(length, valence)`` of the longest phrase starting at ``words[index]``."""
        for candidates in self._phrases.all(words[index]):  # whole-word starts, then stems
            for parts, value in candidates:
                end = index + len(parts)
                if end <= len(words) and all(
                    word.startswith(part[:-1]) if part.endswith("*") else word == part
                    for word, part in zip(words[index:end], parts, strict=True)
                ):
                    return len(parts), value
        return None

    # ------------------------------------------------------------ scoring

    def score(self, text: str) -> float:
        return self.scored(text)[0]

    def scored(self, text: str) -> tuple[float, list[Signal]]:
        """The score, and the words (or phrases, emoji) that carried it with the valence each contributed."""
        tokens = _TOKEN.findall(text.translate(self._characters))
        words = [token.lower() for token in tokens]
        shouting_allowed = not text.isupper()
        valences: list[float] = []
        signals: list[tuple[str, tuple[str, ...]]] = []
        contrast_at = -1
        conceding = False
        index = 0
        while index < len(words):
            word = words[index]
            span = 1
            if word in _CLAUSE_BREAKS:
                conceding = False
            elif self._concessive and self._starts_any(words, index, self._concessive):
                conceding = True
            if word in self._emoji:
                valences.append(self._emoji[word])
                signals.append((word, ()))
                index += 1
                continue
            if word in self._contrast:
                contrast_at = len(valences)
            if word in self._boosters:  # intensifiers only modify the next words
                index += 1
                continue
            phrase = self._phrase_at(words, index)
            if phrase:
                span, value = phrase
            else:
                value = self.valence(word)
            if value is None or not value:
                index += span
                continue
            if shouting_allowed and tokens[index].isupper() and len(tokens[index]) > 1:
                value += math.copysign(_CAPS_INCREMENT, value)
            for distance, decay in ((1, 1.0), (2, 0.95)):
                boost = self._boosters.get(words[index - distance]) if index - distance >= 0 else None
                if boost:
                    value += math.copysign(boost * decay, value)
            notes: tuple[str, ...] = ()
            if self._negated(words, index, index + span):
                value *= _NEGATION_SCALAR
                notes = (NEGATED,)
            if conceding:
                value *= _CONCEDED
            valences.append(value)
            signals.append((" ".join(words[index : index + span]), notes))
            index += span
        if contrast_at > 0:
            valences = [v * _BEFORE_CONTRAST for v in valences[:contrast_at]] + [
                v * _AFTER_CONTRAST for v in valences[contrast_at:]
            ]
            signals[contrast_at:] = [(word, (*notes, AFTER_CONTRAST)) for word, notes in signals[contrast_at:]]
        total = sum(valences)
        score = _squash(total + _exclamation_emphasis(text, total)) if total else 0.0
        return score, [(word, value, notes) for (word, notes), value in zip(signals, valences, strict=True)]


class _EnglishScorer:
    """vaderSentiment, extended with service vocabulary; phrases become single lexicon tokens."""

    def __init__(self, lexicon: dict):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer, negated

        self._vader = SentimentIntensityAnalyzer()
        for word, value in lexicon["words"].items():  # VADER's own human-rated valences take precedence...
            self._vader.lexicon.setdefault(word.lower(), value)
        # ...except for words that are neutral in service conversations ("credit card", "loyalty points")
        self._vader.lexicon.update(lexicon.get("domain_overrides", {}))
        self._phrase_tokens: dict[str, str] = {}
        for number, (phrase, value) in enumerate(lexicon.get("phrases", {}).items()):
            token = f"phrase{number}x"
            self._phrase_tokens[phrase.lower()] = token
            self._vader.lexicon[token] = value
        self._phrase_words = {token: phrase for phrase, token in self._phrase_tokens.items()}
        self._vader_negated = negated
        alternatives = "|".join(re.escape(p) for p in sorted(self._phrase_tokens, key=len, reverse=True))
        self._phrases = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if alternatives else None

    def score(self, text: str) -> float:
        return self.scored(text)[0]

    def scored(self, text: str) -> tuple[float, list[Signal]]:
        """VADER's compound score, and the lexicon words it found with their valences (negated ones flipped)."""
        if self._phrases is not None:
            text = self._phrases.sub(lambda match: self._phrase_tokens[match.group(0).lower()], text)
        raw = text.lower().split()
        words = [word.strip(_VADER_PUNCTUATION) for word in raw]
        signals = []
        for index, word in enumerate(words):
            value = self._vader.lexicon.get(raw[index]) or self._vader.lexicon.get(word)
            word = word or raw[index]
            if not value:
                continue
            notes: tuple[str, ...] = ()
            if self._vader_negated(words[max(0, index - 3) : index]):
                value *= _NEGATION_SCALAR
                notes = (NEGATED,)
            signals.append((self._phrase_words.get(word, word), value, notes))
        return self._vader.polarity_scores(text)["compound"], signals


@functools.cache
def scorer_for(language: str) -> LexiconScorer | _EnglishScorer | None:
    """The (cached, shared) scorer of ``language``; ``None`` when it has no lexicon."""
    path = _DATA / f"{language}.json"
    if len(language) != 2 or not path.is_file():
        return None
    lexicon = _read_json(path)
    if language == "en":
        return _EnglishScorer(lexicon)
    return LexiconScorer(language, lexicon, _read_json(_DATA / "common.json")["words"])


def sentiment(text: str, language: str) -> tuple[float, str, bool]:
    """``(score, label, supported)`` of normalised ``text`` written in ``language``."""
    return scored_sentiment(text, language)[:3]


def scored_sentiment(text: str, language: str) -> tuple[float, str, bool, list[Signal]]:
    """``(score, label, supported, signals)``: ``sentiment`` and the words that carried the score."""
    scorer = scorer_for(language)
    score, signals = emoji_scored(text) if scorer is None else scorer.scored(text)
    marker = _sarcasm_markers().search(text) if score > 0 else None
    if marker:
        # "Great, another outage #sarcasm": the praise is the complaint.  Shown first, as the strongest signal.
        score = -score
        signals = [(marker.group(0).lower(), -4.0, (SARCASM,)), *signals]
    score = round(score, 4)
    is_question = any(mark in text for mark in QUESTION_MARKS)
    label = label_for(score, QUESTION_LABEL_THRESHOLD if is_question else LABEL_THRESHOLD)
    return score, label, scorer is not None, signals
