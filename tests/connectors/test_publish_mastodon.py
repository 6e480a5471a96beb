"""Publishing on Mastodon: media upload, the Idempotency-Key makes a retry safe."""

import pytest

from social_crm.core.errors import ConnectorError, TransientError
from social_crm.core.publishing import MediaFile
from tests.connectors.test_mastodon import (
    make_connector,
    plain_http_oauth,  # noqa: F401 - plain HTTP to the imitation
)
from tests.imitation.publishing import MastodonPublishing
from tests.imitation.server import ImitationServer

PNG = MediaFile("a.png", "image/png", b"\x89PNG\r\n\x1a\n", alt="A teapot")


@pytest.fixture
def instance():
    imitation = MastodonPublishing()
    with ImitationServer(imitation) as server:
        yield imitation, server


def test_publish_with_image_and_key(instance):
    imitation, server = instance
    post = make_connector(server).publish("New teapots #tea", [PNG], idempotency_key="pub-1")
    status = imitation.statuses[post.external_id]
    assert status["media_attachments"][0]["description"] == "A teapot"
    assert imitation.idempotency["pub-1"] is status
    assert server.requests[-1].headers["idempotency-key"] == "pub-1"


def test_a_retry_after_a_lost_answer_posts_once(instance):
    imitation, server = instance
    connector = make_connector(server)
    connector.timeout = 0.3
    imitation.lose_answers.append("/api/v1/statuses")
    # the connector retries the timeout itself: safe, the key names the publication
    post = connector.publish("Only once", idempotency_key="pub-2")
    mine = [s for s in imitation.statuses.values() if s.get("posted_text") == "Only once"]
    assert len(mine) == 1 and post.external_id == mine[0]["id"]
    assert sum(r.path == "/api/v1/statuses" for r in server.requests) == 2


def test_instance_limit_and_failures(instance):
    imitation, server = instance
    imitation.max_characters = 600
    assert make_connector(server).publish("a" * 550, idempotency_key="long").external_id
    with pytest.raises(ConnectorError, match="601 characters"):
        make_connector(server).publish("a" * 601)
    imitation.failures = [503] * 4
    with pytest.raises(TransientError):
        make_connector(server).publish("Down", idempotency_key="down")


def test_follower_count_of_our_account(instance):
    imitation, server = instance
    assert make_connector(server).account_followers() == 87
    imitation.followers = 88
    assert make_connector(server).account_followers() == 88
