from odoo import api, fields, models
from odoo.tools import SQL, html2plaintext

from odoo.addons.social_crm.models.social_crm_solution import TEXT_LIMIT, search_terms

#: forum post fields whose change may change the article the desk suggests
INDEXED_FIELDS = {"name", "content", "is_correct", "active", "state", "forum_id", "parent_id", "social_crm_language"}


class SocialCrmSolution(models.Model):
    """Forum questions with an accepted answer join the suggestion index of
    solved tickets: the desk offers a knowledge-base answer like a ticket's."""

    _inherit = "social.crm.solution"

    # an article is indexed on its own, whether or not a ticket gave it
    ticket_id = fields.Many2one(required=False)
    forum_post_id = fields.Many2one(
        "forum.post", string="Forum Article", ondelete="cascade", index="btree_not_null", readonly=True
    )

    _one_per_forum_post = models.Constraint("UNIQUE(forum_post_id)", "A forum article is indexed once.")
    _ticket_or_article = models.Constraint(
        "CHECK(ticket_id IS NOT NULL OR forum_post_id IS NOT NULL)", "A solution is a solved ticket or a forum article."
    )

    @api.model
    def _index_forum(self, questions):
        """Index forum questions with an accepted answer, active and bound to
        one company's website; a question indexed before is replaced."""
        self._unindex_forum(questions)
        rows = []
        for question in questions.sudo().filtered(lambda q: q.active and q.state == "active" and not q.parent_id):
            website = question.forum_id.website_id
            accepted = question.child_ids.filtered(lambda answer: answer.is_correct and answer.active)[:1]
            answer = html2plaintext(accepted.content or "").strip()
            if not website.company_id or not answer:
                continue  # no company's article, or nothing accepted to suggest
            language = question.social_crm_language or (website.default_lang_id.iso_code or "und").split("_")[0]
            text = "\n".join(filter(None, [question.name, html2plaintext(question.content or "")]))
            rows.append(
                {
                    "forum_post_id": question.id,
                    "company_id": website.company_id.id,
                    "language": language,
                    "network": False,
                    "question": text[:TEXT_LIMIT],
                    "answer": answer[:TEXT_LIMIT],
                    "solved_date": accepted.write_date or fields.Datetime.now(),
                }
            )
        return self._store(rows)

    @api.model
    def _unindex_forum(self, questions):
        self.sudo().search([("forum_post_id", "in", questions.ids)])._drop()

    @api.model
    def _suggest(self, text, language, company, limit=3, exclude_ticket=None):
        """The solved tickets and the forum articles most similar to
        ``text``, ranked together; an article stands in for the ticket it was
        published from (its text is the edited, anonymous one)."""
        tickets = super()._suggest(text, language, company, limit=limit, exclude_ticket=exclude_ticket)
        terms = search_terms(text)
        if not terms:
            return tickets
        ranking = " | ".join(terms)
        self.env.cr.execute(
            SQL(
                """SELECT solution.id FROM social_crm_solution solution, to_tsquery('simple', %(ranking)s) ranking
                    WHERE solution.forum_post_id IS NOT NULL AND solution.document @@ ranking
                      AND solution.company_id = %(company)s AND solution.language = %(language)s
                    ORDER BY ts_rank_cd(solution.document, ranking) DESC, solution.id DESC
                    LIMIT %(limit)s""",
                ranking=ranking,
                company=company.id,
                language=language or "und",
                limit=limit,
            )
        )
        articles = self.browse(row[0] for row in self.env.cr.fetchall())
        if not articles:
            return tickets
        published = (
            self.env["helpdesk.ticket"].sudo().search([("social_crm_kb_post_id", "in", articles.forum_post_id.ids)])
        )
        candidates = tickets.filtered(lambda solution: solution.ticket_id not in published) | articles
        self.env.cr.execute(
            SQL(
                """SELECT solution.id FROM social_crm_solution solution, to_tsquery('simple', %(ranking)s) ranking
                    WHERE solution.id = ANY(%(ids)s)
                    ORDER BY ts_rank_cd(solution.document, ranking) DESC, solution.solved_date DESC, solution.id DESC
                    LIMIT %(limit)s""",
                ranking=ranking,
                ids=candidates.ids,
                limit=limit,
            )
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())


class ForumPost(models.Model):
    """Keeps the suggestion index in step with the forum: accepting an
    answer, editing, closing or deleting a question re-indexes it."""

    _inherit = "forum.post"

    social_crm_language = fields.Char(
        string="Article Language",
        help="ISO 639-1 code of a knowledge-base article: the desk suggests it for posts in this language. "
        "Empty: the language of the forum's website.",
    )

    def _social_crm_questions(self):
        return self.with_context(active_test=False).filtered(lambda post: not post.parent_id) | self.parent_id

    @api.model_create_multi
    def create(self, vals_list):
        posts = super().create(vals_list)
        accepted = posts.filtered("is_correct")
        if accepted:
            self.env["social.crm.solution"]._index_forum(accepted._social_crm_questions())
        return posts

    def write(self, vals):
        questions = self._social_crm_questions() if INDEXED_FIELDS & set(vals) else self.browse()
        result = super().write(vals)
        if questions:
            self.env["social.crm.solution"]._index_forum(questions | self._social_crm_questions())
        return result

    def unlink(self):
        questions = self._social_crm_questions()
        Solution = self.env["social.crm.solution"]
        Solution._unindex_forum(questions)
        result = super().unlink()
        # a deleted answer leaves its question, which may have another accepted one
        Solution._index_forum(questions.exists())
        return result
