"""WhatsApp Business (Cloud API) and Threads end to end in Odoo, against their
imitation servers: pushed or fetched, analysed, routed to a ticket, answered by
an agent who has only the groups an administrator gives to support staff."""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import SimulatedCommits, imitations

AGENT_GROUPS = "social_crm.group_social_crm_user,helpdesk_mgmt.group_helpdesk_user"


def service_imitations():
    server, _mastodon, _telegram = imitations()
    from tests.imitation import threads, whatsapp

    return server, whatsapp, threads


class ServiceChannelCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server_module, cls.whatsapp, cls.threads = service_imitations()
        cls.company = cls.env["res.company"].create({"name": "Service Channels Co"})
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "Care", "company_id": cls.company.id})
        cls.env["social.crm.rule"].create(
            {"name": "All to care", "company_id": cls.company.id, "action": "ticket", "helpdesk_team_id": cls.team.id}
        )
        cls.agent = new_test_user(
            cls.env, "service_agent", groups=AGENT_GROUPS, company_id=cls.company.id, company_ids=[cls.company.id]
        )

    def setUp(self):
        super().setUp()
        # the demo data's posts belong to another company; keep them out of routing
        self.env["social.crm.post"].search([("company_id", "!=", self.company.id), ("state", "=", "new")]).write(
            {"state": "ignored"}
        )

    def serve(self, imitation, version):
        """Serve ``imitation`` for the test; the API base URL of an account that talks to it."""
        self.imitation = imitation
        self.server = self.server_module.ImitationServer(imitation).__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        return f"{self.server.url}/{version}"

    def account(self, network, base_url, credentials, external_id, kinds):
        return self.env["social.crm.account"].create(
            {
                "name": network,
                "network": network,
                "company_id": self.company.id,
                "base_url": base_url,
                "external_id": external_id,
                "credential_ids": [(0, 0, {"key": key, "value": value}) for key, value in credentials.items()],
                "stream_ids": [(0, 0, {"name": kind, "kind": kind, "backfill_limit": 0}) for kind in kinds],
            }
        )

    def posts(self, account):
        return self.env["social.crm.post"].search([("account_id", "=", account.id)])

    def route(self):
        while self.env["social.crm.post"]._process_new():
            pass

    def reply_as_agent(self, ticket, text):
        wizard = (
            self.env["social.crm.reply"]
            .with_user(self.agent)
            .with_context(active_model="helpdesk.ticket", active_id=ticket.id)
            .create({"text": text})
        )
        wizard.action_send()
        return wizard.post_id


