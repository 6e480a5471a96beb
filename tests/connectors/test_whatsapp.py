"""The WhatsApp Cloud API connector against the imitation (tests/imitation/whatsapp.py)
and the webhook deliveries it builds from Meta's documented payloads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from social_crm.core.connectors import AccountConfig, WebhookRequest, get_connector_class
from social_crm.core.errors import AuthError, ConnectorError, RateLimited, WebhookRejected
from social_crm.core.types import Author, NormalizedPost, StreamSpec
from tests.imitation import whatsapp
from tests.imitation.server import ImitationServer

CREDENTIALS = {"access_token": whatsapp.TOKEN, "phone_number_id": whatsapp.PHONE_NUMBER_ID,
               "business_account_id": whatsapp.WABA_ID, "app_secret": whatsapp.APP_SECRET,
               "verify_token": "verify-wa"}


@pytest.fixture
def api():
    imitation = whatsapp.WhatsAppImitation()
    with ImitationServer(imitation) as server:
        yield imitation, server


def make(server=None, **credentials):
    base_url = f"{server.url}/{whatsapp.VERSION}" if server else ""
    return get_connector_class("whatsapp")(
        AccountConfig(external_id=whatsapp.PHONE_NUMBER_ID, base_url=base_url,
                      credentials={**CREDENTIALS, **credentials}),
        sleep=lambda seconds: None,
    )


def deliver(connector, payload, secret=whatsapp.APP_SECRET, body=None):
    raw, headers = whatsapp.signed(body if body is not None else payload, secret)
    return connector.parse_webhook(WebhookRequest("POST", headers, {}, raw))


def customer_message(text="Where is my order?", hours_ago=1.0):
    return NormalizedPost(external_id="wamid.IN0001", author=Author(external_id="16505551234", handle="16505551234"),
                          text=text, created_at=datetime.now(timezone.utc) - timedelta(hours=hours_ago),
                          kind="message", thread_external_id="16505551234")


def test_a_text_message_becomes_a_message_of_its_author_in_their_conversation():
    connector = make()
    [post] = deliver(connector, whatsapp.inbound([whatsapp.text("Does it come in another color?")]))
    assert (post.kind, post.text, post.thread_external_id) == ("message", "Does it come in another color?",
                                                               "16505551234")
    assert post.author.external_id == "16505551234" and post.author.display_name == "Sheena Nelson"
    assert post.author.bio == "+16505551234", "the wa_id is the phone number partner matching reads"
    assert post.created_at.tzinfo and abs(post.created_at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert connector.webhook_skipped == [] and connector.delivery_statuses == []


def test_every_message_type_is_stored_with_a_description_or_skipped_with_a_reason():
    media = {"mime_type": "image/jpeg", "sha256": "abc", "id": "1003383421387256"}
    messages = [
        {"type": "image", "image": {**media, "caption": "broken screen"}},
        {"type": "video", "video": {**media, "mime_type": "video/mp4"}},
        {"type": "audio", "audio": {**media, "mime_type": "audio/ogg; codecs=opus", "voice": True}},
        {"type": "document", "document": {**media, "filename": "invoice.pdf", "caption": "wrong amount"}},
        {"type": "sticker", "sticker": {**media, "mime_type": "image/webp", "animated": False}},
        {"type": "location", "location": {"latitude": 37.48, "longitude": -122.14, "name": "Philz Coffee",
                                          "address": "3101 Middlefield Rd"}},
        {"type": "contacts", "contacts": [{"name": {"formatted_name": "Barbara Johnson", "first_name": "Barbara"},
                                           "phones": [{"phone": "+1 (940) 555-1234", "type": "HOME"}]}]},
        {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "b1",
                                                                                         "title": "Change"}}},
        {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {
            "id": "priority", "title": "Priority shipping", "description": "Next day to 2 days"}}},
        {"type": "button", "button": {"payload": "Stop promotions", "text": "Stop promotions"}},
        {"type": "reaction", "reaction": {"message_id": "wamid.OUT1", "emoji": "\U0001f44d"}},
        {"type": "reaction", "reaction": {"message_id": "wamid.OUT1"}},
        {"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown",
                                            "error_data": {"details": "Message type is currently not supported."}}]},
        {"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}}},
        {"type": "text", "text": {}},
    ]
    connector = make()
    posts = deliver(connector, whatsapp.inbound(messages))
    assert [post.text for post in posts] == [
        "[image] broken screen",
        "[video]",
        "[voice message]",
        "[document: invoice.pdf] wrong amount",
        "[sticker]",
        "[location] Philz Coffee, 3101 Middlefield Rd (37.48, -122.14)",
        "[contact] Barbara Johnson +1 (940) 555-1234",
        "Change",
        "Priority shipping — Next day to 2 days",
        "Stop promotions",
        "[reaction] \U0001f44d",
    ]
    assert posts[10].parent_external_id == "wamid.OUT1", "a reaction answers the message it reacts to"
    reasons = [skipped.reason for skipped in connector.webhook_skipped]
    assert reasons == [
        "reaction removed (no emoji)",
        "message type unsupported is not supported: Message type is currently not supported.",
        "interactive reply of type nfm_reply is not supported",
        "text message without body",
    ]
    assert all(skipped.external_id.startswith("wamid.") for skipped in connector.webhook_skipped)


def test_a_reply_quoting_our_message_points_to_it():
    [post] = deliver(make(), whatsapp.inbound([whatsapp.text("yes please", context={"from": "15550783881",
                                                                                    "id": "wamid.OUT7"})]))
    assert post.parent_external_id == "wamid.OUT7"


def test_a_person_is_their_business_scoped_user_id_which_stays_when_they_hide_their_number(api):
    imitation, server = api
    connector = make(server)
    [with_number] = deliver(connector, whatsapp.inbound([whatsapp.text("hi")], user_id="US.13491208655302741918"))
    [hidden] = deliver(connector, whatsapp.inbound([whatsapp.text("hi again")], wa_id="",
                                                   user_id="US.13491208655302741918", username="sheena"))
    assert with_number.author.external_id == hidden.author.external_id == "US.13491208655302741918"
    assert with_number.thread_external_id == hidden.thread_external_id == "US.13491208655302741918"
    assert (with_number.author.bio, hidden.author.bio) == ("+16505551234", "")
    assert (hidden.author.handle, hidden.author.display_name) == ("sheena", "Sheena Nelson")
    sent = connector.reply(replace(hidden, created_at=datetime.now(timezone.utc)), "Hello Sheena")
    assert imitation.sent[0]["recipient"] == "US.13491208655302741918" and "to" not in imitation.sent[0]
    assert sent.thread_external_id == "US.13491208655302741918"


def test_group_messages_are_threaded_by_group_and_system_messages_skipped_with_what_changed():
    connector = make()
    [post] = deliver(connector, whatsapp.inbound([whatsapp.text("in the group", group_id="Y2FmZWJhYmUtZ3JvdXA")]))
    assert post.thread_external_id == "Y2FmZWJhYmUtZ3JvdXA" and post.author.external_id == "16505551234"
    with pytest.raises(ConnectorError, match="group"):
        connector.reply(post, "hello group")
    system = {"type": "system", "system": {"body": "User A changed from 1 to 2", "type": "user_changed_number"}}
    assert deliver(connector, whatsapp.inbound([system])) == []
    assert connector.webhook_skipped[0].reason == "message type system is not supported: User A changed from 1 to 2"
    assert deliver(connector, whatsapp.inbound([whatsapp.text("no sender")], wa_id="")) == []
    assert connector.webhook_skipped[0].reason == "missing from and from_user_id"


def test_an_edit_changes_the_original_message_and_a_revoke_deletes_it():
    connector = make()
    edit = {"type": "edit", "edit": {"original_message_id": "wamid.ORIG", "message": {
        "context": {"id": "wamid.OUT1"}, "type": "image", "image": {"caption": "the right photo", "id": "9"}}}}
    [edited] = deliver(connector, whatsapp.inbound([edit]))
    assert (edited.external_id, edited.text, edited.parent_external_id) == ("wamid.ORIG", "[image] the right photo",
                                                                            "wamid.OUT1")
    assert edited.edited_at == edited.created_at and not edited.deleted
    [revoked] = deliver(connector, whatsapp.inbound([{"type": "revoke",
                                                      "revoke": {"original_message_id": "wamid.ORIG"}}]))
    assert (revoked.external_id, revoked.deleted, revoked.text) == ("wamid.ORIG", True, "")
    assert deliver(connector, whatsapp.inbound([{"type": "edit", "edit": {"message": {"type": "text"}}}])) == []
    assert connector.webhook_skipped[0].reason == "missing original_message_id"


def test_statuses_are_delivery_reports_not_posts():
    connector = make()
    error = {"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
             "error_data": {"details": "Message failed to send because more than 24 hours have passed"}}
    posts = deliver(connector, whatsapp.status("wamid.OUT1", "delivered"))
    posts += deliver(connector, whatsapp.status("wamid.OUT2", "failed", error=error))
    assert posts == []
    failed = connector.delivery_statuses[0]
    assert (failed.message_id, failed.status, failed.error_code) == ("wamid.OUT2", "failed", "131047")
    assert failed.error_message.startswith("Re-engagement message — Message failed to send")
    connector = make()
    deliver(connector, whatsapp.status("wamid.OUT3", "exploded"))
    assert [s.reason for s in connector.webhook_skipped] == ["status: unknown status exploded"]


def test_other_fields_and_account_errors_store_nothing_and_errors_are_counted():
    payload = whatsapp.envelope({"errors": [{"code": 131000, "title": "Something went wrong",
                                             "error_data": {"details": "Unknown error"}}]})
    payload["entry"][0]["changes"].append({"field": "message_template_status_update",
                                           "value": {"event": "APPROVED", "message_template_name": "x"}})
    connector = make()
    assert deliver(connector, payload) == []
    assert [s.reason for s in connector.webhook_skipped] == ["error 131000: Unknown error"]


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_delivery_with_a_wrong_or_missing_signature_is_rejected(secret):
    raw, headers = whatsapp.signed(whatsapp.inbound([whatsapp.text("hi")]), secret or "x")
    if not secret:
        headers.pop("X-Hub-Signature-256")
    with pytest.raises(WebhookRejected):
        make().parse_webhook(WebhookRequest("POST", headers, {}, raw))
    with pytest.raises(WebhookRejected):  # no app secret configured: nothing is trusted
        deliver(make(app_secret=""), whatsapp.inbound([whatsapp.text("hi")]), secret="")


def test_hostile_huge_and_empty_deliveries():
    connector = make()
    with pytest.raises(WebhookRejected):
        deliver(connector, None, body=b"x" * 1_100_000)
    with pytest.raises(WebhookRejected):
        deliver(connector, None, body=b"not json")
    assert deliver(connector, None, body=b"{}") == []
    assert deliver(connector, {"entry": "nope"}) == []
    assert deliver(connector, {"entry": [{"changes": [{"field": "messages", "value": {"messages": [
        "a string", {"type": "text", "text": {"body": "no sender"}, "id": "wamid.X", "timestamp": "1"}]}}]}]}) == []
    assert len(connector.webhook_skipped) == 2
    hostile = "<script>alert(1)</script>\x00" + "ž" * 20 + "x" * 200_000
    [post] = deliver(connector, whatsapp.inbound([whatsapp.text(hostile)]))
    assert post.text.startswith("<script>") and "\x00" not in post.text and len(post.text) == 100_000


def test_the_verify_token_handshake():
    connector = make()
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-wa", "hub.challenge": "1158201444"}
    assert connector.webhook_handshake(WebhookRequest("GET", {}, query, b"")).body == "1158201444"
    with pytest.raises(WebhookRejected):
        connector.webhook_handshake(WebhookRequest("GET", {}, {**query, "hub.verify_token": "guess"}, b""))


def test_a_reply_within_the_window_is_free_text_quoting_the_message(api):
    imitation, server = api
    sent = make(server).reply(customer_message(), "Your order ships tomorrow.")
    [request] = imitation.sent
    assert (request["type"], request["text"]["body"], request["to"]) == ("text", "Your order ships tomorrow.",
                                                                         "16505551234")
    assert request["context"] == {"message_id": "wamid.IN0001"}
    assert sent.external_id == request["id"] and sent.thread_external_id == "16505551234"
    assert sent.author.external_id == whatsapp.PHONE_NUMBER_ID and sent.parent_external_id == "wamid.IN0001"


def test_outside_the_window_the_configured_template_carries_the_text(api):
    imitation, server = api
    connector = make(server, template_name="support_followup", template_language="en_US")
    sent = connector.reply(customer_message(hours_ago=30), "We fixed it.\nSorry for the wait.")
    [request] = imitation.sent
    assert request["type"] == "template" and request["template"]["name"] == "support_followup"
    assert request["template"]["components"][0]["parameters"] == [{"type": "text",
                                                                   "text": "We fixed it. Sorry for the wait."}]
    assert sent.text == "[template support_followup] We fixed it. Sorry for the wait."


def test_outside_the_window_without_a_template_the_error_says_what_to_configure(api):
    imitation, server = api
    with pytest.raises(ConnectorError, match="template_name"):
        make(server).reply(customer_message(hours_ago=25), "Hello again")
    assert imitation.sent == []
    with pytest.raises(ConnectorError, match="132001"):  # a template Meta does not know
        make(server, template_name="unknown").reply(customer_message(hours_ago=25), "Hello again")


def test_errors_throughput_and_tokens(api):
    imitation, server = api
    imitation.throttled = True
    with pytest.raises(RateLimited) as throttled:
        make(server).reply(customer_message(), "hi")
    assert throttled.value.reset_at > datetime.now(timezone.utc)
    imitation.throttled = False
    with pytest.raises(AuthError):
        make(server, access_token="expired").reply(customer_message(), "hi")
    with pytest.raises(ConnectorError, match="4096"):
        make(server).reply(customer_message(), "x" * 4097)
    with pytest.raises(ConnectorError, match="neither a WhatsApp number nor a user id"):
        make(server).reply(NormalizedPost("m", Author("@nobody", "nobody"), "t", datetime.now(timezone.utc)), "hi")


def test_connection_check_webhook_subscription_and_polling(api):
    _imitation, server = api
    connector = make(server)
    assert connector.check_connection() == "Acme Support"
    connector.register_webhook("https://odoo.example/social_crm/webhook/x")
    with pytest.raises(ConnectorError, match="business_account_id"):
        make(server, business_account_id="").register_webhook("https://odoo.example/x")
    page = connector.fetch_page(StreamSpec("messages"), "")
    assert page.posts == [] and not page.has_more
    assert json.loads(json.dumps(page.cursor)) == ""
