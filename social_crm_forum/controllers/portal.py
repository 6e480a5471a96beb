import re
import textwrap

from odoo import fields, http
from odoo.fields import Domain
from odoo.http import request
from odoo.tools import SQL
from odoo.tools.mail import html_to_inner_content

#: characters of the typed subject (and description) read; the rest is ignored
MAX_SUBJECT = 200
MAX_DESCRIPTION = 1000
#: shorter words ("a", "to", "je", "na") would match nearly every question
MIN_WORD = 3
MAX_WORDS = 12
MAX_RESULTS = 5
EXCERPT_WIDTH = 240
WORD_RE = re.compile(r"\w+")
#: what PostgreSQL refuses in text (NUL) and what has no place in a one-line subject
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")
#: endings dropped from a word of letters before it is searched as a prefix, so that its forms
#: meet in any language ("hesla" finds "heslo", "faktury" "faktura", "invoices" "invoice",
#: "пароля" "пароль"); the 'simple' configuration has no stemmer for cs, pl, ru, uk or fa
PREFIX_ENDINGS = "aeiouyáéíóúýěůąęаеиоуыэюяьйіїєs"
MIN_PREFIX = 4


def _words(text, limit):
    """The distinct words of untrusted text worth searching, lower-cased."""
    if not isinstance(text, str):
        return []
    words = []
    for word in WORD_RE.findall(text[:limit].lower()):
        if len(word) >= MIN_WORD and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def _prefix(word):
    """The prefix a word of letters is searched by (up to two endings off, four
    letters kept at least), or None for a short word or one with digits,
    which is searched as written ("E42", "dph")."""
    if len(word) <= MIN_PREFIX or not word.isalpha():
        return None
    prefix = word
    while len(prefix) > MIN_PREFIX and len(word) - len(prefix) < 2 and prefix[-1] in PREFIX_ENDINGS:
        prefix = prefix[:-1]
    return prefix


class SocialCrmForumPortal(http.Controller):
    def _article_domain(self):
        """The questions a visitor may read on this website's forums that have
        an accepted answer; searched as the visitor, so the forums' privacy
        rules apply as on the forum itself."""
        return (
            Domain("parent_id", "=", False)
            & Domain("state", "=", "active")
            & Domain("has_validated_answer", "=", True)
            & Domain("can_view", "=", True)
            & Domain("forum_id.active", "=", True)
            & request.website.website_domain()
        )

    def _word_query(self, word):
        """The text query of one word: its prefix (letters only, so nothing in
        it is query syntax), or the word as written."""
        unaccent = request.env.registry.unaccent
        if prefix := _prefix(word):
            return SQL("to_tsquery('simple', %s || ':*')", unaccent(SQL("%s", prefix)))
        return SQL("plainto_tsquery('simple', %s)", unaccent(SQL("%s", word)))

    def _any_of(self, word_queries):
        """Any of the words: one query per word, so a subject matches without
        containing every word of a question."""
        return SQL("(%s)", SQL(" || ").join(word_queries))

    def _ranked_articles(self, subject, description):
        """Up to MAX_RESULTS article ids, most relevant first; an article must
        contain at least half of the subject's words."""
        words = _words(subject, MAX_SUBJECT)
        if not words:
            return []
        Post = request.env["forum.post"]
        query = Post._search(self._article_domain())
        query.order = None
        unaccent = request.env.registry.unaccent
        question = SQL.identifier(query.table, "id")
        answers = SQL(
            "(SELECT string_agg(answer.plain_content, ' ') FROM forum_post answer"
            " WHERE answer.parent_id = %s AND answer.is_correct AND answer.active)",
            question,
        )
        # the title weighs most, then the question, then its accepted answer
        document = SQL(
            "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"
            " || setweight(to_tsvector('simple', %s), 'C')",
            unaccent(SQL("coalesce(%s, '')", SQL.identifier(query.table, "name"))),
            unaccent(SQL("coalesce(%s, '')", SQL.identifier(query.table, "plain_content"))),
            unaccent(SQL("coalesce(%s, '')", answers)),
        )
        word_queries = [self._word_query(word) for word in words]
        matched = SQL(" + ").join(SQL("(article.document @@ %s)::int", query) for query in word_queries)
        ranking = self._any_of(word_queries + [self._word_query(word) for word in _words(description, MAX_DESCRIPTION)])
        request.env.cr.execute(
            SQL(
                "SELECT article.id FROM (%s) AS article"
                " WHERE article.document @@ %s AND 2 * (%s) >= %s"
                " ORDER BY ts_rank(article.document, %s) DESC, article.id DESC LIMIT %s",
                query.select(SQL("%s AS id", question), SQL("%s AS document", document)),
                self._any_of(word_queries),
                matched,
                len(words),
                ranking,
                MAX_RESULTS,
            )
        )
        return [row[0] for row in request.env.cr.fetchall()]

    @http.route("/social_crm_forum/answers", type="jsonrpc", auth="user", website=True)
    def answers(self, subject="", description="", **_kw):
        """The accepted answers matching a subject being typed on the new
        ticket form: title, a plain-text excerpt and the question's URL."""
        Post = request.env["forum.post"]
        questions = Post.browse(self._ranked_articles(subject, description))
        accepted = Post.search(
            [
                ("parent_id", "in", questions.ids),
                ("is_correct", "=", True),
                ("state", "=", "active"),
                ("can_view", "=", True),
            ]
        )
        answer_of = {answer.parent_id: answer for answer in accepted}
        return [
            {
                "id": question.id,
                "name": question.name,
                # plain text, without markup or entities: the page shows it as text
                "excerpt": textwrap.shorten(
                    html_to_inner_content(answer_of[question].content), EXCERPT_WIDTH, placeholder=" …"
                ),
                "url": question.website_url,
            }
            for question in questions
            if question in answer_of
        ]

    @http.route("/social_crm_forum/deflected", type="jsonrpc", auth="user", website=True)
    def deflected(self, post_id=None, subject="", **_kw):
        """The customer found their answer in an article: count the ticket
        avoided, once per customer, article and day."""
        if not isinstance(post_id, int) or isinstance(post_id, bool):
            return False
        question = request.env["forum.post"].search(self._article_domain() & Domain("id", "=", post_id))
        if not question:
            return False
        partner = request.env.user.partner_id
        today = fields.Date.context_today(question)
        Deflection = request.env["social.crm.forum.deflection"].sudo()
        if not Deflection.search_count(
            [("forum_post_id", "=", question.id), ("partner_id", "=", partner.id), ("date", "=", today)], limit=1
        ):
            Deflection.create(
                {
                    "forum_post_id": question.id,
                    "partner_id": partner.id,
                    "company_id": request.website.company_id.id,
                    "date": today,
                    "subject": CONTROL_RE.sub(" ", subject)[:MAX_SUBJECT] if isinstance(subject, str) else False,
                }
            )
        return True
