from odoo.tests import Form, tagged

from .desk_common import DeskCase


@tagged("post_install", "-at_install")
class TestSuggestions(DeskCase):
    """Answers of solved tickets offered for new posts; the index follows
    closing and reopening."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.closed_stage = cls.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        cls.open_stage = cls.env["helpdesk.ticket.stage"].search([("closed", "=", False)], limit=1)

    def solved(self, question, answer, language="cs"):
        post = self.incoming_post(question, language=language)
        ticket = self.ticket_for(post)
        self.reply(ticket, answer)
        ticket.with_user(self.agent_cs).stage_id = self.closed_stage
        return ticket

    def reply(self, ticket, text):
        form = Form(
            self.env["social.crm.reply"]
            .with_user(self.agent_cs)
            .with_context(active_model="helpdesk.ticket", active_id=ticket.id)
        )
        form.text = text
        wizard = form.save()
        wizard.confirm_collision = True
        wizard.action_send()

    def offered(self, text, language="cs"):
        post = self.incoming_post(text, language=language)
        self.ticket_for(post)
        form = Form(self.env["social.crm.reply"].with_user(self.agent_en).with_context(default_post_id=post.id))
        return form, [suggestion.ticket_id for suggestion in form.suggestion_ids]

    def test_the_most_similar_solved_tickets_in_the_posts_language_come_first(self):
        router = self.solved("Router po aktualizaci firmwaru nefunguje, svítí červeně", "Restartujte router na 30 s.")
        invoice = self.solved(
            "Faktura za listopad je dvakrát vyšší", "Fakturu jsme opravili, dobropis přijde e-mailem."
        )
        english = self.solved("Router not working after firmware update", "Please restart it.", language="en")
        self.solved("Objednávka nedorazila", "Balík je na cestě.")
        form, offered = self.offered("Můj ROUTER po aktualizaci firmwaru nefunguje!")
        self.assertEqual(offered[0], router, "the closest problem first")
        self.assertNotIn(english, offered, "only answers in the post's language")
        self.assertLessEqual(len(offered), 3)
        self.assertNotIn(invoice, offered[:1])
        form.suggestion_id = form.suggestion_ids[0]
        self.assertEqual(form.text, "Restartujte router na 30 s.", "one pick inserts the answer for editing")

    def test_a_reopened_ticket_leaves_the_index_and_returns_with_its_new_answer(self):
        ticket = self.solved("Nejde mi přihlášení do aplikace", "Obnovte si heslo v nastavení.")
        _form, offered = self.offered("Přihlášení do aplikace nejde")
        self.assertIn(ticket, offered)
        self.assertEqual(self.word_count("prihlaseni"), 1)
        ticket.with_user(self.agent_cs).stage_id = self.open_stage
        _form, offered = self.offered("Přihlášení do aplikace nejde")
        self.assertNotIn(ticket, offered, "a reopened ticket is not a solution")
        self.assertEqual(self.word_count("prihlaseni"), 0, "its words are no longer counted")
        self.reply(ticket, "Chyba byla u nás, opraveno; přihlaste se znovu.")
        ticket.with_user(self.agent_cs).stage_id = self.closed_stage
        form, offered = self.offered("Přihlášení do aplikace nejde")
        self.assertIn(ticket, offered)
        solution = form.suggestion_ids[offered.index(ticket)]
        self.assertEqual(
            solution.answer, "Chyba byla u nás, opraveno; přihlaste se znovu.", "the answer that closed it"
        )
        self.assertEqual(self.env["social.crm.solution"].search_count([("ticket_id", "=", ticket.id)]), 1)
        self.assertEqual(self.word_count("prihlaseni"), 1)

    def word_count(self, word):
        term = self.env["social.crm.solution.term"].search(
            [("company_id", "=", self.company.id), ("language", "=", "cs"), ("term", "=", word)]
        )
        return term.doc_count

    def test_query_words_never_act_as_operators(self):
        self.solved("Aplikace padá při spuštění", "Aktualizujte aplikaci.")
        _form, offered = self.offered("aplikace' | !( & padá:* <-> \\ ')")
        self.assertTrue(offered)
        _form, offered = self.offered("?! ... :)")
        self.assertEqual(offered, [])

    def test_a_ticket_closed_without_any_answer_is_not_indexed(self):
        post = self.incoming_post("Tiskárna netiskne", language="cs")
        ticket = self.ticket_for(post)
        ticket.stage_id = self.closed_stage
        self.assertFalse(self.env["social.crm.solution"].search([("ticket_id", "=", ticket.id)]))
