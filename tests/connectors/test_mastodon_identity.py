"""Who a Mastodon account is: the connected account's id (Test Connection)
and what an author's profile fields say (identity matching)."""

import pytest

from social_crm.core.matching import handle_key
from tests.connectors.reading import build_connector
from tests.imitation.mastodon import TOKEN, MastodonImitation
from tests.imitation.server import ImitationServer

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


def test_handles_compare_without_case_at_sign_or_the_instances_domain():
    assert handle_key("@Shop", "social.example") == handle_key("shop@Social.Example", "social.example")
    assert handle_key("shop@other.example", "social.example") != handle_key("shop", "social.example")
    assert handle_key("@NordLight") == handle_key("nordlight")
