import sys
from pathlib import Path

import numpy as np
import pytest

from social_crm.core.analysis import VERSION, Analyzer
from social_crm.core.analysis.learned import MODEL_PATH, learned_model, text_features
from social_crm.core.analysis.sentiment import emoji_score, lexicon_languages

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
COMPANY = ("en", "cs", "pl", "ru", "fa", "uk", "de", "es")


@pytest.fixture(scope="module")
def trainer():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import train_analysis_model
    finally:
        sys.path.remove(str(BENCHMARKS))
    return train_analysis_model


def test_the_shipped_model_loads_once_and_covers_the_lexicon_languages():
    assert MODEL_PATH.stat().st_size < 5_000_000
    model = learned_model()
    assert model is learned_model()  # loaded once per process
    assert model.version == VERSION
    assert model.languages == set(lexicon_languages())


def test_features_hold_words_pairs_and_word_pieces():
    features = text_features("Zásilka nedorazila 3 dny", "cs")
    assert {"lang=cs", "zásilka", "nedorazila", "<num>", "zásilka nedorazila", "nedo-", "-ila"} <= features


def test_a_factual_complaint_without_feeling_words_is_a_negative_complaint():
    result = Analyzer(COMPANY).analyse("Paid for 500 Mbps, the speed test shows 40 every evening.")
    assert (result.sentiment_label, result.intent) == ("negative", "complaint")
    assert result.sentiment_score < 0


def test_unsupported_language_keeps_the_emoji_only_fallback():
    analyzer = Analyzer(("en", "fr"))
    result = analyzer.analyse("Le colis est arrivé cassé et personne ne répond au téléphone.")
    assert result.language == "fr"
    assert (result.sentiment_score, result.sentiment_label, result.sentiment_supported) == (0.0, "neutral", False)
    angry = analyzer.analyse("Le colis est arrivé cassé et personne ne répond au téléphone 😡")
    assert not angry.sentiment_supported
    assert angry.sentiment_score == pytest.approx(emoji_score("😡"), abs=1e-4)


def test_training_is_deterministic(trainer):
    posts = trainer.prepare(trainer.read_posts([trainer.DATA / "posts_train_extra.jsonl"])[::4])
    first, second = trainer.fit_stage1(posts, 1e-3), trainer.fit_stage1(posts, 1e-3)
    assert first["vocabulary"] == second["vocabulary"]
    assert np.array_equal(first["weights"], second["weights"]) and np.array_equal(first["bias"], second["bias"])
    inputs = trainer.stage2_matrix(trainer.stage1_log_probabilities(first, posts), posts)
    stage2_first, stage2_second = trainer.fit_stage2(inputs, posts), trainer.fit_stage2(inputs, posts)
    for task in ("sentiment", "intent"):
        assert np.array_equal(stage2_first[task]["weights"], stage2_second[task]["weights"])


def test_training_never_reads_the_test_files(trainer):
    assert not {"posts_heldout_4.jsonl", "posts_heldout_5.jsonl"} & set(trainer.TRAINING_FILES)
