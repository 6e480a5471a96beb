import pytest

from social_crm.core.analysis import Analyzer
from social_crm.core.analysis.sentiment import emoji_score, scorer_for, sentiment

NEGATED_NEGATIVES = {
    "en": "The service is not bad.",
    "pl": "Nie jest źle.",
    "ru": "Это не плохо.",
    "cs": "Není to špatné.",
    "fa": "بد نیست",
    "de": "Das ist nicht schlecht.",
    "es": "No está mal.",
    "uk": "Це зовсім не погано.",
}

PLAIN_NEGATIVES = {
    "en": "The service is bad.",
    "pl": "Jest źle.",
    "ru": "Это плохо.",
    "cs": "Je to špatné.",
    "fa": "بد است",
    "de": "Das ist schlecht.",
    "es": "Está mal.",
    "uk": "Це погано.",
}


@pytest.mark.parametrize("language", sorted(NEGATED_NEGATIVES))
def test_negation_turns_a_negative_word_positive(language):
    negated, label, supported = sentiment(NEGATED_NEGATIVES[language], language)
    plain, plain_label, _ = sentiment(PLAIN_NEGATIVES[language], language)
    assert supported
    assert plain_label == "negative"
    assert label == "positive"
    assert negated > plain


def test_czech_negation_prefix_on_verbs():
    assert sentiment("Nikdy jste mě nezklamali.", "cs")[1] == "positive"
    assert sentiment("Zklamali jste mě.", "cs")[1] == "negative"


def test_persian_negation_after_a_light_verb():
    assert sentiment("هیچ‌وقت ناامیدم نکردید", "fa")[1] == "positive"


def test_negation_does_not_cross_a_comma():
    # "nie" negates "powiodła się", not the later "mam dość"
    score, label, _ = sentiment("Płatność znowu się nie powiodła, mam dość.", "pl")
    assert label == "negative"
    assert score < -0.3


def test_service_vocabulary_is_negative_in_every_language():
    for text, language in [
        ("Power outage again in our street.", "en"),
        ("V naší ulici je zase výpadek proudu.", "cs"),
        ("Znowu awaria prądu na naszej ulicy.", "pl"),
        ("Опять авария на линии.", "ru"),
        ("Der Router ist kaputt.", "de"),
        ("El paquete llegó roto.", "es"),
        ("Посилка прийшла розбитою.", "uk"),
        ("مودم خراب است.", "fa"),
    ]:
        assert sentiment(text, language)[1] == "negative", text


def test_intensifiers_and_exclamation_strengthen():
    assert sentiment("Obsługa była bardzo dobra!!", "pl")[0] > sentiment("Obsługa była dobra.", "pl")[0]
    assert sentiment("Служба поддержки очень хорошая", "ru")[0] > sentiment("Служба поддержки хорошая", "ru")[0]


def test_but_shifts_weight_to_the_second_clause():
    assert sentiment("Doručení bylo rychlé, ale zboží je rozbité.", "cs")[1] == "negative"


def test_emoji_carry_sentiment_in_any_language():
    assert sentiment("Rechnung 😡😡", "de")[1] == "negative"
    assert emoji_score("👍❤️") > 0.5
    assert emoji_score("😡") < -0.5
    assert emoji_score("no emoji here") == 0.0


def test_language_without_lexicon_gets_emoji_only_score_never_an_english_guess():
    score, label, supported = sentiment("Le service était horrible", "fr")
    assert (score, label, supported) == (0.0, "neutral", False)
    score, label, supported = sentiment("Le service était horrible 😡", "fr")
    assert label == "negative" and not supported
    assert score == pytest.approx(emoji_score("😡"), abs=1e-4)
    assert scorer_for("fr") is None
    assert scorer_for("und") is None


def test_scores_stay_in_range():
    for text in ["GREAT!!! 😍😍😍 love love love", "terrible awful horrible 😡😡😡!!!!", ""]:
        score, _, _ = sentiment(text, "en")
        assert -1.0 <= score <= 1.0


def test_empty_text_is_neutral():
    assert sentiment("", "cs") == (0.0, "neutral", True)


def test_analyzer_sentiment_normalises_and_accepts_locale_codes():
    analyzer = Analyzer(("en", "cs"))
    score, label, supported = analyzer.sentiment("@Brand #BadService, balík je rozbitý 😡", "cs_CZ")
    assert label == "negative" and supported and score < -0.5
