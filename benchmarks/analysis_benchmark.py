"""Accuracy and speed of social_crm's text analysis.

Reads labelled JSON Lines files (one object per line: ``text``, ``lang`` (ISO
639-1), ``sentiment`` (positive|neutral|negative), ``intent``
(complaint|question|purchase_intent|praise|other); a missing key skips that
metric) and prints, per file and language: language detection accuracy on
posts of five words or more (and on all posts), 3-class sentiment accuracy
and intent macro-F1; then posts per second of the whole analysis on one core.

    python benchmarks/analysis_benchmark.py [FILE.jsonl ...] [--detector auto|py3langid|langdetect] [--all-languages]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from social_crm.core.analysis import Analyzer  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_FILES = [
    DATA / "posts_labelled.jsonl",
    DATA / "posts_heldout.jsonl",
    DATA / "posts_heldout_2.jsonl",
    DATA / "posts_heldout_3.jsonl",
    DATA / "posts_train_extra.jsonl",
    DATA / "posts_heldout_4.jsonl",
    DATA / "posts_heldout_5.jsonl",
    DATA / "vader_tweets_en.jsonl",
]
COMPANY_LANGUAGES = ("en", "cs", "pl", "ru", "fa", "uk", "de", "es")
MIN_WORDS_FOR_DETECTION = 5
GOALS = (
    "goals: sentiment >= 0.90 en / >= 0.85 others, intent macro-F1 >= 0.80, "
    "language >= 0.97 (5+ words), >= 5000 posts/s"
)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {gold for gold, _ in pairs} | {predicted for _, predicted in pairs}
    scores = []
    for label in labels:
        true_positive = sum(1 for gold, predicted in pairs if gold == label and predicted == label)
        predicted_count = sum(1 for _, predicted in pairs if predicted == label)
        gold_count = sum(1 for gold, _ in pairs if gold == label)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / gold_count if gold_count else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def _ratio(hits: list[bool]) -> str:
    return f"{sum(hits) / len(hits):.3f}" if hits else "-"


def evaluate(analyzer: Analyzer, records: list[dict]) -> dict[str, dict[str, str]]:
    """Metrics per gold language, plus "all"."""
    language_long, language_all, sentiment_hits = defaultdict(list), defaultdict(list), defaultdict(list)
    intent_pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record in records:
        result = analyzer.analyse(record["text"])
        for group in (record.get("lang", "?"), "all"):
            if "lang" in record:
                language_all[group].append(result.language == record["lang"])
                if len(record["text"].split()) >= MIN_WORDS_FOR_DETECTION:
                    language_long[group].append(result.language == record["lang"])
            if "sentiment" in record:
                sentiment_hits[group].append(result.sentiment_label == record["sentiment"])
            if "intent" in record:
                intent_pairs[group].append((record["intent"], result.intent))
    groups = sorted({record.get("lang", "?") for record in records}) + ["all"]
    return {
        group: {
            "n": str(len(language_all[group]) or len(sentiment_hits[group])),
            "lang(5+ words)": _ratio(language_long[group]),
            "lang(all)": _ratio(language_all[group]),
            "sentiment": _ratio(sentiment_hits[group]),
            "intent F1": f"{macro_f1(intent_pairs[group]):.3f}" if intent_pairs[group] else "-",
        }
        for group in groups
    }


def posts_per_second(analyzer: Analyzer, texts: list[str], rounds: int = 5) -> tuple[float, float]:
    """(best, median) posts per CPU second of the whole analysis, single-threaded, over ``rounds`` passes.

    CPU time rather than wall-clock time, and the best pass as ``timeit`` does, because the
    machine is shared: other processes slow some passes down but never speed one up.
    """
    for text in texts[:200]:  # warm caches and lazily loaded lexicons
        analyzer.analyse(text)
    rates = []
    for _ in range(rounds):
        started = time.process_time()
        for text in texts:
            analyzer.analyse(text)
        rates.append(len(texts) / (time.process_time() - started))
    return max(rates), statistics.median(rates)


def print_table(title: str, rows: dict[str, dict[str, str]]) -> None:
    columns = ["n", "lang(5+ words)", "lang(all)", "sentiment", "intent F1"]
    print(f"\n{title}")
    print(f"| {'language':8} | " + " | ".join(f"{c:>14}" for c in columns) + " |")
    print(f"|{'-' * 10}|" + "|".join("-" * 16 for _ in columns) + "|")
    for group, metrics in rows.items():
        print(f"| {group:8} | " + " | ".join(f"{metrics[c]:>14}" for c in columns) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="labelled JSON Lines files (default: the committed sets)")
    parser.add_argument("--detector", default="auto", choices=("auto", "py3langid", "langdetect"))
    parser.add_argument("--all-languages", action="store_true", help="detect among all languages, not the company's")
    parser.add_argument("--rounds", type=int, default=5, help="passes over all posts for the speed measurement")
    options = parser.parse_args(argv)

    files = options.files or [path for path in DEFAULT_FILES if path.exists()]
    languages = None if options.all_languages else COMPANY_LANGUAGES
    analyzer = Analyzer(languages=languages, detector=options.detector)
    print(f"detector: {analyzer.detector_name}; languages: {'all' if languages is None else ','.join(languages)}")
    print(GOALS)
    all_texts: list[str] = []
    for path in files:
        records = read_jsonl(path)
        all_texts.extend(record["text"] for record in records)
        print_table(f"{path.name} ({len(records)} posts)", evaluate(analyzer, records))
    best, median = posts_per_second(analyzer, all_texts, options.rounds)
    print(
        f"\nspeed: {best:,.0f} posts per CPU second on one core"
        f" (best of {options.rounds} passes; median {median:,.0f}); whole analysis of all {len(all_texts)} posts above"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
