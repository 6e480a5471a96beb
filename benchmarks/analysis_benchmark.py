"""Accuracy and speed of social_crm's text analysis, on the project's files or on public labelled data.

Reads labelled JSON Lines files (one object per line: ``text``, ``lang`` (ISO 639-1) and any of
``sentiment`` (positive|neutral|negative), ``intent`` (complaint|question|purchase_intent|praise|other),
``complaint`` (true|false); a missing key skips that metric) and prints, per file and language:

* language detection accuracy on posts of five words or more (and on all posts);
* sentiment accuracy and macro-F1, the confusion matrix (gold rows, predicted columns), the
  majority-class baseline and, for English, plain VADER (``vaderSentiment`` untouched, compound
  score, its own +-0.05 thresholds) side by side;
* intent macro-F1; complaint F1 (the complaint class; "complaint" is the analysis' intent) and the
  macro-F1 of complaint vs not (the metric of Preotiuc-Pietro et al. 2019);

then posts per second of the whole analysis on one core.

Macro-F1 is the mean F1 over the classes present in the file's gold labels.  A file without gold
neutral posts (binary, e.g. the Mozetic tweets) is scored as it is, a neutral prediction counting
as wrong; the "polar" columns beside it also score the sign of the sentiment score (a score of
exactly 0, no opinion found, still counts as wrong), which is what a two-class classifier answers.

``--json PATH`` writes the figures; ``--compare PATH`` prints a stored run's figures beside the
new ones (how the README's old-vs-new table was made: run once with ``--code`` pointing at a
checkout of the old analyzer, ``git archive <commit> | tar -x -C DIR``).

    python benchmarks/analysis_benchmark.py [FILE.jsonl ...] [--detector auto|py3langid|langdetect]
        [--all-languages] [--gold-language] [--json OUT] [--compare OLD.json] [--code CHECKOUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

from process_memory import peak_resident_mb, resident_mb

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
#: one post per company language: the first post of a language loads its lexicon and lemma table
FIRST_POSTS = (
    "My router stopped working again.", "Router mi zase přestal fungovat.", "Router znowu przestał działać.",
    "Роутер снова перестал работать.", "روتر من دوباره از کار افتاد.", "Роутер знову перестав працювати.",
    "Mein Router funktioniert schon wieder nicht.", "Mi router ha dejado de funcionar otra vez.",
)  # fmt: skip
MIN_WORDS_FOR_DETECTION = 5
SENTIMENTS = ("negative", "neutral", "positive")
GOALS = (
    "goals: English >= plain VADER on every file and macro-F1 >= 0.65 on XLM-T en; other languages macro-F1 >= 0.60"
    " and accuracy above the majority class; complaint F1 >= 0.75; own held-out files sentiment >= 0.85,"
    " intent macro-F1 >= 0.80; >= 2000 posts/s"
)
#: the permissively licensed public files the learned stage trains on (MIT, see benchmarks/data/README.md);
#: the benchmark scores only their held-out fifth, which training never reads
TRAINING_FILES_PERMISSIVE = (
    "vader_tweets_en.jsonl",
    "vader_amazon_snippets_en.jsonl",
    "vader_movie_snippets_en.jsonl",
    "vader_nyt_snippets_en.jsonl",
)
#: VADER's own thresholds for its compound score
VADER_THRESHOLD = 0.05


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def sample(records: list[dict], per_language: int) -> list[dict]:
    """At most ``per_language`` records of each language, chosen by a fixed hash of the
    text (the same sample on every run and machine), in the file's order."""
    chosen = set()
    by_language: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        by_language.setdefault(record.get("lang"), []).append(index)
    for indexes in by_language.values():
        indexes.sort(key=lambda index: zlib.crc32(("sample:" + records[index]["text"]).encode("utf-8")))
        chosen.update(indexes[:per_language])
    return [record for index, record in enumerate(records) if index in chosen]


def held_out(text: str) -> bool:
    """Whether a line of a permissive training file is in its held-out fifth (a fixed hash of the text)."""
    return zlib.crc32(text.encode("utf-8")) % 5 == 0


def f1_of(pairs: list[tuple[str, str]], label: str) -> float:
    true_positive = sum(1 for gold, predicted in pairs if gold == label and predicted == label)
    predicted_count = sum(1 for _, predicted in pairs if predicted == label)
    gold_count = sum(1 for gold, _ in pairs if gold == label)
    precision = true_positive / predicted_count if predicted_count else 0.0
    recall = true_positive / gold_count if gold_count else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    """Mean F1 over the gold classes (a predicted class absent from the gold labels only costs precision)."""
    labels = sorted({gold for gold, _ in pairs})
    return sum(f1_of(pairs, label) for label in labels) / len(labels) if labels else 0.0


