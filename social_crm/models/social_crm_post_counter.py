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
