from odoo import Command, api, fields, models


class SocialCrmLinkPartner(models.TransientModel):
    """Confirm who authors are: link one or several profiles (from several
    networks, too) to an existing customer, or to a new one."""

    _name = "social.crm.link.partner"
    _description = "Link Social Authors to a Customer"

    profile_ids = fields.Many2many("social.crm.profile", string="Authors", required=True)
    mode = fields.Selection(
        [("link", "An existing customer"), ("create", "A new customer")], default="link", required=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer")
    suggested_partner_ids = fields.Many2many("res.partner", compute="_compute_suggested_partner_ids")
    name = fields.Char(string="New Customer Name")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "social.crm.profile":
            profiles = self.env["social.crm.profile"].browse(self.env.context.get("active_ids", []))
            values["profile_ids"] = [Command.set(profiles.ids)]
            suggested = profiles.suggested_partner_ids | profiles.partner_id
            values["partner_id"] = suggested[:1].id
            values["mode"] = "link" if suggested else "create"
            values["name"] = profiles[:1].name or profiles[:1].handle
        return values

    @api.depends("profile_ids")
    def _compute_suggested_partner_ids(self):
        for wizard in self:
            wizard.suggested_partner_ids = wizard.profile_ids.suggested_partner_ids

    def action_link(self):
        self.ensure_one()
        partner = self.partner_id
        if self.mode == "create":
            first = self.profile_ids[:1]
            partner = self.env["res.partner"].create(
                {
                    "name": self.name or first.name or first.handle,
                    "email": next(iter(self.profile_ids.filtered("email").mapped("email")), False),
                    "website": next(iter(self.profile_ids.filtered("website").mapped("website")), False),
                }
            )
        self.profile_ids.write(
            {"partner_id": partner.id, "match_reason": "confirmed by an agent", "match_confidence": 1.0}
        )
        return {"type": "ir.actions.act_window_close"}
