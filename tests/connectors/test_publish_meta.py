"""Publishing on a Facebook Page (unpublished photos attached to a feed post)
and on Instagram (media containers, then media_publish)."""

from datetime import timedelta

import pytest

from social_crm.core.errors import ConnectorError, RateLimited, TransientError
from social_crm.core.publishing import MediaFile
from tests.connectors.test_meta import make
from tests.imitation.meta import PAGE_ID, VERSION
from tests.imitation.publishing import MetaPublishing
from tests.imitation.server import ImitationServer

PNG = MediaFile("a.png", "image/png", b"\x89PNG\r\n\x1a\n")
JPEG = MediaFile("a.jpg", "image/jpeg", b"\xff\xd8\xff", url="https://odoo.example/web/image/7?access_token=t")


@pytest.fixture
def api():
    imitation = MetaPublishing()
    with ImitationServer(imitation) as server:
        yield imitation, server


def test_facebook_feed_post_with_photos(api):
    imitation, server = api
    post = make(server).publish("Spring on the Page", [PNG, PNG])
    assert post.external_id == imitation.feed[0]["id"]
    assert len(imitation.feed[0]["attached_media"]) == 2
    assert all(not photo["published"] for photo in imitation.photos.values())


def test_facebook_duplicate_and_lost_answer(api):
    imitation, server = api
    make(server).publish("Twice")
    with pytest.raises(ConnectorError, match="Duplicate"):
        make(server).publish("Twice")
    connector = make(server)
    connector.timeout = 0.3
    imitation.lose_answers.append(f"/{VERSION}/{PAGE_ID}/feed")
    with pytest.raises(TransientError):
        connector.publish("Lost on the Page")
    assert sum(post["message"] == "Lost on the Page" for post in imitation.feed) == 1
    found = make(server).find_published("Lost on the Page", imitation.now - timedelta(minutes=1))
    assert found.external_id == imitation.feed[0]["id"]


def test_instagram_single_image_and_carousel(api):
    imitation, server = api
    single = make(server, "instagram").publish("New mug #tea", [JPEG])
    assert single.external_id == imitation.media[0]["id"] and single.url.endswith(f"/p/{single.external_id}/")
    container = next(iter(imitation.containers.values()))
    assert container["image_url"] == JPEG.url and container["caption"] == "New mug #tea"
    make(server, "instagram").publish("Three mugs", [JPEG] * 3)
    carousel = [c for c in imitation.containers.values() if c.get("media_type") == "CAROUSEL"]
    assert len(carousel) == 1 and len(carousel[0]["children"].split(",")) == 3
    metrics = make(server, "instagram").post_metrics([single.external_id])
    assert single.external_id in metrics


def test_instagram_refusals(api):
    imitation, server = api
    with pytest.raises(ConnectorError, match="at least one image"):
        make(server, "instagram").publish("Text only")
    with pytest.raises(ConnectorError, match="public URL"):
        make(server, "instagram").publish("No URL", [MediaFile("a.jpg", "image/jpeg", b"x")])
    imitation.publish_limit = 0
    with pytest.raises(RateLimited):
        make(server, "instagram").publish("Over the daily limit", [JPEG])
