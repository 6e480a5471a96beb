"""Customer data out of a text before it is published, in any language.

A solved ticket becomes a public knowledge-base article: what the customer
wrote and what the desk answered, without the customer.  :func:`redact`
removes contact details, account and order numbers, personal links and the
names the caller knows, and says what kinds it removed so an agent can check
them before publishing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

#: what stands in for a removed item: a sign, no word of any language
PLACEHOLDER = "[…]"

EMAIL, PHONE, URL, HANDLE, IBAN, CARD, NUMBER, NAME = (
    "email", "phone", "url", "handle", "iban", "card", "number", "name",
)  # fmt: skip

#: words of a name shorter than this (initials, "de", "ul") are not removed on their own
MIN_NAME_WORD = 3

#: a number right before one of these is a price or a share, not a phone or an order
_AMOUNT_AFTER = re.compile(
    r"\s?(?:kč|kc|czk|zł|zl|pln|€|eur|\$|usd|£|gbp|₽|руб|rub|грн|₴|uah|ريال|تومان|﷼|%)", re.IGNORECASE
)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\"»…"
#: path words that put a person (or their account, order, invoice) in a link
_PERSONAL_PATH = re.compile(
    r"/(?:u|user|users|profile|profiles|people|member|members|account|accounts|customer|customers|"
    r"order|orders|invoice|invoices|ticket|tickets|in|id|uid)(?:/|$)|/[@~]|\d{4,}",
    re.IGNORECASE,
)
#: on these hosts any path is a person's page or conversation
_PERSONAL_HOSTS = re.compile(
    r"^(?:[\w-]+\.)*(?:facebook\.com|fb\.com|instagram\.com|twitter\.com|x\.com|t\.me|telegram\.me|vk\.com|"
    r"ok\.ru|linkedin\.com|tiktok\.com|youtube\.com|threads\.net|wa\.me|m\.me)$",
    re.IGNORECASE,
)
#: ``@user@server.social``: before e-mail addresses, which it contains
_FEDIVERSE = re.compile(r"(?<![\w@.])@\w[\w.-]*@[\w-]+(?:\.[\w-]+)+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?\d{1,3})?(?!\w)", re.IGNORECASE)
#: card numbers start with 2 to 6 (the networks), a phone with 00 does not
_CARD = re.compile(r"(?<![\w+])[2-6](?:[ -]?\d){12,18}(?!\w)")
_PHONE = re.compile(r"(?<![\w+/.,-])(?:\+|00)?\(?\d{1,4}\)?(?:[ .\-/]{1,2}\(?\d{1,5}\)?|\d){1,8}(?![\w])")
#: an order, contract or customer number: a token with a long run of digits, or ``#1234`` / ``№ 1234``
_NUMBER = re.compile(r"(?<![\w#/-])[\w#/-]*\d{6,}[\w/-]*|(?:#|№ ?)\d{3,}(?!\w)")
_HANDLE = re.compile(r"(?<![\w@.])@\w(?:[\w.]*\w)?")
_PLACEHOLDERS = re.compile(re.escape(PLACEHOLDER) + r"(?:[ \t]+" + re.escape(PLACEHOLDER) + r")+")


@dataclass(frozen=True, slots=True)
class Redaction:
    """The text without customer data, and how many items of each kind went."""

    text: str
    removed: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.removed.values())


def name_parts(name: str | None) -> tuple[str, ...]:
    """A person's name and each of its words long enough to tell (``"Petr
    Svoboda"`` -> the whole, ``"Petr"``, ``"Svoboda"``), for ``known``."""
    name = " ".join((name or "").split())
    if not name:
        return ()
    words = [word for word in re.findall(r"\w+", name) if sum(char.isalpha() for char in word) >= MIN_NAME_WORD]
    return tuple(dict.fromkeys([name, *words]))


