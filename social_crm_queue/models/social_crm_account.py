from odoo import api, models

from odoo.addons.queue_job.job import identity_exact


class SocialCrmAccount(models.Model):
    _inherit = "social.crm.account"

    @api.model
    def _cron_fetch_due(self):
        """Enqueue one fetch job per due account instead of fetching inline,
        so the accounts are read in parallel by every job runner's workers.
        The identity key keeps a single waiting job per account however
        often the cron runs before the job does."""
        for account in self.search(self._due_domain()):
            account.with_delay(
                identity_key=identity_exact,
                description=self.env._("Social CRM: fetch %(account)s", account=account.display_name),
            )._fetch_job()

    def _fetch_job(self):
        """Read the account (each page committed with its cursor, as in the
        cron), then queue the routing of its new posts."""
        self.ensure_one()
        self._fetch()
        self.env["social.crm.post"]._cron_process_new()
