"""The agents' desk without a database: saved-reply placeholders, the queue
priority of a ticket, and which agent gets the next one."""

from __future__ import annotations

from dataclasses import dataclass

#: placeholders a saved reply may hold, and what they stand for
PLACEHOLDERS = ("{customer}", "{ticket}", "{agent}")


def fill_placeholders(template: str, customer: str = "", ticket: str = "", agent: str = "") -> str:
    """The saved reply with its placeholders replaced; anything else in
    braces stays as written (no ``str.format``: a template is not code)."""
    values = {"{customer}": customer, "{ticket}": ticket, "{agent}": agent}
    text = template or ""
    for placeholder, value in values.items():
        text = text.replace(placeholder, value or "")
    return text


def queue_priority(sentiment: float, influence: float) -> float:
    """How far to the front of the queue a ticket goes: its author's
    influence (0 to 100) plus its anger (a sentiment of -1 weighs 100)."""
    anger = max(0.0, -(sentiment or 0.0))
    return round(max(0.0, min(influence or 0.0, 100.0)) + 100.0 * min(anger, 1.0), 2)


def split_languages(codes: str | None) -> frozenset[str]:
    """``"cs, en"`` -> ``{"cs", "en"}``: the ISO 639-1 codes an agent speaks."""
    return frozenset(code.strip().lower() for code in (codes or "").replace(";", ",").split(",") if code.strip())


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent as the queue sees them."""

    user_id: int
    languages: frozenset[str]
    open_tickets: int
    available: bool


def pick_agent(agents: list[Agent], language: str, cap: int) -> int | None:
    """The user id of the agent who gets a ticket in ``language``: available,
    under ``cap`` open tickets (0: no cap), speaking the language, with the
    fewest open tickets (the lowest id breaks a tie, so it is repeatable).

    When no agent of the team speaks the language at all, any agent may take
    it, so a ticket in a language nobody declared still reaches someone;
    when speakers exist but are busy or away, the ticket waits for them."""
    language = (language or "").lower()
    speakers = [agent for agent in agents if language in agent.languages]
    if not speakers or language in ("", "und"):
        speakers = agents
    free = [agent for agent in speakers if agent.available and (not cap or agent.open_tickets < cap)]
    if not free:
        return None
    return min(free, key=lambda agent: (agent.open_tickets, agent.user_id)).user_id
