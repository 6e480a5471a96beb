from social_crm.core.desk import Agent, fill_placeholders, pick_agent, queue_priority, split_languages


def test_placeholders_are_filled_and_other_braces_stay():
    text = fill_placeholders("Hi {customer}, {ticket} by {agent} {0.__class__} {x}", "Jana", "HT-7", "Emma")
    assert text == "Hi Jana, HT-7 by Emma {0.__class__} {x}"
    assert fill_placeholders("{customer}!", "") == "!"


def test_influence_and_anger_put_a_ticket_in_front():
    calm_unknown = queue_priority(0.2, 5)
    angry_unknown = queue_priority(-0.8, 5)
    calm_star = queue_priority(0.0, 90)
    assert angry_unknown > calm_unknown and calm_star > calm_unknown
    assert queue_priority(-1.0, 100) == 200.0
    assert queue_priority(-5, 500) == 200.0, "bounded"


def test_languages_are_split_and_lowered():
    assert split_languages(" CS, en;de ,") == {"cs", "en", "de"}
    assert split_languages(None) == frozenset()


def agents():
    return [
        Agent(1, frozenset({"cs"}), open_tickets=3, available=True),
        Agent(2, frozenset({"cs", "en"}), open_tickets=1, available=True),
        Agent(3, frozenset({"en"}), open_tickets=0, available=False),
        Agent(4, frozenset({"pl"}), open_tickets=0, available=True),
    ]


def test_the_speaker_with_the_fewest_open_tickets_gets_it():
    assert pick_agent(agents(), "cs", cap=0) == 2
    assert pick_agent(agents(), "en", cap=0) == 2, "agent 3 is away"


def test_a_full_agent_is_skipped_and_a_ticket_waits_when_every_speaker_is_full():
    assert pick_agent(agents(), "cs", cap=2) == 2
    assert pick_agent(agents(), "cs", cap=1) is None, "speakers exist but are full: wait for them"


def test_a_language_nobody_speaks_goes_to_anyone_available():
    assert pick_agent(agents(), "fa", cap=0) == 4
    assert pick_agent(agents(), "und", cap=0) == 4
    assert pick_agent([], "cs", cap=0) is None
