import logging
from textwrap import shorten

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext

_logger = logging.getLogger(__name__)

#: fields whose change the stored social post must follow (edited or deleted text)
MIRRORED_FIELDS = {"name", "content", "active", "state"}


class ForumPost(models.Model):
    _inherit = "forum.post"

    social_crm_origin_post_id = fields.Many2one(
        "social.crm.post",
        string="Asked On Social Network",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="The post on another network this question was brought from; its accepted answer is sent back there.",
    )
    social_crm_answer_sent = fields.Boolean(
        string="Answer Sent Back",
        readonly=True, copy=False, help="The accepted answer went back to the customer's network."
    )

    # the forum hides posts of authors without karma (spam control); the
    # company's own users answer from the desk with none, and must be seen
    def _compute_post_karma_rights(self):
        result = super()._compute_post_karma_rights()
        for post, post_sudo in zip(self, self.sudo(), strict=True):
            if not post.can_view and post_sudo.active and post_sudo.create_uid and not post_sudo.create_uid.share:
                post.can_view = True
        return result

    def _search_can_view(self, operator, value):
        domain = super()._search_can_view(operator, value)
        if domain is NotImplemented or self.env.is_admin():
            return domain
        staff_posts = SQL(
            "(SELECT post.id FROM forum_post post JOIN res_users author ON post.create_uid = author.id"
            " WHERE post.active AND NOT author.share)"
        )
        return ["|", *domain, ("id", "in", staff_posts)]

    @api.model_create_multi
    def create(self, vals_list):
        posts = super().create(vals_list)
        posts._social_crm_mirror()
        return posts

    def write(self, vals):
        accepted_before = self.filtered("is_correct")
        result = super().write(vals)
        if MIRRORED_FIELDS & vals.keys():
            self._social_crm_mirror()
        if vals.get("is_correct"):
            (self.filtered("is_correct") - accepted_before)._social_crm_accepted()
        return result

    def _social_crm_absolute_url(self):
        """The post's address for people outside Odoo: on its forum's website."""
        self.ensure_one()
        base = (self.forum_id.website_id or self).get_base_url()
        return f"{base}{self.website_url}" if self.website_url else ""

    def _social_crm_mirror(self):
        """Store the posts on the community account of their forum at once.
        A failure must never stop the forum: the account shows the error and
        its scheduled fetch reads the post again."""
        accounts = (
            self.env["social.crm.account"]
            .sudo()
            .search([("network", "=", "forum"), ("forum_id", "in", self.forum_id.ids), ("state", "!=", "disabled")])
        )
        for account in accounts:
            try:
                with self.env.cr.savepoint():
                    account._forum_ingest(self)
            except Exception as error:  # noqa: BLE001 - the forum goes on; the fetch catches up
                _logger.info("Community account %s could not store forum posts %s now: %s", account.id, self.ids, error)
                account._record_error(error)

    def _social_crm_stored(self):
        """The stored social posts of these forum posts."""
        return (
            self.env["social.crm.post"]
            .sudo()
            .search([("network", "=", "forum"), ("external_id", "in", [str(post.id) for post in self])])
        )

    def _social_crm_accepted(self):
        """An answer was accepted: say so on the question's ticket, and send it
        back to the network the question was brought from."""
        for answer in self:
            question = answer.parent_id
            stored_question = question._social_crm_stored()
            if stored_question.ticket_id:
                stored_question.ticket_id.sudo().message_post(
                    body=Markup("<p>%s</p><blockquote>%s</blockquote>")
                    % (
                        self.env._("The customer accepted this answer on the forum:"),
                        shorten(html2plaintext(answer.content or ""), 600),
                    ),
                    subtype_xmlid="mail.mt_note",
                )
            if question.social_crm_origin_post_id and not question.social_crm_answer_sent:
                question._social_crm_send_back(answer)

    def _social_crm_send_back(self, answer):
        """Send the accepted ``answer`` to the customer where they asked, with
        a link to the forum.  The acceptance stands even when the network
        refuses: the reason is noted on the question."""
        self.ensure_one()
        origin = self.social_crm_origin_post_id.sudo()
        connector_class = origin.account_id._connector().__class__
        link = self._social_crm_absolute_url()
        room = max(connector_class.max_text_length - len(link) - 1, 0) if connector_class.max_text_length else 0
        answer_text = " ".join(html2plaintext(answer.content or "").split())
        text = f"{shorten(answer_text, room) if room else answer_text} {link}".strip()
        try:
            with self.env.cr.savepoint():
                # in the name of the agent who brought the question here, whoever accepted the answer
                origin.with_user(self.create_uid)._reply(text)
        except UserError as error:
            self.sudo().message_post(
                body=self.env._("The accepted answer could not be sent back: %(error)s", error=error.args[0]),
                subtype_xmlid="mail.mt_note",
            )
            return
        self.sudo().social_crm_answer_sent = True
