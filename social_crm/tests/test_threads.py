"""Follow-ups join the open ticket on networks that give only a parent."""

from odoo.tests import tagged

from odoo.addons.social_crm.core.types import Author

from .common import COMPLAINT, SimulatedCommits, SocialCrmCase, imitations, incoming, mastodon_account


@tagged("post_install", "-at_install")
class TestThreads(SocialCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "Care T", "company_id": cls.company.id})
        cls.env["social.crm.rule"].create(
            {"name": "All", "company_id": cls.company.id, "action": "ticket", "helpdesk_team_id": cls.team.id}
        )
        cls.Post = cls.env["social.crm.post"]
        cls.jana = Author("u-jana", "jana")

    def setUp(self):
        super().setUp()
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        self.Post.search([("company_id", "!=", self.company.id), ("state", "=", "new")]).write({"state": "ignored"})

    def ingest(self, *items):
        self.Post._ingest(self.account, list(items), self.streams[0])
        while self.Post._process_new():
            pass

    def stored(self, external_id):
        return self.Post.search([("account_id", "=", self.account.id), ("external_id", "=", external_id)])

    def test_replies_that_name_only_their_parent_join_the_first_posts_ticket(self):
        self.ingest(incoming("a", COMPLAINT, self.jana))
        ticket = self.stored("a").ticket_id
        self.assertTrue(ticket)
        # a later page: a reply, and a reply to it in the same page
        self.ingest(incoming("c", "Pořád nic!", self.jana, parent="b"), incoming("b", "Haló?", self.jana, parent="a"))
        # a reply stored before its parent, which arrives later
        self.ingest(incoming("e", "Už je to týden.", self.jana, parent="d"))
        self.assertEqual(self.stored("e").thread_external_id, "d")
        self.ingest(incoming("d", "Nic se neděje.", self.jana, parent="c"))
        for external_id in "abcde":
            self.assertEqual(self.stored(external_id).thread_external_id, "a", external_id)
        self.assertEqual(self.stored("d").ticket_id, ticket)
        self.assertEqual((self.stored("b") | self.stored("c")).ticket_id, ticket)
        self.assertEqual(self.stored("d").parent_id, self.stored("c"))

    def test_mastodon_self_replies_join_their_ticket(self):
        server_module, mastodon, _telegram = imitations()
        imitation = mastodon.MastodonImitation()
        author = mastodon.account("77", "jana@social.example")
        first = imitation.add_mention("<p>@shop Internet nefunguje, je to hrozné!</p>", author, language="cs")
        second = imitation.add_mention("<p>@shop Pořád nic.</p>", author, in_reply_to_id=first["id"], language="cs")
        with server_module.ImitationServer(imitation) as server:
            account = mastodon_account(self.env, self.company, server, mastodon.TOKEN, handle="shop")
            account._fetch()
            while self.Post._process_new():
                pass
            imitation.add_mention("<p>@shop Haló?</p>", author, in_reply_to_id=second["id"], language="cs")
            account._fetch()
            while self.Post._process_new():
                pass
        posts = self.posts(account)
        self.assertEqual(len(posts), 3)
        self.assertEqual(set(posts.mapped("thread_external_id")), {first["id"]})
        self.assertEqual(len(posts.ticket_id), 1)
