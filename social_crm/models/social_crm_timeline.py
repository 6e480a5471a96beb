from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import html2plaintext

TEXT_LIMIT = 300
ICONS = {"social": "fa-comments", "email": "fa-envelope", "call": "fa-phone", "note": "fa-sticky-note"}


class SocialCrmTimeline(models.AbstractModel):
    """One timeline of what a customer wrote online, e-mailed and said on the
    phone: social posts, e-mails and messages, calls done and planned."""

    _name = "social.crm.timeline"
    _description = "Omnichannel Timeline"

    @api.model
    def _entries(self, partner, ticket=None, limit=60):
        """``(date, kind, label, author, text)`` tuples, newest first, that
        the current user may read."""
        Post = self.env["social.crm.post"]
        post_domain = [("ticket_id", "=", ticket.id)] if ticket else [("partner_id", "=", partner.id)]
        entries = []
        for post in Post.search(post_domain, order="published_date desc, id desc", limit=limit):
            author = post.profile_id.display_name if post.direction == "incoming" else self.env._("Us")
            label = (
                f"{post._network_label()} · {dict(post._fields['kind']._description_selection(self.env))[post.kind]}"
            )
            entries.append((post.published_date or post.create_date, "social", label, author, post.text or ""))

        documents = [("res.partner", partner.id)] if partner else []
        if ticket:
            documents.append(("helpdesk.ticket", ticket.id))
        on_documents = Domain.OR(
            Domain("model", "=", model) & Domain("res_id", "=", res_id) for model, res_id in documents
        )
        # e-mails, messages, and the calls logged when a call activity is done
        kinds = Domain("message_type", "in", ["email", "comment"]) | Domain("mail_activity_type_id", "!=", False)
        if partner:
            on_documents |= Domain("author_id", "=", partner.id) & Domain("message_type", "=", "email")
        messages = self.env["mail.message"].search(
            Domain("social_post_id", "=", False) & kinds & on_documents, order="date desc, id desc", limit=limit
        )
        for message in messages:
            if message.mail_activity_type_id.category == "phonecall":
                kind, label = "call", self.env._("Call")
            elif message.message_type == "email":
                kind, label = "email", self.env._("E-mail")
            else:
                kind, label = "note", self.env._("Message")
            text = html2plaintext(message.body or "") or message.subject or ""
            entries.append((message.date, kind, label, message.author_id.name or "", text))

        planned = self.env["mail.activity"].search(
            Domain("activity_type_id.category", "=", "phonecall")
            & Domain.OR(Domain("res_model", "=", model) & Domain("res_id", "=", res_id) for model, res_id in documents),
            limit=limit,
        )
        for activity in planned:
            moment = fields.Datetime.to_datetime(activity.date_deadline)
            entries.append(
                (moment, "call", self.env._("Call planned"), activity.user_id.name or "", activity.summary or "")
            )
        entries.sort(key=lambda entry: entry[0] or fields.Datetime.now(), reverse=True)
        return entries[:limit]

    @api.model
    def _html(self, partner, ticket=None):
        entries = self._entries(partner, ticket)
        if not entries:
            return Markup('<p class="text-muted">%s</p>') % self.env._("Nothing yet.")
        rows = Markup("").join(
            Markup(
                '<tr class="o_social_crm_timeline_%s"><td class="text-nowrap">%s</td>'
                '<td class="text-nowrap"><i class="fa %s me-1" role="img" aria-hidden="true"/>%s</td>'
                '<td>%s</td><td dir="auto">%s</td></tr>'
            )
            % (
                kind,
                fields.Datetime.context_timestamp(self, date).strftime("%Y-%m-%d %H:%M") if date else "",
                ICONS[kind],
                label,
                author,
                text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…",
            )
            for date, kind, label, author, text in entries
        )
        return Markup('<table class="table table-sm o_social_crm_timeline"><tbody>%s</tbody></table>') % rows
