import pytest

from social_crm.core.analysis import Analyzer
from social_crm.core.analysis.intent import INTENTS, merge_keywords, shipped_keywords

COMPANY = ("en", "cs", "pl", "ru", "fa", "uk", "de", "es")


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(COMPANY)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("The replacement router doesn't work either, second faulty unit.", "complaint"),
        ("Why is my bill 30 euros higher than last month?", "complaint"),
        ("How do I change the delivery address on my order?", "question"),
        ("Do you have the black version in size 42? I'd like to order two pairs.", "purchase_intent"),
        ("Huge thanks to Maria from support, she fixed it in five minutes!", "praise"),
        ("Watched your advert during the match yesterday.", "other"),
        ("Balík dorazil rozbitý a peníze pořád nikde.", "complaint"),
        ("Kolik stojí roční licence pro deset lidí?", "purchase_intent"),
        ("Gdzie znajdę numer seryjny pralki?", "question"),
        ("Огромное спасибо, всё починили за час!", "praise"),
        ("Знову немає світла, і ніхто нічого не знає.", "complaint"),
        ("Wo kann ich die neuen Kopfhörer vorbestellen?", "purchase_intent"),
        ("¿Cuál es su horario en días festivos?", "question"),
        ("مودم جدید هم کار نمی‌کند.", "complaint"),
    ],
)
def test_intents_in_several_languages(analyzer, text, intent):
    assert analyzer.analyse(text).intent == intent


def test_every_result_is_a_known_intent(analyzer):
    for text in ["", "😡", "ok", "x" * 5000]:
        assert analyzer.analyse(text).intent in INTENTS


def test_extra_keywords_are_merged_into_the_shipped_lists():
    text = "Der Zähler zeigt Unsinn."
    assert Analyzer(COMPANY).analyse(text).intent == "other"
    extended = Analyzer(COMPANY, intent_keywords={"de": {"complaint": ["zähler zeigt unsinn"]}})
    assert extended.analyse(text).intent == "complaint"
    # the shipped keywords still work and are not modified
    assert extended.analyse("Das Paket ist kaputt und die Erstattung fehlt.").intent == "complaint"
    assert "zähler zeigt unsinn" not in shipped_keywords()["de"]["complaint"]


def test_extra_keywords_accept_locale_codes():
    merged = merge_keywords(shipped_keywords(), {"cs_CZ": {"complaint": ["elektroměr lže"]}})
    assert "elektroměr lže" in merged["cs"]["complaint"]


def test_extra_keywords_may_add_a_language():
    merged = merge_keywords(shipped_keywords(), {"fr": {"complaint": ["en panne"]}})
    assert merged["fr"] == {"complaint": ["en panne"]}
    assert merged["en"] == shipped_keywords()["en"]


def test_stem_keywords_match_word_beginnings_and_plain_ones_whole_words():
    analyzer = Analyzer(COMPANY, intent_keywords={"en": {"purchase_intent": ["gizmo*", "widget"]}})
    assert analyzer.analyse("Planning to get gizmos for the whole team.").intent == "purchase_intent"
    assert analyzer.analyse("My neighbour collects widgets from flea markets.").intent == "other"


def test_unknown_intent_in_extra_keywords_is_refused():
    with pytest.raises(ValueError):
        Analyzer(COMPANY, intent_keywords={"en": {"anger": ["grr"]}})
