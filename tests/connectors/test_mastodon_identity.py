"""Who a Mastodon account is: the connected account's id (Test Connection)
and what an author's profile fields say (identity matching)."""

import pytest

from social_crm.core.connectors import get_connector_class
from social_crm.core.matching import AuthorIdentity, PartnerIdentity, handle_key, match_author
from social_crm.core.types import StreamSpec
from tests.connectors.reading import build_connector, read_all
from tests.imitation.mastodon import TOKEN, MastodonImitation, account
from tests.imitation.server import ImitationServer

FIELDS = [
    {"name": "E-mail", "value": "jana.novakova@firma.example", "verified_at": None},
    {
        "name": "Web",
        "value": '<a href="https://jana.example.cz" rel="nofollow noopener me" target="_blank">'
        '<span class="invisible">https://</span><span class="">jana.example.cz</span></a>',
        "verified_at": "2026-01-01T00:00:00.000Z",
    },
    {"name": "Telefon", "value": "+420 602 111 222", "verified_at": None},
]


@pytest.fixture
def instance():
    imitation = MastodonImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def test_check_connection_tells_the_accounts_id(instance):
    _imitation, server = instance
    connector = build_connector("mastodon", server, {"access_token": TOKEN})
    assert connector.check_connection() == "shop"
    assert connector.account_external_id == "1"


def test_profile_fields_are_read_for_matching(instance):
    imitation, server = instance
    imitation.add_mention("<p>@shop hi</p>", account("77", "jana@social.example", fields=FIELDS))
    connector = build_connector("mastodon", server, {"access_token": TOKEN}, external_id="1", handle="shop")
    (post,) = read_all(connector, StreamSpec("mentions")).posts
    author = post.author
    assert author.email == "jana.novakova@firma.example"
    assert author.website == "https://jana.example.cz"
    assert author.bio.splitlines() == [
        "I like tea", "E-mail: jana.novakova@firma.example", "Web: https://jana.example.cz",
        "Telefon: +420 602 111 222",
    ]  # fmt: skip
    identity = AuthorIdentity("mastodon", author.handle, author.display_name, author.email, author.bio, author.website)
    by_phone = PartnerIdentity(5, "J. N.", phones=frozenset({"602111222"}))
    by_site = PartnerIdentity(6, "Firma", hosts=frozenset({"jana.example.cz"}))
    by_email = PartnerIdentity(7, "Jana", emails=frozenset({"jana.novakova@firma.example"}))
    assert match_author(identity, [by_phone], 0.85)[0].reason == "phone"
    assert match_author(identity, [by_site], 0.8)[0].reason == "website"
    assert match_author(identity, [by_phone, by_site, by_email], 0.85)[0].partner_id == 7


def test_malformed_fields_are_ignored(instance):
    imitation, server = instance
    imitation.add_mention("<p>hi</p>", account("78", "petr", fields=["oops", {"name": "x"}, {"value": None}]))
    connector = build_connector("mastodon", server, {"access_token": TOKEN})
    (post,) = read_all(connector, StreamSpec("mentions")).posts
    assert (post.author.bio, post.author.email, post.author.website) == ("I like tea", "", "")


def test_the_credentials_a_token_alone_needs_are_listed():
    assert "access_token" in get_connector_class("mastodon").credential_fields


def test_handles_compare_without_case_at_sign_or_the_instances_domain():
    assert handle_key("@Shop", "social.example") == handle_key("shop@Social.Example", "social.example")
    assert handle_key("shop@other.example", "social.example") != handle_key("shop", "social.example")
    assert handle_key("@NordLight") == handle_key("nordlight")
