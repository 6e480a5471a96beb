from textwrap import shorten

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

TITLE_LENGTH = 120


class SocialCrmForumShare(models.TransientModel):
    """Publish a question a customer asked on another network to the
    community forum, with their consent; the accepted answer goes back to
    them on that network (see ``forum.post._social_crm_accepted``)."""

    _name = "social.crm.forum.share"
    _description = "Publish a Social Question to the Community"

    post_id = fields.Many2one("social.crm.post", required=True, readonly=True)
    company_id = fields.Many2one(related="post_id.company_id")
    forum_id = fields.Many2one(
        "forum.forum",
        required=True,
        domain="['|', ('website_id', '=', False), ('website_id.company_id', 'in', (company_id, False))]",
    )
    title = fields.Char(required=True)
    question = fields.Text(
        required=True, help="As it will appear on the forum: remove what the customer keeps private."
    )
    consent = fields.Boolean(
        string="The customer agreed", help="The customer agreed that their question is published on the forum."
    )
    tell_customer = fields.Boolean(string="Tell the Customer", default=True)
    customer_message = fields.Text(help="Sent to the customer on their network, followed by the question's link.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        post = self.env["social.crm.post"].browse(values.get("post_id")).exists()
        if post:
            text = " ".join((post.text or "").split())
            customer = self.with_context(lang=post.partner_id.lang or self.env.lang)
            values.setdefault("title", shorten(text, TITLE_LENGTH) or post.display_name)
            values.setdefault("question", post.text or "")
            values.setdefault(
                "customer_message",
                customer.env._("We have published your question on our community forum, where the answer will be:"),
            )
            accounts = self.env["social.crm.account"].search(
                [("network", "=", "forum"), ("company_id", "=", post.company_id.id)], limit=1
            )
            forum = accounts.forum_id
            if forum:
                values.setdefault("forum_id", forum.id)
        return values

    def action_publish(self):
        self.ensure_one()
        if not self.consent:
            raise UserError(self.env._("Publish the question only once the customer has agreed."))
        if self.post_id.forum_question_ids:
            raise UserError(self.env._("This question is on the forum already."))
        website_company = self.forum_id.website_id.company_id
        if website_company and website_company != self.post_id.company_id:
            raise UserError(self.env._("This forum belongs to another company's website."))
        # the agent asks in the company's name; karma rules are for the public
        question = (
            self.env["forum.post"]
            .sudo()
            .create(
                {
                    "forum_id": self.forum_id.id,
                    "name": self.title,
                    "content": plaintext2html(self.question),
                    "social_crm_origin_post_id": self.post_id.id,
                }
            )
        )
        if self.tell_customer:
            link = question._social_crm_absolute_url()
            self.post_id._reply(f"{(self.customer_message or '').strip()} {link}".strip())
        return {"type": "ir.actions.act_url", "url": question.website_url, "target": "new"}
