from odoo.tests import new_test_user, tagged

from .common import SimulatedCommits, SocialCrmCase, imitation_module


@tagged("post_install", "-at_install")
class TestServiceChannels(SocialCrmCase):
    """LinkedIn organization pages and Google Business Profile reviews, end to
    end against their imitations: fetch, analysis, routing to a ticket, and a
    reply sent by a plain agent from the ticket."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "Care", "company_id": cls.company.id})
        cls.env["social.crm.rule"].create(
            {"name": "Unhappy customers", "company_id": cls.company.id, "use_sentiment": True,
             "sentiment_at_most": -0.3, "action": "ticket", "helpdesk_team_id": cls.team.id}
        )  # fmt: skip
        # what an administrator gives a care agent: Social CRM user and helpdesk user, in one company
        cls.agent = new_test_user(
            cls.env, "social_care_agent", groups="social_crm.group_social_crm_user,helpdesk_mgmt.group_helpdesk_user",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        self.server_module = imitation_module("server")
        self.linkedin, self.google_business = imitation_module("linkedin"), imitation_module("google_business")
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)
        self.env["social.crm.post"].search([("company_id", "!=", self.company.id), ("state", "=", "new")]).write(
            {"state": "ignored"}
        )

    def account_for(self, network, server, module, external_id, kinds):
        credentials = {"client_id": module.CLIENT_ID, "client_secret": module.CLIENT_SECRET,
                       "access_token": "live-token", "refresh_token": "refresh-1"}  # fmt: skip
        return self.env["social.crm.account"].create(
            {
                "name": network,
                "network": network,
                "company_id": self.company.id,
                "base_url": server.url,
                "external_id": external_id,
                "credential_ids": [(0, 0, {"key": key, "value": value}) for key, value in credentials.items()],
                "stream_ids": [(0, 0, {"name": kind, "kind": kind}) for kind in kinds],
            }
        )

    def fetch_and_route(self, account):
        account._fetch()
        self.assertEqual(account.state, "connected", account.last_error)
        while self.env["social.crm.post"]._process_new():
            pass
        return self.posts(account)

    def reply_as_agent(self, ticket, text):
        wizard = (
            self.env["social.crm.reply"]
            .with_user(self.agent)
            .with_context(active_model="helpdesk.ticket", active_id=ticket.id)
            .create({"text": text})
        )
        wizard.action_send()
        return wizard.post_id

    def test_google_business_reviews(self):
        imitation = self.google_business.GoogleBusinessImitation()
        silent = imitation.add_review(None, 1, who="Petr Svoboda")  # stars only, no text
        imitation.add_review("Lovely staff and quick service, thank you!", 5, who="Eva Malá")
        with self.server_module.ImitationServer(imitation) as server:
            account = self.account_for("google_business", server, self.google_business,
                                       self.google_business.ACCOUNT, ["comments"])  # fmt: skip
            self.assertIn("client_secret", account.credential_keys_expected)
            posts = self.fetch_and_route(account)
            self.assertEqual(len(posts), 2)
            one_star = posts.filtered(lambda p: p.external_id == silent["name"])
            # the stars are the sentiment: a 1-star review without text is negative and opens a ticket
            self.assertEqual((one_star.star_rating, one_star.sentiment_label, one_star.text), (1, "negative", ""))
            self.assertEqual(one_star.sentiment_score, -1.0)
            self.assertEqual((posts - one_star).sentiment_label, "positive")
            self.assertFalse((posts - one_star).ticket_id, "a happy review opens no ticket")
            ticket = one_star.ticket_id
            self.assertEqual((ticket.team_id, ticket.channel_id.name), (self.team, "Google Business Profile"))
            self.assertEqual(self.reply_as_agent(ticket, "We are sorry, Petr. What went wrong?"), one_star)
            self.assertEqual(silent["reviewReply"]["comment"], "We are sorry, Petr. What went wrong?")
            self.assertEqual(one_star.state, "replied")
            self.assertIn("What went wrong?", "".join(ticket.message_ids.mapped("body")))
            # the customer edits the review: the stored post changes, no second post, our reply is known
            imitation.edit_review(silent, text="They called me back and fixed it. Great!", stars=4)
            account._fetch()
            self.assertEqual(len(self.posts(account).filtered(lambda p: p.direction == "incoming")), 2)
            self.assertEqual((one_star.star_rating, one_star.sentiment_label), (4, "positive"))
            self.assertEqual(one_star.text, "They called me back and fixed it. Great!")
            self.assertTrue(one_star.edited_date)
            reply = self.posts(account).filtered(lambda p: p.direction == "outgoing")
            self.assertEqual((reply.external_id, reply.parent_id), (f"{silent['name']}/reply", one_star))

    def test_linkedin_comments_and_mentions(self):
        imitation = self.linkedin.LinkedInImitation()
        post = imitation.add_post("Version 5 is out")
        question = imitation.add_comment(post, "The update broke my dashboard, nothing works and support is useless!")
        imitation.add_comment(post, "Congratulations, great release!", actor="urn:li:person:Fan1")
        imitation.add_mention("Thanks @[Nordlight](urn:li:organization:2414183) for a great conference talk")
        with self.server_module.ImitationServer(imitation) as server:
            account = self.account_for("linkedin", server, self.linkedin, self.linkedin.ORGANIZATION,
                                       ["comments", "mentions"])  # fmt: skip
            posts = self.fetch_and_route(account)
            self.assertEqual(sorted(posts.mapped("kind")), ["comment", "comment", "mention"])
            angry = posts.filtered(lambda p: p.external_id == question["commentUrn"])
            self.assertEqual(angry.sentiment_label, "negative")
            self.assertEqual(angry.language, "en")
            self.assertEqual(angry.thread_external_id, question["commentUrn"])
            self.assertEqual(len(posts.ticket_id), 1, "only the unhappy comment becomes a ticket")
            self.assertEqual(self.reply_as_agent(angry.ticket_id, "Sorry! A fix is on its way."), angry)
            sent = imitation.comments[question["commentUrn"]][-1]
            self.assertEqual(sent["actor"], self.linkedin.ORGANIZATION)
            self.assertEqual(sent["parentComment"], question["commentUrn"])
            self.assertEqual(sent["message"]["text"], "Sorry! A fix is on its way.")
            reply = self.posts(account).filtered(lambda p: p.direction == "outgoing")
            self.assertEqual((reply.parent_id, reply.ticket_id), (angry, angry.ticket_id))
            # our comment comes back with the next fetch: recognised as ours, nothing stored twice
            account._fetch()
            self.assertEqual(self.posts(account).filtered(lambda p: p.direction == "incoming"), posts)
            self.assertEqual(len(self.posts(account)), 4)
