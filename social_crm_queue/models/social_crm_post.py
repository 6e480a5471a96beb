from odoo import api, models
from odoo.tools import SQL

from odoo.addons.queue_job.job import identity_exact


class SocialCrmPost(models.Model):
    _inherit = "social.crm.post"

    @api.model
    def _cron_process_new(self, batch_size=200):
        """Enqueue one routing job per page of new posts instead of routing
        inline; a page already waiting in a job is not queued again."""
        self.env.cr.execute(
            SQL(
                """SELECT id FROM social_crm_post
                    WHERE state = 'new' AND direction = 'incoming' AND processing_error IS NULL
                    ORDER BY id""",
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        for start in range(0, len(ids), batch_size):
            self.browse(ids[start : start + batch_size]).with_delay(
                identity_key=identity_exact,
                description=self.env._("Social CRM: route new posts"),
            )._process_batch()

    def _process_batch(self):
        """Route the posts of this job that are still new.  Their rows are
        locked with SKIP LOCKED, and a post leaves the "new" state in the
        transaction that routes it, so two jobs (or a job and the cron)
        never route one post twice."""
        if not self:
            return 0
        self.env.cr.execute(
            SQL(
                """SELECT id FROM social_crm_post
                    WHERE id = ANY(%s) AND state = 'new' AND direction = 'incoming' AND processing_error IS NULL
                    ORDER BY published_date, id FOR UPDATE SKIP LOCKED""",
                self.ids,
            )
        )
        posts = self.browse(row[0] for row in self.env.cr.fetchall())
        if posts:
            posts._route()
        return len(posts)
