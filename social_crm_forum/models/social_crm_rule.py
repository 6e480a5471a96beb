from odoo import fields, models


class SocialCrmRule(models.Model):
    _inherit = "social.crm.rule"

    forum_unanswered_only = fields.Boolean(
        string="Only for Unanswered Questions",
        help="Not applied to new posts: a community account hands it the questions nobody answered in time.",
    )

    def _compiled(self):
        # new posts never meet these rules; the community accounts' cron applies them
        return super(SocialCrmRule, self.filtered(lambda rule: not rule.forum_unanswered_only))._compiled()
