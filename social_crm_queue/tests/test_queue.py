from odoo.tests import tagged

from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.social_crm.tests.common import SAMPLE, SimulatedCommits, SocialCrmCase


@tagged("post_install", "-at_install")
class TestQueue(SocialCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Account = cls.env["social.crm.account"]
        cls.Post = cls.env["social.crm.post"]
        # only this test's accounts are due
        cls.Account.search([("id", "!=", cls.account.id)]).write({"state": "disabled"})
        cls.second = cls.account.copy({"name": "Second demo account"})
        cls.env["social.crm.stream"].create(
            {"name": "mentions", "account_id": cls.second.id, "kind": "mentions", "backfill_limit": 0}
        )
        cls.env["social.crm.rule"].search([]).write({"active": False})
        cls.env["social.crm.rule"].create(
            [
                {"name": "Complaints", "intent": "complaint", "action": "ticket", "company_id": cls.company.id},
                {"name": "Purchase", "intent": "purchase_intent", "action": "lead", "company_id": cls.company.id},
            ]
        )

    def setUp(self):
        super().setUp()
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)

    def test_the_cron_enqueues_one_fetch_job_per_due_account(self):
        with trap_jobs() as trap:
            self.Account._cron_fetch_due()
            trap.assert_jobs_count(2)
            for account in (self.account, self.second):
                trap.assert_enqueued_job(
                    account._fetch_job,
                    properties={
                        "identity_key": identity_exact,
                        "description": f"Social CRM: fetch {account.display_name}",
                    },
                )
            self.assertFalse(self.posts(), "nothing is fetched by the cron itself")
            trap.perform_enqueued_jobs()
        self.assertEqual(len(self.posts()), len(SAMPLE["posts"]))
        self.assertTrue(self.posts(self.second))
        self.assertEqual(self.account.state, "connected")

    def test_an_account_is_never_queued_twice(self):
        Job = self.env["queue.job"]
        self.Account._cron_fetch_due()
        self.Account._cron_fetch_due()  # the next cron run, before any job ran
        jobs = Job.search([("method_name", "=", "_fetch_job"), ("model_name", "=", "social.crm.account")])
        self.assertEqual(len(jobs), 2)
        self.assertEqual(sorted(job.records.id for job in jobs), sorted((self.account | self.second).ids))
        self.assertEqual(set(jobs.mapped("channel")), {"root.social_crm.fetch"})
        self.assertEqual(set(jobs.mapped("state")), {"pending"})

    def test_new_posts_are_routed_by_jobs_once(self):
        self.account._fetch()
        new = self.Post.search([("account_id", "=", self.account.id), ("state", "=", "new")])
        self.assertTrue(new)
        with trap_jobs() as trap:
            self.Post._cron_process_new(batch_size=10)
            pages = -(-len(new) // 10)
            trap.assert_jobs_count(pages)
            self.assertEqual({job.method_name for job in trap.enqueued_jobs}, {"_process_batch"})
            routed = self.Post.browse([post_id for job in trap.enqueued_jobs for post_id in job.recordset.ids])
            self.assertEqual(len(routed), len(new))
            self.assertEqual(routed, new, "each new post is in exactly one job")
            jobs = list(trap.enqueued_jobs)
            trap.perform_enqueued_jobs()
        self.assertFalse(new.filtered(lambda post: post.state == "new"))
        complaints = new.filtered(lambda post: post.intent == "complaint")
        purchases = new.filtered(lambda post: post.intent == "purchase_intent")
        self.assertTrue(complaints.ticket_id and purchases.lead_id)
        tickets, leads = self.env["helpdesk.ticket"].search_count([]), self.env["crm.lead"].search_count([])
        # a job that runs again (a retry, or one queued twice) routes nothing twice
        for job in jobs:
            self.assertEqual(job.recordset._process_batch(), 0)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), tickets)
        self.assertEqual(self.env["crm.lead"].search_count([]), leads)

    def test_a_fetch_job_queues_the_routing_of_what_it_stored(self):
        with trap_jobs() as trap:
            self.account._fetch_job()
            trap.assert_jobs_count(1)
            job = trap.enqueued_jobs[0]
            self.assertEqual(job.method_name, "_process_batch")
            stored_new = self.posts().filtered(lambda post: post.state == "new" and post.direction == "incoming")
            self.assertEqual(job.recordset, stored_new)
