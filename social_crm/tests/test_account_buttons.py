"""The account's buttons as a Social CRM manager, against the Mastodon imitation."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import SimulatedCommits, SocialCrmCase, imitations, mastodon_account
from .roles import role_users


@tagged("post_install", "-at_install")
class TestManagerOnMastodon(SocialCrmCase):
    """Test Connection and Fetch Now against the Mastodon imitation."""

    def setUp(self):
        super().setUp()
        self.server_module, self.mastodon, _telegram = imitations()
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)
        self.manager = role_users(self.env, self.company, prefix="mastodon")["manager"]
        self.imitation = self.mastodon.MastodonImitation()
        self.server = self.server_module.ImitationServer(self.imitation)
        self.server.__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        self.account = mastodon_account(self.env(user=self.manager), self.company, self.server, self.mastodon.TOKEN)

    def test_test_connection_stores_the_accounts_network_id_and_handle(self):
        self.account.action_check_connection()
        account = self.account
        self.assertEqual((account.external_id, account.handle, account.state), ("1", "shop", "connected"))

    def test_fetch_now_waits_for_the_rate_limit_reset(self):
        reset = fields.Datetime.now() + timedelta(seconds=60)
        self.account.sudo().rate_limit_reset = reset  # what a 429 answer left (the network asked us to wait)
        self.imitation.add_mention("<p>@shop hello</p>", self.mastodon.account("77", "jana"))
        action = self.account.action_fetch_now()
        self.assertEqual(self.server.requests, [], "no call during the reset window")
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("may fetch again after", action["params"]["message"])
        self.account.sudo().rate_limit_reset = fields.Datetime.now() - timedelta(seconds=1)
        self.assertTrue(self.account.action_fetch_now())
        self.assertEqual(self.account.social_post_count, 1)
