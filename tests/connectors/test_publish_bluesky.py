"""Publishing on Bluesky: blobs for images, facets for links and hashtags."""

from datetime import datetime, timedelta, timezone

import pytest

from social_crm.core.errors import ConnectorError, TransientError
from social_crm.core.publishing import MediaFile
from tests.connectors.test_bluesky import make_connector
from tests.imitation.bluesky import OWN_DID
from tests.imitation.publishing import BlueskyPublishing
from tests.imitation.server import ImitationServer

PNG = MediaFile("a.png", "image/png", b"\x89PNG\r\n\x1a\n", alt="Teapot")


@pytest.fixture
def network():
    imitation = BlueskyPublishing()
    with ImitationServer(imitation) as server:
        yield imitation, server


def test_publish_with_image_link_and_hashtag_facets(network):
    imitation, server = network
    text = "Čaj 🍵 #tea https://shop.example/tea"
    post = make_connector(server).publish(text, [PNG])
    record = imitation.posts[-1]["record"]
    assert post.external_id == imitation.posts[-1]["uri"] and post.external_id.startswith(f"at://{OWN_DID}/")
    assert record["embed"]["images"][0] == {"alt": "Teapot", "image": imitation.blobs[0]}
    assert imitation.blobs[0]["mimeType"] == "image/png"
    encoded = text.encode()
    by_type = {f["features"][0]["$type"].rsplit("#", 1)[1]: f for f in record["facets"]}
    link = by_type["link"]["index"]
    assert encoded[link["byteStart"]:link["byteEnd"]].decode() == "https://shop.example/tea"
    tag = by_type["tag"]
    assert encoded[tag["index"]["byteStart"]:tag["index"]["byteEnd"]].decode() == "#tea"
    assert tag["features"][0]["tag"] == "tea"


def test_refusals(network):
    imitation, server = network
    with pytest.raises(ConnectorError, match="301 characters"):
        make_connector(server).publish("a" * 301)
    imitation.max_blob_bytes = 4
    with pytest.raises(ConnectorError, match="BlobTooLarge|too large"):
        make_connector(server).publish("big", [PNG])


def test_a_lost_answer_is_not_retried_and_then_found(network):
    imitation, server = network
    connector = make_connector(server)
    connector.xrpc("GET", "com.atproto.server.getSession")  # the session is open before the post
    connector.timeout = 0.3
    imitation.lose_answers.append("/xrpc/com.atproto.repo.createRecord")
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    with pytest.raises(TransientError):
        connector.publish("Lost once")
    assert len(imitation.posts) == 1
    found = make_connector(server).find_published("Lost once", before)
    assert found.external_id == imitation.posts[0]["uri"]
    imitation.posts[0]["likeCount"] = 8
    assert make_connector(server).post_metrics([found.external_id])[found.external_id].likes == 8


def test_follower_count_of_our_account(network):
    _imitation, server = network
    assert make_connector(server).account_followers() == 321