def _fold_char(char: str) -> str:
    """Case and accents off one character, keeping the text's length so that
    a match in the folded text is a match at the same place in the original."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", char.casefold()) if not unicodedata.combining(c))
    return folded if len(folded) == 1 else char


def _fold(text: str) -> str:
    return "".join(_fold_char(char) for char in text)


def _is_amount(text: str, end: int) -> bool:
    return bool(_AMOUNT_AFTER.match(text, end))


def _personal_url(url: str) -> bool:
    """A link to a person, or carrying parameters (tokens, e-mails, ids); a
    link to a product or a help page is kept."""
    rest = re.sub(r"^(?:https?://)?", "", url, flags=re.IGNORECASE)
    host, _slash, path = rest.partition("/")
    if "?" in host or "#" in host or "@" in host:
        return True
    path = "/" + path
    if re.search(r"[?#=@]", path) or _PERSONAL_PATH.search(path):
        return True
    return path != "/" and bool(_PERSONAL_HOSTS.match(host))


def _phone(match: re.Match) -> bool:
    candidate = match.group()
    digits = sum(char.isdigit() for char in candidate)
    if _is_amount(match.string, match.end()):
        return False
    if candidate.startswith(("+", "00")):
        return 8 <= digits <= 17
    return 9 <= digits <= 12


def redact(text: str | None, known: tuple[str, ...] | list[str] = ()) -> Redaction:
    """``text`` with customer data replaced by :data:`PLACEHOLDER`.

    Removed: e-mail addresses, phone numbers, links with parameters or to a
    person, ``@handles``, IBANs and card numbers, long order/contract/customer
    numbers, and every ``known`` string (the customer's name and its words,
    see :func:`name_parts`; handle, company) in any case and accents, as a
    whole word in any script.  Short numbers, years and prices stay."""
    text = unicodedata.normalize("NFC", text or "")
    removed = Counter()

    def replace(pattern, kind, keep=None):
        nonlocal text

        def substitute(match):
            if keep and keep(match):
                return match.group()
            removed[kind] += 1
            return PLACEHOLDER

        text = pattern.sub(substitute, text)

    def url_substitute(match):
        url = match.group()
        stripped = url.rstrip(_URL_TRAILING)
        if not _personal_url(stripped):
            return url
        removed[URL] += 1
        return PLACEHOLDER + url[len(stripped) :]

    text = _URL.sub(url_substitute, text)
    replace(_FEDIVERSE, HANDLE)
    replace(_EMAIL, EMAIL)
    replace(_IBAN, IBAN, keep=lambda match: sum(char.isdigit() for char in match.group()) < 10)
    replace(_CARD, CARD, keep=lambda match: _is_amount(match.string, match.end()))
    replace(_PHONE, PHONE, keep=lambda match: not _phone(match))
    replace(_NUMBER, NUMBER, keep=lambda match: _is_amount(match.string, match.end()))
    replace(_HANDLE, HANDLE)
    text = _redact_known(text, known, removed)
    return Redaction(_PLACEHOLDERS.sub(PLACEHOLDER, text), removed)


#: case endings of names in the Slavic languages the desk serves (cs, pl, ru, uk), folded as the
#: text is, as one regex alternation (longest first): "Petrovi", "Petře", "Piotrze", "Kowalskiego",
#: "Novákovou", "Ивану", "Олені" name their customer as surely as the nominative does
_NAME_ENDINGS = "|".join(
    re.escape(ending)
    for ending in sorted(
        {
            _fold(ending)
            for ending in (
                "a e i o u y ě ou em om ovi owi ie ze ego emu eho iho imu im ym ej iej iego iemu ą ę ova ove ovou "
                "а я у ю е и ы о і ї ой ей ом ем ою ею ого его ому ему им ым ій ої єю ові еві"
            ).split()
        },
        key=len,
        reverse=True,
    )
)
_ENDING_VOWELS = frozenset("aeiouyаяуюеиыоіїє")
#: a name word shorter than this is matched as written only ("Jan", "Ola"): its stem would be too short
MIN_INFLECTED_NAME = 4


def _name_forms(value: str) -> str:
    """A regex for a folded known value: as written, and for one word of letters, its stems
    (without a final vowel: "jana" -> "jan"; without a fleeting e: "marek" -> "mark") with a case
    ending."""
    if len(value) < MIN_INFLECTED_NAME or not value.isalpha():
        return re.escape(value)
    stems = {value}
    if value[-1] in _ENDING_VOWELS:
        stems.add(value[:-1])
    elif value[-2] == "e" and value[-3] not in _ENDING_VOWELS:
        stems.add(value[:-2] + value[-1])
    return "(?:" + "|".join(re.escape(stem) for stem in sorted(stems, key=len, reverse=True)) + f")(?:{_NAME_ENDINGS})?"


def _redact_known(text: str, known, removed: Counter) -> str:
    """Every ``known`` string as a whole word, matched on the folded text
    (``NOVÁKOVÁ`` and ``novakova`` are ``Nováková``), longest first; a name
    word also in its declined forms (``Novákové``, ``Petrovi``)."""
    values = {_fold(" ".join(value.split()).lstrip("@")) for value in known if value}
    values = sorted((value for value in values if len(value) >= MIN_NAME_WORD), key=len, reverse=True)
    if not values:
        return text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(_name_forms(value) for value in values) + r")(?!\w)")
    pieces, last = [], 0
    for match in pattern.finditer(_fold(text)):
        pieces += [text[last : match.start()], PLACEHOLDER]
        last = match.end()
        removed[NAME] += 1
    return "".join(pieces) + text[last:]
