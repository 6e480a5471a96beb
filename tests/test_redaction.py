import pytest

from social_crm.core.redaction import PLACEHOLDER, name_parts, redact

KNOWN = (*name_parts("Petr Svoboda"), "petr_svoboda77", "Svoboda Stavby s.r.o.")


@pytest.mark.parametrize(
    "text",
    [
        "Volejte mi na +420 777 123 456, díky",  # cs, international
        "Nebo na 777123456 kdykoli",  # cs, local without spaces
        "Zadzwoń pod 600-123-456 wieczorem",  # pl
        "Мой телефон 8 (912) 345-67-89, пишите",  # ru
        "Мій номер +380 67 123 4567",  # uk
        "شماره من ۰۹۱۲ ۳۴۵ ۶۷۸۹ است",  # fa, Persian digits
        "Ruf mich an: 0171/1234567",  # de
        "Llámame al 612 34 56 78 por favor",  # es
        "Call 0044 20 7946 0958 any time",  # 00 prefix
    ],
)
def test_phone_numbers_go_in_every_language_and_format(text):
    result = redact(text)
    assert result.removed == {"phone": 1}
    assert PLACEHOLDER in result.text
    assert not any(char.isdigit() for char in result.text)


def test_email_addresses_and_handles_go_the_fediverse_handle_as_one_item():
    result = redact("Pište na petr.svoboda+eshop@example.cz, @petr_s nebo @petr@mastodon.social.")
    assert result.text == f"Pište na {PLACEHOLDER}, {PLACEHOLDER} nebo {PLACEHOLDER}."
    assert result.removed == {"email": 1, "handle": 2}
    assert redact("Пишите @иван_петров").text == f"Пишите {PLACEHOLDER}"


def test_links_to_a_person_or_with_parameters_go_product_and_help_links_stay():
    result = redact(
        "Viz https://shop.example.cz/routery/ax55, https://shop.example.cz/order?id=55&mail=x, "
        "https://www.facebook.com/petr.svoboda.7 a https://example.cz/user/psvoboda. Web: www.example.cz."
    )
    assert result.text == (
        f"Viz https://shop.example.cz/routery/ax55, {PLACEHOLDER}, {PLACEHOLDER} a {PLACEHOLDER}. Web: www.example.cz."
    )
    assert result.removed == {"url": 3}


def test_bank_accounts_cards_and_order_numbers_go():
    result = redact(
        "IBAN CZ65 0800 0000 1920 0014 5399 a karta 4111 1111 1111 1111; "
        "zákaznické číslo 98765432, smlouva SM-2024001234, ticket #4521, заказ № 7731."
    )
    assert result.text == (
        f"IBAN {PLACEHOLDER} a karta {PLACEHOLDER}; zákaznické číslo {PLACEHOLDER}, smlouva {PLACEHOLDER}, "
        f"ticket {PLACEHOLDER}, заказ {PLACEHOLDER}."
    )
    assert result.removed == {"iban": 1, "card": 1, "number": 4}
    assert redact("Konto DE89 3704 0044 0532 0130 00 bitte").removed == {"iban": 1}


def test_known_names_go_in_any_case_and_accents_as_whole_words_only():
    result = redact("Dobrý den, tady PETR Svoboda (petr_svoboda77) ze Svoboda Stavby s.r.o.; do Petrohradu.", KNOWN)
    assert result.text == f"Dobrý den, tady {PLACEHOLDER} ({PLACEHOLDER}) ze {PLACEHOLDER}; do Petrohradu."
    assert result.removed == {"name": 3}, "the whole name, the handle, the company; Petrohradu is another word"
    assert redact("Jsem Jana Novakova", name_parts("Jana Nováková")).text == f"Jsem {PLACEHOLDER}"


@pytest.mark.parametrize(
    ("text", "name", "left"),
    [
        ("Здравствуйте, меня зовут Иван Петров.", "Иван Петров", "Здравствуйте, меня зовут […]."),
        ("Мене звати Олена Коваленко, дякую", "Олена Коваленко", "Мене звати […], дякую"),
        ("سلام، من علی رضایی هستم", "علی رضایی", "سلام، من […] هستم"),
        ("Dzień dobry, Łukasz Wiśniewski z Krakowa", "Łukasz Wiśniewski", "Dzień dobry, […] z Krakowa"),
        ("Hallo, hier ist JÜRGEN Müller", "Jürgen Müller", "Hallo, hier ist […]"),
    ],
)
def test_names_in_other_scripts(text, name, left):
    assert redact(text, name_parts(name)).text == left


@pytest.mark.parametrize(
    ("text", "name", "left"),
    [
        ("Volal jsem panu Petrovi Svobodovi, Petře!", "Petr Svoboda", "Volal jsem panu […], […]!"),
        ("Paní Novákové jsme psali, s paní Novákovou", "Jana Nováková", "Paní […] jsme psali, s paní […]"),
        ("Markovi jsme to poslali", "Marek Dvořák", "[…] jsme to poslali"),  # fleeting e: Marek -> Mark-
        ("Od Jiřího Novotného", "Jiří Novotný", "Od […]"),  # adjectival declension
        ("Dzień dobry, Piotrze; pana Kowalskiego nie ma", "Piotr Kowalski", "Dzień dobry, […]; pana […] nie ma"),
        ("Передайте Ивану Петрову", "Иван Петров", "Передайте […]"),
        ("Дякую Олені Коваленко", "Олена Коваленко", "Дякую […]"),
    ],
)
def test_declined_names_go_in_the_slavic_languages(text, name, left):
    assert redact(text, name_parts(name)).text == left


def test_a_declined_name_is_a_whole_word_and_short_names_match_as_written_only():
    assert redact("Cesta do Petrohradu, petrolej", name_parts("Petr Svoboda")).count == 0
    assert redact("Jana, Janě a Janeček", name_parts("Jana Nováková")).text == "[…], […] a Janeček"
    assert redact("Olu i Olę", ("Ola",)).text == "Olu i Olę", "a three-letter name has no stem to decline"


def test_short_name_words_are_not_removed_alone():
    assert name_parts("Li Na Wang") == ("Li Na Wang", "Wang")
    assert redact("Na shledanou, Wang", name_parts("Li Na Wang")).text == f"Na shledanou, {PLACEHOLDER}"


@pytest.mark.parametrize(
    "text",
    [
        "Router 5G Nordlight AX55 za 199 Kč nefunguje od roku 2024.",
        "Tarif za 1 299 Kč, nebo 12 000 000 Kč celkem, sleva 15 %.",
        "Dne 15.01.2024 v 10:30 spadl iPhone 15 na Wi-Fi 6, třikrát za 3x.",
        "Интернет 100 Мбит/с за 599 ₽ с 2023 года",
        "Prędkość 300 Mb/s za 49,99 zł, v roce 2023 a 2024",
        "Aktualisieren Sie die Firmware 3.2.1 unter https://example.de/hilfe/router.",
    ],
)
def test_ordinary_text_product_names_years_and_prices_stay(text):
    result = redact(text, KNOWN)
    assert result.text == text
    assert result.count == 0


def test_the_count_tells_the_agent_how_many_items_went_and_empty_text_is_fine():
    result = redact("Petr Svoboda, petr@example.cz, +420 777 123 456", KNOWN)
    assert result.count == 3
    assert result.text == f"{PLACEHOLDER}, {PLACEHOLDER}, {PLACEHOLDER}", "neighbouring items read as one"
    assert redact(None).text == ""
    assert redact("").count == 0
