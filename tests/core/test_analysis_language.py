import pytest

from social_crm.core.analysis.language import UNDETERMINED, LanguageDetector, normalize_language_code

COMPANY = ("en", "cs", "pl", "ru", "fa", "uk", "de", "es")

SAMPLES = {
    "en": "My internet has been down since this morning and nobody answers the phone.",
    "cs": "Od rána nám nejde internet a na infolince to nikdo nebere.",
    "pl": "Od rana nie działa internet, a infolinia w ogóle nie odbiera.",
    "ru": "С утра не работает интернет, а на горячей линии никто не отвечает.",
    "uk": "З ранку не працює інтернет, а на гарячій лінії ніхто не відповідає.",
    "de": "Seit heute früh geht das Internet nicht und bei der Hotline geht keiner ran.",
    "es": "Desde esta mañana no funciona internet y en la línea de atención nadie contesta.",
    "fa": "از صبح اینترنت قطع است و پشتیبانی هم جواب نمی‌دهد.",
}


@pytest.fixture(scope="module", params=["py3langid", "langdetect"])
def detector(request):
    return LanguageDetector(COMPANY, request.param)


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_each_company_language_is_recognised(detector, language):
    detected, confidence = detector.detect(SAMPLES[language])
    assert detected == language
    assert 0.5 < confidence <= 1.0


def test_right_to_left_persian_is_recognised_even_when_short():
    detector = LanguageDetector(COMPANY)
    assert detector.detect("بد نیست") == ("fa", 1.0)


def test_texts_too_short_to_tell_are_undetermined(detector):
    for text in ("ok", "👍👍", "", "!!!", "12:30"):
        assert detector.detect(text) == (UNDETERMINED, 0.0)


def test_short_ambiguous_text_is_undetermined_without_a_prior_and_follows_the_prior():
    detector = LanguageDetector(COMPANY)
    # the same two words are Russian and Ukrainian
    assert detector.detect("не плохо")[0] == UNDETERMINED
    assert detector.detect("не плохо", prior="ru_RU")[0] == "ru"
    assert detector.detect("не погано", prior="uk")[0] == "uk"


def test_network_hint_tilts_a_short_text():
    detector = LanguageDetector(COMPANY)
    assert detector.detect("не плохо", hint="ru")[0] == "ru"


def test_prior_does_not_override_clear_evidence():
    detector = LanguageDetector(COMPANY)
    assert detector.detect(SAMPLES["de"], prior="cs_CZ")[0] == "de"


def test_letters_unique_to_ukrainian_or_russian_decide():
    detector = LanguageDetector(COMPANY)
    assert detector.detect("Дякую, все їде")[0] == "uk"
    assert detector.detect("Спасибо, всё объяснили")[0] == "ru"


def test_detection_is_restricted_to_configured_languages():
    detector = LanguageDetector(("en", "de"))
    assert detector.languages == frozenset({"en", "de"})
    detected, _ = detector.detect(SAMPLES["cs"])
    assert detected in {"en", "de", UNDETERMINED}


def test_a_language_outside_the_configured_ones_is_undetermined_not_forced():
    detector = LanguageDetector(COMPANY)
    assert detector.detect("Le service était vraiment horrible, je suis très déçu.")[0] == UNDETERMINED
    unrestricted = LanguageDetector(None)
    assert unrestricted.detect("Le service était vraiment horrible, je suis très déçu.")[0] == "fr"


def test_detection_is_deterministic(detector):
    text = "Ola, ok, super"
    assert len({detector.detect(text) for _ in range(20)}) == 1


def test_langdetect_is_deterministic_across_instances():
    text = "Díky, super servis, ok"
    results = {LanguageDetector(COMPANY, "langdetect").detect(text) for _ in range(3)}
    assert len(results) == 1


def test_unknown_detector_and_unknown_languages_are_refused():
    with pytest.raises(ValueError):
        LanguageDetector(COMPANY, "fasttext")
    with pytest.raises(ValueError):
        LanguageDetector(("xx",))


@pytest.mark.parametrize(
    ("code", "expected"),
    [("cs_CZ", "cs"), ("pt-BR", "pt"), ("EN", "en"), ("iw", "he"), ("und", ""), ("", ""), ("zh-Hant", "zh")],
)
def test_language_codes_are_normalised(code, expected):
    assert normalize_language_code(code) == expected
