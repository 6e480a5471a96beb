from itertools import count

from odoo import fields
from odoo.tests import new_test_user

from .common import SocialCrmCase

#: what an administrator gives a social desk agent, and nothing more
AGENT_GROUPS = "base.group_user,helpdesk_mgmt.group_helpdesk_user,social_crm.group_social_crm_user"
_serial = count(1)


class DeskCase(SocialCrmCase):
    """A Social Care team of company A with agents who hold only the groups
    an administrator would give them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "Social Care A", "company_id": cls.company.id})
        cls.agent_cs = cls.agent("desk_agent_cs", "Jana Nováková")
        cls.agent_en = cls.agent("desk_agent_en", "Emma Brown")
        cls.team.user_ids = cls.agent_cs | cls.agent_en
        cls.rule = cls.env["social.crm.rule"].create(
            {"name": "Desk", "company_id": cls.company.id, "action": "ticket", "helpdesk_team_id": cls.team.id}
        )

    @classmethod
    def agent(cls, login, name, groups=AGENT_GROUPS):
        return new_test_user(
            cls.env, login, name=name, groups=groups, company_id=cls.company.id, company_ids=[cls.company.id]
        )

    @classmethod
    def incoming_post(cls, text, language="en", sentiment=-0.6, influence=10.0, author="Petr Svoboda"):
        serial = next(_serial)
        profile = cls.env["social.crm.profile"].create(
            {
                "company_id": cls.company.id,
                "network": cls.account.network,
                "external_id": f"desk-author-{serial}",
                "handle": f"desk{serial}",
                "name": author,
                "influence_score": influence,
            }
        )
        return cls.env["social.crm.post"].create(
            {
                "account_id": cls.account.id,
                "network": cls.account.network,
                "company_id": cls.company.id,
                "external_id": f"desk-post-{serial}",
                "thread_external_id": f"desk-post-{serial}",
                "profile_id": profile.id,
                "text": text,
                "language": language,
                "sentiment_score": sentiment,
                "sentiment_label": "negative" if sentiment < 0 else "positive",
                "intent": "complaint",
                "published_date": fields.Datetime.now(),
                "state": "processed",
            }
        )

    @classmethod
    def ticket_for(cls, post, rule=None):
        ticket = cls.env["helpdesk.ticket"]._social_create_from_post(post, rule or cls.rule)
        post.ticket_id = ticket
        return ticket
