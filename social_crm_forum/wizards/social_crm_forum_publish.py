import re

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext

from odoo.addons.social_crm.core.redaction import name_parts, redact


def paragraphs(text):
    """Plain text as escaped HTML paragraphs.  No links are made of the
    addresses in it: the forum asks karma of whoever posts a link."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text or "") if block.strip()]
    return Markup("").join(Markup("<p>%s</p>") % Markup("<br>").join(block.splitlines()) for block in blocks)


class SocialCrmForumPublish(models.TransientModel):
    """A solved ticket as a forum question with its accepted answer: the
    agent edits the texts, pre-filled without the customer's data, and
    publishes them on a forum of the ticket's company."""

    _name = "social.crm.forum.publish"
    _description = "Publish a Solved Ticket to the Community"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="ticket_id.company_id")
    forum_id = fields.Many2one(
        "forum.forum",
        required=True,
        compute="_compute_forum_id",
        store=True,
        readonly=False,
        domain="[('website_id.company_id', '=', company_id)]",
    )
    language = fields.Selection(
        selection="_selection_language",
        required=True,
        compute="_compute_language",
        store=True,
        readonly=False,
        help="The desk suggests the article's answer for posts in this language.",
    )
    title = fields.Char(required=True, compute="_compute_texts", store=True, readonly=False)
    question = fields.Text(required=True, compute="_compute_texts", store=True, readonly=False)
    answer = fields.Text(string="Accepted Answer", required=True, compute="_compute_texts", store=True, readonly=False)
    tag_ids = fields.Many2many("forum.tag", string="Tags", domain="[('forum_id', '=', forum_id)]")
    removed_count = fields.Integer(string="Items Removed", compute="_compute_texts", store=True)
    removed_note = fields.Char(compute="_compute_removed_note")

    @api.model
    def _selection_language(self):
        return self.env["res.lang"].get_installed()

    @api.depends("ticket_id")
    def _compute_forum_id(self):
        Forum = self.env["forum.forum"]
        for wizard in self:
            company = wizard.ticket_id.company_id
            wizard.forum_id = Forum.search([("website_id.company_id", "=", company.id)], limit=1) if company else Forum

    @api.depends("ticket_id")
    def _compute_language(self):
        installed = [code for code, _name in self._selection_language()]
        for wizard in self:
            ticket = wizard.ticket_id
            incoming = wizard._incoming_posts()
            iso = ticket.social_language or incoming[:1].language
            wanted = [
                code for code in installed if iso and iso != "und" and (code == iso or code.startswith(f"{iso}_"))
            ]
            wanted += [code for code in (ticket.partner_id.lang, self.env.user.lang) if code in installed]
            wizard.language = (wanted or installed or [False])[0]

    @api.depends("ticket_id")
    def _compute_texts(self):
        for wizard in self:
            ticket = wizard.ticket_id
            known = wizard._customer_data()
            title, question, answer = (
                redact(text, known) for text in (ticket.name or "", wizard._ticket_question(), wizard._ticket_answer())
            )
            wizard.title = " ".join(title.text.split())
            wizard.question = question.text.strip()
            wizard.answer = answer.text.strip()
            wizard.removed_count = title.count + question.count + answer.count

    @api.depends("removed_count")
    def _compute_removed_note(self):
        for wizard in self:
            if wizard.removed_count == 1:
                wizard.removed_note = self.env._("1 item of customer data removed: check the texts before publishing.")
            elif wizard.removed_count:
                wizard.removed_note = self.env._(
                    "%(count)s items of customer data removed: check the texts before publishing.",
                    count=wizard.removed_count,
                )
            else:
                wizard.removed_note = False

    def _incoming_posts(self):
        posts = self.ticket_id.social_post_ids.filtered(lambda post: post.direction == "incoming" and post.text)
        return posts.sorted(lambda post: (post.published_date or post.create_date, post.id))

    def _customer_data(self):
        """What names the customer in the ticket: their names (and name
        words), e-mail addresses, phones, handles and company."""
        ticket = self.ticket_id
        partner = ticket.partner_id
        profiles = self._incoming_posts().profile_id
        people = [ticket.partner_name, *profiles.mapped("name")]
        if not partner.is_company:
            people.append(partner.name)
        known = [part for name in people for part in name_parts(name)]
        # a company's name goes as a whole: its words alone ("Telecom") are ordinary words
        known += [
            partner.commercial_partner_id.name if partner.commercial_partner_id.is_company else False,
            partner.email,
            ticket.partner_email,
            partner.phone,
            *profiles.mapped("handle"),
            *profiles.mapped("email"),
        ]
        return tuple(value for value in known if value)

    def _ticket_question(self):
        incoming = self._incoming_posts()
        if incoming:
            return incoming[0].text
        return html2plaintext(self.ticket_id.description or "")

    def _ticket_answer(self):
        """The answer that solved it: the one the suggestion index holds,
        else the last reply on the network, else the last agent's message."""
        ticket = self.ticket_id
        solution = self.env["social.crm.solution"].sudo().search([("ticket_id", "=", ticket.id)], limit=1)
        if solution:
            return solution.answer
        replies = ticket.social_post_ids.filtered(lambda post: post.direction == "outgoing" and post.text)
        if replies:
            return replies.sorted(lambda post: (post.published_date or post.create_date, post.id))[-1].text
        messages = ticket.message_ids.filtered(
            lambda message: (
                message.message_type in ("comment", "email")
                and message.body
                and not message.subtype_id.internal
                and message.author_id
                and message.author_id != ticket.partner_id
                and message.author_id.user_ids.filtered(lambda user: not user.share)
            )
        )
        return html2plaintext(messages.sorted("id")[-1].body) if messages else ""

    def action_publish(self):
        self.ensure_one()
        ticket = self.ticket_id
        ticket.check_access("write")
        # one article per ticket, even when two agents publish at once
        self.env.cr.execute(SQL("SELECT id FROM helpdesk_ticket WHERE id = %s FOR UPDATE", ticket.id))
        ticket.invalidate_recordset(["social_crm_kb_post_id"])
        if ticket.social_crm_kb_post_id:
            raise UserError(
                self.env._(
                    "This ticket is published already as “%(article)s”; edit that article on the forum instead.",
                    article=ticket.social_crm_kb_post_id.name,
                )
            )
        if not ticket.closed:
            raise UserError(self.env._("Only a solved ticket can be published to the community."))
        forum = self.forum_id
        if not forum.website_id.company_id or forum.website_id.company_id != ticket.company_id:
            raise UserError(
                self.env._(
                    "The forum “%(forum)s” is not on a website of %(company)s.",
                    forum=forum.name,
                    company=ticket.company_id.name,
                )
            )
        title, question, answer = (" ".join((self.title or "").split()), self.question or "", self.answer or "")
        if not (title and question.strip() and answer.strip()):
            raise UserError(self.env._("The article needs a title, a question and an answer."))
        lang = self.env["res.lang"]._get_data(code=self.language)
        # an agent publishes an answer the desk already gave: no forum karma is asked of them
        Post = self.env["forum.post"].sudo()
        article = Post.create(
            {
                "forum_id": forum.id,
                "name": title,
                "content": paragraphs(question),
                "tag_ids": [Command.set(self.tag_ids.filtered(lambda tag: tag.forum_id == forum).ids)],
                "social_crm_language": (lang.iso_code or self.language).split("_")[0],
            }
        )
        Post.create({"forum_id": forum.id, "parent_id": article.id, "content": paragraphs(answer), "is_correct": True})
        ticket.social_crm_kb_post_id = article
        ticket.message_post(
            body=Markup('<p>%s <a href="%s" target="_blank">%s</a></p>')
            % (self.env._("Published to the community:"), article.website_url, article.name),
            subtype_xmlid="mail.mt_note",
        )
        return {"type": "ir.actions.act_window_close"}
