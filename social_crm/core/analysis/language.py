"""Language detection for short social posts.

Two statistical backends sit behind one interface: ``py3langid`` (the default:
fast and good on short texts) and ``langdetect`` (kept selectable, seeded so it
answers the same every time).  Around them this module adds what a generic
detector lacks for customer posts:

* restriction to the languages the company configured;
* the writing system as hard evidence (Persian script, Ukrainian-only and
  Russian-only Cyrillic letters) which settles even two-word posts;
* the network's language tag (hint) and the partner's language (prior) as
  Bayesian priors;
* ``und`` (undetermined) when a text is too short to tell.
"""

from __future__ import annotations

import functools
import io
import lzma
import os
import re
import tempfile
import threading
import unicodedata
import zipfile
import zlib
from pathlib import Path

UNDETERMINED = "und"
DETECTORS = ("auto", "py3langid", "langdetect")

#: below this no statistical detector can tell ("ok", "thx"): always undetermined
MIN_LETTERS = 4
#: below either count a text is "short": a statistical guess needs strong odds
SHORT_TEXT_WORDS = 3
SHORT_TEXT_LETTERS = 12
#: posterior a short text needs before we name its language
SHORT_TEXT_MIN_CONFIDENCE = 0.9
#: below this, a restricted detector checks that the text is not in a language outside the configured ones
UNSURE_CONFIDENCE = 0.6
#: how strongly a hint (network tag) and a prior (partner's language) tilt the odds
HINT_WEIGHT = 4.0
PRIOR_WEIGHT = 2.5
#: detection reads the beginning of a post only; more text adds cost, not accuracy
DETECTION_CHARS = 600

# Writing systems whose use narrows the candidates.  Languages not listed here
# are written in Latin script.
_SCRIPT_LANGUAGES = {
    "cyrillic": {"ru", "uk", "be", "bg", "kk", "ky", "mk", "mn", "sr", "tg", "tt"},
    "arabic": {"ar", "fa", "ps", "ur", "ug", "ku", "sd"},
    "greek": {"el"},
    "hebrew": {"he", "yi"},
    "armenian": {"hy"},
    "georgian": {"ka"},
    "devanagari": {"hi", "mr", "ne"},
    "thai": {"th"},
    "hangul": {"ko"},
    "kana": {"ja"},
    "han": {"zh", "ja"},
}
_NON_LATIN_LANGUAGES = set().union(*_SCRIPT_LANGUAGES.values())

# Letters that only one of the Cyrillic candidates uses.
_UKRAINIAN_LETTERS = frozenset("іїєґІЇЄҐ")
_RUSSIAN_LETTERS = frozenset("ыэъёЫЭЪЁ")
# Persian letters absent from Arabic, and Arabic letters absent from Persian.
_PERSIAN_LETTERS = frozenset("پچژگ")
_ARABIC_LETTERS = frozenset("ةيكى")
_LETTER_EVIDENCE_WEIGHT = 50.0
_RUSSIAN_OR_UKRAINIAN = frozenset({"ru", "uk"})

# Obsolete ISO 639-1 codes still sent by some networks.
_OLD_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


def normalize_language_code(code: str) -> str:
    """``"cs_CZ"``, ``"pt-BR"``, ``"EN"`` -> ISO 639-1 ``"cs"``, ``"pt"``, ``"en"``; ``""`` if unusable."""
    if not code:
        return ""
    base = code.replace("-", "_").split("_", 1)[0].strip().lower()
    base = _OLD_CODES.get(base, base)
    if base == UNDETERMINED or not base.isalpha() or len(base) not in (2, 3):
        return ""
    return base


# Letters of each writing system, as regex classes (counting with regexes is ~10x faster than per character).
_SCRIPT_LETTERS = {
    "latin": re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF]"),
    "cyrillic": re.compile(r"[\u0400-\u052F]"),
    "arabic": re.compile(r"[\u0620-\u064A\u066E-\u06D3\u06FA-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]"),
    "greek": re.compile(r"[\u0370-\u03FF]"),
    "hebrew": re.compile(r"[\u05D0-\u05EA]"),
    "armenian": re.compile(r"[\u0531-\u0587]"),
    "georgian": re.compile(r"[\u10A0-\u10FF]"),
    "devanagari": re.compile(r"[\u0900-\u097F]"),
    "thai": re.compile(r"[\u0E00-\u0E7F]"),
    "hangul": re.compile(r"[\uAC00-\uD7AF\u1100-\u11FF]"),
    "kana": re.compile(r"[\u3040-\u30FF]"),
    "han": re.compile(r"[\u4E00-\u9FFF]"),
}
_LETTER = re.compile(r"[^\W\d_]")


