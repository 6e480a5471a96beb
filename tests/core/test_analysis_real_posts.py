"""What real posts do to the analysis: contrast, negation, sarcasm, emoji only, mixed languages, right-to-left text.

These are the rules of ``sentiment.py`` (the lexicon stage) and what the whole analyzer makes of them.
"""

import json

import pytest

from social_crm.core.analysis import Analyzer
from social_crm.core.analysis.normalize import normalize_text
from social_crm.core.analysis.sentiment import scored_sentiment, sentiment

COMPANY = ("en", "cs", "pl", "ru", "fa", "uk", "de", "es")

#: "good phone but the support is awful": the clause after the contrast decides
CONTRASTS = {
    "en": "Good phone but the support is awful",
    "cs": "Dobrý telefon, ale podpora je hrozná",
    "pl": "Dobry telefon, ale obsługa jest okropna",
    "ru": "Хороший телефон, но поддержка ужасная",
    "uk": "Гарний телефон, але підтримка жахлива",
    "de": "Gutes Handy, aber der Support ist furchtbar",
    "es": "Buen teléfono, pero el soporte es horrible",
    "fa": "گوشی خوبی است اما پشتیبانی افتضاح است",
}
#: the reverse order: a complaint conceded, then praise
REVERSED_CONTRASTS = {
    "en": "The delivery was slow but the phone is excellent",
    "cs": "Doručení bylo pomalé, ale telefon je skvělý",
    "pl": "Dostawa była wolna, ale telefon jest świetny",
    "ru": "Доставка была медленной, но телефон отличный",
    "uk": "Доставка була повільна, але телефон чудовий",
    "de": "Die Lieferung war langsam, aber das Handy ist hervorragend",
    "es": "La entrega fue lenta, pero el teléfono es excelente",
    "fa": "ارسال دیر بود اما گوشی عالی است",
}
#: a negated positive word
NEGATED_POSITIVES = {
    "en": "The support was not helpful",
    "cs": "Podpora nebyla ochotná",
    "pl": "Obsługa nie była pomocna",
    "ru": "Поддержка не помогла",
    "uk": "Підтримка не допомогла",
    "de": "Der Support war nicht hilfsbereit",
    "es": "El soporte no fue amable",
    "fa": "پشتیبانی راضی نیست",
}


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(languages=COMPANY)


@pytest.mark.parametrize("language", sorted(CONTRASTS))
def test_the_clause_after_a_contrast_decides(language, analyzer):
    assert sentiment(CONTRASTS[language], language)[1] == "negative"
    assert sentiment(REVERSED_CONTRASTS[language], language)[1] == "positive"
    assert analyzer.sentiment(CONTRASTS[language], language)[1] == "negative"
    assert analyzer.sentiment(REVERSED_CONTRASTS[language], language)[1] == "positive"


@pytest.mark.parametrize("language", sorted(CONTRASTS))
def test_the_contrast_is_named_in_the_reasons(language, analyzer):
    reasons = analyzer.analyse(CONTRASTS[language], language_hint=language).reasons
    assert reasons["sentiment"] == "negative"
    noted = [notes for _word, _value, notes in reasons["words"]]
    assert any("after_contrast" in notes for notes in noted) or language == "en"  # VADER weighs "but" itself


@pytest.mark.parametrize("language", sorted(NEGATED_POSITIVES))
def test_a_negated_positive_word_is_negative(language):
    score, label, _supported, signals = scored_sentiment(NEGATED_POSITIVES[language], language)
    assert label == "negative", (score, signals)
    assert any("negated" in notes for _word, _value, notes in signals)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Great, another outage. Love it #sarcasm", "en"),
        ("Oh wonderful, my parcel is lost again /s", "en"),
        ("Super, zase vypadl internet 🙄", "cs"),
        ("Отлично, опять нет связи #сарказм", "ru"),
        ("Toll, schon wieder kein Netz #Sarkasmus", "de"),
        ("Genial, otra vez sin internet #sarcasmo", "es"),
    ],
)
def test_a_sarcasm_marker_turns_praise_into_a_complaint(text, language, analyzer):
    clean = normalize_text(text)
    score, label, _supported, signals = scored_sentiment(clean, language)
    assert label == "negative"
    assert signals[0][2] == ("sarcasm",)
    assert analyzer.analyse(text, language_hint=language).reasons["words"][0][2] == ["sarcasm"]


def test_without_a_marker_the_same_praise_stays_positive():
    assert sentiment("Great, love it", "en")[1] == "positive"
    assert sentiment("sarcasm is an art", "en")[1] != "positive"  # a marker with nothing positive changes nothing


@pytest.mark.parametrize(("text", "label"), [("😡😡😡", "negative"), ("😍🙏", "positive"), ("👍", "positive")])
def test_emoji_only_posts(text, label, analyzer):
    result = analyzer.analyse(text)
    assert result.language == "und"
    assert result.sentiment_label == label
    assert not result.sentiment_supported  # no language: emoji alone, flagged
    assert text[0] in [word for word, _value, _notes in result.reasons["words"]]


def test_mixed_language_post_is_scored_in_its_main_language(analyzer):
    # Czech with English service words and a brand name
    result = analyzer.analyse("Ten nový update je hrozný, appka padá a support neodpovídá. Fakt fail.")
    assert result.language == "cs"
    assert result.sentiment_label == "negative"
    assert "hrozný" in [word for word, _value, _notes in result.reasons["words"]]


def test_mixed_script_post_keeps_the_persian_words(analyzer):
    result = analyzer.analyse("سفارش iPhone من هنوز نرسیده، خیلی بد است")
    assert result.language == "fa"
    assert result.sentiment_label == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "\u200fپشتیبانی عالی بود، ممنون از شما\u200f",  # right-to-left marks around the text
        "\u202bپشتیبانی عالی بود، ممنون از شما\u202c",  # right-to-left embedding
        "پشتیبانی عالي بود، ممنون از شما",  # Arabic yeh typed in Persian
    ],
)
def test_right_to_left_posts(text, analyzer):
    result = analyzer.analyse(text)
    assert result.language == "fa"
    assert result.sentiment_label == "positive"
    assert "عالی" in [word for word, _value, _notes in result.reasons["words"]]


def test_reasons_name_the_words_the_model_and_the_intent_keywords(analyzer):
    result = analyzer.analyse("My refund still has not arrived, this is terrible")
    assert result.intent == "complaint"
    reasons = result.reasons
    assert (reasons["sentiment"], reasons["intent"]) == ("negative", "complaint")
    assert reasons["score"] == result.sentiment_score
    assert "terrible" in [word for word, _value, _notes in reasons["words"]]
    assert all(value < 0 for _word, value, _notes in reasons["words"])
    assert "refund" in reasons["intent_words"]
    assert json.loads(json.dumps(reasons)) == reasons, "stored as JSON"
    question = analyzer.analyse("How much is the 5G plan?")
    assert question.reasons["question_mark"] and not question.reasons["question_word"]


def test_reasons_of_a_post_without_feeling_words(analyzer):
    result = analyzer.analyse("The store opens at nine on Saturday")
    assert result.reasons["words"] == []
    assert result.reasons["sentiment"] == "neutral"