def accuracy(pairs: list[tuple[str, str]]) -> float:
    return sum(gold == predicted for gold, predicted in pairs) / len(pairs) if pairs else 0.0


def majority(pairs: list[tuple[str, str]]) -> tuple[str, float, float]:
    """The most frequent gold class, and the accuracy and macro-F1 of always answering it."""
    label = Counter(gold for gold, _ in pairs).most_common(1)[0][0]
    constant = [(gold, label) for gold, _ in pairs]
    return label, accuracy(constant), macro_f1(constant)


def confusion(pairs: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    counts = Counter(pairs)
    return {gold: {predicted: counts[(gold, predicted)] for predicted in SENTIMENTS} for gold in SENTIMENTS}


def polar_label(score: float) -> str:
    return "positive" if score > 0 else "negative" if score < 0 else "none"


class PlainVader:
    """vaderSentiment as shipped, on the raw text: the reference the issue asks English to beat."""

    def __init__(self):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()

    def score(self, text: str) -> float:
        return self._vader.polarity_scores(text)["compound"]

    def label(self, text: str) -> str:
        score = self.score(text)
        return "positive" if score >= VADER_THRESHOLD else "negative" if score <= -VADER_THRESHOLD else "neutral"


def evaluate(
    analyzer, records: list[dict], vader: PlainVader, gold_language: bool, group_by: str = ""
) -> dict[str, dict]:
    """Figures per gold language (or per value of the ``group_by`` key), plus "all"."""
    pairs: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        language = record.get("lang", "?")
        own_group = str(record.get(group_by, "?")) if group_by else language
        if gold_language:
            score, label, _supported = analyzer.sentiment(record["text"], language)
            result = analyzer.analyse(record["text"], language_hint=language)
            detected = result.language
        else:
            result = analyzer.analyse(record["text"])
            score, label, detected = result.sentiment_score, result.sentiment_label, result.language
        for group in (own_group, "all"):
            bucket = pairs[group]
            bucket["language"].append((language, detected))
            if len(record["text"].split()) >= MIN_WORDS_FOR_DETECTION:
                bucket["language_long"].append((language, detected))
            if "sentiment" in record:
                bucket["sentiment"].append((record["sentiment"], label))
                bucket["polar"].append((record["sentiment"], polar_label(score)))
                if language == "en" and group == own_group:
                    bucket["vader"].append((record["sentiment"], vader.label(record["text"])))
                    bucket["vader_polar"].append((record["sentiment"], polar_label(vader.score(record["text"]))))
            if "intent" in record:
                bucket["intent"].append((record["intent"], result.intent))
            if "complaint" in record:
                bucket["complaint"].append((bool(record["complaint"]), result.intent == "complaint"))
    return {group: figures(bucket) for group, bucket in sorted(pairs.items(), key=lambda item: item[0] == "all")}


def figures(bucket: dict[str, list]) -> dict:
    result: dict = {"n": len(bucket["language"])}
    result["lang(5+ words)"] = accuracy(bucket["language_long"]) if bucket["language_long"] else None
    result["lang(all)"] = accuracy(bucket["language"])
    sentiment = bucket.get("sentiment")
    if sentiment:
        label, majority_accuracy, majority_f1 = majority(sentiment)
        result.update(
            {
                "sentiment acc": accuracy(sentiment),
                "sentiment F1": macro_f1(sentiment),
                "majority": label,
                "majority acc": majority_accuracy,
                "majority F1": majority_f1,
                "confusion": confusion(sentiment),
                "binary": not any(gold == "neutral" for gold, _ in sentiment),
            }
        )
        if result["binary"]:
            result["polar acc"] = accuracy(bucket["polar"])
            result["polar F1"] = macro_f1(bucket["polar"])
        if bucket.get("vader"):
            result["VADER acc"] = accuracy(bucket["vader"])
            result["VADER F1"] = macro_f1(bucket["vader"])
            if result["binary"]:
                result["VADER polar acc"] = accuracy(bucket["vader_polar"])
                result["VADER polar F1"] = macro_f1(bucket["vader_polar"])
    if bucket.get("intent"):
        result["intent F1"] = macro_f1(bucket["intent"])
    if bucket.get("complaint"):
        complaint = [(str(gold), str(predicted)) for gold, predicted in bucket["complaint"]]
        result["complaint F1"] = f1_of(complaint, "True")
        result["complaint macro-F1"] = macro_f1(complaint)
        result["complaint majority F1"] = macro_f1([(gold, "False") for gold, _ in complaint])
    return result


def posts_per_second(analyzer, texts: list[str], rounds: int = 5) -> tuple[float, float]:
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


COLUMNS = (
    "n", "lang(5+ words)", "sentiment acc", "sentiment F1", "majority acc", "majority F1",
    "VADER acc", "VADER F1", "polar acc", "polar F1", "VADER polar F1", "intent F1", "complaint F1",
    "complaint macro-F1",
)  # fmt: skip


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def print_table(title: str, rows: dict[str, dict], old: dict[str, dict] | None, heading: str = "language") -> None:
    columns = [column for column in COLUMNS if any(column in metrics for metrics in rows.values())]
    print(f"\n{title}" + ("  (old -> new)" if old else ""))
    print(f"| {heading} | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for group, metrics in rows.items():
        cells = []
        for column in columns:
            cell = _cell(metrics.get(column))
            previous = (old or {}).get(group, {}).get(column)
            if previous is not None and column != "n" and not column.startswith(("majority", "VADER")):
                cell = f"{_cell(previous)} -> {cell}"
            cells.append(cell)
        print(f"| {group} | " + " | ".join(cells) + " |")
    for group, metrics in rows.items():
        if group != "all" and "confusion" in metrics:
            matrix = metrics["confusion"]
            shown = [label for label in SENTIMENTS if sum(matrix[label].values())]
            print(
                f"  confusion {group} (gold: predicted neg/neu/pos): "
                + "; ".join(f"{label[:3]} {' '.join(str(matrix[label][p]) for p in SENTIMENTS)}" for label in shown)
                + ("  [binary file: no gold neutral]" if metrics["binary"] else "")
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="labelled JSON Lines files (default: the committed sets)")
    parser.add_argument("--detector", default="auto", choices=("auto", "py3langid", "langdetect"))
    parser.add_argument("--all-languages", action="store_true", help="detect among all languages, not the company's")
    parser.add_argument("--gold-language", action="store_true", help="score sentiment in the file's language")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the posts for the speed measurement")
    parser.add_argument("--speed-posts", type=int, default=20000, help="posts timed (the first N of all files)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--compare", type=Path, help="a --json file of an earlier run, shown beside the new figures")
    parser.add_argument(
        "--whole-files", action="store_true", help="score the training files whole, not their held-out part"
    )
    parser.add_argument("--code", type=Path, help="import the analyzer from this checkout (default: this one)")
    parser.add_argument("--sample", type=int, metavar="N", help="score at most N posts per file and language")
    parser.add_argument(
        "--group-by",
        metavar="KEY",
        default="",
        help="rows per value of this key of the records instead of per language (e.g. domain)",
    )
    options = parser.parse_args(argv)

    sys.path.insert(0, str(options.code or Path(__file__).resolve().parent.parent))
    from social_crm.core.analysis import VERSION, Analyzer  # imported here: --code chooses the checkout

    files = options.files or [path for path in DEFAULT_FILES if path.exists()]
    languages = None if options.all_languages else COMPANY_LANGUAGES
    started, started_cpu = time.perf_counter(), time.process_time()
    analyzer = Analyzer(languages=languages, detector=options.detector)
    constructed = time.perf_counter() - started
    for text in FIRST_POSTS:
        analyzer.analyse(text)
    print(f"analyzer {VERSION}; detector: {analyzer.detector_name}; languages: {','.join(languages or ('all',))}")
    print(
        f"start-up: constructed in {constructed:.2f} s; ready after one post per company language in"
        f" {time.perf_counter() - started:.2f} s ({time.process_time() - started_cpu:.2f} s CPU);"
        f" resident memory {resident_mb():.0f} MB"
    )
    print(GOALS)
    old = json.loads(options.compare.read_text(encoding="utf-8")) if options.compare else {}
    vader = PlainVader()
    results: dict = {"version": VERSION, "files": {}}
    all_texts: list[str] = []
    for path in files:
        records = read_jsonl(path)
        title = f"{path.name} ({len(records)} posts)"
        if path.name in TRAINING_FILES_PERMISSIVE and not options.whole_files:
            records = [record for record in records if held_out(record["text"])]
            title = f"{path.name}, held-out fifth only ({len(records)} posts; the rest trains the learned stage)"
        if options.sample:
            records = sample(records, options.sample)
            title += f", a sample of at most {options.sample} per language ({len(records)} posts)"
        all_texts.extend(record["text"] for record in records)
        rows = evaluate(analyzer, records, vader, options.gold_language, options.group_by)
        results["files"][path.name] = rows
        print_table(title, rows, old.get("files", {}).get(path.name), options.group_by or "language")
    best, median = posts_per_second(analyzer, all_texts[: options.speed_posts], options.rounds)
    results["posts per second"] = best
    print(
        f"\nspeed: {best:,.0f} posts per CPU second on one core (best of {options.rounds} passes; median"
        f" {median:,.0f}); whole analysis of the first {min(len(all_texts), options.speed_posts)} posts above"
    )
    print(
        f"resident memory after the run: {resident_mb():.0f} MB"
        f" (peak {peak_resident_mb():.0f} MB)"
    )
    if options.json:
        options.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
