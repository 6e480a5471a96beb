"""Publishing on X: media upload, duplicate refusal, no blind retry after a lost answer."""

from datetime import datetime, timedelta, timezone

import pytest

from social_crm.core.errors import ConnectorError, DuplicateContent, RateLimited, TransientError
from social_crm.core.publishing import MediaFile
from tests.connectors.test_x import (
    _plain_http_oauth,  # noqa: F401 - plain HTTP to the imitation
    make,
)
from tests.imitation.publishing import XPublishing
from tests.imitation.server import ImitationServer
from tests.imitation.x import OWN_ID

PNG = MediaFile("a.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)


@pytest.fixture
def api():
    imitation = XPublishing()
    with ImitationServer(imitation) as server:
        yield imitation, server


def test_publish_uploads_images_then_posts(api):
    imitation, server = api
    post = make(server).publish("Spring sale https://shop.example/spring", [PNG, PNG])
    tweet = imitation.tweets[-1]
    assert post.external_id == tweet["id"] and tweet["author_id"] == OWN_ID
    assert tweet["attachments"]["media_keys"] == [f"3_{media_id}" for media_id in imitation.media]
    assert {m["category"] for m in imitation.media.values()} == {"tweet_image"}
    assert post.url.endswith(f"/status/{tweet['id']}") and post.kind == "post"


def test_too_long_and_too_many_images_are_refused_before_sending(api):
    imitation, server = api
    with pytest.raises(ConnectorError, match="281 characters"):
        make(server).publish("a" * 281)
    with pytest.raises(ConnectorError, match="at most 4"):
        make(server).publish("hi", [PNG] * 5)
    assert not imitation.tweets and not imitation.media


def test_a_duplicate_is_reported_as_such(api):
    _imitation, server = api
    make(server).publish("Same words")
    with pytest.raises(DuplicateContent):
        make(server).publish("Same words")


def test_a_lost_answer_is_not_retried_and_the_post_is_found_afterwards(api):
    imitation, server = api
    connector = make(server)
    connector.timeout = 0.3
    imitation.lose_answers.append("/2/tweets")
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    with pytest.raises(TransientError):
        connector.publish("Lost in transit")
    assert len(imitation.tweets) == 1, "a timeout is never retried blindly"
    found = make(server).find_published("lost in  transit", before)
    assert found and found.external_id == imitation.tweets[0]["id"]
    assert make(server).find_published("Something else", before) is None


def test_metrics_are_read_back_and_rate_limits_raised(api):
    imitation, server = api
    post = make(server).publish("Counting")
    imitation.tweets[-1]["public_metrics"] = {"like_count": 5, "reply_count": 2, "retweet_count": 1,
                                              "quote_count": 0, "impression_count": 90}
    metrics = make(server).post_metrics([post.external_id])
    assert (metrics[post.external_id].likes, metrics[post.external_id].views) == (5, 90)
    imitation.remaining["/2/tweets"] = 0
    with pytest.raises(RateLimited) as raised:
        make(server).publish("Too soon")
    assert raised.value.reset_at == datetime.fromtimestamp(imitation.reset_at, tz=timezone.utc)
