"""The compact lemma tables: what the shipped files hold and that the scorer uses them."""

import gzip
import json

import pytest

from social_crm.core.analysis.lemmas import lemma_path, lemma_table
from social_crm.core.analysis.sentiment import LexiconScorer, lexicon_languages, scorer_for

LEMMATIZED = [lang for lang in lexicon_languages() if isinstance(scorer_for(lang), LexiconScorer)]


@pytest.mark.parametrize("language", LEMMATIZED)
def test_every_form_maps_to_a_lemma_with_a_valence_the_form_lacks(language):
    scorer = scorer_for(language)
    table = lemma_table(language)
    assert table, f"no lemma table shipped for {language}"
    for form, lemma in table.items():
        assert form == form.lower() and " " not in form and form != lemma
        assert scorer.lexicon_valence(form) is None, form
        assert scorer.lexicon_valence(lemma) is not None, (form, lemma)


@pytest.mark.parametrize("language", LEMMATIZED)
def test_the_table_is_stored_once_per_lemma(language):
    with gzip.open(lemma_path(language), "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    assert "simplemma" in data["source"]
    forms = [form for joined in data["lemmas"].values() for form in joined.split(" ")]
    assert len(forms) == len(set(forms)) == len(lemma_table(language))


def test_an_inflected_form_gets_its_lemmas_valence():
    scorer = scorer_for("cs")
    form, lemma = next(iter(lemma_table("cs").items()))
    assert scorer.listed_valence(form) == scorer.lexicon_valence(lemma)


def test_missing_language_has_an_empty_table():
    assert lemma_table("xx") == {}
    assert lemma_table("../etc") == {}


@pytest.mark.parametrize("language", LEMMATIZED)
def test_the_table_agrees_with_simplemma(language):
    simplemma = pytest.importorskip("simplemma", reason="simplemma is a training requirement (requirements-train.txt)")
    table = lemma_table(language)
    sample = sorted(table)[:: max(1, len(table) // 50)]
    assert all(simplemma.lemmatize(form, lang=language).lower() == table[form] for form in sample)