def _dominant_script(text: str) -> tuple[str, int]:
    """The script most letters of ``text`` use (``"other"`` if none listed), and the number of letters."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return "", 0
    best, best_count, counted = "other", 0, 0
    for script, pattern in _SCRIPT_LETTERS.items():
        count = len(pattern.findall(text))
        if count > best_count:
            best, best_count = script, count
        counted += count
        if best_count * 2 > letters or counted == letters:  # a majority, or nothing left to count
            break
    return best, letters


def _languages_of_script(script: str, candidates: frozenset[str]) -> frozenset[str]:
    if script == "latin":
        return frozenset(lang for lang in candidates if lang not in _NON_LATIN_LANGUAGES)
    if script in _SCRIPT_LANGUAGES:
        return candidates & _SCRIPT_LANGUAGES[script]
    return candidates


def _letter_evidence(text: str) -> dict[str, float]:
    """Likelihood factors from letters that single out one language."""
    present = set(text)
    evidence = {}
    ukrainian, russian = bool(present & _UKRAINIAN_LETTERS), bool(present & _RUSSIAN_LETTERS)
    if ukrainian != russian:
        evidence["uk" if ukrainian else "ru"] = _LETTER_EVIDENCE_WEIGHT
    persian, arabic = bool(present & _PERSIAN_LETTERS), bool(present & _ARABIC_LETTERS)
    if persian and not arabic:
        evidence["fa"] = _LETTER_EVIDENCE_WEIGHT
    return evidence


# ---------------------------------------------------------------- backends


def _model_cache(model: Path) -> Path:
    """Where py3langid's model file, decompressed, is kept for the next worker:
    the user's cache folder, under a name that changes with the model file."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    stat = model.stat()
    return Path(base) / "social_crm" / f"py3langid-{stat.st_size}-{stat.st_mtime_ns}.npz"


def _model_arrays(source):
    """py3langid 0.4's model arrays from its decompressed ``.npz`` (a path or a file object)."""
    import numpy as np
    from py3langid.modelio import _to_array

    with np.load(source, allow_pickle=False) as data:
        return (
            np.asarray(data["ptc"]),
            np.asarray(data["pc"]),
            data["classes"].tolist(),
            _to_array(data["nextmove"]),
            _to_array(data["nextmove_row"]),
            data["out_feat"].tolist(),
        )


def _cached_arrays(cache: Path):
    """The arrays of the cached model, or None when it is not cached yet or damaged."""
    try:
        return _model_arrays(cache)
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error):
        return None


def _py3langid_arrays(model: Path):
    """The model's arrays.  Decompressing its LZMA file takes about 0.4 s, most
    of an analyzer's start, in every new worker: the first worker keeps the
    decompressed file in the cache folder (written whole, then renamed), the
    next ones read it; an unreadable or unwritable cache costs that time only."""
    cache = _model_cache(model)
    if (cached := _cached_arrays(cache)) is not None:
        return cached
    raw = lzma.decompress(model.read_bytes())
    partial = None
    try:
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache.parent, suffix=".tmp", delete=False) as handle:
            partial = Path(handle.name)
            handle.write(raw)
        os.replace(partial, cache)
    except OSError:  # a read-only home or a full disk: every worker decompresses
        if partial is not None:
            partial.unlink(missing_ok=True)
    return _model_arrays(io.BytesIO(raw))


@functools.lru_cache(maxsize=1)
def _py3langid_model():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    ptc, pc, classes, nextmove, row, output = _py3langid_arrays(MODEL_DIR / MODEL_FILE)
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)


class _Py3LangidBackend:
    """py3langid's naive Bayes model restricted to the candidate languages."""

    def __init__(self, candidates: frozenset[str] | None):
        full = _py3langid_model()
        self.languages = frozenset(full.labels)
        if candidates is None or candidates >= self.languages:
            self._identifier = full
        else:
            from py3langid.langid import LanguageIdentifier

            # share the loaded arrays (py3langid 0.4's own copy of the full model); restriction slices columns
            ptc, pc, classes = full._full_model
            self._identifier = LanguageIdentifier(
                ptc, pc, classes, full.tk_nextmove, full.tk_output, norm_probs=True, tk_row=full.tk_row
            )
            self._identifier.set_languages(sorted(candidates & self.languages))

    def probabilities(self, text: str) -> dict[str, float]:
        return dict(self._identifier.rank(text))

    def best_of_all(self, text: str) -> str:
        """The most likely language among all the model knows, configured or not."""
        return _py3langid_model().classify(text)[0]


@functools.lru_cache(maxsize=1)
def _langdetect_factory():
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = 0  # DetectorFactory.seed = 0 on our own factory: deterministic, no global side effect
    return factory


_LANGDETECT_LOCK = threading.Lock()


