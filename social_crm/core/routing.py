"""Routing rules without a database: does a post meet a rule's conditions,
and how urgent is the ticket it opens."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


def fold(text: str) -> str:
    """Case- and accent-insensitive form for keyword matching in any script
    (``Nefunguje`` matches ``nefunguje``, ``Zrušit`` matches ``zrusit``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True, slots=True)
class PostFacts:
    """What rules look at in a post."""

    network: str
    account_id: int
    stream_id: int
    language: str
    sentiment: float
    intent: str
    influence: float
    text: str
    partner_tag_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Conditions:
    """A rule's conditions; an empty condition accepts every post."""

    networks: frozenset[str] = frozenset()
    account_ids: frozenset[int] = frozenset()
    stream_ids: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset()
    sentiment_at_most: float | None = None
    intents: frozenset[str] = frozenset()
    influence_at_least: float = 0.0
    keywords: tuple[str, ...] = ()
    partner_tag_ids: frozenset[int] = frozenset()
    _folded_keywords: tuple[re.Pattern, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # keywords match at the start of a word: "cancel" finds "cancelled", not "uncancel"
        patterns = tuple(re.compile(r"(?<!\w)" + re.escape(fold(word))) for word in self.keywords if word.strip())
        object.__setattr__(self, "_folded_keywords", patterns)

    def accepts(self, post: PostFacts) -> bool:
        if self.networks and post.network not in self.networks:
            return False
        if self.account_ids and post.account_id not in self.account_ids:
            return False
        if self.stream_ids and post.stream_id not in self.stream_ids:
            return False
        if self.languages and post.language not in self.languages:
            return False
        if self.sentiment_at_most is not None and post.sentiment > self.sentiment_at_most:
            return False
        if self.intents and post.intent not in self.intents:
            return False
        if post.influence < self.influence_at_least:
            return False
        if self.partner_tag_ids and not self.partner_tag_ids & post.partner_tag_ids:
            return False
        if self._folded_keywords:
            text = fold(post.text)
            return any(pattern.search(text) for pattern in self._folded_keywords)
        return True


def split_list(value: str | None) -> tuple[str, ...]:
    """Items of a comma- or newline-separated setting, stripped, without empties."""
    return tuple(item.strip() for item in re.split(r"[,\n]", value or "") if item.strip())


def ticket_priority(sentiment: float, influence: float) -> int:
    """Helpdesk priority 0 (low) to 3 (very high).

    Anger and reach both raise urgency: a furious post scores up to 1.5 points
    and a 100-influence author 2 points; an unknown author's angry post is
    "high", the same post by an influential author "very high"."""
    urgency = 1.5 * max(0.0, -sentiment) + 2 * max(0.0, min(influence, 100.0)) / 100
    if urgency >= 2.0:
        return 3
    if urgency >= 1.2:
        return 2
    if urgency >= 0.4:
        return 1
    return 0
