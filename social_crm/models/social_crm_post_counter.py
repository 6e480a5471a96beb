from odoo import fields, models


class SocialCrmPostCounter(models.AbstractModel):
    """Counts the social posts that point to a record (its account, stream,
    author, ticket or lead) with one grouped query for the whole recordset."""

    _name = "social.crm.post.counter"
    _description = "Social Post Counter"

    #: the field of ``social.crm.post`` that points to the inheriting model
    _social_post_field = None

    social_post_count = fields.Integer(compute="_compute_social_post_count", string="Social Posts Count")

    def _compute_social_post_count(self):
        field = self._social_post_field
        counts = dict(self.env["social.crm.post"]._read_group([(field, "in", self.ids)], [field], ["__count"]))
        for record in self:
            record.social_post_count = counts.get(record, 0)

    def _social_latest_incoming_post(self):
        """The customer's latest post that this record came from: the one to answer."""
        self.ensure_one()
        return self.env["social.crm.post"].search(
            [(self._social_post_field, "=", self.id), ("direction", "=", "incoming")],
            order="published_date desc, id desc",
            limit=1,
        )

    def action_social_reply(self):
        return self._social_latest_incoming_post().action_reply()
