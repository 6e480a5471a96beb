import re

from odoo import api, fields, models
from odoo.tools import SQL

from ..core.routing import fold

#: at most this many words of a post rank the candidates, the longest first: they tell most about the problem
QUERY_TERMS = 12
MIN_TERM_LENGTH = 3
TEXT_LIMIT = 4000
#: candidates are the tickets holding the post's rarest words, as many words as keep them under this count;
#: when even the rarest word is that common, its latest tickets are the candidates
CANDIDATE_BUDGET = 600


def words(text):
    """The folded words of ``text`` the index knows: letters and digits only
    (nothing a query parser could read as an operator), sorted."""
    return sorted({word for word in re.findall(r"\w+", fold(text or "")) if len(word) >= MIN_TERM_LENGTH})


def search_terms(text):
    return sorted(words(text), key=lambda word: (-len(word), word))[:QUERY_TERMS]


def rarest_within_budget(frequencies, budget=CANDIDATE_BUDGET):
    """The rarest words whose tickets add up to at most ``budget`` (always
    the rarest one), from ``{word: tickets holding it}``."""
    chosen, total = [], 0
    for word, count in sorted(frequencies.items(), key=lambda item: (item[1], item[0])):
        if chosen and total + count > budget:
            break
        chosen.append(word)
        total += count
    return chosen


class SocialCrmSolution(models.Model):
    """A solved social ticket as the suggestion index sees it: what the
    customer wrote, the answer that closed it, and a PostgreSQL full-text
    vector of the question.  Rows come and go with the ticket's closing and
    reopening, so the index is always up to date without a rebuild."""

    _name = "social.crm.solution"
    _description = "Solved Social Ticket (Suggestion Index)"
    _order = "solved_date desc, id desc"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    language = fields.Char(required=True)
    network = fields.Char()
    question = fields.Text(required=True)
    answer = fields.Text(required=True)
    solved_date = fields.Datetime(required=True)

    _one_per_ticket = models.Constraint("UNIQUE(ticket_id)", "A ticket is indexed once.")

    def init(self):
        # the vector lives beside the ORM's columns: only SQL reads and writes it
        self.env.cr.execute(
            """ALTER TABLE social_crm_solution ADD COLUMN IF NOT EXISTS document tsvector;
               CREATE INDEX IF NOT EXISTS social_crm_solution_document_idx
                   ON social_crm_solution USING gin (document);
               CREATE INDEX IF NOT EXISTS social_crm_solution_scope_idx
                   ON social_crm_solution (company_id, language);"""
        )

    @api.depends("ticket_id", "question")
    def _compute_display_name(self):
        for solution in self:
            question = " ".join((solution.question or "").split())[:60]
            answer = " ".join((solution.answer or "").split())[:90]
            solution.display_name = f"{question} → {answer}"

    @api.model
    def _index(self, tickets):
        """Index closed social tickets that were answered on the network;
        a ticket indexed before is replaced (its last answer may be new)."""
        self._unindex(tickets)
        Post = self.env["social.crm.post"].sudo()
        rows = []
        for ticket in tickets.filtered(lambda t: t.closed and t.social_network):
            posts = Post.search([("ticket_id", "=", ticket.id)], order="published_date, id")
            incoming = posts.filtered(lambda p: p.direction == "incoming" and p.text)
            answers = posts.filtered(lambda p: p.direction == "outgoing" and p.text)
            if not incoming or not answers:
                continue  # nothing asked or nothing answered: nothing to suggest
            rows.append(
                {
                    "ticket_id": ticket.id,
                    "company_id": ticket.company_id.id,
                    "language": incoming[0].language or "und",
                    "network": ticket.social_network,
                    "question": "\n".join(incoming.mapped("text"))[:TEXT_LIMIT],
                    "answer": answers[-1].text[:TEXT_LIMIT],
                    "solved_date": ticket.closed_date or fields.Datetime.now(),
                }
            )
        return self._store(rows)

    @api.model
    def _store(self, rows):
        """Create the solutions of ``rows`` with their text vectors and word counts."""
        solutions = self.sudo().create(rows)
        solutions.flush_recordset()
        for solution in solutions:
            self.env.cr.execute(
                SQL(
                    "UPDATE social_crm_solution SET document = to_tsvector('simple', %s) WHERE id = %s",
                    " ".join(re.findall(r"\w+", fold(solution.question))),
                    solution.id,
                )
            )
            solution._count_words(+1)
        return solutions

    @api.model
    def _unindex(self, tickets):
        self.sudo().search([("ticket_id", "in", tickets.ids)])._drop()

    def _drop(self):
        """Remove these solutions and their words from the counts."""
        for solution in self:
            solution._count_words(-1)
        self.unlink()

    def _count_words(self, step):
        """Add ``step`` to the ticket counts of the solution's words (sorted:
        two workers lock the rows in one order)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """INSERT INTO social_crm_solution_term (company_id, language, term, doc_count)
                   SELECT %(company)s, %(language)s, term, GREATEST(%(step)s, 0) FROM unnest(%(terms)s::varchar[]) term
                   ON CONFLICT (company_id, language, term)
                   DO UPDATE SET doc_count = GREATEST(social_crm_solution_term.doc_count + %(step)s, 0)""",
                company=self.company_id.id,
                language=self.language,
                terms=words(self.question),
                step=step,
            )
        )

    @api.model
    def _suggest(self, text, language, company, limit=3, exclude_ticket=None):
        """The ``limit`` solved tickets of ``company`` in ``language`` most
        similar to ``text``, best first (ranked by cover density)."""
        language = language or "und"
        self.env.cr.execute(
            SQL(
                """SELECT term, doc_count FROM social_crm_solution_term
                    WHERE company_id = %s AND language = %s AND term = ANY(%s::varchar[]) AND doc_count > 0""",
                company.id,
                language,
                words(text),
            )
        )
        # the rare words find the candidates (an inverted index lookup of
        # bounded size); all the post's telling words rank them
        rare = rarest_within_budget(dict(self.env.cr.fetchall()))
        if not rare:
            return self.browse()
        self.env.cr.execute(
            SQL(
                """WITH candidate AS (
                        SELECT id FROM social_crm_solution
                         WHERE document @@ to_tsquery('simple', %(candidates)s)
                           AND company_id = %(company)s AND language = %(language)s AND ticket_id != %(exclude)s
                         ORDER BY id DESC LIMIT %(budget)s
                   )
                   SELECT solution.id FROM social_crm_solution solution
                     JOIN candidate ON candidate.id = solution.id,
                          to_tsquery('simple', %(ranking)s) ranking
                    ORDER BY ts_rank_cd(solution.document, ranking) DESC, solution.solved_date DESC, solution.id DESC
                    LIMIT %(limit)s""",
                candidates=" | ".join(rare),
                ranking=" | ".join(sorted(set(search_terms(text)) | set(rare))),
                company=company.id,
                language=language,
                exclude=exclude_ticket.id if exclude_ticket else 0,
                budget=CANDIDATE_BUDGET,
                limit=limit,
            )
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())


class SocialCrmSolutionTerm(models.Model):
    """How many solved tickets hold a word, per company and language: the
    suggestion index looks candidates up by a post's rarest words."""

    _name = "social.crm.solution.term"
    _description = "Word of Solved Social Tickets"

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    language = fields.Char(required=True)
    term = fields.Char(required=True)
    doc_count = fields.Integer(string="Tickets")

    _term_unique = models.Constraint("UNIQUE(company_id, language, term)", "A word is counted once per language.")
