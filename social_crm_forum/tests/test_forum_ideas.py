from odoo import http
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged


class ForumIdeasCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.forum = cls.env["forum.forum"].create({"name": "Ideas Forum", "karma_moderate": 500})
        cls.author = cls._forum_user("idea_author", "base.group_portal", 200)
        cls.voter_1 = cls._forum_user("idea_voter_1", "base.group_portal", 10)
        cls.voter_2 = cls._forum_user("idea_voter_2", "base.group_portal", 10)
        cls.downvoter = cls._forum_user("idea_downvoter", "base.group_portal", 100)
        cls.moderator = cls._forum_user("idea_moderator", "base.group_portal", 500)
        cls.triager = cls._forum_user("idea_triager", "base.group_user,sales_team.group_sale_salesman", 0)
        cls.idea = (
            cls.env["forum.post"]
            .with_user(cls.author)
            .create(
                {
                    "forum_id": cls.forum.id,
                    "name": "Export the dashboard to PDF",
                    "content": "<p>It would help our <b>monthly</b> reviews.</p>",
                    "social_crm_post_type": "idea",
                }
            )
            .with_env(cls.env)
        )

    @classmethod
    def _forum_user(cls, login, groups, karma):
        user = new_test_user(cls.env, login, groups=groups, email=f"{login}@example.com")
        user.karma = karma
        return user

    def _status_messages(self, post):
        return post.message_ids.filtered(
            lambda message: message.message_type == "notification"
            and message.subtype_id == self.env.ref("social_crm_forum.mt_idea_state")
        )


@tagged("post_install", "-at_install")
class TestForumIdeas(ForumIdeasCase):
    def test_type_and_status_on_creation(self):
        self.assertEqual(self.idea.social_crm_post_type, "idea")
        self.assertEqual(self.idea.idea_state, "new")
        question = self.env["forum.post"].with_user(self.author).create({"forum_id": self.forum.id, "name": "How?"})
        self.assertEqual(question.social_crm_post_type, "question")
        self.assertFalse(question.idea_state)
        answer = (
            self.env["forum.post"]
            .with_user(self.voter_2)
            .create({"forum_id": self.forum.id, "parent_id": self.idea.id, "content": "<p>Yes please</p>"})
        )
        self.assertFalse(answer.idea_state)
        question.with_user(self.author).social_crm_post_type = "problem"
        self.assertEqual(question.idea_state, "new")
        with self.assertRaises(ValidationError):
            question.with_env(self.env).write({"social_crm_post_type": "question", "idea_state": "planned"})

    def test_status_change_notifies_voters_and_author_once(self):
        self.idea.with_user(self.voter_1).vote(upvote=True)
        self.idea.with_user(self.voter_2).vote(upvote=True)
        self.idea.with_user(self.downvoter).vote(upvote=False)
        self.idea.with_user(self.triager).idea_state = "planned"
        message = self._status_messages(self.idea)
        self.assertEqual(len(message), 1)
        self.assertIn("Planned", message.body)
        supporters = (self.author | self.voter_1 | self.voter_2).partner_id
        self.assertEqual(message.partner_ids, supporters)
        self.assertEqual(message.author_id, self.triager.partner_id)
        notified = self.env["mail.notification"].search([("mail_message_id", "=", message.id)]).res_partner_id
        self.assertEqual(notified, supporters)
        self.assertEqual(len(message.notification_ids), len(supporters), "one notification per partner")

        self.idea.with_user(self.triager).idea_state = "done"
        self.assertEqual(len(self._status_messages(self.idea)), 2)
        self.assertIn("Done", self._status_messages(self.idea)[0].body)

    def test_same_status_is_not_notified(self):
        self.idea.with_user(self.triager).idea_state = "new"
        self.idea.write({"idea_state": "new", "name": "Export the dashboard as PDF"})
        self.assertEqual(self.idea.name, "Export the dashboard as PDF")
        self.assertFalse(self._status_messages(self.idea))
        # the status a type change gives is no decision of the team
        question = self.env["forum.post"].with_user(self.author).create({"forum_id": self.forum.id, "name": "Why?"})
        question.with_user(self.author).social_crm_post_type = "idea"
        self.assertFalse(self._status_messages(question))

    def test_create_lead_links_both_ways(self):
        action = self.idea.with_user(self.triager).action_social_crm_create_lead()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual(lead.name, "Export the dashboard to PDF")
        self.assertEqual(lead.partner_id, self.author.partner_id)
        self.assertIn("It would help our *monthly* reviews.", lead.description)
        self.assertNotIn("<b>", lead.description)
        self.assertEqual(self.idea.lead_id, lead)
        self.assertEqual(lead.forum_idea_ids, self.idea)
        self.assertEqual(lead.forum_idea_count, 1)
        self.assertIn(f'data-oe-id="{self.idea.id}"', lead.message_ids[0].body)
        again = self.idea.with_user(self.triager).action_social_crm_create_lead()
        self.assertEqual(again["res_id"], lead.id, "the idea keeps its lead")
        self.assertEqual(self.env["crm.lead"].search_count([("forum_idea_ids", "in", self.idea.ids)]), 1)

    def test_portal_user_cannot_change_status(self):
        for user in (self.author, self.voter_1):
            with self.assertRaises(AccessError):
                self.idea.with_user(user).write({"idea_state": "done"})
        with self.assertRaises(AccessError):
            self.env["forum.post"].with_user(self.author).create(
                {"forum_id": self.forum.id, "name": "Approved", "social_crm_post_type": "idea", "idea_state": "done"}
            )
        idea = self.idea.with_user(self.author)
        self.assertEqual((idea.social_crm_post_type, idea.idea_state), ("idea", "new"), "portal users read both")
        idea.name = "Export the dashboard to PDF and CSV"
        with self.assertRaises(AccessError, msg="the team triages, it does not edit the post without karma"):
            self.idea.with_user(self.triager).write({"idea_state": "planned", "name": "Rewritten"})
        self.idea.with_user(self.moderator).idea_state = "declined"
        self.assertEqual(self.idea.idea_state, "declined")


@tagged("post_install", "-at_install")
class TestForumIdeasWebsite(HttpCase, ForumIdeasCase):
    def _post_new(self, **values):
        self.authenticate(self.author.login, self.author.login)
        response = self.url_open(
            f"/forum/{self.forum.id}/new",
            data=dict(values, content="<p>Customers keep asking for it.</p>", csrf_token=http.Request.csrf_token(self)),
        )
        self.assertEqual(response.status_code, 200)
        return self.env["forum.post"].search([("name", "=", values["post_name"])])

    def test_new_idea_from_website_form(self):
        self.authenticate(self.author.login, self.author.login)
        self.assertIn('name="social_crm_post_type"', self.url_open(f"/forum/{self.forum.id}/ask").text)
        idea = self._post_new(post_name="Dark mode", social_crm_post_type="idea")
        self.assertEqual((idea.social_crm_post_type, idea.idea_state), ("idea", "new"))
        for url in (f"/forum/{self.forum.id}/{idea.id}", f"/forum/{self.forum.id}"):
            page = self.url_open(url).text
            badge = page[page.index("o_social_crm_idea_badge") :].split("</span>\n")[0]
            self.assertRegex(badge, r"(?s)Idea</span>:\s*<span[^>]*>New", url)

    def test_unknown_type_from_website_form_is_a_question(self):
        post = self._post_new(post_name="Sneaky", social_crm_post_type="admin")
        self.assertEqual((post.social_crm_post_type, post.idea_state), ("question", False))
