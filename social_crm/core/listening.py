"""Listening intelligence: customer segments, spike and crisis detection,
trending phrases and complaint clusters.

Pure Python (never imports ``odoo``): the addon feeds it figures it reads with
SQL, in bounded batches, and stores what it returns.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from .analysis import normalize_text

#: average sentiment from which a customer counts as a promoter / a detractor
PROMOTER_MIN = 0.25
DETRACTOR_MAX = -0.25
#: influence (0-100) from which an author counts as influential
INFLUENTIAL_MIN = 40.0

HOUR = timedelta(hours=1)


# -- spike and crisis detection ------------------------------------------------
@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """How a topic's last ``window_hours`` are compared with its baseline."""

    #: standard deviations above the baseline mean that make a spike
    k: float = 3.0
    #: posts the window needs before anything counts as a spike
    min_volume: int = 20
    window_hours: int = 24
    baseline_days: int = 7
    #: a spike within this many hours of the last one continues its episode
    cooldown_hours: int = 24
    #: the negative share's standard deviation is never taken below this
    #: (a calm week with the same share every day would make any change a crisis)
    min_share_std: float = 0.05

    @property
    def history_hours(self) -> int:
        """Hours of counts one evaluation reads: the window and its baseline."""
        return self.window_hours + self.baseline_days * 24


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A topic's window compared with its baseline."""

    window_start: datetime
    window_end: datetime
    volume: int
    negative: int
    rate: float  # posts per hour in the window
    baseline_rate: float  # posts per hour in the baseline windows
    baseline_std: float  # their standard deviation (at least the counts' noise), per hour
    rate_threshold: float  # baseline_rate + k * baseline_std
    negative_share: float
    baseline_share: float
    share_std: float
    share_threshold: float
    volume_spike: bool
    negative_spike: bool

    @property
    def triggered(self) -> bool:
        return self.volume_spike or self.negative_spike

    @property
    def signal(self) -> str:
        """``crisis`` (more posts and more negative ones), ``volume`` or ``negative``."""
        if self.volume_spike and self.negative_spike:
            return "crisis"
        return "volume" if self.volume_spike else "negative"


