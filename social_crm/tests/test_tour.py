from unittest import SkipTest

from odoo.tests import HttpCase, new_test_user, tagged

from .common import SimulatedCommits, skip_without_browser

#: the demo post the tour answers, and the reply it types
POST_WORDS = "zase nejde internet"
REPLY = "Dobrý den, technik už je na cestě, tour reply"


class DemoBrowserCase(HttpCase):
    """Tours in a real headless Chromium over the demo network's posts,
    fetched and routed as the crons would."""

    def setUp(self):
        super().setUp()
        skip_without_browser()
        self.account = self.env.ref("social_crm.demo_account", raise_if_not_found=False)
        if not self.account:
            raise SkipTest("the tour answers a demo post: install social_crm with demo data")
        # fetch and route the demo network's posts as the crons would
        commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", commits.commit)
        self.account._fetch()
        Post = self.env["social.crm.post"]
        while Post._process_new(200):
            pass


@tagged("post_install", "-at_install")
class TestReplyTour(DemoBrowserCase):
    """Open a ticket that routing created from a demo post, answer it through
    the reply wizard, see the answer in the chatter; then check on the server
    that the answer was sent."""

    def setUp(self):
        super().setUp()
        self.post = self.env["social.crm.post"].search(
            [("account_id", "=", self.account.id), ("direction", "=", "incoming"), ("text", "ilike", POST_WORDS)]
        )
        self.assertEqual(len(self.post), 1, "the demo data has one post with the words the tour looks for")
        self.assertTrue(self.post.ticket_id, "the demo routing rules make a ticket of the complaint")

    def test_reply_to_a_ticket_from_a_post(self):
        ticket = self.post.ticket_id
        # the follow-ups of the thread joined the ticket; the wizard answers the latest
        answered = ticket.social_post_ids.filtered(lambda p: p.direction == "incoming").sorted("published_date")[-1]
        self.assertNotEqual(answered.state, "replied")
        self.start_tour("/odoo/helpdesk-tickets", "social_crm_reply_tour", login="admin")

        self.env.invalidate_all()
        self.assertEqual(answered.state, "replied")
        self.assertTrue(answered.first_response_date)
        reply = self.env["social.crm.post"].search([("parent_id", "=", answered.id), ("direction", "=", "outgoing")])
        self.assertEqual(len(reply), 1)
        self.assertEqual(reply.text, REPLY)
        self.assertEqual(reply.ticket_id, ticket)
        logged = ticket.message_ids.filtered(lambda m: m.subtype_id == self.env.ref("social_crm.mt_social_post"))
        self.assertTrue(any(REPLY in (message.body or "") for message in logged))


@tagged("post_install", "-at_install")
class TestEscapingTour(DemoBrowserCase):
    """A prankster's post carries script and HTML, an author's name an <img>
    with an onerror handler: the kanban, the list and the form show them as
    text, and nothing runs (a script or a dialog would fail the tour)."""

    def test_hostile_texts_are_shown_as_text(self):
        Post = self.env["social.crm.post"]
        self.assertTrue(Post.search([("text", "ilike", "<script>alert")]))
        self.assertTrue(Post.search([("profile_id.name", "ilike", "<img src=x")]))
        self.start_tour("/odoo/action-social_crm.social_crm_post_action", "social_crm_escaping_tour", login="admin")


@tagged("post_install", "-at_install")
class TestPublicationTour(DemoBrowserCase):
    """A plain Social CRM user composes a post in the browser and schedules it."""

    def test_compose_and_schedule(self):
        user = new_test_user(self.env, "pub_tour_user", groups="social_crm.group_social_crm_user")
        self.start_tour("/odoo/action-social_crm.social_crm_publication_action/new", "social_crm_publication_tour",
                        login=user.login)
        publication = self.env["social.crm.publication"].search([("name", "=", "Tour spring post")])
        self.assertEqual(publication.state, "scheduled")
        self.assertEqual(publication.author_id, user)
        self.assertEqual(publication.variant_ids.account_id, self.env.ref("social_crm.demo_account_shop"))
        self.assertEqual(publication.variant_ids.state, "pending")
