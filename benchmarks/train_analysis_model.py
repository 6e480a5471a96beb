"""Train the learned stage of social_crm's sentiment and intent analysis (see ``social_crm/core/analysis/learned.py``).

Reads the training posts (never ``posts_heldout_4.jsonl`` or ``posts_heldout_5.jsonl``: they are the tests) and
four fifths of the permissively licensed (MIT) human-rated English sentences of VADER (``vader_tweets_en.jsonl`` here,
the Amazon, movie and NYT snippets from ``--public-data``, by default ``../shared/real-sentiment``: sentiment only,
no intent; the other fifth is the benchmark's), fits

1. stage 1 per task: softmax regression over the posts' word and word-piece features;
2. stage 2 per task: softmax regression over stage 1's out-of-fold log-probabilities and the lexicon and rule signals;

and writes ``social_crm/core/analysis/data/model/analysis_model.json.gz``; first it builds the compact lemma tables
(``social_crm/core/analysis/data/lemmas/<lang>.json.gz``, see ``lemmas.py``) from simplemma's dictionaries, which is
why simplemma is a training requirement (``requirements-train.txt``) and not a run-time one.  Folds keep the
translations of one post together (the files hold each post in all eight languages), so cross-validation scores
posts whose content no fold-mate has seen.  Deterministic: sorted inputs, fixed folds, full-batch gradient descent.

    python benchmarks/train_analysis_model.py [--output PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis_benchmark import TRAINING_FILES_PERMISSIVE, held_out  # noqa: E402

from social_crm.core.analysis import VERSION  # noqa: E402
from social_crm.core.analysis.intent import INTENTS, IntentClassifier, shipped_keywords  # noqa: E402
from social_crm.core.analysis.learned import (  # noqa: E402
    MODEL_PATH,
    SENTIMENTS,
    log_softmax,
    sentiment_from_probabilities,
    stage2_features,
    text_features,
)
from social_crm.core.analysis.lemmas import lemma_table, write_lemma_table  # noqa: E402
from social_crm.core.analysis.normalize import normalize_text  # noqa: E402
from social_crm.core.analysis.sentiment import LexiconScorer, lexicon_languages, scorer_for, sentiment  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
TRAINING_FILES = (
    "posts_labelled.jsonl",
    "posts_heldout.jsonl",
    "posts_heldout_2.jsonl",
    "posts_heldout_3.jsonl",
    "posts_train_extra.jsonl",
)
FOLDS = 5
#: a feature seen in fewer training posts is noise and only grows the model
MIN_FEATURE_COUNT = 2
#: L2 strengths and neutral bands tried by cross-validation
STAGE1_L2_GRID = (3e-4, 1e-3)
STAGE2_L2 = 1e-2
THRESHOLD_GRID = (0.15, 0.25, 0.35)
#: gradient steps of stage 1 (unit-length rows) and of stage 2 (wider-ranged inputs, smaller steps)
STAGE1_ITERATIONS, STAGE2_ITERATIONS = 400, 4000
WEIGHT_DECIMALS = 5


PUBLIC_DATA = ROOT.parent / "shared" / "real-sentiment"


def read_posts(paths: list[Path]) -> list[dict]:
    """Labelled posts of the lexicon languages, each with ``group``: the post's id shared by its translations.

    Of the permissive public files, only the lines outside the benchmark's held-out fifth.
    """
    posts = []
    for path in paths:
        position: Counter = Counter()
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                record = json.loads(line)
                language = record["lang"]
                if language not in lexicon_languages() or "sentiment" not in record:
                    continue
                if path.name in TRAINING_FILES_PERMISSIVE and held_out(record["text"]):
                    continue
                record["group"] = f"{path.name}:{position[language]}"
                position[language] += 1
                posts.append(record)
    return posts


def prepare(posts: list[dict]) -> list[dict]:
    """Normalised text, features, lexicon score and rule points of each post (its gold language: detection is ~1.0)."""
    rules = IntentClassifier(shipped_keywords())
    prepared = []
    for post in posts:
        clean = normalize_text(post["text"])
        score = sentiment(clean, post["lang"])[0]
        prepared.append(
            {
                **post,
                "clean": clean,
                "features": text_features(clean, post["lang"]),
                "lexicon_score": score,
                "rule_points": rules.scores(clean, post["lang"], score),
            }
        )
    return prepared


class Rows:
    """An input matrix by rows, dense or sparse (stage 1's features: about 1% of them are present in a post)."""

    def __init__(self, dense: np.ndarray | None = None, sparse: tuple[list[list[int]], int] | None = None):
        if dense is not None:
            self._dense = dense
            self.count, self.width = dense.shape
            self.max_square_norm = float((dense**2).sum(axis=1).max())
            return
        columns_by_row, self.width = sparse
        self._dense = None
        self.count = len(columns_by_row)
        # every present feature of a row weighs 1/sqrt(count): rows of unit length, as LearnedModel reads them
        self._rows = np.repeat(np.arange(self.count), [len(columns) for columns in columns_by_row])
        self._columns = np.array([column for columns in columns_by_row for column in columns], dtype=np.int64)
        self._values = np.concatenate(
            [np.full(len(columns), 1.0 / np.sqrt(max(len(columns), 1))) for columns in columns_by_row]
        )
        self.max_square_norm = 1.0

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """inputs @ weights"""
        if self._dense is not None:
            return self._dense @ weights
        products = weights[self._columns] * self._values[:, None]
        return np.stack([np.bincount(self._rows, products[:, k], self.count) for k in range(weights.shape[1])], axis=1)

    def transposed_dot(self, errors: np.ndarray) -> np.ndarray:
        """inputs.T @ errors"""
        if self._dense is not None:
            return self._dense.T @ errors
        products = errors[self._rows] * self._values[:, None]
        return np.stack(
            [np.bincount(self._columns, products[:, k], self.width) for k in range(errors.shape[1])], axis=1
        )


def fit_softmax(
    inputs: Rows, labels: np.ndarray, classes: int, l2: float, iterations: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias of an L2-regularised softmax regression: Nesterov's accelerated full-batch gradient descent.

    ``weights``: how much each row counts, scaled to mean 1 (so the Hessian's trace, and the safe step, stay as
    unweighted).
    """
    row_weights = np.ones(len(labels)) if weights is None else weights / weights.mean()
    targets = np.eye(classes)[labels]
    # the mean cross-entropy's gradient is Lipschitz with at most (max ||x||^2 + 1) / 2 (+ l2): a safe fixed step
    step = 1.0 / (0.5 * (inputs.max_square_norm + 1.0) + l2)
    weights, bias = np.zeros((inputs.width, classes)), np.zeros(classes)
    previous_weights, previous_bias = weights, bias
    for iteration in range(1, iterations + 1):
        momentum = (iteration - 1) / (iteration + 2)
        look_weights = weights + momentum * (weights - previous_weights)
        look_bias = bias + momentum * (bias - previous_bias)
        logits = inputs.dot(look_weights) + look_bias
        shifted = logits - logits.max(axis=1, keepdims=True)
        probabilities = np.exp(shifted)
        errors = (probabilities / probabilities.sum(axis=1, keepdims=True) - targets) * row_weights[:, None]
        previous_weights, previous_bias = weights, bias
        weights = look_weights - step * (inputs.transposed_dot(errors) / inputs.count + l2 * look_weights)
        bias = look_bias - step * errors.mean(axis=0)
    return weights, bias


def vocabulary_of(posts: list[dict]) -> list[str]:
    counts = Counter(feature for post in posts for feature in post["features"])
    return sorted(feature for feature, count in counts.items() if count >= MIN_FEATURE_COUNT)


def feature_rows(posts: list[dict], vocabulary: list[str]) -> Rows:
    index = {feature: column for column, feature in enumerate(vocabulary)}
    columns = [sorted(index[feature] for feature in post["features"] if feature in index) for post in posts]
    return Rows(sparse=(columns, len(vocabulary)))


def label_arrays(posts: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Sentiment and intent class numbers; intent -1 where a post has none (the public sentences)."""
    return (
        np.array([SENTIMENTS.index(post["sentiment"]) for post in posts]),
        np.array([INTENTS.index(post["intent"]) if "intent" in post else -1 for post in posts]),
    )


def with_intent(posts: list[dict]) -> list[dict]:
    return [post for post in posts if "intent" in post]


def post_weights(posts: list[dict]) -> np.ndarray:
    """The project's posts (those with an intent) weigh as much together as the far more numerous public sentences:
    they are the product's domain, and the public sentences teach what real posts look like."""
    own = np.array(["intent" in post for post in posts])
    if own.all() or not own.any():
        return np.ones(len(posts))
    return np.where(own, (~own).sum() / own.sum(), 1.0)


def fit_stage1(posts: list[dict], l2: float) -> dict:
    vocabulary = vocabulary_of(posts)
    rows = feature_rows(posts, vocabulary)
    sentiments, _ = label_arrays(posts)
    _, intents = label_arrays(with_intent(posts))
    sentiment_weights, sentiment_bias = fit_softmax(
        rows, sentiments, len(SENTIMENTS), l2, STAGE1_ITERATIONS, post_weights(posts)
    )
    intent_rows = feature_rows(with_intent(posts), vocabulary)
    intent_weights, intent_bias = fit_softmax(intent_rows, intents, len(INTENTS), l2, STAGE1_ITERATIONS)
    return {
        "vocabulary": vocabulary,
        "weights": np.hstack([sentiment_weights, intent_weights]),
        "bias": np.concatenate([sentiment_bias, intent_bias]),
    }


def stage1_log_probabilities(stage1: dict, posts: list[dict]) -> np.ndarray:
    logits = feature_rows(posts, stage1["vocabulary"]).dot(stage1["weights"]) + stage1["bias"]
    width = len(SENTIMENTS)
    return np.hstack([log_softmax(logits[:, :width]), log_softmax(logits[:, width:])])


def stage2_matrix(log_probabilities: np.ndarray, posts: list[dict]) -> np.ndarray:
    return np.array(
        [
            stage2_features(list(row), post["lang"], post["lexicon_score"], post["rule_points"], post["clean"])
            for row, post in zip(log_probabilities, posts, strict=True)
        ]
    )


def fold_of(post: dict) -> int:
    """A fixed fold per post id, the same for all its translations."""
    return sum(post["group"].encode()) % FOLDS


def out_of_fold_stage1(posts: list[dict], l2: float) -> np.ndarray:
    result = np.zeros((len(posts), len(SENTIMENTS) + len(INTENTS)))
    for fold in range(FOLDS):
        training = [post for post in posts if fold_of(post) != fold]
        held = [index for index, post in enumerate(posts) if fold_of(post) == fold]
        result[held] = stage1_log_probabilities(fit_stage1(training, l2), [posts[index] for index in held])
    return result


def fit_stage2(inputs: np.ndarray, posts: list[dict]) -> dict:
    sentiments, intents = label_arrays(posts)
    sentiment_weights, sentiment_bias = fit_softmax(
        Rows(inputs), sentiments, len(SENTIMENTS), STAGE2_L2, STAGE2_ITERATIONS, post_weights(posts)
    )
    labelled = intents >= 0
    intent_weights, intent_bias = fit_softmax(
        Rows(inputs[labelled]), intents[labelled], len(INTENTS), STAGE2_L2, STAGE2_ITERATIONS
    )
    return {
        "sentiment": {"weights": sentiment_weights, "bias": sentiment_bias},
        "intent": {"weights": intent_weights, "bias": intent_bias},
    }


def stage2_predictions(stage2: dict, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return tuple(
        np.exp(log_softmax(inputs @ stage2[task]["weights"] + stage2[task]["bias"])) for task in ("sentiment", "intent")
    )


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    scores = []
    for label in sorted(set(gold) | set(predicted)):
        true_positive = int(((gold == label) & (predicted == label)).sum())
        precision = true_positive / max(int((predicted == label).sum()), 1)
        recall = true_positive / max(int((gold == label).sum()), 1)
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def cross_validate(posts: list[dict], stage1_out_of_fold: np.ndarray, threshold: float) -> dict[str, float]:
    """Sentiment accuracy and intent macro-F1 of the stack, stage 2 fitted on the other folds each time."""
    inputs = stage2_matrix(stage1_out_of_fold, posts)
    sentiments, intents = label_arrays(posts)
    predicted_sentiments, predicted_intents = np.zeros(len(posts), dtype=int), np.zeros(len(posts), dtype=int)
    folds = np.array([fold_of(post) for post in posts])
    for fold in range(FOLDS):
        training = folds != fold
        stage2 = fit_stage2(inputs[training], [post for post, keep in zip(posts, training, strict=True) if keep])
        sentiment_probabilities, intent_probabilities = stage2_predictions(stage2, inputs[~training])
        predicted_sentiments[~training] = [
            SENTIMENTS.index(sentiment_from_probabilities(list(row), threshold)[1]) for row in sentiment_probabilities
        ]
        predicted_intents[~training] = intent_probabilities.argmax(axis=1)
    # the lexicons were tuned on every file but the extra one: only its scores are free of that optimism
    extra = np.array([post["group"].startswith("posts_train_extra") for post in posts])
    own = intents >= 0
    public = ~own
    return {
        "sentiment": float((predicted_sentiments[own] == sentiments[own]).mean()),
        "intent F1": macro_f1(intents[own], predicted_intents[own]),
        "extra sentiment": float((predicted_sentiments[extra] == sentiments[extra]).mean()),
        "extra intent F1": macro_f1(intents[extra], predicted_intents[extra]),
        "public sentiment F1": macro_f1(sentiments[public], predicted_sentiments[public]) if public.any() else 0.0,
    }


def rounded(array: np.ndarray) -> list:
    return np.round(array, WEIGHT_DECIMALS).tolist()


def train(posts: list[dict], report: bool = True) -> dict:
    """The model file's content, trained on ``posts`` with the L2 strength and neutral band cross-validation picks."""
    posts = prepare(posts)
    best = None
    for l2 in STAGE1_L2_GRID:
        out_of_fold = out_of_fold_stage1(posts, l2)
        for threshold in THRESHOLD_GRID:
            scores = cross_validate(posts, out_of_fold, threshold)
            if report:
                print(
                    f"stage 1 l2={l2:g} neutral band={threshold:g}: "
                    + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
                )
            # the extra posts' scores are the honest half: the lexicons flatter the other files
            quality = sum(scores.values())
            if best is None or quality > best[0]:
                best = (quality, l2, threshold, out_of_fold)
    _, l2, threshold, out_of_fold = best
    if report:
        print(f"chosen: stage 1 l2={l2:g}, neutral band={threshold:g}")
    stage2 = fit_stage2(stage2_matrix(out_of_fold, posts), posts)
    stage1 = fit_stage1(posts, l2)
    return {
        "version": VERSION,
        "languages": sorted({post["lang"] for post in posts}),
        "sentiment_threshold": threshold,
        "features": stage1["vocabulary"],
        "stage1": {"weights": rounded(stage1["weights"]), "bias": rounded(stage1["bias"])},
        "stage2": {
            task: {"weights": rounded(stage2[task]["weights"]), "bias": rounded(stage2[task]["bias"])}
            for task in stage2
        },
    }


def lemma_forms(scorer: LexiconScorer, dictionary) -> dict[str, str]:
    """``{form: lemma}`` of the dictionary's lower-case forms whose lemma has a valence and the form none.

    The dictionary's own lemma of a form preselects it (a plain lookup, fast); the lemma kept is
    ``simplemma.lemmatize``'s, what the analyzer asked at run time before the table existed.
    """
    import simplemma  # a training requirement only

    table = {}
    for key in dictionary:
        form = key.lower()
        if " " in form or form in table or scorer.lexicon_valence(form) is not None:
            continue
        if scorer.lexicon_valence(dictionary[key].lower()) is None:
            continue
        lemma = simplemma.lemmatize(form, lang=scorer.language).lower()
        if lemma != form and scorer.lexicon_valence(lemma) is not None:
            table[form] = lemma
    return table


def build_lemma_tables(report: bool = True) -> None:
    """The lemma table of every lexicon that asks for lemmas, from simplemma's dictionaries (one at a time)."""
    import simplemma  # a training requirement only
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    source = f"simplemma {simplemma.__version__} dictionaries, restricted to forms of lexicon entries"
    for language in lexicon_languages():
        scorer = scorer_for(language)
        if not isinstance(scorer, LexiconScorer) or not scorer.lemmatizes:
            continue
        table = lemma_forms(scorer, DefaultDictionaryFactory(cache_max_size=0).get_dictionary(language))
        path = write_lemma_table(language, table, source)
        lemma_table.cache_clear()
        if report:
            print(f"lemmas {language}: {len(table):,} forms; written {path} ({path.stat().st_size:,} bytes)")
    scorer_for.cache_clear()  # the scorers built above read the old tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    parser.add_argument("--public-data", type=Path, default=PUBLIC_DATA, help="folder of the VADER snippet files")
    parser.add_argument("--skip-lemmas", action="store_true", help="keep the lemma tables as they are")
    options = parser.parse_args(argv)
    if not options.skip_lemmas:
        build_lemma_tables()
    public = [DATA / TRAINING_FILES_PERMISSIVE[0]] + [
        options.public_data / name for name in TRAINING_FILES_PERMISSIVE[1:]
    ]
    missing = [str(path) for path in public if not path.is_file()]
    if missing:
        parser.error(f"missing public training files: {', '.join(missing)} (see --public-data)")
    posts = read_posts([DATA / name for name in TRAINING_FILES] + public)
    sources = ', '.join(TRAINING_FILES + TRAINING_FILES_PERMISSIVE)
    print(f"{len(posts)} training posts from {sources} (of the last four: four fifths)")
    model = train(posts)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same model gives the same bytes
    with gzip.GzipFile(options.output, "wb", mtime=0) as handle:
        handle.write(json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    print(f"{len(model['features'])} features; written {options.output} ({options.output.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
