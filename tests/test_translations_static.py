"""Every addon that ships translations ships them complete and well-formed, checked
without Odoo: each language file translates every msgid of the addon's template and
keeps every placeholder, so a translated message can still be formatted.

The Odoo test ``social_crm/tests/test_i18n.py`` goes further for ``social_crm`` (the
template against what the code offers today, the terms reaching the interface); this
one also covers the bridges, whose tests run in databases of their own."""

import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_LANGUAGES = {"cs", "pl", "de", "es", "ru", "uk", "fa"}
TEMPLATES = sorted(ROOT.glob("*/i18n/*.pot"))
#: what Python's %-formatting, str.format-like fields and QWeb placeholders fill in
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-+ #0-9.]*[sdfr]|%[sdfr]|%%|\{[a-z_]+\}")


def test_every_addon_with_translations_has_a_template():
    addons = {path.parent.parent.name for path in ROOT.glob("*/i18n/*.po")}
    assert {path.parent.parent.name for path in TEMPLATES} == addons
    assert "social_crm" in addons


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.parent.parent.name)
def test_every_shipped_language_translates_the_whole_template(template):
    msgids = {entry.msgid for entry in polib.pofile(str(template)) if entry.msgid}
    assert msgids, f"{template} is empty"
    files = {path.stem: path for path in template.parent.glob("*.po")}
    assert set(files) == SHIPPED_LANGUAGES
    for _language, path in sorted(files.items()):
        translated = {entry.msgid: entry.msgstr for entry in polib.pofile(str(path)) if entry.msgstr}
        missing = sorted(msgids - set(translated))
        assert not missing, f"{path}: {len(missing)} untranslated, e.g. {missing[:3]}"
        broken = [
            msgid
            for msgid, msgstr in translated.items()
            if msgid in msgids and sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr))
        ]
        assert not broken, f"{path}: placeholders differ in {len(broken)} entries, e.g. {broken[:3]}"
