"""Lemmas of the inflected words the sentiment lexicons know, as a compact shipped table.

A lexicon lists "zklamat" once; posts write "zklamali", "zklamaný", "zklamalo".  The
training script (``benchmarks/train_analysis_model.py``) asks simplemma for the lemma of
every word form in its dictionaries and keeps only the forms whose lemma carries a valence
in our lexicon while the form itself does not: a few thousand forms per language instead
of simplemma's millions, loaded in milliseconds.  simplemma is therefore needed only to
train, not at run time.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

LEMMA_DIR = Path(__file__).parent / "data" / "lemmas"


def lemma_path(language: str) -> Path:
    return LEMMA_DIR / f"{language}.json.gz"


@functools.cache
def lemma_table(language: str) -> dict[str, str]:
    """``{form: lemma}`` of ``language`` (lower case); empty when no table was built for it."""
    path = lemma_path(language)
    if len(language) != 2 or not path.is_file():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        by_lemma: dict[str, str] = json.load(handle)["lemmas"]
    # stored as {lemma: "form form ..."}: each lemma once, the forms in one string
    return {form: lemma for lemma, forms in by_lemma.items() for form in forms.split(" ")}


def write_lemma_table(language: str, table: dict[str, str], source: str) -> Path:
    """Write ``{form: lemma}`` compactly, deterministically (sorted, gzip mtime 0)."""
    by_lemma: dict[str, list[str]] = {}
    for form, lemma in sorted(table.items()):
        by_lemma.setdefault(lemma, []).append(form)
    data = {"source": source, "lemmas": {lemma: " ".join(forms) for lemma, forms in sorted(by_lemma.items())}}
    path = lemma_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=0) as handle:
        handle.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return path
