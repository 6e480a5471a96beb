import dataclasses

import pytest

from social_crm.core.analysis import VERSION, Analysis, Analyzer

COMPANY = ("en", "cs", "pl", "ru", "fa", "uk", "de", "es")


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(COMPANY)


def test_a_post_is_analysed_end_to_end(analyzer):
    result = analyzer.analyse("@ShopMart the package arrived broken, the screen is cracked 😡 #fail https://t.co/x")
    assert result.language == "en"
    assert result.language_confidence > 0.9
    assert result.sentiment_label == "negative" and result.sentiment_score < -0.5
    assert result.sentiment_supported
    assert result.intent == "complaint"
    assert result.version == VERSION


def test_analysis_is_frozen(analyzer):
    result = analyzer.analyse("Díky moc, skvělá práce!")
    assert isinstance(result, Analysis)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.intent = "other"


def test_emoji_only_post(analyzer):
    result = analyzer.analyse("😡😡😡")
    assert result.language == "und"
    assert result.sentiment_label == "negative"
    assert not result.sentiment_supported
    assert result.intent == "complaint"


def test_empty_post(analyzer):
    for text in ("", "   ", None):
        result = analyzer.analyse(text)
        assert (result.language, result.sentiment_score, result.sentiment_label, result.intent) == (
            "und",
            0.0,
            "neutral",
            "other",
        )
        assert not result.sentiment_supported


def test_right_to_left_post(analyzer):
    result = analyzer.analyse("@سریع‌نت از صبح اینترنت قطع است و پشتیبانی هم جواب نمی‌دهد 😡")
    assert result.language == "fa"
    assert result.sentiment_label == "negative"
    assert result.intent == "complaint"


def test_mixed_language_post_gets_one_language_and_the_right_polarity(analyzer):
    result = analyzer.analyse("Díky moc za rychlou opravu, great job guys!")
    assert result.language in {"cs", "en"}
    assert result.sentiment_label == "positive"
    assert result.intent == "praise"


def test_huge_post_is_analysed_from_its_beginning(analyzer):
    text = "Das Paket ist kaputt angekommen und niemand antwortet. " + "Bla bla bla. " * 10_000
    assert len(text.encode()) > 100_000
    result = analyzer.analyse(text)
    assert result.language == "de"
    assert result.sentiment_label == "negative"
    assert result.intent == "complaint"


def test_prior_decides_a_short_ambiguous_post(analyzer):
    assert analyzer.analyse("не плохо").language == "und"
    assert analyzer.analyse("не плохо", language_prior="ru_RU").language == "ru"


@pytest.mark.xfail(strict=True, reason="known weakness: the learned model misses negation in two-word posts")
def test_negated_negative_in_a_two_word_post_is_positive(analyzer):
    # the Russian lexicon alone gets this right (test_analysis_sentiment); the learned stage overrides it
    assert analyzer.analyse("не плохо", language_prior="ru_RU").sentiment_label == "positive"


def test_undetermined_language_never_gets_an_english_guess(analyzer):
    result = analyzer.analyse("Le service était vraiment horrible, je suis très déçu.")
    assert result.language == "und"
    assert not result.sentiment_supported
    assert result.sentiment_label == "neutral"


def test_results_are_deterministic(analyzer):
    text = "Ok, díky, super"
    assert len({analyzer.analyse(text) for _ in range(10)}) == 1
    assert Analyzer(COMPANY, detector="langdetect").analyse(text) == Analyzer(COMPANY, detector="langdetect").analyse(
        text
    )


def test_supported_languages_follow_the_configuration():
    assert Analyzer(COMPANY).supported_languages == tuple(sorted(COMPANY))
    assert Analyzer(("en", "de", "fr")).supported_languages == ("de", "en")
    assert set(Analyzer(None).supported_languages) == set(COMPANY)


def test_detectors_are_selectable():
    assert Analyzer(COMPANY).detector_name == "py3langid"
    assert Analyzer(COMPANY, detector="langdetect").detector_name == "langdetect"
    assert Analyzer(COMPANY, detector="langdetect").analyse("Das Paket ist leider kaputt angekommen.").language == "de"
