from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..core.routing import Conditions, split_list
from .social_crm_post import INTENTS

RULE_ACTIONS = [
    ("ticket", "Create a Helpdesk Ticket"),
    ("lead", "Create a Lead / Opportunity"),
    ("ignore", "Ignore the Post"),
    ("none", "No Record (only the options below)"),
]


class SocialCrmRule(models.Model):
    """A routing rule: conditions a new post must meet, and what happens then.

    Rules are evaluated in sequence for every new post; the first rule that
    matches acts, unless it lets the following rules run too."""

    _name = "social.crm.rule"
    _description = "Social Routing Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    continue_after = fields.Boolean(
        string="Evaluate Next Rules", help="When set, the following rules are evaluated too after this one acted."
    )

    # -- conditions ----------------------------------------------------------
    networks = fields.Char(help="Comma-separated networks (e.g. x, mastodon); empty: every network.")
    account_ids = fields.Many2many("social.crm.account")
    stream_ids = fields.Many2many("social.crm.stream")
    languages = fields.Char(help="Comma-separated ISO 639-1 codes (e.g. cs, pl); empty: every language.")
    use_sentiment = fields.Boolean(string="Filter on Sentiment")
    sentiment_at_most = fields.Float(
        string="Sentiment at Most", default=-0.3, help="Only posts whose sentiment score is at or below this value."
    )
    intent = fields.Selection(INTENTS, help="Only posts of this intent; empty: any intent.")
    influence_at_least = fields.Float(string="Author Influence at Least", help="0 to 100; 0 accepts every author.")
    keywords = fields.Text(
        help="One per line or comma-separated, in any language; case and accents are ignored, a keyword matches "
        "the start of a word. Empty: no keyword needed."
    )
    partner_tag_ids = fields.Many2many("res.partner.category", string="Customer Tags")

    # -- actions -------------------------------------------------------------
    action = fields.Selection(RULE_ACTIONS, required=True, default="ticket")
    helpdesk_team_id = fields.Many2one("helpdesk.ticket.team")
    ticket_tag_ids = fields.Many2many("helpdesk.ticket.tag", string="Ticket Tags")
    crm_team_id = fields.Many2one("crm.team", string="Sales Team")
    lead_type = fields.Selection([("lead", "Lead"), ("opportunity", "Opportunity")], default="lead")
    campaign_id = fields.Many2one("utm.campaign")
    medium_id = fields.Many2one("utm.medium")
    user_id = fields.Many2one("res.users", string="Assign To")
    assign_to_team_queue = fields.Boolean(
        string="Assign Through the Team Queue",
        help="The ticket waits in its team's queue, which gives it to the available agent speaking the post's "
        "language with the fewest open social tickets; influential and angry authors go first.",
    )
    activity_type_id = fields.Many2one("mail.activity.type", string="Schedule Activity")
    activity_days = fields.Integer(string="Activity Due In (days)", default=1)
    activity_summary = fields.Char(translate=True)
    acknowledge = fields.Boolean(string="Send Acknowledgement Reply")
    acknowledgement = fields.Text(
        translate=True,
        help="Sent as a reply on the network; {author} is replaced by the author's name.",
    )
    matched_count = fields.Integer(compute="_compute_matched_count", string="Posts Routed")

    @api.constrains("activity_type_id", "user_id", "action", "helpdesk_team_id", "crm_team_id")
    def _check_activity_assignee(self):
        for rule in self.filtered("activity_type_id"):
            if not rule._activity_user(None):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s schedules an activity: set Assign To (or a team with a leader, or an "
                        "activity type with a default user), or nobody will see the activity.",
                        rule=rule.name,
                    )
                )

    def _activity_user(self, record):
        """Who is given the rule's activity: Assign To, else the new ticket's or
        lead's assignee, else the team's leader, else the activity type's
        default user; never the robot user that routes posts."""
        team = {"ticket": self.helpdesk_team_id, "lead": self.crm_team_id}.get(self.action)
        candidates = (
            self.user_id,
            record.user_id if record else None,
            team.user_id if team else None,
            self.activity_type_id.default_user_id,
        )
        return next((user for user in candidates if user and not user._is_superuser()), self.env["res.users"])

    def _compute_matched_count(self):
        # counted, not stored: two workers routing at once must not update the same rule row
        counts = dict(self.env["social.crm.post"]._read_group([("rule_id", "in", self.ids)], ["rule_id"], ["__count"]))
        for rule in self:
            rule.matched_count = counts.get(rule, 0)

    @api.model
    def _conditions(self, rule):
        return Conditions(
            networks=frozenset(split_list(rule.networks)),
            account_ids=frozenset(rule.account_ids.ids),
            stream_ids=frozenset(rule.stream_ids.ids),
            languages=frozenset(code.lower() for code in split_list(rule.languages)),
            sentiment_at_most=rule.sentiment_at_most if rule.use_sentiment else None,
            intents=frozenset([rule.intent] if rule.intent else []),
            influence_at_least=rule.influence_at_least,
            keywords=split_list(rule.keywords),
            partner_tag_ids=frozenset(rule.partner_tag_ids.ids),
        )

    def _compiled(self):
        """``(rule, conditions)`` pairs, built once per batch of posts."""
        return [(rule, self._conditions(rule)) for rule in self]

    def action_test_rule(self):
        """Show the recent posts this rule would have caught, without acting."""
        self.ensure_one()
        conditions = self._conditions(self)
        since = fields.Datetime.now() - timedelta(days=30)
        posts = self.env["social.crm.post"].search(
            [("company_id", "=", self.company_id.id), ("direction", "=", "incoming"), ("published_date", ">=", since)],
            limit=2000,
        )
        caught = posts.filtered(lambda post: conditions.accepts(post._facts()))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Posts caught by %(rule)s", rule=self.name),
            "res_model": "social.crm.post",
            "view_mode": "list,form",
            "domain": [("id", "in", caught.ids)],
            "context": {"create": False},
        }
