import ast
import html
from pathlib import Path

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import PoFileReader, TranslationImporter, TranslationModuleReader

ADDON = Path(__file__).resolve().parents[1]
I18N = ADDON / "i18n"
#: language of each shipped file (the file names are ISO 639-1 codes)
LANG_OF_FILE = {
    "cs": "cs_CZ",
    "pl": "pl_PL",
    "de": "de_DE",
    "es": "es_ES",
    "ru": "ru_RU",
    "uk": "uk_UA",
    "fa": "fa_IR",
}
#: a field label, a selection value, a menu, a view term and two Python messages per language
EXPECTED = {
    "cs_CZ": (
        "Skóre sentimentu",
        "Nákupní záměr",
        "Pravidla směrování",
        "Když nový příspěvek splňuje",
        "Účet je třeba zadat jeho ID (číslem).",
        "Neexistuje žádný účet sociální sítě s ID 2000000000.",
    ),
    "pl_PL": (
        "Wynik sentymentu",
        "Intencja zakupu",
        "Reguły kierowania",
        "Gdy nowy post spełnia",
        "Konto należy podać za pomocą jego ID (liczby).",
        "Nie ma konta społecznościowego o ID 2000000000.",
    ),
    "de_DE": (
        "Stimmungswert",
        "Kaufabsicht",
        "Routing-Regeln",
        "Wenn ein neuer Beitrag",
        "Das Konto muss über seine ID (eine Zahl) angegeben werden.",
        "Es gibt kein Social-Media-Konto mit der ID 2000000000.",
    ),
    "es_ES": (
        "Puntuación de sentimiento",
        "Intención de compra",
        "Reglas de enrutamiento",
        "Cuando una publicación nueva",
        "La cuenta debe indicarse por su id (un número).",
        "No existe ninguna cuenta social con el id 2000000000.",
    ),
}


def _contains(text, term):
    return term in text or html.escape(term, quote=False) in text


@tagged("post_install", "-at_install")
class TestI18n(TransactionCase):
    """The shipped translations load without a warning, are complete for the
    languages in EXPECTED, and reach the interface: labels, selections, menus,
    views and the messages raised by Python code."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.files = sorted(I18N.glob("*.po"))
        cls.langs = {}
        for path in cls.files:
            code = LANG_OF_FILE.get(path.stem)
            if code and cls.env["res.lang"]._activate_lang(code):
                cls.langs[path] = code
        cls.env["ir.module.module"]._load_module_terms(["social_crm"], sorted(set(cls.langs.values())), overwrite=True)

    def test_languages_are_shipped(self):
        shipped = set(self.langs.values())
        self.assertLessEqual(set(EXPECTED), shipped, "a language of EXPECTED has no .po file")
        self.assertEqual(len(self.langs), len(self.files), "a .po file is named after no known language")
        self.assertTrue((I18N / "social_crm.pot").is_file())

    def test_files_load_without_warning(self):
        for path, code in self.langs.items():
            with self.subTest(file=path.name), self.assertNoLogs(level="WARNING"):
                importer = TranslationImporter(self.env.cr, verbose=False)
                importer.load_file(str(path), code)
                self.assertIn(code, importer.imported_langs)
                importer.save(overwrite=True)

    def test_translations_are_complete_and_applied(self):
        """Every msgid of the template has a translation, and every record or
        view term whose English text is still the msgid shows it (a msgid the
        code no longer has is ignored on load, until the next export)."""
        for path, code in self.langs.items():
            if code not in EXPECTED:
                continue
            rows = list(PoFileReader(str(path)))
            self.assertGreater(len(rows), 300)
            applied = 0
            for row in rows:
                with self.subTest(lang=code, src=row["src"]):
                    self.assertTrue(row["value"], "untranslated")
                    if row["type"] not in ("model", "model_terms"):
                        continue
                    record = self.env.ref(f"{row['module']}.{row['imd_name']}")
                    field = row["name"].split(",")[1]
                    source = record.with_context(lang="en_US")[field] or ""
                    value = record.with_context(lang=code)[field]
                    if row["type"] == "model" and source == row["src"]:
                        self.assertEqual(value, row["value"])
                        applied += 1
                    elif row["type"] == "model_terms" and _contains(source, row["src"]):
                        self.assertTrue(_contains(value, row["value"]), value)
                        applied += 1
            self.assertGreater(applied, 250, f"{path.name}: most msgids no longer match the code; export the .pot")

    def test_every_interface_string_of_the_code_has_a_translation(self):
        """What the code, views and data offer for translation today (Odoo's own exporter,
        as ``i18n export`` runs it) is translated in every shipped language: a string added
        without exporting the template and translating it fails here.  Demo records are not
        interface strings and are left out, as in the template."""
        demo_ids = set()
        for demo_file in ast.literal_eval((ADDON / "__manifest__.py").read_text())["demo"]:
            for record_id in etree.parse(str(ADDON / demo_file)).xpath("//@id"):
                demo_ids.add(record_id if "." in record_id else f"social_crm.{record_id}")
        offered = {
            source
            for module, kind, _name, res_id, source, _value, _comments in TranslationModuleReader(
                self.env.cr, modules=["social_crm"]
            )
            if module == "social_crm" and source and not (kind.startswith("model") and res_id in demo_ids)
        }
        self.assertGreater(len(offered), 300)
        for path in self.langs:
            translated = {row["src"] for row in PoFileReader(str(path)) if row["value"]}
            missing = sorted(offered - translated)
            with self.subTest(file=path.name):
                self.assertFalse(missing, f"{len(missing)} strings untranslated (export the .pot, merge, translate)")

    def test_interface_shows_translations(self):
        for code, (label, selection, menu, view_term, message, formatted) in EXPECTED.items():
            with self.subTest(lang=code):
                env = self.env(context=dict(self.env.context, lang=code))
                fields = env["social.crm.post"].fields_get(["sentiment_score", "intent"], ["string", "selection"])
                self.assertEqual(fields["sentiment_score"]["string"], label)
                self.assertEqual(dict(fields["intent"]["selection"])["purchase_intent"], selection)
                self.assertEqual(env.ref("social_crm.social_crm_menu_rules").name, menu)
                arch = env["social.crm.rule"].get_view(env.ref("social_crm.social_crm_rule_view_form").id)["arch"]
                self.assertIn(view_term, arch)
                wizard = env["social.crm.import"]
                with self.assertRaises(UserError) as caught:
                    wizard.import_rows("not an id", [])
                self.assertEqual(str(caught.exception), message)
                with self.assertRaises(UserError) as caught:
                    wizard.import_rows(2_000_000_000, [])
                self.assertEqual(str(caught.exception), formatted)
