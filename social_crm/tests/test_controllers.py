import json
import os
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import imitations, telegram_bot_account


@tagged("post_install", "-at_install")
class TestWebhooks(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = telegram_bot_account(cls.env, "Support bot", "123:bot-token", "hook-secret_1")
        cls.url = f"/social_crm/webhook/{cls.account.webhook_token}"

    def deliver(self, update, secret="hook-secret_1"):  # noqa: S107 - a test secret
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return self.url_open(self.url, data=json.dumps(update), headers=headers)

    def update(self, update_id, text):
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "from": {"id": 42, "is_bot": False, "first_name": "Jana", "username": "jana"},
                "chat": {"id": 42, "type": "private"},
                "date": 1763800000,
                "text": text,
            },
        }

    def posts(self):
        return self.env["social.crm.post"].search([("account_id", "=", self.account.id)])

    def test_a_signed_delivery_is_stored_once(self):
        response = self.deliver(self.update(1, "Internet nefunguje už druhý den!"))
        self.assertEqual((response.status_code, response.text), (200, "ok"))
        self.assertEqual(len(self.posts()), 1)
        self.assertEqual(self.posts().stream_id, self.account.stream_ids)
        self.deliver(self.update(1, "Internet nefunguje už druhý den!"))
        self.assertEqual(len(self.posts()), 1, "a repeated delivery is stored once")

    def test_a_delivery_without_a_post_is_counted_on_the_stream(self):
        pinned = self.update(5, "")
        del pinned["message"]["text"]
        pinned["message"]["pinned_message"] = self.update(4, "Opening hours: 9–17")["message"]
        self.assertEqual(self.deliver(pinned).status_code, 200)
        self.assertFalse(self.posts())
        stream = self.account.stream_ids
        self.assertEqual(stream.skipped_count, 1)
        self.assertEqual(
            stream.skip_reason_counts, {"message has no text and no media (a service message, dice or poll)": 1}
        )

    def test_registering_the_webhook_tells_the_network_where_to_push(self):
        server_module, _mastodon, telegram = imitations()
        imitation = telegram.TelegramImitation()
        with server_module.ImitationServer(imitation) as server:
            self.account.base_url = server.url
            self.account._save_credentials({"bot_token": telegram.TOKEN})
            self.account.action_register_webhook()
        self.assertEqual(imitation.webhook_url, self.account.webhook_url)
        self.assertEqual(imitation.secret_token, self.account._credentials()["webhook_secret"])

    def test_bad_or_missing_signature_stores_nothing(self):
        self.assertEqual(self.deliver(self.update(2, "hello"), secret="wrong").status_code, 403)
        self.assertEqual(self.deliver(self.update(3, "hello"), secret=None).status_code, 403)
        self.assertFalse(self.posts())

    def test_oversized_bodies_and_unknown_tokens_are_refused(self):
        huge = self.update(4, "x" * 1_100_000)
        self.assertEqual(self.deliver(huge).status_code, 413)
        response = self.url_open("/social_crm/webhook/not-a-token", data="{}")
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.posts())


@tagged("post_install", "-at_install")
class TestOAuthCallback(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["social.crm.account"].create(
            {
                "name": "Brand on Mastodon",
                "network": "mastodon",
                "base_url": "https://mastodon.example",
                "credential_ids": [
                    (0, 0, {"key": "client_id", "value": "client"}),
                    (0, 0, {"key": "client_secret", "value": "secret"}),
                ],
            }
        )
        cls.manager = new_test_user(cls.env, "social_oauth_manager", groups="social_crm.group_social_crm_manager")

    def test_connect_sends_to_the_network_with_state_and_pkce(self):
        action = self.account.action_oauth_connect()
        query = parse_qs(urlsplit(action["url"]).query)
        self.assertTrue(action["url"].startswith("https://mastodon.example/oauth/authorize"))
        self.assertEqual(query["state"], [self.account.oauth_state])
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertIn("/social_crm/oauth/callback", query["redirect_uri"][0])

    def test_a_mismatched_state_is_rejected(self):
        self.account.action_oauth_connect()
        self.authenticate("social_oauth_manager", "social_oauth_manager")
        response = self.url_open("/social_crm/oauth/callback?state=forged&code=abc")
        self.assertEqual(response.status_code, 400)
        self.assertTrue(self.account.oauth_state, "the pending connection is untouched")
        self.assertFalse(self.account.credential_ids.filtered(lambda line: line.key == "access_token"))

    def test_a_granted_connection_stores_the_token(self):
        server_module, mastodon, _telegram = imitations()
        imitation = mastodon.MastodonImitation()
        with (
            server_module.ImitationServer(imitation) as server,
            patch.dict(os.environ, OAUTHLIB_INSECURE_TRANSPORT="1"),
        ):
            self.account.write(
                {
                    "base_url": server.url,
                    "credential_ids": [
                        Command.clear(),
                        Command.create({"key": "client_id", "value": mastodon.CLIENT_ID}),
                        Command.create({"key": "client_secret", "value": mastodon.CLIENT_SECRET}),
                    ],
                }
            )
            query = parse_qs(urlsplit(self.account.action_oauth_connect()["url"]).query)
            code = imitation.authorize(query["redirect_uri"][0], query["code_challenge"][0])
            self.authenticate("social_oauth_manager", "social_oauth_manager")
            response = self.url_open(f"/social_crm/oauth/callback?state={query['state'][0]}&code={code}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.account.state, "connected")
        self.assertFalse(self.account.oauth_state, "a state is used once")
        self.assertIn(self.account._credentials()["access_token"], imitation.tokens)

    def test_the_callback_needs_a_manager(self):
        new_test_user(self.env, "social_plain_user", groups="social_crm.group_social_crm_user")
        self.account.action_oauth_connect()
        self.authenticate("social_plain_user", "social_plain_user")
        response = self.url_open(f"/social_crm/oauth/callback?state={self.account.oauth_state}&code=abc")
        self.assertEqual(response.status_code, 403)
