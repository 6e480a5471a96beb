from odoo import api, fields, models


class SocialCrmCredential(models.Model):
    """One secret of an account (token, app secret, webhook secret …).

    Secrets live in their own model that only Social CRM managers may read,
    so that no view, export or RPC call of a plain user can reach them; each
    network names the keys it needs (``Connector.credential_fields``)."""

    _name = "social.crm.credential"
    _description = "Social Account Credential"
    _order = "account_id, key"

    account_id = fields.Many2one("social.crm.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    key = fields.Char(required=True)
    value = fields.Char()

    _key_unique = models.Constraint("UNIQUE(account_id, key)", "Each credential is set once per account.")

    @api.model
    def _coerce(self, key, value):
        # expiry times are numbers for the OAuth clients; everything else is text
        if key.endswith("expires_at") and value:
            try:
                return float(value)
            except ValueError:
                return value
        return value