@tagged("post_install", "-at_install")
class TestWhatsApp(ServiceChannelCase):
    def setUp(self):
        super().setUp()
        wa = self.whatsapp
        self.wa_account = self.account(
            "whatsapp",
            self.serve(wa.WhatsAppImitation(), wa.VERSION),
            {"access_token": wa.TOKEN, "phone_number_id": wa.PHONE_NUMBER_ID, "business_account_id": wa.WABA_ID,
             "app_secret": wa.APP_SECRET, "verify_token": "verify-wa"},
            wa.PHONE_NUMBER_ID,
            ["messages"],
        )  # fmt: skip
        self.url = f"/social_crm/webhook/{self.wa_account.webhook_token}"
        self.customer = self.env["res.partner"].create(
            {"name": "Sheena Nelson", "phone": "+1 650-555-1234", "company_id": self.company.id}
        )

    def push(self, payload, secret=None):
        body, headers = self.whatsapp.signed(payload, secret or self.whatsapp.APP_SECRET)
        return self.url_open(self.url, data=body, headers=headers)

    def test_a_pushed_message_becomes_a_ticket_answered_in_the_window_with_its_delivery_recorded(self):
        challenge = self.url_open(f"{self.url}?hub.mode=subscribe&hub.verify_token=verify-wa&hub.challenge=8472")
        self.assertEqual((challenge.status_code, challenge.text), (200, "8472"))
        complaint = "My internet has been down for two days, this is terrible! When will you fix it?"
        response = self.push(self.whatsapp.inbound([self.whatsapp.text(complaint)]))
        self.assertEqual((response.status_code, response.text), (200, "ok"))
        self.assertEqual(self.push(self.whatsapp.inbound([self.whatsapp.text(complaint)])).status_code, 200)
        incoming = self.posts(self.wa_account)
        self.assertEqual(len(incoming), 1, "a delivery repeated by Meta is stored once")
        self.assertEqual((incoming.kind, incoming.thread_external_id), ("message", "16505551234"))
        self.assertEqual((incoming.language, incoming.sentiment_label), ("en", "negative"))
        self.assertEqual(incoming.stream_id, self.wa_account.stream_ids)
        self.assertEqual(incoming.profile_id.name, "Sheena Nelson")
        self.assertEqual((incoming.partner_id, incoming.profile_id.match_reason), (self.customer, "phone"))

        self.route()
        ticket = incoming.ticket_id
        self.assertEqual((ticket.team_id, ticket.social_network), (self.team, "whatsapp"))

        answered = self.reply_as_agent(ticket, "We are sorry! A technician comes tomorrow at 9.")
        self.assertEqual(answered, incoming)
        [sent] = self.imitation.sent
        self.assertEqual((sent["type"], sent["to"]), ("text", "16505551234"))
        self.assertEqual(sent["text"]["body"], "We are sorry! A technician comes tomorrow at 9.")
        self.assertEqual(sent["context"], {"message_id": incoming.external_id})
        reply = self.posts(self.wa_account).filtered(lambda post: post.direction == "outgoing")
        self.assertEqual((reply.external_id, reply.parent_id, reply.ticket_id), (sent["id"], incoming, ticket))
        self.assertEqual(incoming.state, "replied")

        for state in ("sent", "delivered", "read", "read"):
            self.assertEqual(self.push(self.whatsapp.status(sent["id"], state)).status_code, 200)
        self.assertEqual(reply.delivery_ids.mapped("status"), ["sent", "delivered", "read"])
        self.assertFalse(self.posts(self.wa_account) - incoming - reply, "statuses are no posts")
        self.assertEqual(reply.with_user(self.agent).delivery_ids.mapped("status"), ["sent", "delivered", "read"])

    def test_media_is_described_unsupported_items_counted_and_a_failed_delivery_told_on_the_ticket(self):
        payload = self.whatsapp.inbound([
            {"type": "image", "image": {"caption": "the router lights are red", "mime_type": "image/jpeg",
                                        "sha256": "x", "id": "1234"}},
            {"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown"}]},
        ])  # fmt: skip
        self.push(payload)
        post = self.posts(self.wa_account)
        self.assertEqual(post.text, "[image] the router lights are red")
        stream = self.wa_account.stream_ids
        self.assertEqual(stream.skipped_count, 1)
        # a status that comes before our reply is committed (or of a message sent elsewhere) is kept
        self.push(self.whatsapp.status("wamid.NOT-YET-STORED", "delivered"))
        early = self.env["social.crm.delivery"].search([("message_id", "=", "wamid.NOT-YET-STORED")])
        self.assertEqual((early.account_id, early.status, stream.skipped_count), (self.wa_account, "delivered", 1))

        self.route()
        self.reply_as_agent(post.ticket_id, "Thanks, we see it.")
        sent_id = self.imitation.sent[0]["id"]
        error = {"code": 131026, "title": "Message undeliverable",
                 "error_data": {"details": "Message Undeliverable."}}
        self.push(self.whatsapp.status(sent_id, "failed", error=error))
        reply = self.posts(self.wa_account).filtered(lambda p: p.external_id == sent_id)
        self.assertEqual((reply.delivery_ids.status, reply.delivery_ids.error_code), ("failed", "131026"))
        notes = post.ticket_id.message_ids.filtered(lambda message: "not delivered" in (message.body or ""))
        self.assertIn("Message undeliverable — Message Undeliverable.", notes.body)

    def test_outside_the_window_a_template_goes_out_or_the_agent_is_told_what_is_missing(self):
        self.push(self.whatsapp.inbound([self.whatsapp.text("Is my order shipped?")]))
        post = self.posts(self.wa_account)
        post.published_date = fields.Datetime.now() - timedelta(hours=30)
        self.route()
        with self.assertRaisesRegex(UserError, "template_name"):
            self.reply_as_agent(post.ticket_id, "Yes, it ships today.")
        self.assertFalse(self.imitation.sent)
        self.wa_account._save_credentials({"template_name": "support_followup", "template_language": "en_US"})
        self.reply_as_agent(post.ticket_id, "Yes, it ships today.")
        [sent] = self.imitation.sent
        self.assertEqual((sent["type"], sent["template"]["name"]), ("template", "support_followup"))
        reply = self.posts(self.wa_account).filtered(lambda p: p.direction == "outgoing")
        self.assertEqual(reply.text, "[template support_followup] Yes, it ships today.")

    def test_an_edited_message_updates_the_stored_one_and_a_revoked_one_is_kept_marked_deleted(self):
        self.push(self.whatsapp.inbound([self.whatsapp.text("Thanks, all good now!")]))
        post = self.posts(self.wa_account)
        edit = {"type": "edit", "edit": {"original_message_id": post.external_id,
                                         "message": {"type": "text", "text": {"body": "No, it is broken again!"}}}}
        self.push(self.whatsapp.inbound([edit]))
        self.assertEqual((len(self.posts(self.wa_account)), post.text), (1, "No, it is broken again!"))
        self.assertEqual(post.sentiment_label, "negative", "an edited text is analysed again")
        self.push(self.whatsapp.inbound([{"type": "revoke", "revoke": {"original_message_id": post.external_id}}]))
        self.assertEqual((post.is_deleted, post.text), (True, "No, it is broken again!"))

    def test_a_wrong_signature_stores_nothing(self):
        response = self.push(self.whatsapp.inbound([self.whatsapp.text("hello")]), secret="forged")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.posts(self.wa_account))

    def test_the_account_lists_its_credentials_and_a_scheduled_fetch_reads_nothing(self):
        for key in ("phone_number_id", "business_account_id", "template_name", "template_language"):
            self.assertIn(key, self.wa_account.credential_keys_expected)
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        self.wa_account._fetch()
        self.assertEqual(self.wa_account.state, "connected", self.wa_account.last_error)
        self.assertFalse(self.posts(self.wa_account))
        self.assertEqual(self.wa_account.action_check_connection()["params"]["type"], "success")
        self.assertEqual(self.wa_account.handle, "Acme Support")

    def test_registering_subscribes_the_app_to_the_business_account(self):
        self.wa_account.action_register_webhook()
        expected = f"/{self.whatsapp.VERSION}/{self.whatsapp.WABA_ID}/subscribed_apps"
        self.assertEqual(self.server.requests[-1].path, expected)


