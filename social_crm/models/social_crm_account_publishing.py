from datetime import timedelta

from odoo import api, fields, models

from ..core.connectors import get_connector_class

WEEKDAYS = [("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"), ("4", "Friday"),
            ("5", "Saturday"), ("6", "Sunday")]


class SocialCrmAccount(models.Model):
    """What publishing needs to know about an account."""

    _inherit = "social.crm.account"

    can_publish = fields.Boolean(compute="_compute_can_publish", store=True, string="Publishes")
    publish_note = fields.Char(compute="_compute_publish_note", string="Publishing Limits")
    publish_requires_approval = fields.Boolean(
        string="Posts Need Approval", tracking=True,
        help="Posts to this account are published only once a Social CRM manager approved them.",
    )
    publish_target = fields.Char(
        string="Publish To",
        help="Where posts go when it is not the account itself: the Telegram channel (@name or id), "
             "the subreddit (r/name; default: the account's profile).",
    )
    publish_slot_ids = fields.One2many("social.crm.publish.slot", "account_id", string="Posting Slots")

    @api.depends("network")
    def _compute_can_publish(self):
        for account in self:
            account.can_publish = bool(account.network and get_connector_class(account.network).can_publish)

    @api.depends("network")
    def _compute_publish_note(self):
        for account in self:
            connector = get_connector_class(account.network) if account.network else None
            if not connector:
                account.publish_note = False
            elif not connector.can_publish:
                account.publish_note = connector.publish_unsupported or self.env._("Cannot publish")
            else:
                limits = connector.limits()
                account.publish_note = self.env._(
                    "%(chars)s characters, %(media)s image(s)%(links)s",
                    chars=limits.max_chars,
                    media=limits.max_media,
                    links="" if limits.links_clickable else self.env._(", links not clickable"),
                )

    def _connector(self):
        connector = super()._connector()
        if self.publish_target:
            connector.config.options["publish_target"] = self.publish_target
        return connector

    def _next_free_slot(self, after=None):
        """The next posting slot of the account after ``after`` not taken by a scheduled post."""
        self.ensure_one()
        after = after or fields.Datetime.now()
        taken = set(self.env["social.crm.publication"].search([
            ("account_ids", "in", self.ids), ("state", "in", ("waiting", "scheduled")), ("scheduled_date", ">", after),
        ]).mapped("scheduled_date"))
        slots = sorted(self.publish_slot_ids, key=lambda slot: (int(slot.weekday), slot.hour))
        if not slots:
            return False
        day = after.replace(hour=0, minute=0, second=0, microsecond=0)
        for offset in range(7 * 8):  # eight weeks ahead at most
            date = day + timedelta(days=offset)
            for slot in slots:
                if int(slot.weekday) != date.weekday():
                    continue
                moment = date + timedelta(hours=slot.hour)
                if moment > after and moment not in taken:
                    return moment
        return False


class SocialCrmPublishSlot(models.Model):
    """A weekly time at which the account's queue publishes (UTC)."""

    _name = "social.crm.publish.slot"
    _description = "Social Posting Slot"
    _order = "account_id, weekday, hour"

    account_id = fields.Many2one("social.crm.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    weekday = fields.Selection(WEEKDAYS, required=True, default="0")
    hour = fields.Float(required=True, default=9.0, help="Time of day in UTC, e.g. 9.5 for 09:30.")

    _hour_range = models.Constraint("CHECK(hour >= 0 AND hour < 24)", "The hour is between 0 and 24.")
    _slot_unique = models.Constraint("UNIQUE(account_id, weekday, hour)", "Each slot is listed once.")

