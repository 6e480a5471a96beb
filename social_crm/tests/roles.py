"""The users an administrator gives the Social CRM to: each with only the
groups the Users form gives that role."""

from odoo.tests import new_test_user

from odoo.addons.social_crm.core.types import Author

from .common import SimulatedCommits, SocialCrmCase

ROLE_GROUPS = {
    "agent": "base.group_user,helpdesk_mgmt.group_helpdesk_user,social_crm.group_social_crm_user",
    "sales_rep": "base.group_user,sales_team.group_sale_salesman,social_crm.group_social_crm_user",
    "marketing": "base.group_user,social_crm.group_social_crm_user",
    "manager": "base.group_user,social_crm.group_social_crm_manager",
}


def role_users(env, company, prefix="role"):
    """``{role: user}``, every user in ``company`` only."""
    return {
        role: new_test_user(
            env,
            f"{prefix}_{role}",
            groups=groups,
            name=f"{prefix} {role}".title(),
            company_id=company.id,
            company_ids=[company.id],
        )
        for role, groups in ROLE_GROUPS.items()
    }


class RolesCase(SocialCrmCase):
    """Users of every role, a care team the agent belongs to, rules that open
    tickets for complaints and leads for buyers, and a known customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = role_users(cls.env, cls.company)
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Care", "company_id": cls.company.id, "user_ids": [(4, cls.users["agent"].id)]}
        )
        cls.sales = cls.env["crm.team"].create({"name": "Sales", "company_id": cls.company.id})
        cls.env["social.crm.rule"].create(
            [
                {"name": "Complaints", "sequence": 1, "company_id": cls.company.id, "intent": "complaint",
                 "action": "ticket", "helpdesk_team_id": cls.team.id},
                {"name": "Buyers", "sequence": 2, "company_id": cls.company.id, "intent": "purchase_intent",
                 "action": "lead", "crm_team_id": cls.sales.id, "user_id": cls.users["sales_rep"].id},
            ]
        )  # fmt: skip
        cls.customer = cls.env["res.partner"].create(
            {"name": "Jana Nováková", "email": "jana@firma.example", "company_id": cls.company.id}
        )
        cls.jana = Author("u-jana", "jana", display_name="Jana Nováková", email="jana@firma.example")
        cls.Post = cls.env["social.crm.post"]

    def setUp(self):
        super().setUp()
        self.commits = SimulatedCommits(self.env)
        self.patch(self.env.cr, "commit", self.commits.commit)
        self.Post.search([("company_id", "!=", self.company.id), ("state", "=", "new")]).write({"state": "ignored"})

    def routed(self, *items):
        self.Post._ingest(self.account, list(items), self.streams[0])
        while self.Post._process_new():
            pass
        return self.Post.search([("external_id", "in", [item.external_id for item in items])])

    def reply_wizard(self, user, record, text):
        return (
            self.env["social.crm.reply"]
            .with_user(user)
            .with_context(active_model=record._name, active_id=record.id)
            .create({"text": text})
        )

    def replies(self, post):
        return self.Post.search([("parent_id", "=", post.id), ("direction", "=", "outgoing")])
