from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import Form, tagged

from .common import SimulatedCommits
from .desk_common import DeskCase


def office_hours(env, name, tz, hour_from=9, hour_to=17):
    """Monday to Friday, ``hour_from`` to ``hour_to`` in ``tz``."""
    return env["resource.calendar"].create(
        {
            "name": name,
            "tz": tz,
            "attendance_ids": [
                (0, 0, {"name": f"day {day}", "dayofweek": str(day), "hour_from": hour_from, "hour_to": hour_to,
                        "day_period": "full_day"})
                for day in range(5)
            ],
        }
    )  # fmt: skip


@tagged("post_install", "-at_install")
class TestSlaWorkingHours(DeskCase):
    """Deadlines counted in the team's working hours: weekends, time zones,
    daylight saving time and public holidays."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Policy = cls.env["social.crm.sla.policy"]
        cls.prague = office_hours(cls.env, "Prague office", "Europe/Prague")
        cls.new_york = office_hours(cls.env, "New York office", "America/New_York")

    def due(self, calendar, start, hours):
        return self.Policy._deadline(calendar, start, hours)

    def test_a_friday_afternoon_post_is_due_on_monday_morning(self):
        friday_4pm_prague = datetime(2026, 11, 27, 15, 0)  # UTC; Prague is UTC+1 in November
        self.assertEqual(self.due(self.prague, friday_4pm_prague, 2), datetime(2026, 11, 30, 9, 0))
        self.assertEqual(self.due(self.prague, friday_4pm_prague, 0.5), datetime(2026, 11, 27, 15, 30))
        saturday = datetime(2026, 11, 28, 10, 0)
        self.assertEqual(self.due(self.prague, saturday, 1), datetime(2026, 11, 30, 9, 0), "the clock waits for Monday")

    def test_the_same_moment_counts_in_each_teams_time_zone(self):
        friday_3pm_utc = datetime(2026, 11, 27, 15, 0)  # 10:00 in New York (UTC-5)
        self.assertEqual(self.due(self.new_york, friday_3pm_utc, 2), datetime(2026, 11, 27, 17, 0))
        self.assertEqual(self.due(self.new_york, friday_3pm_utc, 10), datetime(2026, 11, 30, 17, 0))
        hours = self.Policy._working_hours_between(self.new_york, friday_3pm_utc, datetime(2026, 11, 30, 17, 0))
        self.assertAlmostEqual(hours, 10.0)

    def test_daylight_saving_time_ends_over_the_weekend(self):
        # Friday 23 October 2026 16:00 in Prague is 14:00 UTC (UTC+2); on Monday Prague is UTC+1
        friday = datetime(2026, 10, 23, 14, 0)
        self.assertEqual(self.due(self.prague, friday, 2), datetime(2026, 10, 26, 9, 0))

    def test_a_public_holiday_stops_the_clock(self):
        self.env["resource.calendar.leaves"].create(
            {"name": "Holiday", "calendar_id": self.prague.id, "resource_id": False,
             "date_from": datetime(2026, 11, 30, 0, 0), "date_to": datetime(2026, 11, 30, 23, 0)}
        )  # fmt: skip
        friday_4pm_prague = datetime(2026, 11, 27, 15, 0)
        self.assertEqual(self.due(self.prague, friday_4pm_prague, 2), datetime(2026, 12, 1, 9, 0))

    def test_a_team_without_calendar_counts_the_companys(self):
        self.assertEqual(self.team._social_crm_calendar(), self.company.resource_calendar_id)
        self.team.social_crm_calendar_id = self.prague
        self.assertEqual(self.team._social_crm_calendar(), self.prague)


@tagged("post_install", "-at_install")
class TestSlaTickets(DeskCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leader = cls.agent("desk_leader", "Lena Leader")
        cls.team.user_id = cls.leader
        cls.team.social_crm_calendar_id = cls.env["resource.calendar"].create(
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
        Policy = cls.env["social.crm.sla.policy"]
        cls.general = Policy.create(
            {"name": "Everyone", "company_id": cls.company.id, "first_response_hours": 4, "resolution_hours": 24}
        )
        cls.policy = Policy.create(
            {"name": "Care on demo", "company_id": cls.company.id, "team_id": cls.team.id, "network": "demo",
             "first_response_hours": 1, "resolution_hours": 8, "warning_percent": 75}
        )  # fmt: skip
        cls.closed_stage = cls.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)

    def new_ticket(self):
        return self.ticket_for(self.incoming_post("Nic nefunguje!", language="cs"))

    def test_the_most_specific_policy_sets_the_deadlines(self):
        ticket = self.new_ticket()
        self.assertEqual(ticket.social_sla_policy_id, self.policy)
        start = ticket.create_date.replace(microsecond=0)
        self.assertEqual(ticket.social_sla_response_deadline, start + timedelta(hours=1))
        self.assertEqual(ticket.social_sla_response_warning, start + timedelta(minutes=45))
        self.assertEqual(ticket.social_sla_resolution_deadline, start + timedelta(hours=8))
        self.assertEqual(ticket.social_sla_deadline, ticket.social_sla_response_deadline)
        self.assertEqual(ticket.social_sla_state, "on_track")

    def test_warning_then_breach_escalates_to_the_team_leader_once(self):
        ticket = self.new_ticket()
        start = ticket.create_date
        ticket._social_sla_refresh(now=start + timedelta(minutes=50))
        self.assertEqual(ticket.social_sla_state, "warning")
        ticket._social_sla_refresh(now=start + timedelta(minutes=61))
        self.assertEqual(ticket.social_sla_state, "breached")
        self.assertTrue(ticket.social_sla_response_breached)
        self.assertFalse(ticket.social_sla_resolution_breached)
        activities = ticket.activity_ids.filtered(lambda a: a.user_id == self.leader)
        self.assertEqual(len(activities), 1)
        self.assertIn("first response", activities.summary)
        ticket._social_sla_refresh(now=start + timedelta(minutes=90))
        self.assertEqual(len(ticket.activity_ids.filtered(lambda a: a.user_id == self.leader)), 1, "escalated once")
        self.assertEqual(ticket.social_sla_attained, 0.0)

    def test_the_cron_finds_breaches_as_time_passes(self):
        self.patch(self.env.cr, "commit", SimulatedCommits(self.env).commit)
        ticket = self.new_ticket()
        ticket.write({"social_sla_response_deadline": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["helpdesk.ticket"]._cron_social_sla_check()
        self.assertEqual(ticket.social_sla_state, "breached")

    def test_an_agent_answering_and_closing_in_time_meets_the_sla(self):
        ticket = self.new_ticket()
        wizard = Form(
            self.env["social.crm.reply"]
            .with_user(self.agent_cs)
            .with_context(active_model="helpdesk.ticket", active_id=ticket.id)
        )
        wizard.text = "Omlouváme se, hned to řešíme."
        wizard.save().action_send()
        self.assertTrue(ticket.social_sla_responded_date)
        self.assertFalse(ticket.social_sla_response_breached)
        self.assertLess(ticket.social_sla_response_working_hours, 0.1)
        self.assertEqual(ticket.social_sla_deadline, ticket.social_sla_resolution_deadline, "next: the resolution")
        ticket.with_user(self.agent_cs).stage_id = self.closed_stage
        self.assertEqual((ticket.social_sla_state, ticket.social_sla_attained), ("met", 1.0))
        self.assertFalse(ticket.social_sla_deadline)
        # the attainment report, per network, team and agent
        report = (
            self.env["helpdesk.ticket"]
            .with_user(self.agent_cs)
            ._read_group(
                [("id", "=", ticket.id), ("social_sla_state", "in", ["met", "breached"])],
                ["social_network", "team_id", "user_id"],
                ["social_sla_attained:avg"],
            )
        )
        self.assertEqual(report, [("demo", self.team, ticket.user_id, 1.0)])

    def test_a_ticket_closed_late_misses_the_resolution_target(self):
        ticket = self.new_ticket()
        ticket.write({"social_sla_resolution_deadline": fields.Datetime.now() - timedelta(minutes=1)})
        ticket.with_user(self.agent_cs).stage_id = self.closed_stage
        self.assertTrue(ticket.social_sla_resolution_breached)
        self.assertEqual((ticket.social_sla_state, ticket.social_sla_attained), ("breached", 0.0))