def _mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((value - mean) ** 2 for value in values) / len(values))


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def evaluate(
    hourly: Mapping[datetime, tuple[int, int]], window_end: datetime, settings: DetectorSettings
) -> Evaluation:
    """Compare the ``settings.window_hours`` before ``window_end`` with the
    ``settings.baseline_days`` before them.

    ``hourly`` maps the start of an hour to ``(posts, negative posts)``; hours
    without posts may be missing.  The window's volume is a spike above
    ``mean + k * std`` of the baseline's windows of the same length (the
    standard deviation is taken at least as the square root of the mean, the
    noise of counts); its negative share is a spike above ``mean + k * std`` of
    the baseline windows' shares.  Neither counts below ``settings.min_volume``
    posts, nor before half of the baseline windows have posts.
    """
    window_end = floor_hour(window_end)
    window = settings.window_hours * HOUR

    def totals(end):
        total = negative = 0
        hour = end - window
        while hour < end:
            posts, bad = hourly.get(hour, (0, 0))
            total, negative = total + posts, negative + bad
            hour += HOUR
        return total, negative

    volume, negative = totals(window_end)
    periods = max(settings.baseline_days * 24 // settings.window_hours, 1)
    baseline = [totals(window_end - window * (period + 1)) for period in range(periods)]
    baseline_volume, baseline_std = _mean_std([float(total) for total, _negative in baseline])
    # counts of rare events vary by about their square root even in a calm week
    volume_std = max(baseline_std, math.sqrt(max(baseline_volume, 1.0)))
    volume_threshold = baseline_volume + settings.k * volume_std
    baseline_share, share_std = _mean_std([bad / total for total, bad in baseline if total])
    share_threshold = baseline_share + settings.k * max(share_std, settings.min_share_std)
    share = negative / volume if volume else 0.0
    # a topic's first days are no baseline: everything would look like a spike
    enough = volume >= settings.min_volume and 2 * sum(1 for total, _bad in baseline if total) >= periods
    hours = settings.window_hours
    return Evaluation(
        window_start=window_end - window,
        window_end=window_end,
        volume=volume,
        negative=negative,
        rate=volume / hours,
        baseline_rate=baseline_volume / hours,
        baseline_std=volume_std / hours,
        rate_threshold=volume_threshold / hours,
        negative_share=share,
        baseline_share=baseline_share,
        share_std=share_std,
        share_threshold=share_threshold,
        volume_spike=enough and volume > volume_threshold,
        negative_spike=enough and share > share_threshold,
    )


@dataclass(slots=True)
class Episode:
    """Consecutive spikes of one topic: one alert, one notification."""

    first: Evaluation
    last: Evaluation
    peak: Evaluation
    signals: set[str] = field(default_factory=set)

    @property
    def start(self) -> datetime:
        return self.first.window_start

    @property
    def end(self) -> datetime:
        return self.last.window_end


def continues(last_seen: datetime | None, window_end: datetime, settings: DetectorSettings) -> bool:
    """Whether a spike at ``window_end`` belongs to the episode last seen at ``last_seen``."""
    return last_seen is not None and window_end - last_seen <= settings.cooldown_hours * HOUR


def backtest(
    hourly: Mapping[datetime, tuple[int, int]], start: datetime, end: datetime, settings: DetectorSettings
) -> list[Episode]:
    """Run the detector every hour from ``start`` to ``end`` (window ends) and
    return the episodes it would have raised, oldest first."""
    episodes: list[Episode] = []
    window_end = floor_hour(start)
    while window_end <= end:
        evaluation = evaluate(hourly, window_end, settings)
        if evaluation.triggered:
            current = episodes[-1] if episodes else None
            if current and continues(current.last.window_end, window_end, settings):
                current.last = evaluation
                if evaluation.volume > current.peak.volume:
                    current.peak = evaluation
            else:
                current = Episode(first=evaluation, last=evaluation, peak=evaluation)
                episodes.append(current)
            current.signals.add(evaluation.signal)
        window_end += HOUR
    return episodes


# -- phrases and clusters ---------------------------------------------------------
_WORD = re.compile(r"[^\W\d_][\w'\u200c-]*[^\W_]|[^\W\d_]", re.UNICODE)
_DATA = Path(__file__).resolve().parent / "listening_data"


@lru_cache(maxsize=1)
def _stop_words() -> dict[str, frozenset[str]]:
    data = json.loads((_DATA / "stopwords.json").read_text("utf-8"))
    return {language: frozenset(words) for language, words in data.items()}


@lru_cache(maxsize=1)
def _lemmatizer():
    """simplemma with its memory-frugal dictionaries, read from the compressed
    data on demand: the same lemmas, but about 110 MB for the eight interface
    languages instead of 850 MB (Polish 48 instead of 375), in every worker
    that computes phrases; a lookup costs about 10 µs instead of 3, and
    :func:`lemma` caches the answers."""
    from simplemma import Lemmatizer
    from simplemma.strategies import DefaultStrategy

    return Lemmatizer(cache_max_size=0, lemmatization_strategy=DefaultStrategy(low_memory=True))


@lru_cache(maxsize=200_000)
def lemma(word: str, language: str) -> str:
    """The lowercase dictionary form of ``word`` (simplemma, offline); the
    word itself in a language simplemma does not know."""
    try:
        return _lemmatizer().lemmatize(word, lang=language).lower()
    except (ValueError, KeyError, TypeError):
        return word.lower()


def content_words(text: str, language: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Lemmas of the words that carry meaning: the analysis normaliser's text
    (no links, no @handles, hashtags split), stop words and ``ignore`` (the
    topic's own names, in every one of its posts) removed."""
    stop = _stop_words().get(language, frozenset()) | ignore
    words = []
    for match in _WORD.finditer(normalize_text(text or "")):
        word = match.group()
        if len(word) < 2 or word.lower() in stop:
            continue
        base = lemma(word, language)
        if base not in stop:
            words.append(base)
    return words


def phrases_of(text: str, language: str, ignore: frozenset[str] = frozenset()) -> set[str]:
    """The key phrases of one text: its content words and pairs of adjacent ones."""
    words = content_words(text, language, ignore)
    return set(words) | {f"{first} {second}" for first, second in zip(words, words[1:], strict=False)}


@dataclass(frozen=True, slots=True)
class RisingPhrase:
    phrase: str
    count: int  # texts of the current period that contain it
    baseline_average: float  # texts per earlier period
    ratio: float


def rising_phrases(
    current: Iterable[str],
    baseline: Iterable[str],
    language: str,
    baseline_periods: int = 4,
    min_count: int = 3,
    limit: int = 10,
    ignore: frozenset[str] = frozenset(),
) -> list[RisingPhrase]:
    """Phrases found in more texts of ``current`` (this week) than the
    average of ``baseline`` (the ``baseline_periods`` weeks before), most
    risen first; a word is left out when a listed pair already says it."""
    now = Counter(phrase for text in current for phrase in phrases_of(text, language, ignore))
    before = Counter(phrase for text in baseline for phrase in phrases_of(text, language, ignore))
    scored = []
    for phrase, count in now.items():
        average = before.get(phrase, 0) / max(baseline_periods, 1)
        if count >= min_count and count >= 2 * average + 1:
            scored.append(RisingPhrase(phrase, count, average, (count + 1) / (average + 1)))
    # pairs first among equals: "no signal" says more than "signal"
    scored.sort(key=lambda item: (-item.ratio, -item.count, -item.phrase.count(" "), item.phrase))
    chosen: list[RisingPhrase] = []
    for item in scored:
        if " " not in item.phrase and any(
            item.phrase in pair.phrase.split() and pair.count * 1.25 >= item.count for pair in chosen
        ):
            continue
        chosen.append(item)
        if len(chosen) == limit:
            break
    return chosen


@dataclass(slots=True)
class Cluster:
    """Texts that share their key words, e.g. ``signál · brno``."""

    words: Counter = field(default_factory=Counter)
    ids: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.ids)

    def signature(self, size: int = 6) -> set[str]:
        return {word for word, _count in self.words.most_common(size)}

    def label(self, size: int = 3) -> str:
        # only words most of the cluster's texts share name it
        common = [word for word, count in self.words.most_common(size) if count * 2 >= self.count]
        return " · ".join(common or [word for word, _count in self.words.most_common(1)])

    def examples(self, size: int = 3) -> list:
        return self.ids[:size]


def cluster_texts(
    items: Iterable[tuple[object, str, str]],
    threshold: float = 0.3,
    max_clusters: int = 300,
    min_size: int = 2,
    ignore: frozenset[str] = frozenset(),
) -> list[Cluster]:
    """Group ``(id, text, language)`` items whose content words overlap (the
    share of a text's words, or of a cluster's leading words when fewer, that
    both have is at least ``threshold``), in one pass; the biggest clusters first.  At most
    ``max_clusters`` are opened: later texts that fit none are left out, so
    time and memory stay bounded by the number of items.  ``ignore``: words
    left out (the topic's own names)."""
    clusters: list[Cluster] = []
    by_word: dict[str, list[int]] = {}
    for item_id, text, language in items:
        words = set(content_words(text, language, ignore))
        if not words:
            continue
        best, best_score = None, 0.0
        for index in {index for word in words for index in by_word.get(word, ())}:
            signature = clusters[index].signature()
            score = len(words & signature) / min(len(words), len(signature))
            if score > best_score:
                best, best_score = index, score
        if best is None or best_score < threshold:
            if len(clusters) >= max_clusters:
                continue
            best = len(clusters)
            clusters.append(Cluster())
        cluster = clusters[best]
        before = cluster.signature()
        cluster.words.update(words)
        cluster.ids.append(item_id)
        for word in cluster.signature() - before:
            by_word.setdefault(word, []).append(best)
    # a pass in one order splits some themes in two: clusters sharing two of their three leading words merge
    merged: list[Cluster] = []
    for cluster in sorted(clusters, key=lambda cluster: -cluster.count):
        leading = cluster.signature(3)
        into = next((big for big in merged if len(big.signature(3) & leading) >= 2), None)
        if into is None:
            merged.append(cluster)
        else:
            into.words.update(cluster.words)
            into.ids.extend(cluster.ids)
    found = [cluster for cluster in merged if cluster.count >= min_size]
    found.sort(key=lambda cluster: -cluster.count)
    return found
