"""Who wrote a post: our own account (never a customer post), or a customer
found by the profile's fields or phone number."""

from odoo.tests import tagged

from odoo.addons.social_crm.core.types import Author

from .common import COMPLAINT, SimulatedCommits, SocialCrmCase, imitations, incoming, mastodon_account


@tagged("post_install", "-at_install")
class TestIdentity(SocialCrmCase):
    def setUp(self):
        super().setUp()
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        self.Post = self.env["social.crm.post"]
        self.Post.search([("company_id", "!=", self.company.id), ("state", "=", "new")]).write({"state": "ignored"})
        self.env["social.crm.rule"].create({"name": "All", "company_id": self.company.id, "action": "ticket"})

    def stored(self, account, external_id):
        return self.Post.search([("account_id", "=", account.id), ("external_id", "=", external_id)])

    def test_own_posts_are_recognised_by_handle_without_the_network_id(self):
        self.account.write({"external_id": False, "handle": "@NordLight"})
        self.Post._ingest(
            self.account,
            [
                incoming("own-1", COMPLAINT, Author("brand-77", "nordlight")),
                incoming("cust-1", COMPLAINT, Author("c", "nordlighter")),
            ],
        )
        while self.Post._process_new():
            pass
        own, customer = self.stored(self.account, "own-1"), self.stored(self.account, "cust-1")
        self.assertEqual((own.direction, own.state, own.ticket_id.id), ("outgoing", "processed", False))
        self.assertEqual((customer.direction, bool(customer.ticket_id)), ("incoming", True))

    def test_mastodon_own_statuses_in_a_hashtag_and_in_conversations_are_not_customers(self):
        server_module, mastodon, _telegram = imitations()
        imitation = mastodon.MastodonImitation()
        shop = mastodon.OWN_ACCOUNT
        jana = mastodon.account("77", "jana@other.example")
        ours = imitation.add_status("<p>Naše nová nabídka #fiber</p>", shop, tags=["fiber"])
        theirs = imitation.add_status("<p>#fiber nefunguje, je to hrozné!</p>", jana, tags=["fiber"])
        dm = imitation.add_status("<p>@jana Omlouváme se, problém je vyřešen.</p>", shop, visibility="direct")
        imitation.conversations.append({"id": "5", "accounts": [jana], "unread": False, "last_status": dm})
        with server_module.ImitationServer(imitation) as server:
            account = mastodon_account(
                self.env,
                self.company,
                server,
                mastodon.TOKEN,
                [("tag", "search", "#fiber"), ("dm", "messages", "")],
                # as typed by an administrator: our full address on the instance, no network id
                handle="@Shop@127.0.0.1",
            )
            account._fetch()
        while self.Post._process_new():
            pass
        self.assertEqual(account.state, "connected", account.last_error)
        for status in (ours, dm):
            post = self.stored(account, status["id"])
            self.assertEqual((post.direction, post.state, post.ticket_id.id), ("outgoing", "processed", False))
        self.assertTrue(self.stored(account, theirs["id"]).ticket_id)

    def test_mastodon_profile_fields_link_the_customer(self):
        server_module, mastodon, _telegram = imitations()
        imitation = mastodon.MastodonImitation()
        customer = self.env["res.partner"].create({"name": "Firma Jana", "email": "jana@firma.example"})
        site = self.env["res.partner"].create({"name": "Web Petr", "website": "https://petr.example.cz"})
        jana_fields = [{"name": "Kontakt", "value": '<a href="mailto:jana@firma.example">jana@firma.example</a>'}]
        petr_fields = [{"name": "Web", "value": '<a href="https://petr.example.cz" rel="me">petr.example.cz</a>'}]
        imitation.add_mention("<p>@shop Dobrý den</p>", mastodon.account("78", "jana", fields=jana_fields))
        imitation.add_mention("<p>@shop Ahoj</p>", mastodon.account("79", "petr", fields=petr_fields))
        with server_module.ImitationServer(imitation) as server:
            account = mastodon_account(self.env, self.company, server, mastodon.TOKEN)
            account._fetch()
        jana, petr = (
            self.posts(account).filtered(lambda p, h=handle: p.profile_id.handle == h) for handle in ("jana", "petr")
        )
        self.assertEqual((jana.partner_id, jana.profile_id.match_reason), (customer, "e-mail"))
        # a website is weaker evidence than the company's threshold: a suggestion
        self.assertEqual(petr.profile_id.website, "https://petr.example.cz")
        self.assertEqual((petr.profile_id.suggested_partner_ids, petr.profile_id.match_reason), (site, "website"))

    def check_phone_match(self, sanitized):
        """A customer's phone, as typed, found from the number in a bio;
        ``sanitized`` is what ``phone_sanitized`` holds (the E.164 number
        with the phonenumbers library, the raw number without it)."""
        customer = self.env["res.partner"].create({"name": "Petr Dvořák", "phone": "+420 (602) 111-222"})
        self.env.cr.execute("UPDATE res_partner SET phone_sanitized = %s WHERE id = %s", (sanitized, customer.id))
        customer.invalidate_recordset(["phone_sanitized"])
        author = Author(f"ph-{sanitized}", "petr_d", bio="Volejte 602 111 222")
        self.Post._ingest(self.account, [incoming(f"ph-{sanitized}", "Dobrý den", author)])
        profile = self.env["social.crm.profile"].search([("external_id", "=", f"ph-{sanitized}")])
        self.assertEqual((profile.partner_id, profile.match_reason), (customer, "phone"))

    def test_phone_matching_without_the_phonenumbers_library(self):
        self.check_phone_match("+420 (602) 111-222")

    def test_phone_matching_with_the_phonenumbers_library(self):
        self.check_phone_match("+420602111222")
