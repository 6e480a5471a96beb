"""Publishing on Reddit: /api/submit of a text post with its title."""

from datetime import datetime, timedelta, timezone

import pytest

from social_crm.core.errors import ConnectorError, RateLimited, TransientError
from tests.connectors.test_reddit import (
    make_connector,
    plain_http_oauth,  # noqa: F401 - plain HTTP to the imitation
)
from tests.imitation.publishing import RedditPublishing
from tests.imitation.server import ImitationServer


@pytest.fixture
def network():
    imitation = RedditPublishing()
    with ImitationServer(imitation) as server:
        yield imitation, server


def test_submit_to_the_target_or_the_profile(network):
    imitation, server = network
    post = make_connector(server, options={"publish_target": "r/teapots"}).publish("Body", title="Spring sale")
    data = imitation.submitted[-1]["data"]
    assert (data["subreddit"], data["title"], data["selftext"]) == ("teapots", "Spring sale", "Body")
    assert post.external_id == data["name"] and post.url.endswith(data["permalink"])
    make_connector(server).publish("Mine", title="On my profile")
    assert imitation.submitted[-1]["data"]["subreddit"] == "u_shop"


def test_refusals_and_rate_limit(network):
    imitation, server = network
    with pytest.raises(ConnectorError, match="title"):
        make_connector(server).publish("No title")
    imitation.submit_errors = [["RATELIMIT", "you are doing that too much. try again in 9 minutes.", "ratelimit"]]
    with pytest.raises(RateLimited) as raised:
        make_connector(server).publish("Body", title="Title")
    assert raised.value.reset_at > datetime.now(timezone.utc) + timedelta(minutes=8)
    imitation.submit_errors = [["ALREADY_SUB", "that link has already been submitted", "url"]]
    with pytest.raises(ConnectorError, match="ALREADY_SUB"):
        make_connector(server).publish("Body", title="Title")


def test_lost_answer_then_found_and_metrics(network):
    imitation, server = network
    connector = make_connector(server)
    connector.check_connection()
    connector.timeout = 0.3
    imitation.lose_answers.append("/api/submit")
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    with pytest.raises(TransientError):
        connector.publish("Lost body", title="Lost")
    assert len(imitation.submitted) == 1
    found = make_connector(server).find_published("Lost body", before)
    assert found.external_id == imitation.submitted[0]["data"]["name"]
    imitation.submitted[0]["data"].update(score=12, num_comments=3)
    metrics = make_connector(server).post_metrics([found.external_id])[found.external_id]
    assert (metrics.likes, metrics.replies) == (12, 3)
