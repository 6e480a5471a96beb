import logging
import secrets
import zlib
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..core.connectors import AccountConfig, available_networks, get_connector_class
from ..core.errors import ConnectorError, RateLimited
from ..core.matching import handle_key

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "social_crm.group_social_crm_manager"


def to_naive_utc(moment):
    """Odoo stores naive UTC datetimes; connectors speak aware ones."""
    if moment is None:
        return False
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


class SocialCrmAccount(models.Model):
    _name = "social.crm.account"
    _description = "Social Account"
    _inherit = ["mail.thread", "social.crm.post.counter"]
    _social_post_field = "account_id"
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    network = fields.Selection(selection="_selection_network", required=True, tracking=True)
    reply_approval = fields.Boolean(
        string="Replies Need Approval",
        help="Replies by users of the group 'Social CRM: Replies Need Approval' wait for a manager before they go out.",
    )
    handle = fields.Char(help="The account's name on the network, e.g. @brand.")
    external_id = fields.Char(
        string="Network ID", help="The account's own id on the network (user, page, channel or chat id)."
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    base_url = fields.Char(
        string="API Base URL",
        help="Overrides the network's API address: a Mastodon instance, a proxy, or a test server.",
    )
    state = fields.Selection(
        [("draft", "Not Connected"), ("connected", "Connected"), ("error", "Error"), ("disabled", "Disabled")],
        default="draft",
        required=True,
        tracking=True,
    )
    last_error = fields.Text(readonly=True)
    last_error_date = fields.Datetime(readonly=True)
    fetch_interval = fields.Integer(string="Fetch Every (minutes)", default=15, required=True)
    last_fetch_date = fields.Datetime(string="Last Successful Fetch", readonly=True)
    next_fetch_date = fields.Datetime(
        readonly=True, index=True, help="The scheduled fetch reads this account again from this time on."
    )
    rate_limit_remaining = fields.Integer(string="Calls Remaining", readonly=True)
    rate_limit_reset = fields.Datetime(
        string="Rate Limit Resets", readonly=True, help="The network asked us to wait until this time."
    )
    stream_ids = fields.One2many("social.crm.stream", "account_id", string="Streams")
    utm_source_id = fields.Many2one(
        "utm.source",
        string="UTM Source",
        help="The source of the leads this account's posts open; the network's own when left empty on creation.",
    )

    # Credentials: a model of their own that only Social CRM managers can read; never logged.
    credential_ids = fields.One2many("social.crm.credential", "account_id", string="Credentials", groups=MANAGER_GROUP)
    oauth_state = fields.Char(copy=False, groups=MANAGER_GROUP)
    oauth_pending = fields.Json(copy=False, groups=MANAGER_GROUP, help="PKCE verifier kept until the callback.")
    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        default=lambda self: secrets.token_urlsafe(24),
        groups=MANAGER_GROUP,
        help="Names this account in its webhook URL; deliveries are still checked by signature.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url", groups=MANAGER_GROUP)
    uses_oauth = fields.Boolean(compute="_compute_network_features")
    has_webhooks = fields.Boolean(compute="_compute_network_features")
    credential_keys_expected = fields.Char(
        compute="_compute_credential_keys_expected",
        string="Credentials Needed",
        help="The credentials this network's connector reads.",
    )

    @api.model
    def _selection_network(self):
        return available_networks()

    _webhook_token_unique = models.Constraint("UNIQUE(webhook_token)", "Webhook tokens are unique.")

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        # chosen here, once, rather than when two routing workers first need it at the same time
        for account in accounts.filtered(lambda account: not account.utm_source_id):
            label = dict(account._fields["network"]._description_selection(account.env)).get(account.network)
            account.utm_source_id = self.env["utm.mixin"]._find_or_create_record("utm.source", label)
        return accounts

    @api.depends("network")
    def _compute_network_features(self):
        for account in self:
            connector = get_connector_class(account.network) if account.network else None
            account.uses_oauth = bool(connector and connector.uses_oauth)
            account.has_webhooks = bool(connector and connector.has_webhooks)

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        base_url = self.get_base_url()
        for account in self:
            token = account.webhook_token
            account.webhook_url = f"{base_url}/social_crm/webhook/{token}" if account.has_webhooks and token else False

    @api.depends("network")
    def _compute_credential_keys_expected(self):
        for account in self:
            connector = get_connector_class(account.network) if account.network else None
            account.credential_keys_expected = ", ".join(connector.credential_fields) if connector else False

    # -- connector ---------------------------------------------------------
    def _credentials(self):
        self.ensure_one()
        Credential = self.env["social.crm.credential"]
        return {line.key: Credential._coerce(line.key, line.value) for line in self.sudo().credential_ids}

    def _save_credentials(self, credentials):
        """Persist credentials a connector refreshed (rotating refresh tokens
        must be saved at once or the account is locked out)."""
        self.ensure_one()
        lines = {line.key: line for line in self.sudo().credential_ids}
        new_lines = []
        for key, value in credentials.items():
            text = "" if value is None else str(value)
            if key in lines:
                if lines[key].value != text:
                    lines[key].value = text
            else:
                new_lines.append({"account_id": self.id, "key": key, "value": text})
        self.env["social.crm.credential"].sudo().create(new_lines)

    def _instance_domain(self):
        """The domain of a federated network's instance, which its own users'
        handles leave out; empty elsewhere."""
        connector = get_connector_class(self.network) if self.network else None
        if not connector or not connector.federated:
            return ""
        return (urlsplit(self.base_url or connector.default_base_url).hostname or "").lower()

    def _is_own(self, author):
        """Whether ``author`` (a normalised author) is this account: by its
        network id or by its handle (Test Connection may not have stored the id)."""
        if self.external_id and author.external_id == self.external_id:
            return True
        instance = self._instance_domain()
        return bool(self.handle) and handle_key(author.handle, instance) == handle_key(self.handle, instance)

    def _connector(self):
        self.ensure_one()
        config = AccountConfig(
            external_id=self.external_id or "",
            handle=self.handle or "",
            base_url=self.base_url or "",
            credentials=self._credentials(),
            options={"anchor": self.create_date.replace(tzinfo=timezone.utc).isoformat()},
        )
        return get_connector_class(self.network)(config, on_credentials=self._save_credentials)

    def action_check_connection(self):
        self.ensure_one()
        connector = self._connector()
        try:
            handle = connector.check_connection()
        except (ConnectorError, NotImplementedError) as error:
            self._record_error(error)
            raise UserError(self.env._("The connection failed: %(error)s", error=error)) from None
        values = {"state": "connected", "handle": self.handle or handle, "last_error": False}
        # the id recognises our own posts; the network's own interface seldom shows it
        if connector.account_external_id and not self.external_id:
            values["external_id"] = connector.account_external_id
        self.write(values)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Connected as %(handle)s.", handle=handle),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _oauth_redirect_uri(self):
        return f"{self.get_base_url()}/social_crm/oauth/callback"

    def action_oauth_connect(self):
        """Send the administrator to the network to grant access; the
        callback comes back with ``state``, which must match."""
        self.ensure_one()
        state = secrets.token_urlsafe(32)
        try:
            url, kept = self._connector().authorization_url(self._oauth_redirect_uri(), state)
        except (ConnectorError, NotImplementedError) as error:
            raise UserError(self.env._("The connection cannot start: %(error)s", error=error)) from None
        self.sudo().write({"oauth_state": state, "oauth_pending": kept})
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def _oauth_finish(self, callback_url):
        """Exchange the callback's code for tokens and store them."""
        self.ensure_one()
        account = self.sudo()
        kept = dict(account.oauth_pending or {})
        account.write({"oauth_state": False, "oauth_pending": False})
        try:
            credentials = self._connector().fetch_token(self._oauth_redirect_uri(), callback_url, kept)
        except ConnectorError as error:
            self._record_error(error)
            raise UserError(self.env._("The network refused the connection: %(error)s", error=error)) from None
        self._save_credentials(credentials)
        self.write({"state": "connected", "last_error": False})

    def action_register_webhook(self):
        """Have the network push events to this account's webhook URL."""
        self.ensure_one()
        try:
            self._connector().register_webhook(self.sudo().webhook_url)
        except (ConnectorError, NotImplementedError) as error:
            raise UserError(self.env._("The webhook was not registered: %(error)s", error=error)) from None
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "success", "message": self.env._("The network now pushes events to Odoo.")},
        }

    def action_disconnect(self):
        """Revoke the token at the network and forget it; the app's own keys stay."""
        for account in self:
            try:
                account._connector().revoke()
            except ConnectorError as error:
                _logger.info("Social account %s: revoking the token failed: %s", account.id, error)
            account.sudo().credential_ids.filtered(
                lambda line: line.key in ("access_token", "refresh_token", "expires_at")
            ).unlink()
            account.write({"state": "draft"})

    def _stream_for_kind(self, kind):
        """The active stream that a pushed post of ``kind`` belongs to, if any."""
        stream_kind = {"mention": "mentions", "message": "messages", "comment": "comments"}.get(kind, "search")
        return self.stream_ids.filtered(lambda stream: stream.active and stream.kind == stream_kind)[:1]

    def _ingest_pushed(self, posts, skipped=()):
        """Store posts a webhook delivered, each in the stream of its kind;
        what the delivery held that is no post is counted on the account's
        first active stream."""
        self.ensure_one()
        skip_stream = self.stream_ids.filtered("active")[:1]
        if skipped and skip_stream:
            skip_stream.write(skip_stream._skip_values(skipped))
        Post = self.env["social.crm.post"]
        by_stream = {}
        for post in posts:
            by_stream.setdefault(self._stream_for_kind(post.kind), []).append(post)
        return sum(Post._ingest(self, items, stream) for stream, items in by_stream.items())

    def _record_webhook_outcome(self, connector):
        """Record the delivery reports of our own messages a webhook delivery held
        (its skipped items are counted on the stream by :meth:`_ingest_pushed`)."""
        self.ensure_one()
        if connector.delivery_statuses:
            self.env["social.crm.delivery"]._record(self, connector.delivery_statuses)

    def action_disable(self):
        self.write({"state": "disabled"})

    def action_enable(self):
        self.write({"state": "draft", "last_error": False, "next_fetch_date": False})

    def action_fetch_now(self):
        """Fetch the accounts now, except those the network asked to wait
        (calling again would only earn another rate-limit answer): the user is
        told when they may fetch again."""
        now = fields.Datetime.now()
        waiting = self.filtered(lambda account: account.rate_limit_reset and account.rate_limit_reset > now)
        for account in self - waiting:
            account._fetch()
        waiting |= self.filtered(lambda account: account.rate_limit_reset and account.rate_limit_reset > now)
        if not waiting:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "message": "\n".join(
                    self.env._(
                        "%(account)s is rate limited by the network; it may fetch again after %(time)s.",
                        account=account.name,
                        time=fields.Datetime.context_timestamp(self, account.rate_limit_reset).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
                    )
                    for account in waiting
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_posts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("social_crm.social_crm_post_action")
        action["domain"] = [("account_id", "=", self.id)]
        return action

    # -- fetching ----------------------------------------------------------
    def _due_domain(self):
        now = fields.Datetime.now()
        return [
            ("state", "in", ("draft", "connected", "error")),
            "|", ("next_fetch_date", "=", False), ("next_fetch_date", "<=", now),
            "|", ("rate_limit_reset", "=", False), ("rate_limit_reset", "<=", now),
        ]  # fmt: skip

    @api.model
    def _cron_fetch_due(self):
        """Fetch every due account, one at a time, committing after each page,
        so that a crash or timeout loses nothing and a new run resumes."""
        cron = self.env["ir.cron"]
        accounts = self.search(self._due_domain())
        cron._commit_progress(remaining=len(accounts))
        for account in accounts:
            account._fetch()
            if not cron._commit_progress(1):
                break

    @contextmanager
    def _exclusive(self):
        """Hold a session-level advisory lock on the account so that two
        workers never read the same account at once; it survives the commits
        of the fetch and is freed by the end of the connection if we crash."""
        key = zlib.crc32(f"social.crm.account,{self.id}".encode())
        self.env.cr.execute(SQL("SELECT pg_try_advisory_lock(%s)", key))
        if not self.env.cr.fetchone()[0]:
            yield False
            return
        try:
            yield True
        finally:
            self.env.cr.execute(SQL("SELECT pg_advisory_unlock(%s)", key))

    def _fetch(self):
        """Read every active stream of the account, page by page."""
        self.ensure_one()
        with self._exclusive() as acquired:
            if not acquired:
                _logger.info("Social account %s is being fetched by another worker; skipped", self.id)
                return
            connector = self._connector()
            pages_per_run = int(self.env["ir.config_parameter"].sudo().get_param("social_crm.pages_per_run", 10))
            try:
                for stream in self.stream_ids.filtered("active"):
                    stream._fetch(connector, pages_per_run)
            except RateLimited as error:
                self._record_rate_limit(connector, error)
                return
            except (ConnectorError, NotImplementedError) as error:
                self._record_error(error)
                return
            except Exception as error:  # a connector's bug must not stop the other accounts
                _logger.exception("Social account %s: unexpected failure", self.id)
                self._record_error(error)
                return
            self._record_success(connector)

    def _record_success(self, connector):
        now = fields.Datetime.now()
        values = {
            "state": "connected",
            "last_error": False,
            "last_fetch_date": now,
            "next_fetch_date": now + timedelta(minutes=max(self.fetch_interval, 1)),
            "rate_limit_reset": False,
        }
        if connector.last_rate_limit and connector.last_rate_limit.remaining is not None:
            values["rate_limit_remaining"] = connector.last_rate_limit.remaining
        self.write(values)
        self.env["ir.cron"]._commit_progress()

    def _record_rate_limit(self, connector, error):
        reset_at = error.reset_at or datetime.now(timezone.utc) + timedelta(minutes=self.fetch_interval)
        _logger.info("Social account %s is rate limited until %s", self.id, reset_at)
        self.write(
            {
                "rate_limit_remaining": 0,
                "rate_limit_reset": to_naive_utc(reset_at),
                "next_fetch_date": to_naive_utc(reset_at),
            }
        )
        self.env["ir.cron"]._commit_progress()

    def _record_error(self, error):
        # one failing account must never stop the others: what its streams
        # committed stays, the error is shown on the account, the cron goes on
        message = str(error) or type(error).__name__
        _logger.warning("Social account %s (%s) failed: %s", self.id, self.network, message)
        now = fields.Datetime.now()
        values = {
            "last_error": message,
            "last_error_date": now,
            "next_fetch_date": now + timedelta(minutes=max(self.fetch_interval, 1)),
        }
        if self.state != "disabled":
            values["state"] = "error"
        self.write(values)
        self.env["ir.cron"]._commit_progress()
