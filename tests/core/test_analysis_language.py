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


# -- py3langid's model, decompressed once per machine ------------------------------------
def model_file():
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return MODEL_DIR / MODEL_FILE


def test_the_first_worker_caches_the_decompressed_model_the_next_ones_read_it(tmp_path, monkeypatch):
    from social_crm.core.analysis import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = language._py3langid_arrays(model_file())
    cached = list((tmp_path / "social_crm").iterdir())
    assert [path.suffix for path in cached] == [".npz"], "one whole file, no temporary file left"

    def no_decompression(_data):
        raise AssertionError("the cached model must be read, not decompressed again")

    monkeypatch.setattr(language.lzma, "decompress", no_decompression)
    again = language._py3langid_arrays(model_file())
    assert again[2] == first[2] and again[3] == first[3] and (again[0] == first[0]).all()


def test_a_damaged_cache_is_rewritten_and_an_unwritable_one_only_costs_time(tmp_path, monkeypatch):
    from social_crm.core.analysis import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = language._model_cache(model_file())
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"not a model")
    classes = language._py3langid_arrays(model_file())[2]
    assert "cs" in classes
    assert language._model_arrays(cache)[2] == classes, "the damaged file was replaced"

    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert language._py3langid_arrays(model_file())[2] == classes
