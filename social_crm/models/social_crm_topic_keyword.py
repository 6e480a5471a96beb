from odoo import api, fields, models


class SocialCrmTopicKeyword(models.Model):
    """A word, name or #hashtag whose posts belong to a topic, whatever stream read them."""

    _name = "social.crm.topic.keyword"
    _description = "Listening Topic Keyword"
    _order = "topic_id, keyword"

    topic_id = fields.Many2one("social.crm.topic", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="topic_id.company_id", store=True, index=True)
    keyword = fields.Char(required=True, help="Matched anywhere in the post's text, whatever the case.")
    pattern = fields.Char(compute="_compute_pattern", store=True, help="The ILIKE pattern, wildcards escaped.")

    _keyword_unique = models.Constraint("UNIQUE(topic_id, keyword)", "A keyword is listed once per topic.")

    @api.depends("keyword")
    def _compute_pattern(self):
        for keyword in self:
            text = (keyword.keyword or "").strip()
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            keyword.pattern = f"%{escaped}%" if text else False
