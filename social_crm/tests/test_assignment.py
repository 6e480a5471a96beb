import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, new_test_user, tagged

from .desk_common import AGENT_GROUPS, DeskCase


@tagged("post_install", "-at_install")
class TestFairAssignment(DeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_cs.social_crm_languages = "cs"
        cls.agent_en.social_crm_languages = "en"
        cls.agent_both = cls.agent("desk_agent_both", "Karel Dvořák")
        cls.agent_both.social_crm_languages = "cs, en"
        cls.team.user_ids |= cls.agent_both
        cls.rule.assign_to_team_queue = True
        cls.Ticket = cls.env["helpdesk.ticket"]

    def queued(self, text, language, sentiment=-0.2, influence=5.0):
        ticket = self.ticket_for(self.incoming_post(text, language=language, sentiment=sentiment, influence=influence))
        self.assertTrue(ticket.social_awaiting_agent)
        self.assertFalse(ticket.user_id)
        return ticket

    def test_each_ticket_goes_to_a_speaker_of_its_language_with_the_fewest_open_tickets(self):
        tickets = [self.queued(f"Stížnost {n}", "cs") for n in range(4)] + [
            self.queued(f"Complaint {n}", "en") for n in range(4)
        ]
        self.Ticket._social_assign_queue()
        for ticket in tickets:
            self.assertFalse(ticket.social_awaiting_agent)
            self.assertIn(ticket.social_language, ticket.user_id.social_crm_languages)
        loads = [len([t for t in tickets if t.user_id == agent]) for agent in self.team.user_ids]
        self.assertLessEqual(max(loads) - min(loads), 1, f"fair: {loads}")
        # what the agent sees, with only an agent's rights
        mine = self.Ticket.with_user(self.agent_cs).search([("user_id", "=", self.agent_cs.id)])
        self.assertEqual(set(mine.mapped("social_language")), {"cs"})

    def test_influential_and_angry_authors_go_first_and_the_cap_holds_the_rest(self):
        self.team.social_crm_agent_cap = 1
        self.team.user_ids = self.agent_en
        calm = self.queued("Where is my parcel?", "en", sentiment=0.1, influence=2)
        star = self.queued("Worst service ever!!", "en", sentiment=-0.9, influence=80)
        self.assertGreater(star.social_queue_priority, calm.social_queue_priority)
        self.assertEqual(self.Ticket._social_assign_queue(), 1)
        self.assertEqual(star.user_id, self.agent_en)
        self.assertTrue(calm.social_awaiting_agent, "the agent is at the cap: the calm ticket waits")
        star.stage_id = self.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        self.Ticket._social_assign_queue()
        self.assertEqual(calm.user_id, self.agent_en, "a closed ticket frees a place")

    def test_an_agent_on_time_off_gets_nothing(self):
        always = self.env["resource.calendar"].create(
            {
                "name": "Round the clock",
                "tz": "UTC",
                "attendance_ids": [
                    (0, 0, {"name": f"day {day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 24,
                            "day_period": "full_day"})
                    for day in range(7)
                ],
            }
        )  # fmt: skip
        Resource = self.env["resource.resource"]
        cs_resource = Resource.create({"name": "Jana", "user_id": self.agent_cs.id, "calendar_id": always.id})
        Resource.create({"name": "Karel", "user_id": self.agent_both.id, "calendar_id": always.id})
        now = fields.Datetime.now()
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "resource_id": cs_resource.id,
                "calendar_id": always.id,
                "date_from": now - timedelta(hours=2),
                "date_to": now + timedelta(hours=2),
            }
        )
        ticket = self.queued("Nefunguje mi internet", "cs")
        self.Ticket._social_assign_queue()
        self.assertEqual(ticket.user_id, self.agent_both, "Jana is on holiday; Karel speaks Czech too")


@tagged("post_install", "-at_install")
class TestAssignmentConcurrency(TransactionCase):
    """Two cron workers on their own database connections at once: the
    test's own transaction holds none of the rows they touch."""

    def real_env(self):
        cursor = db_connect(self.env.cr.dbname).cursor()
        cursor.execute("SET lock_timeout = '10s'")  # a worker waiting for the other fails instead of hanging
        return api.Environment(cursor, SUPERUSER_ID, {})

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        env = self.real_env()
        with env.cr:
            company = env.ref("base.main_company")
            agents = env["res.users"].browse(
                new_test_user(env, f"race_{tag}_{n}", groups=AGENT_GROUPS, company_id=company.id).id for n in range(2)
            )
            agents.social_crm_languages = "en"
            team = env["helpdesk.ticket.team"].create({"name": f"Race {tag}", "user_ids": [(6, 0, agents.ids)]})
            tickets = env["helpdesk.ticket"].create(
                [
                    {"name": f"Race {n}", "description": "race", "team_id": team.id, "social_network": "demo",
                     "social_language": "en", "social_awaiting_agent": True, "social_queue_priority": n}
                    for n in range(6)
                ]
            )  # fmt: skip
            tickets.user_id = False
            env.cr.commit()
            self.team_id, self.ticket_ids, self.agent_ids = team.id, tickets.ids, agents.ids
        self.addCleanup(self.remove_committed)

    def remove_committed(self):
        env = self.real_env()
        with env.cr:
            env["helpdesk.ticket"].browse(self.ticket_ids).unlink()
            env["helpdesk.ticket.team"].browse(self.team_id).unlink()
            env["res.users"].browse(self.agent_ids).write({"active": False})
            env.cr.commit()

    def test_two_workers_never_give_one_ticket_to_two_agents(self):
        env_a, env_b = self.real_env(), self.real_env()
        try:
            # worker A takes the three most urgent rows and the team; B, at the same time, finds
            # A's rows locked (skipped, not waited for) and the team busy: it gives nothing
            given_a = env_a["helpdesk.ticket"]._social_assign_queue(limit=3)
            given_b = env_b["helpdesk.ticket"]._social_assign_queue()
            self.assertEqual((given_a, given_b), (3, 0))
            env_a.cr.commit()
            env_b.cr.commit()
            first_round = dict(env_a["helpdesk.ticket"].browse(self.ticket_ids).mapped(lambda t: (t.id, t.user_id.id)))
            # B's next run gives the rest, counting A's assignments
            self.assertEqual(env_b["helpdesk.ticket"]._social_assign_queue(), 3)
            env_b.cr.commit()
        finally:
            env_a.cr.close()
            env_b.cr.close()
        check = self.real_env()
        with check.cr:
            tickets = check["helpdesk.ticket"].browse(self.ticket_ids)
            self.assertFalse(tickets.filtered("social_awaiting_agent"))
            self.assertEqual(set(tickets.user_id.ids), set(self.agent_ids))
            for ticket_id, user_id in first_round.items():
                if user_id:
                    self.assertEqual(tickets.browse(ticket_id).user_id.id, user_id, "never handed out twice")
            loads = sorted(len(tickets.filtered(lambda t, a=agent: t.user_id.id == a)) for agent in self.agent_ids)
            self.assertEqual(loads, [3, 3])
