from odoo import models


class SocialCrmProfile(models.Model):
    _inherit = "social.crm.profile"

    def _match_partners(self):
        """A forum author is a partner of this database: linked for certain,
        never guessed from names or e-mails."""
        forum = self.filtered(lambda profile: profile.network == "forum" and (profile.external_id or "").isdigit())
        for profile in forum:
            partner = self.env["res.partner"].sudo().browse(int(profile.external_id)).exists()
            if partner:
                profile.write({"partner_id": partner.id, "match_reason": "forum", "match_confidence": 1.0})
        return forum.filtered("partner_id") | super(SocialCrmProfile, self - forum)._match_partners()
