from markupsafe import Markup

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.social_crm.tests.desk_common import DeskCase

QUESTION = (
    "Dobrý den, tady Petr Svoboda (petr.svoboda@example.cz, +420 777 123 456). "
    "Router po aktualizaci firmwaru nefunguje, svítí červeně."
)
ANSWER = "Dobrý den, pane Petr Svoboda, restartujte router na 30 s a firmware se dokončí."


@tagged("post_install", "-at_install")
class TestForumKnowledge(DeskCase):
    """Solved tickets published as forum articles: anonymous texts, one
    article per ticket on the company's forum, suggested by the desk and
    readable by customers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        czech = cls.env["res.lang"]._activate_lang("cs_CZ")
        cls.closed_stage = cls.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        cls.company_b = cls.env["res.company"].create({"name": "Social Company B"})
        cls.website = cls.env["website"].create(
            {
                "name": "Shop A",
                "company_id": cls.company.id,
                "language_ids": [Command.set(czech.ids)],
                "default_lang_id": czech.id,
            }
        )
        cls.website_b = cls.env["website"].create({"name": "Shop B", "company_id": cls.company_b.id})
        cls.forum = cls.env["forum.forum"].create({"name": "Help A", "website_id": cls.website.id})
        cls.forum_b = cls.env["forum.forum"].create({"name": "Help B", "website_id": cls.website_b.id})
        cls.customer = cls.env["res.partner"].create(
            {"name": "Petr Svoboda", "email": "petr.svoboda@example.cz", "phone": "+420 777 123 456"}
        )
        cls.portal = new_test_user(cls.env, "kb_portal", name="Karel Portálový", groups="base.group_portal")

    def solved_social_ticket(self, question=QUESTION, answer=ANSWER):
        post = self.incoming_post(question, language="cs")
        # the author's handle, written bare, and someone else's @handle
        post.write(
            {"partner_id": self.customer.id, "text": f"{question} Píšu jako {post.profile_id.handle}, viz @nekdo."}
        )
        ticket = self.ticket_for(post)
        form = Form(
            self.env["social.crm.reply"]
            .with_user(self.agent_cs)
            .with_context(active_model="helpdesk.ticket", active_id=ticket.id)
        )
        form.text = answer
        wizard = form.save()
        wizard.confirm_collision = True
        wizard.action_send()
        ticket.with_user(self.agent_cs).stage_id = self.closed_stage
        return ticket

    def publish_form(self, ticket, user=None):
        action = ticket.with_user(user or self.agent_cs).action_social_crm_publish_to_forum()
        return Form(self.env[action["res_model"]].with_user(user or self.agent_cs).with_context(**action["context"]))

    def publish(self, ticket, **changes):
        form = self.publish_form(ticket)
        for name, value in changes.items():
            setattr(form, name, value)
        form.save().action_publish()
        return ticket.social_crm_kb_post_id

    def suggested(self, text, language="cs"):
        post = self.incoming_post(text, language=language)
        self.ticket_for(post)
        form = Form(self.env["social.crm.reply"].with_user(self.agent_en).with_context(default_post_id=post.id))
        return self.env["social.crm.solution"].browse([suggestion.id for suggestion in form.suggestion_ids])

    def test_the_wizard_prefills_the_question_and_the_solving_answer_without_the_customers_data(self):
        ticket = self.solved_social_ticket()
        handle = ticket.social_post_ids.filtered(lambda post: post.direction == "incoming").profile_id.handle
        form = self.publish_form(ticket)
        texts = " ".join([form.title, form.question, form.answer])
        for data in ("Petr", "Svoboda", "petr.svoboda@example.cz", "777 123 456", "+420", handle, "@nekdo"):
            self.assertNotIn(data, texts)
        self.assertIn("Router po aktualizaci firmwaru nefunguje, svítí červeně.", form.question)
        self.assertIn("restartujte router na 30 s a firmware se dokončí.", form.answer, "the answer that solved it")
        self.assertGreaterEqual(form.removed_count, 4)
        self.assertIn(str(form.removed_count), form.removed_note)
        self.assertEqual(form.forum_id, self.forum)
        self.assertEqual(form.language, "cs_CZ", "the language of the customer's post")

    def test_publishing_makes_a_question_with_an_accepted_answer_once_per_ticket(self):
        ticket = self.solved_social_ticket()
        article = self.publish(ticket, answer="Restartujte router <script>alert(1)</script> na 30 s.")
        self.assertEqual(article.forum_id, self.forum)
        self.assertEqual(article.state, "active")
        self.assertFalse(article.parent_id)
        self.assertEqual(article.create_uid, self.agent_cs, "the agent is the author")
        self.assertEqual(article.social_crm_language, "cs")
        self.assertIn("Router po aktualizaci firmwaru nefunguje", article.content)
        answer = article.child_ids
        self.assertEqual(len(answer), 1)
        self.assertTrue(answer.is_correct and article.has_validated_answer)
        self.assertEqual(answer.state, "active")
        self.assertIn("&lt;script&gt;", answer.content, "the text is escaped, never run")
        self.assertNotIn("<script", answer.content)
        self.assertIn(article, self.forum.post_ids)
        note = ticket.message_ids.filtered(lambda message: article.website_url in (message.body or ""))
        self.assertTrue(note and note.subtype_id == self.env.ref("mail.mt_note"), "the ticket's chatter links it")

        with self.assertRaises(UserError):
            ticket.with_user(self.agent_cs).action_social_crm_publish_to_forum()
        self.assertEqual(self.env["forum.post"].search_count([("forum_id", "=", self.forum.id)]), 2)

    def test_two_wizards_of_one_ticket_publish_one_article(self):
        ticket = self.solved_social_ticket()
        first, second = self.publish_form(ticket).save(), self.publish_form(ticket).save()
        first.action_publish()
        with self.assertRaisesRegex(UserError, "published already"):
            second.action_publish()

    def test_only_a_forum_of_the_tickets_company_is_offered_or_accepted(self):
        ticket = self.solved_social_ticket()
        wizard = self.publish_form(ticket).save()
        offered = self.env["forum.forum"].search([("website_id.company_id", "=", wizard.company_id.id)])
        self.assertEqual(offered, self.forum, "the wizard's forum domain")
        wizard.forum_id = self.forum_b
        with self.assertRaisesRegex(UserError, "is not on a website of"):
            wizard.action_publish()
        self.assertFalse(ticket.social_crm_kb_post_id)
        self.assertFalse(self.env["forum.post"].search([("forum_id", "=", self.forum_b.id)]))

    def test_an_open_ticket_is_not_published(self):
        post = self.incoming_post("Router nefunguje", language="cs")
        ticket = self.ticket_for(post)
        with self.assertRaises(UserError):
            ticket.with_user(self.agent_cs).action_social_crm_publish_to_forum()

    def test_the_desk_suggests_the_article_instead_of_the_raw_ticket(self):
        ticket = self.solved_social_ticket()
        article = self.publish(ticket)
        suggestions = self.suggested("Můj router po aktualizaci firmwaru svítí červeně a nefunguje")
        self.assertEqual(suggestions[:1].forum_post_id, article, "the edited article first")
        self.assertNotIn(ticket, suggestions.ticket_id, "it stands in for the ticket it came from")
        self.assertNotIn("Svoboda", suggestions[0].answer)
        self.assertFalse(self.suggested("Router after firmware update is red", language="en").forum_post_id)

    def test_an_answer_accepted_on_the_forum_is_suggested_until_it_is_refused(self):
        question = self.env["forum.post"].create(
            {"forum_id": self.forum.id, "name": "Tiskárna netiskne po výměně tonerů", "content": "<p>Co s tím?</p>"}
        )
        answer = self.env["forum.post"].create(
            {"forum_id": self.forum.id, "parent_id": question.id, "content": "<p>Vyjměte a vraťte toner.</p>"}
        )
        self.assertFalse(self.suggested("Tiskárna po výměně tonerů netiskne").forum_post_id)
        answer.is_correct = True
        suggestions = self.suggested("Tiskárna po výměně tonerů netiskne")
        self.assertEqual(suggestions.forum_post_id, question, "the website's language, Czech here, is the article's")
        self.assertEqual(suggestions.answer, "Vyjměte a vraťte toner.")
        answer.is_correct = False
        self.assertFalse(self.suggested("Tiskárna po výměně tonerů netiskne").forum_post_id)
        self.assertFalse(self.env["social.crm.solution"].search([("forum_post_id", "=", question.id)]))

    def test_a_portal_user_reads_the_article_but_not_the_ticket(self):
        ticket = self.solved_social_ticket()
        article = self.publish(ticket)
        Post = self.env["forum.post"].with_user(self.portal)
        found = Post.search([("forum_id", "=", self.forum.id), ("content", "ilike", "firmwaru")])
        self.assertEqual(found, article)
        self.assertIn("restartujte router", found.child_ids.filtered("is_correct").content)
        with self.assertRaises(AccessError):
            ticket.with_user(self.portal).read(["name"])

    def test_an_email_ticket_publishes_its_description_and_the_agents_last_reply(self):
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Nejde tisk faktur",
                "description": Markup("<p>Dobrý den, faktury z portálu nejdou vytisknout. Petr Svoboda, %s</p>")
                % self.customer.email,
                "partner_id": self.customer.id,
                "team_id": self.team.id,
                "company_id": self.company.id,
            }
        )
        ticket.with_user(self.agent_cs).message_post(
            body="Použijte prosím tlačítko Stáhnout PDF.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        ticket.message_post(
            body="Díky, funguje to.",
            message_type="comment",
            author_id=self.customer.id,
            subtype_xmlid="mail.mt_comment",
        )
        ticket.with_user(self.agent_cs).message_post(body="Interní poznámka", subtype_xmlid="mail.mt_note")
        ticket.stage_id = self.closed_stage
        form = self.publish_form(ticket)
        self.assertEqual(form.question, "Dobrý den, faktury z portálu nejdou vytisknout. […], […]")
        self.assertEqual(form.answer, "Použijte prosím tlačítko Stáhnout PDF.")
        self.assertEqual(form.title, "Nejde tisk faktur")
