"""Publishing on a VK community wall: photos through the upload server, guid as idempotency key."""

import pytest

from social_crm.core.errors import ConnectorError, RateLimited
from social_crm.core.publishing import MediaFile
from tests.connectors.test_vk import make
from tests.imitation.publishing import VKPublishing
from tests.imitation.server import ImitationServer
from tests.imitation.vk import GROUP_ID

PNG = MediaFile("a.png", "image/png", b"\x89PNG\r\n\x1a\n")


@pytest.fixture
def api():
    imitation = VKPublishing()
    with ImitationServer(imitation) as server:
        yield imitation, server


def test_wall_post_with_photos_and_guid(api):
    imitation, server = api
    post = make(server).publish("Новинка", [PNG, PNG], idempotency_key="pub-1")
    wall = imitation.posts[-1]
    assert post.external_id == f"-{GROUP_ID}_{wall['id']}"
    assert wall["attachments"] == [f"photo-{GROUP_ID}_{photo['id']}" for photo in imitation.photos]
    again = make(server).publish("Новинка", [PNG, PNG], idempotency_key="pub-1")
    assert again.external_id == post.external_id and len(imitation.guids) == 1, "one post per guid"
    wall["likes"], wall["views"] = {"count": 4}, {"count": 70}
    metrics = make(server).post_metrics([post.external_id])[post.external_id]
    assert (metrics.likes, metrics.views) == (4, 70)


def test_refusals(api):
    imitation, server = api
    with pytest.raises(ConnectorError, match="at most 10"):
        make(server).publish("many", [PNG] * 11)
    imitation.error_code = 6
    with pytest.raises(RateLimited):
        make(server).publish("too fast", idempotency_key="x")