@tagged("post_install", "-at_install")
class TestThreads(ServiceChannelCase):
    def setUp(self):
        super().setUp()
        th = self.threads
        self.th_account = self.account(
            "threads",
            self.serve(th.ThreadsImitation(), th.VERSION),
            {"access_token": th.TOKEN, "app_secret": th.APP_SECRET, "verify_token": "verify-th"},
            th.USERNAME,
            ["mentions", "comments"],
        )
        self.imitation.processing_checks = 0

    def test_a_fetched_mention_becomes_a_ticket_answered_on_threads(self):
        commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", commits.commit)
        now = datetime.now(timezone.utc)
        mention = self.imitation.add_mention(now, "@acme.threads my order never arrived, this is awful!")
        our_post = self.imitation.add_post(now - timedelta(hours=1))
        self.th_account._fetch()
        self.assertEqual(self.th_account.state, "connected", self.th_account.last_error)
        incoming = self.posts(self.th_account)
        self.assertEqual(incoming.mapped("external_id"), [mention["id"]])
        self.assertEqual((incoming.kind, incoming.profile_id.handle), ("mention", "petr.n"))
        self.assertEqual(incoming.sentiment_label, "negative")
        self.route()
        self.assertTrue(incoming.ticket_id)

        self.reply_as_agent(incoming.ticket_id, "So sorry! Please send us your order number.")
        self.assertEqual(
            self.imitation.published[0],
            {"id": self.imitation.published[0]["id"], "text": "So sorry! Please send us your order number.",
             "reply_to_id": mention["id"]},
        )  # fmt: skip
        reply = self.posts(self.th_account).filtered(lambda post: post.direction == "outgoing")
        self.assertEqual((reply.parent_id, reply.ticket_id), (incoming, incoming.ticket_id))

        # a reply under our own post comes in by the comments stream and joins nothing else
        self.imitation.add_reply(our_post["id"], now, "Is size M back?")
        self.th_account._fetch()
        comments = self.posts(self.th_account).filtered(lambda post: post.kind == "comment" and
                                                        post.direction == "incoming")
        self.assertEqual((comments.text, comments.thread_external_id), ("Is size M back?", our_post["id"]))

    def test_a_pushed_reply_is_stored_in_the_comments_stream(self):
        value = {"id": "8901234", "username": "jana.k", "text": "Nothing works since the update!",
                 "media_type": "TEXT_POST", "replied_to": {"id": "567890"}, "root_post": {"id": "567890"},
                 "timestamp": "2026-11-20T10:33:16+0000"}
        body, headers = self.whatsapp.signed(self.threads.reply_webhook(value), self.threads.APP_SECRET)
        response = self.url_open(f"/social_crm/webhook/{self.th_account.webhook_token}", data=body, headers=headers)
        self.assertEqual(response.status_code, 200)
        post = self.posts(self.th_account)
        self.assertEqual((post.kind, post.thread_external_id), ("comment", "567890"))
        self.assertEqual(post.stream_id.kind, "comments")
        forged = self.url_open(
            f"/social_crm/webhook/{self.th_account.webhook_token}",
            data=json.dumps(self.threads.reply_webhook({**value, "id": "1"})),
            headers={"X-Hub-Signature-256": "sha256=0"},
        )
        self.assertEqual(forged.status_code, 403)

    def test_a_manager_connects_the_account_through_the_authorization_window(self):
        manager = new_test_user(
            self.env, "threads_manager", groups="social_crm.group_social_crm_manager",
            company_id=self.company.id, company_ids=[self.company.id],
        )  # fmt: skip
        self.th_account._save_credentials({"app_id": self.threads.APP_ID, "access_token": ""})
        action = self.th_account.with_user(manager).action_oauth_connect()
        query = parse_qs(urlsplit(action["url"]).query)
        self.assertTrue(action["url"].startswith("https://threads.net/oauth/authorize"))
        self.authenticate("threads_manager", "threads_manager")
        response = self.url_open(f"/social_crm/oauth/callback?state={query['state'][0]}&code={self.threads.CODE}")
        self.assertEqual(response.status_code, 200)
        credentials = self.th_account._credentials()
        self.assertEqual((credentials["access_token"], credentials["user_id"]), (self.threads.TOKEN,
                                                                                self.threads.USER_ID))
        self.assertGreater(credentials["expires_at"], (datetime.now(timezone.utc) + timedelta(days=59)).timestamp())
        self.assertEqual(self.th_account.state, "connected")
