"""The company's own website forum as a network.

Unlike the other connectors this one reads and writes Odoo records, so it
lives in the bridge, not in ``social_crm.core``; it speaks the same
:class:`Connector` interface, so fetching, cursors, routing and replying are
the ones every network uses."""

from datetime import timezone

from odoo.tools import html2plaintext, plaintext2html

from odoo.addons.social_crm.core.connectors import Connector, register_bridged
from odoo.addons.social_crm.core.errors import ConnectorError
from odoo.addons.social_crm.core.types import Author, Metrics, NormalizedPost, Page

#: forum posts read per page; a page and its cursor are committed together
PAGE_SIZE = 200
#: states of posts the public sees; those waiting for moderation are read once a moderator accepts them
PUBLIC_STATES = ("active", "close", "flagged")


def forum_author(partner, internal):
    """The author of a forum post: the partner itself, so identity is exact.
    The company's own users (``internal``) are the ones the forum vouches for:
    their answers are ours (see the account's ``_is_own``)."""
    return Author(
        external_id=str(partner.id),
        handle=str(partner.id),
        display_name=partner.name or "",
        email=partner.email or "",
        verified=internal,
    )


@register_bridged
class ForumConnector(Connector):
    network = "forum"
    label = "Community Forum"
    # questions come as mentions of the company, answers as comments on them
    stream_kinds = ("mentions", "comments")
    max_text_length = 20000
    can_reply = True
    publish_unsupported = "Questions are asked on the forum itself; answers go out from the ticket."

    def __init__(self, config, *, forum=None, **kwargs):
        super().__init__(config, **kwargs)
        #: the forum.forum record this account listens to
        self.forum = forum

    def check_connection(self):
        if not self.forum:
            raise ConnectorError("No forum is chosen for this account.")
        return self.forum.name

    def fetch_page(self, stream, cursor):
        if not self.forum:
            raise ConnectorError("No forum is chosen for this account.")
        if stream.kind not in self.stream_kinds:
            raise NotImplementedError(f"{self.label}: reading {stream.kind} is not supported")
        # by id, never by date: ids only grow, so a committed cursor never skips a post
        domain = [
            ("forum_id", "=", self.forum.id),
            ("id", ">", int(cursor or 0)),
            ("parent_id", "=" if stream.kind == "mentions" else "!=", False),
            ("state", "in", PUBLIC_STATES),
        ]
        posts = self.forum.env["forum.post"].sudo().with_context(active_test=False)
        found = posts.search(domain, order="id", limit=PAGE_SIZE + 1)
        page = found[:PAGE_SIZE]
        return Page(
            posts=self.normalize(page),
            cursor=str(page[-1].id) if page else cursor,
            has_more=len(found) > PAGE_SIZE,
        )

    def normalize(self, forum_posts):
        """Forum posts as normalised posts (questions, answers)."""
        internal = set(
            forum_posts.env["res.users"]
            .sudo()
            .search([("partner_id", "in", forum_posts.create_uid.partner_id.ids), ("share", "=", False)])
            .partner_id.ids
        )
        return [self._normalize_one(post, internal) for post in forum_posts]

    def _normalize_one(self, post, internal):
        partner = post.create_uid.partner_id
        question = post.parent_id
        text = html2plaintext(post.content or "")
        if not question and post.name:
            text = f"{post.name}\n\n{text}" if text else post.name
        return NormalizedPost(
            external_id=str(post.id),
            author=forum_author(partner, partner.id in internal),
            text=text,
            created_at=post.create_date.replace(tzinfo=timezone.utc),
            kind="comment" if question else "mention",
            url=post._social_crm_absolute_url(),
            parent_external_id=str(question.id) if question else "",
            thread_external_id=str((question or post).id),
            language_hint=post.forum_id.website_id.default_lang_id.code[:2] if post.forum_id.website_id else "",
            deleted=not post.active,
            metrics=Metrics(likes=max(post.vote_count, 0), replies=post.child_count),
        )

    def reply(self, parent, text):
        """Answer the question ``parent`` belongs to, as the agent's user: the
        forum shows who answered.  Karma rules are for the public; the desk
        already decided this agent answers."""
        question = self.forum.env["forum.post"].browse(int(parent.thread_external_id or parent.external_id))
        if not question.exists() or question.forum_id != self.forum:
            raise ConnectorError("The question is no longer on the forum.")
        if question.state == "close" or not question.active:
            raise ConnectorError("The question is closed or deleted on the forum.")
        answer = (
            question.env["forum.post"]
            .sudo()
            .create({"forum_id": self.forum.id, "parent_id": question.id, "content": plaintext2html(text)})
        )
        return self.normalize(answer)[0]
