import base64
import logging
import uuid
from datetime import timedelta, timezone

from markupsafe import Markup, escape

from odoo import api, fields, models

from ..core.connectors import get_connector_class
from ..core.errors import ConnectorError, DuplicateContent, RateLimited, TransientError
from ..core.publishing import MediaFile, find_urls, max_length, problems, replace_urls, text_length
from .social_crm_account import to_naive_utc

_logger = logging.getLogger(__name__)

VARIANT_STATES = [
    ("draft", "Draft"),
    ("pending", "Pending"),
    ("published", "Published"),
    ("failed", "Failed"),
    ("needs_check", "Needs a Check"),
]
#: how long before its first attempt a post found on the network may have been ours
_LOOKBACK = timedelta(minutes=2)


class SocialCrmPublicationVariant(models.Model):
    """What one account publishes of a publication: its text, state and network id."""

    _name = "social.crm.publication.variant"
    _description = "Social Publication Variant"
    _order = "publication_id, id"

    publication_id = fields.Many2one("social.crm.publication", required=True, ondelete="cascade", index=True)
    account_id = fields.Many2one("social.crm.account", required=True, ondelete="restrict", index=True)
    network = fields.Selection(related="account_id.network", store=True)
    company_id = fields.Many2one(related="publication_id.company_id", store=True, index=True)
    campaign_id = fields.Many2one(related="publication_id.campaign_id", store=True, index="btree_not_null")
    text = fields.Text(
        compute="_compute_text",
        store=True,
        readonly=False,
        help="What this network gets; it follows the main text until you change it here.",
    )
    state = fields.Selection(VARIANT_STATES, default="draft", required=True, index=True, copy=False)
    external_id = fields.Char(string="Network ID", readonly=True, copy=False, index="btree_not_null")
    url = fields.Char(string="URL", readonly=True, copy=False)
    error = fields.Text(readonly=True, copy=False)
    idempotency_key = fields.Char(
        readonly=True,
        copy=False,
        default=lambda self: uuid.uuid4().hex,
        help="Names this post at networks that take a key, so a retry never posts it twice.",
    )
    sent_text = fields.Text(
        readonly=True, copy=False,
        help="The text as sent, links tracked; a retry after a lost answer sends exactly this again.",
    )
    attempt_count = fields.Integer(readonly=True, copy=False)
    first_attempt_date = fields.Datetime(readonly=True, copy=False)
    outcome_unknown = fields.Boolean(
        readonly=True, copy=False, help="The last attempt got no answer: the post may have gone out."
    )
    published_date = fields.Datetime(readonly=True, copy=False)
    post_id = fields.Many2one(
        "social.crm.post", string="Stored Post", readonly=True, copy=False, ondelete="set null",
        help="Our post as stored with the streams; replies to it are threaded under it.",
    )
    medium_id = fields.Many2one("utm.medium", readonly=True, copy=False)
    link_tracker_ids = fields.Many2many("link.tracker", string="Tracked Links", readonly=True, copy=False)
    click_count = fields.Integer(compute="_compute_click_count", string="Clicks")
    text_length = fields.Integer(compute="_compute_check", string="Counted Length",
                                 help="The length as the network counts it.")
    max_length = fields.Integer(compute="_compute_check")
    length_display = fields.Char(compute="_compute_check", string="Length")
    problems = fields.Text(compute="_compute_check", help="What the network would refuse.")
    preview_html = fields.Html(compute="_compute_check", sanitize=False, string="Preview")
    metric_ids = fields.One2many("social.crm.publication.metric", "variant_id", string="Engagement")

    _account_unique = models.Constraint(
        "UNIQUE(publication_id, account_id)", "A publication has one variant per account."
    )

    @api.depends("publication_id.text")
    def _compute_text(self):
        for variant in self:
            # a refused post may be edited and retried; one that may have gone out may not
            if variant.state in ("draft", "pending", False) or (
                variant.state == "failed" and not variant.outcome_unknown
            ):
                variant.text = variant.publication_id.text

    @api.depends("text", "account_id.network", "publication_id.attachment_ids", "publication_id.title")
    def _compute_check(self):
        labels = dict(self.env["social.crm.account"]._selection_network())
        for variant in self:
            network = variant.account_id.network
            if not network:
                variant.update(text_length=0, max_length=0, length_display="", problems=False, preview_html=False)
                continue
            limits = get_connector_class(network).limits()
            media = variant._media(urls=False)
            found = problems(limits, variant.text or "", media, variant._title())
            if limits.media_by_url and any(p.code == "media_url" for p in found):
                # public URLs are made at publishing time, not a problem of the draft
                found = [p for p in found if p.code != "media_url"]
            variant.text_length = text_length(limits, variant.text or "")
            variant.max_length = max_length(limits, len(media))
            variant.length_display = (
                f"{variant.text_length} / {variant.max_length}" if variant.max_length else str(variant.text_length)
            )
            variant.problems = "\n".join(self._problem_message(problem) for problem in found) or False
            variant.preview_html = variant._preview(labels.get(network, network), limits, found)

    def _problem_message(self, problem):
        env, values = self.env, problem.values
        messages = {
            "empty": lambda: env._("The text is empty."),
            "too_long": lambda: env._("The text has %(length)s characters; at most %(max)s are allowed.", **values),
            "media_required": lambda: env._("This network needs at least one image."),
            "no_media": lambda: env._("This network takes no images."),
            "too_many_media": lambda: env._("%(count)s images attached; at most %(max)s are allowed.", **values),
            "media_type": lambda: env._("%(name)s (%(type)s) cannot be attached on this network.", **values),
            "media_url": lambda: env._("%(name)s has no public URL for the network to fetch.", **values),
            "title_required": lambda: env._("This network needs a title."),
        }
        return messages[problem.code]()

    def _preview(self, label, limits, found):
        """The post as the network shows it, every piece of text escaped."""
        text = self.text or ""
        pieces, position = [], 0
        for url in find_urls(text):
            start = text.index(url, position)
            pieces.append(escape(text[position:start]))
            link = Markup('<span class="text-primary">%s</span>') % url
            pieces.append(link if limits.links_clickable else escape(url))
            position = start + len(url)
        pieces.append(escape(text[position:]))
        body = Markup("").join(pieces).replace("\n", Markup("<br/>"))
        state = "text-danger" if found else "text-muted"
        images = len(self.publication_id.attachment_ids)
        return Markup(
            '<div class="o_social_crm_preview border rounded p-2">'
            '<div class="fw-bold">%s</div>%s<div>%s</div><div class="small %s">%s%s</div></div>'
        ) % (
            label,
            Markup('<div class="fw-bold">%s</div>') % self._title() if limits.requires_title else "",
            body,
            state,
            self.length_display,
            self.env._(" · %(count)s image(s)", count=images) if images else "",
        )

    @api.depends("link_tracker_ids.count")
    def _compute_click_count(self):
        for variant in self:
            variant.click_count = sum(variant.link_tracker_ids.mapped("count"))

    def _title(self):
        publication = self.publication_id
        return publication.title or (publication.text or "").strip().split("\n", 1)[0][:300]

    def _media(self, urls=True):
        """The publication's images as the connector takes them; ``urls``: with
        a public URL for networks that fetch images themselves."""
        media = []
        for attachment in self.publication_id.attachment_ids:
            url = ""
            if urls and get_connector_class(self.account_id.network).limits().media_by_url:
                attachment = attachment.sudo()
                attachment.generate_access_token()
                url = f"{self.get_base_url()}/web/content/{attachment.id}?access_token={attachment.access_token}"
            media.append(
                MediaFile(
                    name=attachment.name or "image",
                    mimetype=attachment.mimetype or "application/octet-stream",
                    data=base64.b64decode(attachment.sudo().datas or b"") if urls else b"",
                    url=url,
                    alt=attachment.description or "",
                )
            )
        return media

    # -- links and UTM ----------------------------------------------------------------
    def _medium(self):
        label = dict(self.env["social.crm.account"]._selection_network()).get(self.network, self.network)
        return self.env["utm.mixin"]._find_or_create_record("utm.medium", label)

    def _tracked_text(self):
        """The text with every link replaced by a tracked link carrying the
        campaign, the network as medium and the publication as source."""
        medium = self._medium()
        urls = list(dict.fromkeys(find_urls(self.text or "")))
        short_prefix = f"{self.get_base_url()}/r/"
        urls = [url for url in urls if not url.startswith(short_prefix)]
        if not urls:
            return self.text, medium, self.env["link.tracker"]
        trackers = self.env["link.tracker"].sudo().search_or_create([
            {
                "url": url,
                "campaign_id": self.publication_id.campaign_id.id,
                "medium_id": medium.id,
                "source_id": self.publication_id.source_id.id,
            }
            for url in urls
        ])
        replacements = {url: tracker.short_url for url, tracker in zip(urls, trackers, strict=True)}
        return replace_urls(self.text, replacements), medium, trackers

    # -- publishing ---------------------------------------------------------------------
    def _publish(self, commit=False):
        """Send this variant once (``commit``: the cron commits before the
        call).  A retry after an attempt that got no answer first looks for
        the post on the network; networks with idempotency keys get the same
        key again, so nothing is ever posted twice."""
        self.ensure_one()
        account = self.account_id
        now = fields.Datetime.now()
        if account.rate_limit_reset and account.rate_limit_reset > now:
            self.error = self.env._("Waiting for the rate limit of %(account)s.", account=account.display_name)
            return
        if not self.outcome_unknown:
            # nothing went out yet: send the text as it is now (edited after a refusal
            # perhaps), under a new key when it changed
            text, medium, trackers = self._tracked_text()
            values = {"sent_text": text, "medium_id": medium.id, "link_tracker_ids": [(6, 0, trackers.ids)],
                      "first_attempt_date": self.first_attempt_date or now}
            if self.sent_text and self.sent_text != text:
                values["idempotency_key"] = uuid.uuid4().hex
            self.write(values)
        connector = account._connector()
        if self.outcome_unknown and self._adopt_published(connector):
            return
        # until the network answers, the outcome is unknown: a worker dying
        # now leaves a variant the next run looks up before sending again
        self.write({"attempt_count": self.attempt_count + 1, "outcome_unknown": True})
        if commit:
            self.env["ir.cron"]._commit_progress()
        try:
            sent = connector.publish(self.sent_text, self._media(), idempotency_key=self.idempotency_key,
                                     title=self._title())
        except RateLimited as error:
            self.write({"outcome_unknown": False,
                        "error": self.env._("Rate limited: %(error)s", error=error)})
            account._record_rate_limit(connector, error)
            return
        except TransientError as error:
            self._fail(error, unknown=True)
            return
        except DuplicateContent as error:
            if not self._adopt_published(connector):
                self._fail(error)
            return
        except (ConnectorError, NotImplementedError) as error:
            self._fail(error)
            return
        self._mark_published(sent)

    def _adopt_published(self, connector):
        """After a lost answer: if our post is on the network, take it as
        published; if the network cannot tell, a person has to check."""
        try:
            since = (self.first_attempt_date - _LOOKBACK).replace(tzinfo=timezone.utc)
            found = connector.find_published(self.sent_text, since)
        except NotImplementedError:
            if self.idempotency_key and self._network_takes_keys():
                return False  # the same key again: the network posts it once
            self.write({"state": "needs_check", "error": self.env._(
                "The last attempt got no answer and %(network)s cannot be asked whether the post went out: "
                "check the account, then publish again or mark it published.", network=self.account_id.network)})
            return True
        except ConnectorError as error:
            self._fail(error, unknown=True)
            return True
        if found is None:
            return False
        self._mark_published(found)
        return True

    def _network_takes_keys(self):
        return self.network in ("mastodon", "vk", "demo")

    def _fail(self, error, unknown=False):
        message = str(error) or type(error).__name__
        _logger.info("Publication variant %s failed: %s", self.id, message)
        self.write({"state": "failed", "error": message, "outcome_unknown": unknown})

    def _mark_published(self, sent):
        """Store the post with the account's posts (so replies thread under it) and close the variant."""
        Post = self.env["social.crm.post"].sudo()
        Post._ingest(self.account_id, [sent])
        post = Post.search([("account_id", "=", self.account_id.id), ("external_id", "=", sent.external_id)])
        post.write({"direction": "outgoing", "state": "processed"})
        self.write({
            "state": "published",
            "external_id": sent.external_id,
            "url": sent.url or post.url,
            "error": False,
            "outcome_unknown": False,
            "published_date": to_naive_utc(sent.created_at) or fields.Datetime.now(),
            "post_id": post.id,
        })

    def action_mark_published(self):
        """A person checked the network: the post is there."""
        self.publication_id._check_may_release()
        self.filtered(lambda v: v.state == "needs_check").write({"state": "published", "error": False})
        self.publication_id._update_state()

    def action_open_url(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.url, "target": "new"}
