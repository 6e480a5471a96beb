import pytest

from social_crm.core.routing import Conditions, PostFacts, fold, split_list, ticket_priority

POST = PostFacts(
    network="mastodon", account_id=1, stream_id=2, language="cs", sentiment=-0.6, intent="complaint",
    influence=20.0, text="Internet NEFUNGUJE, chci zrušit smlouvu!", partner_tag_ids=frozenset({5}),
)  # fmt: skip


def test_an_empty_rule_accepts_everything():
    assert Conditions().accepts(POST)


@pytest.mark.parametrize(
    ("conditions", "accepted"),
    [
        (Conditions(networks=frozenset({"mastodon"})), True),
        (Conditions(networks=frozenset({"x"})), False),
        (Conditions(account_ids=frozenset({2})), False),
        (Conditions(stream_ids=frozenset({2})), True),
        (Conditions(languages=frozenset({"pl", "cs"})), True),
        (Conditions(languages=frozenset({"en"})), False),
        (Conditions(sentiment_at_most=-0.5), True),
        (Conditions(sentiment_at_most=-0.7), False),
        (Conditions(intents=frozenset({"question"})), False),
        (Conditions(influence_at_least=20), True),
        (Conditions(influence_at_least=21), False),
        (Conditions(partner_tag_ids=frozenset({5, 6})), True),
        (Conditions(partner_tag_ids=frozenset({6})), False),
    ],
)
def test_each_condition(conditions, accepted):
    assert conditions.accepts(POST) is accepted


def test_keywords_ignore_case_and_accents_and_match_word_starts():
    assert Conditions(keywords=("zrusit",)).accepts(POST)
    assert Conditions(keywords=("nefunguje",)).accepts(POST)
    assert not Conditions(keywords=("funguje",)).accepts(POST), "an infix is no match"
    assert Conditions(keywords=("refund", "smlouv")).accepts(POST)
    assert fold("Возврат ДЕНЕГ") == "возврат денег"


def test_split_list():
    assert split_list(" en, cs ,\npl,,") == ("en", "cs", "pl")
    assert split_list(None) == ()


def test_priority_grows_with_anger_and_influence():
    assert ticket_priority(-0.8, 90) > ticket_priority(-0.8, 0) >= ticket_priority(-0.2, 0)
    assert ticket_priority(0.5, 0) == 0
    assert ticket_priority(-1.0, 100) == 3
