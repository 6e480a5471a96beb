from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import imitations
from .desk_common import AGENT_GROUPS, DeskCase


@tagged("post_install", "-at_install")
class TestAiAssistance(DeskCase):
    """Optional AI assistance against a local imitation of the
    chat-completions API; off until an administrator enables it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.agent(
            "desk_ai_manager", "Mia Manager", groups=AGENT_GROUPS + ",social_crm.group_social_crm_manager"
        )
        cls.post = cls.incoming_post("Internet nejde už od pondělí!", language="cs")
        cls.ticket = cls.ticket_for(cls.post)
        cls.env["mail.canned.response"].create(
            {"source": "ai-fallback", "social_crm_saved_reply": True, "social_crm_language": "cs",
             "group_ids": [(4, cls.env.ref("social_crm.group_social_crm_user").id)],
             "substitution": "Dobrý den {customer}, prověříme to."}
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        server_module = imitations()[0]
        from tests.imitation.chat_completions import API_KEY, ChatCompletionsImitation

        self.imitation = ChatCompletionsImitation()
        self.api_key = API_KEY
        self.server = server_module.ImitationServer(self.imitation)
        self.server.__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)

    def configure(self, **values):
        return (
            self.env["social.crm.ai.config"]
            .with_user(self.manager)
            .create(
                {"company_id": self.company.id, "base_url": self.server.url + "/v1", "model": "llama3.1",
                 "api_key": self.api_key, **values}
            )
        )  # fmt: skip

    def wizard(self):
        return Form(
            self.env["social.crm.reply"]
            .with_user(self.agent_cs)
            .with_context(active_model="helpdesk.ticket", active_id=self.ticket.id)
        )

    def logs(self):
        return self.env["social.crm.ai.log"].search([("post_id", "=", self.post.id)])

    def test_nothing_is_sent_until_an_administrator_enables_it(self):
        self.configure(enabled=False)
        form = self.wizard()
        self.assertFalse(form.ai_available)
        self.ticket.with_user(self.agent_cs).action_social_summarise()
        self.post.with_user(self.agent_cs).action_ai_recheck()
        self.assertEqual(self.imitation.received, [], "not one request")
        self.assertFalse(self.logs())
        note = self.ticket.message_ids[0]
        self.assertIn("Thread summary (latest messages)", note.body)

    def test_a_draft_in_the_posts_language_is_inserted_and_what_was_sent_is_logged(self):
        self.configure(enabled=True)
        form = self.wizard()
        self.assertTrue(form.ai_available)
        form.ai_draft_requested = True
        self.assertEqual(form.text, "Dobrý den, omlouváme se, hned to prověříme.")
        sent = self.imitation.received[0]
        self.assertIn("'cs'", sent["messages"][0]["content"])
        self.assertIn("Internet nejde už od pondělí!", sent["messages"][-1]["content"])
        log = self.logs().with_user(self.agent_cs)
        self.assertEqual((log.purpose, log.state, log.user_id), ("draft", "done", self.agent_cs))
        self.assertIn("Internet nejde už od pondělí!", log.sent)
        self.assertNotIn(self.api_key, log.sent, "the key is never logged")

    def test_a_failing_endpoint_falls_back_to_the_offline_path(self):
        self.configure(enabled=True)
        self.imitation.fail_next = 1
        form = self.wizard()
        form.ai_draft_requested = True
        self.assertEqual(form.text, "Dobrý den Petr Svoboda, prověříme to.", "the saved reply instead")
        self.assertEqual(self.logs().state, "failed")
        self.imitation.malformed_next = 1
        action = self.post.with_user(self.agent_cs).action_ai_recheck()
        self.assertIn("offline analyzer", action["params"]["title"])

    def test_summaries_and_second_opinions_come_from_the_endpoint(self):
        self.configure(enabled=True)
        self.ticket.with_user(self.agent_cs).action_social_summarise()
        self.assertIn("Router restarted", self.ticket.message_ids[0].body)
        action = self.post.with_user(self.agent_cs).action_ai_recheck()
        self.assertIn("AI assistance", action["params"]["title"])
        self.assertIn("Sentiment negative, intent complaint", action["params"]["message"])
        self.assertEqual(
            set(self.env["social.crm.ai.log"].search([("ticket_id", "=", self.ticket.id)]).mapped("purpose")),
            {"summary", "recheck"},
        )

    def test_only_managers_read_the_configuration_and_its_key(self):
        config = self.configure(enabled=True)
        with self.assertRaises(AccessError):
            config.with_user(self.agent_cs).read(["base_url"])
        with self.assertRaises(AccessError):
            self.env["social.crm.ai.config"].with_user(self.agent_cs).create({"company_id": self.company.id})
        self.assertEqual(config.with_user(self.manager).api_key, self.api_key)
