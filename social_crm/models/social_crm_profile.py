import json

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from ..core.analysis import influence_score
from ..core.matching import (
    AuthorIdentity,
    PartnerIdentity,
    evidence,
    handle_key,
    host_of,
    index_partners,
    match_author,
)


class SocialCrmProfile(models.Model):
    _name = "social.crm.profile"
    _inherit = ["social.crm.post.counter"]
    _social_post_field = "profile_id"
    _description = "Social Profile"
    _order = "influence_score desc, id desc"

    network = fields.Selection(selection="_selection_network", required=True, index=True)
    external_id = fields.Char(
        string="Network ID",
        help="Filled in by the network when the author is first seen; an author declared by hand needs only a handle.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    handle = fields.Char(index=True)
    name = fields.Char()
    url = fields.Char(string="Profile URL")
    followers = fields.Integer()
    verified = fields.Boolean()
    bio = fields.Text()
    email = fields.Char()
    website = fields.Char()
    influence_score = fields.Float(digits=(5, 1), help="0 to 100: reach, amplification, network and activity.")
    influence_breakdown = fields.Json(help="Points per component of the influence score.")
    partner_id = fields.Many2one("res.partner", index=True, ondelete="set null")
    match_reason = fields.Char(readonly=True, help="Why this profile was linked to, or suggested for, the partner.")
    suggested_partner_ids = fields.Many2many(
        "res.partner",
        string="Suggested Customers",
        help="Partners this author may be; an agent confirms one with the Link to Customer action.",
    )
    match_confidence = fields.Float(readonly=True, digits=(3, 2))
    post_ids = fields.One2many("social.crm.post", "profile_id", string="Posts")

    _external_id_unique = models.Constraint(
        "UNIQUE(company_id, network, external_id)",
        "An author is stored once per network and company.",
    )

    @api.model
    def _selection_network(self):
        return self.env["social.crm.account"]._selection_network()

    @api.constrains("external_id", "handle")
    def _check_identity(self):
        if self.filtered(lambda profile: not profile.external_id and not profile.handle):
            raise ValidationError(self.env._("An author needs a handle or a network id."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("handle"):
                vals["handle"] = vals["handle"].strip().lstrip("@")  # the form shows the @
        return super().create(vals_list)

    @api.depends("name", "handle")
    def _compute_display_name(self):
        for profile in self:
            name = profile.name or profile.handle or profile.external_id
            profile.display_name = f"{name} (@{profile.handle})" if profile.handle and name != profile.handle else name

    @api.model
    def _upsert_authors(self, account, authors):
        """Store the authors of a page in one statement and return
        ``{external_id: (profile_id, partner_id)}``.  Concurrent workers may
        store the same author: the unique key and ON CONFLICT keep one row."""
        # one order in every worker, so concurrent pages never lock authors in a cycle
        unique = {author.external_id: author for author in sorted(authors, key=lambda author: author.external_id)}
        if not unique:
            return {}
        self._claim_declared(account, unique.values())
        now = self.env.cr.now()
        uid = self.env.uid
        rows = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                account.network,
                author.external_id,
                account.company_id.id,
                author.handle or None,
                author.display_name or None,
                author.url or None,
                author.followers,
                author.verified,
                author.bio or None,
                (author.email or "").lower() or None,
                author.website or None,
                uid,
                now,
                uid,
                now,
            )  # fmt: skip
            for author in unique.values()
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO social_crm_profile (network, external_id, company_id, handle, name, url, followers,
                    verified, bio, email, website, create_uid, create_date, write_uid, write_date)
                VALUES %s
                ON CONFLICT (company_id, network, external_id) DO UPDATE SET
                    handle = COALESCE(EXCLUDED.handle, social_crm_profile.handle),
                    name = COALESCE(EXCLUDED.name, social_crm_profile.name),
                    url = COALESCE(EXCLUDED.url, social_crm_profile.url),
                    followers = EXCLUDED.followers,
                    verified = EXCLUDED.verified,
                    bio = COALESCE(EXCLUDED.bio, social_crm_profile.bio),
                    email = COALESCE(EXCLUDED.email, social_crm_profile.email),
                    website = COALESCE(EXCLUDED.website, social_crm_profile.website),
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                RETURNING id, external_id, partner_id, xmax = 0
                """,
                rows,
            ),
            log_exceptions=False,  # a concurrent page storing the same authors: retried by the caller
        )
        rows = self.env.cr.fetchall()
        result = {external_id: (profile_id, partner_id) for profile_id, external_id, partner_id, _new in rows}
        self.invalidate_model()
        # only authors seen for the first time are matched: the others were
        # matched when they first came (xmax = 0: the row was inserted, not updated)
        unlinked = self.browse(profile_id for profile_id, _ext, partner_id, new in rows if new and not partner_id)
        for profile in unlinked._match_partners():
            result[profile.external_id] = (profile.id, profile.partner_id.id)
        return result

    def _claim_declared(self, account, authors):
        """Authors declared by hand (a handle, no network id) get the id of the
        author the network shows with that handle, so one person keeps one
        profile; a profile the network already gave that id takes over the
        declared customer and the declared one goes."""
        declared = self.search(
            [
                ("company_id", "=", account.company_id.id),
                ("network", "=", account.network),
                ("external_id", "=", False),
                ("handle", "!=", False),
            ]
        )
        if not declared:
            return
        instance = account._instance_domain()
        by_handle = {handle_key(author.handle, instance): author for author in authors if author.handle}
        claims = {
            profile: by_handle[handle_key(profile.handle, instance)]
            for profile in declared
            if handle_key(profile.handle, instance) in by_handle
        }
        if not claims:
            return
        known = self.search(
            [
                ("company_id", "=", account.company_id.id),
                ("network", "=", account.network),
                ("external_id", "in", [author.external_id for author in claims.values()]),
            ]
        ).grouped("external_id")
        for profile, author in claims.items():
            seen = known.get(author.external_id)
            if not seen:
                profile.write({"external_id": author.external_id})
                continue
            if profile.partner_id and not seen.partner_id:
                seen.write({"partner_id": profile.partner_id.id, "match_reason": "handle", "match_confidence": 1.0})
            profile.unlink()
        self.env.flush_all()  # the authors are stored with SQL next

    def _match_partners(self):
        """Link profiles to partners on strong evidence and suggest partners
        on weak or ambiguous evidence (see ``core.matching``); return the
        profiles linked.  All candidates come from two queries per batch, and
        the outcome is written with one statement per kind, not one per author:
        this runs for every new author a page brings."""
        links, suggestions, created = {}, {}, self.browse()
        for company, profiles in self.grouped("company_id").items():
            identities = {profile: profile._identity() for profile in profiles}
            candidates = profiles._candidate_partners(company, identities.values())
            indexes = {network: index_partners(candidates, network) for network in set(profiles.mapped("network"))}
            threshold = company.social_crm_match_threshold
            for profile, identity in identities.items():
                match, suggested = match_author(identity, candidates, threshold, indexes[profile.network])
                if match:
                    links[profile.id] = match
                elif suggested:
                    suggestions[profile.id] = suggested
                elif company.social_crm_auto_create_partner:
                    profile._create_partner()
                    created |= profile
        self._write_matches(links, suggestions)
        return self.browse(links) | created

    def _write_matches(self, links, suggestions):
        """Store ``{profile id: Match}`` links and ``{profile id: [Match]}``
        suggestions; the linked profiles' posts follow them to the partner."""
        if not links and not suggestions:
            return
        self.env.flush_all()
        outcome = {**{pid: [match] for pid, match in links.items()}, **suggestions}
        self.env.cr.execute(
            SQL(
                """UPDATE social_crm_profile profile
                      SET partner_id = v.partner_id, match_reason = v.reason, match_confidence = v.confidence,
                          write_uid = %s, write_date = %s
                     FROM (VALUES %s) AS v(id, partner_id, reason, confidence)
                    WHERE profile.id = v.id""",
                self.env.uid,
                self.env.cr.now(),
                SQL(", ").join(
                    SQL(
                        "(%s, %s::integer, %s, %s::numeric)",
                        pid,
                        matches[0].partner_id if pid in links else None,
                        matches[0].reason,
                        matches[0].confidence,
                    )
                    for pid, matches in outcome.items()
                ),
            )
        )
        field = self._fields["suggested_partner_ids"]
        relation, profile_column, partner_column = (
            SQL.identifier(name) for name in (field.relation, field.column1, field.column2)
        )
        self.env.cr.execute(
            SQL("DELETE FROM %s WHERE %s = ANY(%s)", relation, profile_column, list(outcome))
        )
        if suggestions:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (%s, %s) VALUES %s ON CONFLICT DO NOTHING",
                    relation,
                    profile_column,
                    partner_column,
                    SQL(", ").join(
                        SQL("(%s, %s)", pid, match.partner_id)
                        for pid, matches in suggestions.items()
                        for match in matches
                    ),
                )
            )
        if links:
            self.env.cr.execute(
                SQL(
                    """UPDATE social_crm_post post SET partner_id = profile.partner_id
                         FROM social_crm_profile profile
                        WHERE post.profile_id = profile.id AND profile.id = ANY(%s)
                          AND post.partner_id IS DISTINCT FROM profile.partner_id""",
                    list(links),
                )
            )
            self.env["social.crm.post"].invalidate_model(["partner_id"])
        self.invalidate_model(["partner_id", "match_reason", "match_confidence", "suggested_partner_ids"])
        if links and not self.env.context.get("social_crm_defer_partner_stats"):
            self.env["res.partner"]._social_refresh_stats([match.partner_id for match in links.values()])

    def _identity(self):
        return AuthorIdentity(
            network=self.network,
            handle=self.handle or "",
            name=self.name or "",
            email=self.email or "",
            bio=self.bio or "",
            website=self.website or "",
        )

    def _candidate_partners(self, company, identities):
        """Partners any of the identities may point to, as ``PartnerIdentity``."""
        found = [evidence(identity) for identity in identities]
        emails = set().union(*(f["e-mail"] for f in found))
        phones = set().union(*(f["phone"] for f in found))
        hosts = set().union(*(f["website"] for f in found))
        names = set().union(*(f["name"] for f in found))
        handles = {
            (identity.network, handle) for identity, f in zip(identities, found, strict=True) for handle in f["handle"]
        }
        known = {}
        if handles:
            # search_fetch, not search_read: read() would compute every partner's display name
            for profile in self.search_fetch(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "!=", False),
                    ("network", "in", list({network for network, _handle in handles})),
                    ("handle", "in", list({handle for _network, handle in handles})),
                ],
                ["network", "handle", "partner_id"],
            ):
                known.setdefault(profile.partner_id.id, set()).add((profile.network, profile.handle.lower()))
        terms = (
            ([[("email_normalized", "in", list(emails))]] if emails else [])
            # phone_mobile_search compares digits in SQL, with or without the
            # phonenumbers library (without it phone_sanitized is the raw number)
            + [[("phone_mobile_search", "=like", phone)] for phone in phones]
            + [[("website", "ilike", host)] for host in hosts]
            + ([[("id", "in", self._partners_named(names))]] if names else [])
        )
        partners = []
        if terms or known:
            domain = Domain.OR(terms + [[("id", "in", list(known))]])
            domain &= Domain("company_id", "in", [company.id, False])
            partners = self.env["res.partner"].search_read(
                domain, ["name", "email_normalized", "phone", "phone_sanitized", "website"]
            )
        return [
            PartnerIdentity(
                partner_id=row["id"],
                name=row["name"] or "",
                emails=frozenset([row["email_normalized"]] if row["email_normalized"] else []),
                phones=frozenset(number for number in (row["phone"], row["phone_sanitized"]) if number),
                hosts=frozenset([host_of(row["website"])] if row["website"] and host_of(row["website"]) else []),
                handles=frozenset(known.get(row["id"], ())),
            )
            for row in partners
        ]

    def _partners_named(self, names):
        """Partners whose name is one of ``names`` (case-folded), in one
        comparison with the whole list: one ``=ilike`` per name scanned the
        partners once per author of a page."""
        self.env["res.partner"].flush_model(["name"])
        self.env.cr.execute(
            SQL("SELECT id FROM res_partner WHERE lower(name) = ANY(%s)", [name.lower() for name in names])
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _create_partner(self):
        """A new customer from the author's profile (company setting)."""
        self.ensure_one()
        partner = self.env["res.partner"].create(
            {
                "name": self.name or self.handle or self.external_id,
                "email": self.email or False,
                "website": self.website or False,
                "company_id": self.company_id.id,
            }
        )
        self.write({"partner_id": partner.id, "match_reason": "created", "match_confidence": 1.0})
        return partner

    def write(self, vals):
        partners_before = self.partner_id.ids if "partner_id" in vals else []
        result = super().write(vals)
        if "partner_id" in vals:
            # the posts follow their author to the partner
            posts = self.env["social.crm.post"].search([("profile_id", "in", self.ids)])
            posts.with_context(social_crm_defer_partner_stats=True).write({"partner_id": vals["partner_id"]})
            if vals["partner_id"]:
                super().write({"suggested_partner_ids": [Command.clear()]})
            # posts and influence leave one partner for the other: both partners' figures move
            # (ingestion refreshes the page's partners once, at its end)
            if not self.env.context.get("social_crm_defer_partner_stats"):
                self.env["res.partner"]._social_refresh_stats(partners_before + self.partner_id.ids)
        return result

    def unlink(self):
        partner_ids = self.partner_id.ids
        result = super().unlink()
        self.env["res.partner"]._social_refresh_stats(partner_ids)
        return result

    def _update_influence(self):
        """Score the profiles from the engagement their stored posts earned,
        with one aggregate query and one update for the whole recordset (it
        runs for every page ingested: the ORM's read of the profiles and its
        grouped read of the posts cost more than the scoring)."""
        if not self:
            return
        self.flush_recordset(["followers", "verified"])
        engagement = ["profile_id", "direction", "like_count", "reply_count", "repost_count"]
        self.env["social.crm.post"].flush_model(engagement)
        self.env.cr.execute(
            SQL(
                # per profile, an index-only scan of the post table's engagement index
                """SELECT profile.id, profile.followers, profile.verified, engagement.*
                     FROM social_crm_profile profile
                     CROSS JOIN LATERAL (
                           SELECT COUNT(*), COALESCE(SUM(post.like_count), 0), COALESCE(SUM(post.reply_count), 0),
                                  COALESCE(SUM(post.repost_count), 0)
                             FROM social_crm_post post
                            WHERE post.profile_id = profile.id AND post.direction = 'incoming'
                          ) engagement
                    WHERE profile.id = ANY(%s)""",
                self.ids,
            )
        )
        rows = []
        for profile_id, followers, verified, posts, likes, replies, reposts in self.env.cr.fetchall():
            result = influence_score(followers or 0, bool(verified), posts, likes, replies, reposts)
            rows.append(SQL("(%s, %s, %s::jsonb)", profile_id, result.score, json.dumps(result.breakdown)))
        self.env.cr.execute(
            SQL(
                """UPDATE social_crm_profile p SET influence_score = v.score, influence_breakdown = v.breakdown
                     FROM (VALUES %s) AS v(id, score, breakdown) WHERE p.id = v.id""",
                SQL(", ").join(rows),
            )
        )
        self.invalidate_recordset(["influence_score", "influence_breakdown"])

    # -- privacy -------------------------------------------------------------
    def _privacy_data(self):
        """Everything stored about the author, as JSON-ready data."""
        self.ensure_one()
        posts = self.post_ids
        return {
            "profile": {
                "network": self.network,
                "external_id": self.external_id,
                "handle": self.handle,
                "name": self.name,
                "url": self.url,
                "followers": self.followers,
                "verified": self.verified,
                "bio": self.bio,
                "email": self.email,
                "website": self.website,
                "influence_score": self.influence_score,
                "influence_breakdown": self.influence_breakdown,
                "customer": self.partner_id.display_name or None,
                "match_reason": self.match_reason,
            },
            "posts": [
                {
                    "external_id": post.external_id,
                    "url": post.url,
                    "published": fields.Datetime.to_string(post.published_date),
                    "text": post.text,
                    "language": post.language,
                    "sentiment_score": post.sentiment_score,
                    "sentiment_label": post.sentiment_label,
                    "intent": post.intent,
                    "state": post.state,
                    "ticket": post.ticket_id.display_name or None,
                    "lead": post.lead_id.display_name or None,
                }
                for post in posts
            ],
            "corrections": self.env["social.crm.analysis.correction"]
            .sudo()
            .search_read([("post_id", "in", posts.ids)], ["text", "corrected_sentiment", "corrected_intent"]),
        }

    def action_privacy_export(self):
        """Download everything stored about the author (data portability)."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"social-author-{self.network}-{self.id}.json",
                "raw": json.dumps(self._privacy_data(), ensure_ascii=False, indent=2, default=str).encode(),
                "mimetype": "application/json",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    def action_privacy_erase(self):
        """Erase the author on request: profile, posts with their analysis and
        chatter copies, corrections, exports; tickets and leads stay for the
        business but lose the quoted words."""
        if not self.env.user.has_group("social_crm.group_social_crm_manager"):
            raise AccessError(self.env._("Only Social CRM managers can erase an author's data."))
        posts = self.sudo().post_ids
        removed = Markup("<p>%s</p>") % self.env._("Removed at the author's request.")
        posts.ticket_id.description = removed
        posts.lead_id.description = removed
        self.env["social.crm.analysis.correction"].sudo().search([("post_id", "in", posts.ids)]).unlink()
        self.env["ir.attachment"].sudo().search([("res_model", "=", self._name), ("res_id", "in", self.ids)]).unlink()
        posts.unlink()
        self.sudo().unlink()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_view_posts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_post_action")
        action["domain"] = [("profile_id", "=", self.id)]
        return action