class _LangdetectBackend:
    """Google's language-detection port; its random sampling is seeded for repeatable answers."""

    def __init__(self, candidates: frozenset[str] | None):
        factory = _langdetect_factory()
        # langdetect names Chinese zh-cn / zh-tw; we speak ISO 639-1
        self.languages = frozenset(normalize_language_code(lang) for lang in factory.langlist)
        allowed = self.languages if candidates is None else candidates & self.languages
        # a prior of zero excludes a language: this is how langdetect is restricted
        self._prior_map = {lang: 1.0 for lang in factory.langlist if normalize_language_code(lang) in allowed}

    @staticmethod
    def _detector(text: str, prior_map: dict[str, float] | None = None):
        with _LANGDETECT_LOCK:  # the factory is shared between threads
            detector = _langdetect_factory().create()
        if prior_map:
            detector.set_prior_map(prior_map)
        detector.append(text)
        return detector

    def probabilities(self, text: str) -> dict[str, float]:
        from langdetect.lang_detect_exception import LangDetectException

        try:
            ranked = self._detector(text, self._prior_map).get_probabilities()
        except LangDetectException:  # no usable features in the text
            return {}
        result: dict[str, float] = {}
        for language in ranked:
            code = normalize_language_code(language.lang)
            result[code] = result.get(code, 0.0) + language.prob
        return result

    def best_of_all(self, text: str) -> str:
        """The most likely language among all the model knows, configured or not."""
        from langdetect.lang_detect_exception import LangDetectException

        try:
            return normalize_language_code(self._detector(text).detect())
        except LangDetectException:
            return UNDETERMINED


_BACKENDS = {"py3langid": _Py3LangidBackend, "langdetect": _LangdetectBackend}


class LanguageDetector:
    """Detect the language of a post among ``languages`` (``None``: every language the backend knows)."""

    def __init__(self, languages: tuple[str, ...] | list[str] | None = None, detector: str = "auto"):
        if detector not in DETECTORS:
            raise ValueError(f"unknown language detector {detector!r}; use one of {DETECTORS}")
        self.name = "py3langid" if detector == "auto" else detector
        requested = None
        if languages:
            requested = frozenset(filter(None, (normalize_language_code(code) for code in languages)))
        self._backend = _BACKENDS[self.name](requested)
        self.languages = requested & self._backend.languages if requested else self._backend.languages
        self._restricted = self.languages != self._backend.languages
        if not self.languages:
            raise ValueError(f"none of the languages {languages!r} is known to {self.name}")

    def detect(self, text: str, hint: str = "", prior: str = "") -> tuple[str, float]:
        """Return ``(language, confidence)`` for normalised ``text``; ``("und", 0.0)`` when it cannot tell."""
        text = text[:DETECTION_CHARS]
        if not unicodedata.is_normalized("NFC", text):  # decomposed letters would hide "ї" or "ě"
            text = unicodedata.normalize("NFC", text)
        script, letters = _dominant_script(text)
        if not letters:
            return UNDETERMINED, 0.0
        candidates = _languages_of_script(script, self.languages) or self.languages
        if len(candidates) == 1:  # e.g. Persian script when fa is the only configured Arabic-script language
            (language,) = candidates
            return language, 1.0

        if letters < MIN_LETTERS:
            return UNDETERMINED, 0.0
        evidence = _letter_evidence(text)
        if candidates <= _RUSSIAN_OR_UKRAINIAN and len(evidence) == 1 and evidence.keys() <= candidates:
            return next(iter(evidence)), 0.99  # "ї" without "ы", or the reverse: no statistics needed
        scores = self._backend.probabilities(text)
        odds = {lang: scores.get(lang, 0.0) for lang in candidates}
        expected = {normalize_language_code(hint), normalize_language_code(prior)} & candidates
        factors = dict(evidence)
        if hint:
            factors[normalize_language_code(hint)] = factors.get(normalize_language_code(hint), 1.0) * HINT_WEIGHT
        if prior:
            factors[normalize_language_code(prior)] = factors.get(normalize_language_code(prior), 1.0) * PRIOR_WEIGHT
        for lang, factor in factors.items():
            if lang in odds:
                # smoothing lets the evidence count even where the model saw nothing
                odds[lang] = (odds[lang] + 1e-3) * factor
        total = sum(odds.values())
        if total <= 0.0:
            return UNDETERMINED, 0.0
        language = max(odds, key=odds.__getitem__)
        confidence = odds[language] / total
        is_short = letters < SHORT_TEXT_LETTERS or len(text.split()) < SHORT_TEXT_WORDS
        if is_short and confidence < SHORT_TEXT_MIN_CONFIDENCE and not (language in expected and confidence >= 0.5):
            return UNDETERMINED, 0.0
        if (
            confidence < UNSURE_CONFIDENCE
            and self._restricted
            and self._backend.best_of_all(text) not in self.languages
        ):
            # a French post for a company configured for English and Spanish: no configured language, no guess
            return UNDETERMINED, 0.0
        return language, round(confidence, 4)
