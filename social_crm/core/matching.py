"""Identity matching without a database: which partner is this author?

Strong evidence (a handle the partner is known by, an e-mail address, a
phone number, a website) links automatically when it points to exactly one
partner; a name alone only ever suggests, because different people share
names."""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])\+?\d[\d ()./-]{6,}\d")
URL = re.compile(r"(?:https?://)?(?:www\.)?([\w-]+(?:\.[\w-]+)+)(?:/\S*)?", re.IGNORECASE)
#: hosts that say nothing about who someone is
SHARED_HOSTS = frozenset(
    {
        "linktr.ee", "bit.ly", "t.co", "x.com", "twitter.com", "facebook.com", "instagram.com", "youtube.com",
        "tiktok.com", "linkedin.com", "gmail.com", "github.com", "medium.com", "t.me", "vk.com", "bsky.app",
        "reddit.com",
    }
)  # fmt: skip

#: confidence of each kind of evidence
CONFIDENCE = {"handle": 1.0, "e-mail": 0.95, "phone": 0.9, "website": 0.8, "name": 0.5}


@dataclass(frozen=True, slots=True)
class AuthorIdentity:
    network: str
    handle: str = ""
    name: str = ""
    email: str = ""
    bio: str = ""
    website: str = ""


@dataclass(frozen=True, slots=True)
class PartnerIdentity:
    partner_id: int
    name: str = ""
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()
    #: ``(network, handle)`` pairs the partner is known by
    handles: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class Match:
    partner_id: int
    reason: str
    confidence: float


def normalize_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return digits[-9:] if len(digits) >= 8 else ""  # last 9 digits: the same number with or without country code


def host_of(value: str) -> str:
    match = URL.search(value or "")
    if not match:
        return ""
    host = match.group(1).lower()
    return "" if host in SHARED_HOSTS else host


def normalize_handle(value: str) -> str:
    return (value or "").strip().lstrip("@").lower()


def handle_key(value: str, instance: str = "") -> str:
    """A handle as compared: case-insensitive, without its leading ``@``; on a
    federated network (``instance`` given), the instance's own users' handles
    get the instance's domain, so ``@Shop`` and ``shop@social.example`` match."""
    handle = normalize_handle(value)
    if instance and handle and "@" not in handle:
        handle = f"{handle}@{instance.lower()}"
    return handle


def normalize_name(value: str) -> str:
    return " ".join((value or "").casefold().split())


def evidence(author: AuthorIdentity) -> dict[str, set[str]]:
    """What an author's profile says about who they are."""
    text = " ".join((author.email, author.bio, author.website))
    emails = {email.lower().rstrip(".") for email in EMAIL.findall(text)}
    without_emails = EMAIL.sub(" ", text)
    return {
        "handle": {normalize_handle(author.handle)} - {""},
        "e-mail": emails,
        "phone": {normalize_phone(phone) for phone in PHONE.findall(without_emails)} - {""},
        "website": {host.lower() for host in URL.findall(without_emails)} - SHARED_HOSTS,
        "name": {normalize_name(author.name)} - {""},
    }


def partner_keys(partner: PartnerIdentity, network: str) -> dict[str, set[str]]:
    return {
        "handle": {normalize_handle(handle) for net, handle in partner.handles if net == network},
        "e-mail": {email.lower() for email in partner.emails},
        "phone": {normalize_phone(phone) for phone in partner.phones} - {""},
        "website": {host.lower() for host in partner.hosts} - SHARED_HOSTS,
        "name": {normalize_name(partner.name)} - {""},
    }


REASONS = ("handle", "e-mail", "phone", "website", "name")


def index_partners(partners: list[PartnerIdentity], network: str) -> dict[str, dict[str, set[int]]]:
    """``{reason: {key: partner ids}}``: the candidates' keys computed once
    for a whole page of authors, not once per author."""
    index: dict[str, dict[str, set[int]]] = {reason: {} for reason in REASONS}
    for partner in partners:
        for reason, keys in partner_keys(partner, network).items():
            for key in keys:
                index[reason].setdefault(key, set()).add(partner.partner_id)
    return index


def match_author(
    author: AuthorIdentity,
    partners: list[PartnerIdentity],
    threshold: float,
    index: dict[str, dict[str, set[int]]] | None = None,
) -> tuple[Match | None, list[Match]]:
    """The partner to link automatically (or ``None``) and the suggestions.

    The strongest kind of evidence decides.  When it points to more than one
    partner, or its confidence is below ``threshold``, nothing is linked and
    every partner it points to becomes a suggestion.  ``index`` is
    :func:`index_partners` of ``partners`` for the author's network, when the
    caller matches many authors against the same candidates."""
    if index is None:
        index = index_partners(partners, author.network)
    found = evidence(author)
    for reason in REASONS:
        hits = sorted(set().union(*(index[reason].get(key, ()) for key in found[reason])))
        if not hits:
            continue
        matches = [Match(partner_id, reason, CONFIDENCE[reason]) for partner_id in hits]
        if len(hits) == 1 and CONFIDENCE[reason] >= threshold and reason != "name":
            return matches[0], []
        return None, matches
    return None, []
