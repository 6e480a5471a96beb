"""Publishing to a Telegram channel: sendMessage, sendPhoto, sendMediaGroup."""

import pytest

from social_crm.core.errors import ConnectorError, RateLimited, TransientError
from social_crm.core.publishing import MediaFile
from tests.connectors.test_telegram import make
from tests.imitation.publishing import TelegramPublishing
from tests.imitation.server import ImitationServer
from tests.imitation.telegram import TOKEN

PNG = MediaFile("a.png", "image/png", b"\x89PNG\r\n\x1a\n")


@pytest.fixture
def api():
    imitation = TelegramPublishing()
    with ImitationServer(imitation) as server:
        yield imitation, server


def test_text_photo_and_album(api):
    imitation, server = api
    connector = make(server, publish_target="@acme_news")
    text_post = connector.publish("News <b>not bold</b>")
    assert text_post.external_id == f"{imitation.CHANNEL['id']}:1" and text_post.kind == "post"
    assert text_post.url == "https://t.me/acme_news/1" and text_post.text == "News <b>not bold</b>"
    assert "parse_mode" not in server.requests[-1].json(), "text is sent as plain text, never parsed as HTML"
    photo = connector.publish("With a photo", [PNG])
    # a photo message is stored with its description, as the reading side describes it
    assert photo.text == "[photo]\nWith a photo" and imitation.sent[-1]["photo"]
    album = connector.publish("Three photos", [PNG] * 3)
    assert album.text == "[photo]\nThree photos" and server.requests[-1].path.endswith("/sendMediaGroup")


def test_refusals(api):
    imitation, server = api
    with pytest.raises(ConnectorError, match="channel"):
        make(server).publish("No channel set")
    with pytest.raises(ConnectorError, match="1024"):
        make(server, publish_target="@acme_news").publish("x" * 1025, [PNG])
    with pytest.raises(ConnectorError, match="chat not found"):
        make(server, publish_target="@elsewhere").publish("Hello")
    imitation.flood_wait = 7
    with pytest.raises(RateLimited):
        make(server, publish_target="@acme_news").publish("Flood")


def test_a_lost_answer_is_never_retried(api):
    imitation, server = api
    connector = make(server, publish_target="@acme_news")
    connector.timeout = 0.3
    imitation.lose_answers.append(f"/bot{TOKEN}/sendMessage")
    with pytest.raises(TransientError):
        connector.publish("Once")
    assert len(imitation.sent) == 1
    with pytest.raises(NotImplementedError):
        connector.find_published("Once", None)
