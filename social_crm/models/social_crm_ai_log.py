import json
import logging
import time

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import plaintext2html

from ..core.ai import AIError, draft_messages, parse_recheck, recheck_messages, summary_messages

_logger = logging.getLogger(__name__)

FEATURES = {"draft": "draft_replies", "summary": "summaries", "recheck": "recheck_analysis"}


class SocialCrmAiLog(models.Model):
    """Everything sent to the AI endpoint, per post: what, by whom, and what
    came back (or why nothing did)."""

    _name = "social.crm.ai.log"
    _description = "Social CRM AI Request"
    _order = "id desc"

    post_id = fields.Many2one("social.crm.post", ondelete="cascade", index="btree_not_null", readonly=True)
    ticket_id = fields.Many2one("helpdesk.ticket", ondelete="cascade", index="btree_not_null", readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Asked By", readonly=True, default=lambda self: self.env.user)
    purpose = fields.Selection(
        [("draft", "Reply Draft"), ("summary", "Thread Summary"), ("recheck", "Analysis Re-check")],
        required=True,
        readonly=True,
    )
    sent = fields.Text(string="Sent to the Endpoint", readonly=True)
    answer = fields.Text(readonly=True)
    state = fields.Selection([("done", "Answered"), ("failed", "Failed")], required=True, readonly=True)
    error = fields.Char(readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)

    @api.model
    def _ask(self, company, purpose, messages, post=None, ticket=None):
        """The endpoint's answer, or None when AI is off for ``purpose`` or
        the call failed (the caller then takes the offline path)."""
        endpoint = self.env["social.crm.ai.config"]._endpoint(company, FEATURES[purpose])
        if endpoint is None:
            return None
        started = time.monotonic()
        values = {
            "post_id": post.id if post else False,
            "ticket_id": ticket.id if ticket else False,
            "company_id": company.id,
            "purpose": purpose,
            "sent": json.dumps(messages, ensure_ascii=False, indent=1),
        }
        try:
            answer = endpoint.complete(messages)
            values.update(state="done", answer=answer)
        except AIError as error:
            _logger.info("AI %s for company %s failed: %s", purpose, company.id, error)
            answer = None
            values.update(state="failed", error=str(error))
        values["duration_ms"] = int((time.monotonic() - started) * 1000)
        self.sudo().create(values)
        return answer

    @api.model
    def _thread(self, ticket, exclude=None, limit=8):
        """The ticket's conversation as lines, oldest first, for a prompt."""
        posts = self.env["social.crm.post"].search(
            [("ticket_id", "=", ticket.id), ("id", "!=", exclude.id if exclude else 0), ("text", "!=", False)],
            order="published_date desc, id desc",
            limit=limit,
        )
        speaker = {"incoming": self.env._("Customer"), "outgoing": self.env._("Us")}
        return [f"{speaker[post.direction]}: {post.text}" for post in reversed(posts)]

    @api.model
    def _draft(self, post):
        """An AI draft of the reply to ``post``, or None."""
        thread = self._thread(post.ticket_id, exclude=post) if post.ticket_id else []
        messages = draft_messages(post.text or "", post.language or "und", thread, post.company_id.name)
        return self._ask(post.company_id, "draft", messages, post=post, ticket=post.ticket_id)

    @api.model
    def _summarise(self, ticket):
        """Post a summary of the ticket's social thread in its chatter: the
        AI's when enabled and answering, else the latest messages."""
        thread = self._thread(ticket, limit=30)
        summary = self._ask(ticket.company_id, "summary", summary_messages(thread), ticket=ticket) if thread else None
        if summary:
            title = self.env._("Thread summary (AI assistance)")
        else:
            title = self.env._("Thread summary (latest messages)")
            summary = "\n".join(f"- {' '.join(line.split())[:140]}" for line in thread[-5:])
        ticket.message_post(
            body=Markup("<p><strong>%s</strong></p>%s") % (title, plaintext2html(summary)),
            subtype_xmlid="mail.mt_note",
        )
        return summary

    @api.model
    def _recheck(self, post):
        """A second opinion on the post's sentiment and intent: the AI's when
        enabled and answering, else a fresh run of the offline analyzer."""
        answer = self._ask(
            post.company_id, "recheck", recheck_messages(post.text or ""), post=post, ticket=post.ticket_id
        )
        labels, origin = None, self.env._("AI assistance")
        if answer:
            try:
                labels = parse_recheck(answer)
            except AIError as error:
                self.sudo().search([("post_id", "=", post.id)], limit=1).write({"state": "failed", "error": str(error)})
        if labels is None:
            origin = self.env._("offline analyzer")
            values = post._analyse(post._analyzer(post.company_id), post.text, "", post.partner_id.lang)
            labels = (values.get("sentiment_label"), values.get("intent"))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "sticky": True,
                "title": self.env._("Second opinion (%(origin)s)", origin=origin),
                "message": self.env._(
                    "Sentiment %(sentiment)s, intent %(intent)s; stored: sentiment %(stored_sentiment)s, "
                    "intent %(stored_intent)s.",
                    sentiment=labels[0],
                    intent=labels[1],
                    stored_sentiment=post.sentiment_label,
                    stored_intent=post.intent,
                ),
            },
        }
