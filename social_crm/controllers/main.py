import logging

from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import http
from odoo.http import request

from ..core.connectors import WebhookRequest
from ..core.connectors._parse import MAX_WEBHOOK_BODY
from ..core.errors import WebhookRejected

_logger = logging.getLogger(__name__)


class SocialCrmController(http.Controller):
    @http.route(
        "/social_crm/webhook/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def webhook(self, token, **_query):
        """Receive a network's push: answer its handshake, or verify the
        signature and store the posts.  Nothing is stored unless the
        delivery is authentic; a delivery repeated by the network is stored once."""
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_WEBHOOK_BODY:
            return request.make_response("Payload Too Large", status=413)
        account = (
            request.env["social.crm.account"]
            .sudo()
            .search([("webhook_token", "=", token), ("state", "!=", "disabled")], limit=1)
        )
        if not account or not account.has_webhooks:
            raise NotFound()
        body = httprequest.get_data(cache=False)
        if len(body) > MAX_WEBHOOK_BODY:
            return request.make_response("Payload Too Large", status=413)
        delivery = WebhookRequest(
            method=httprequest.method,
            headers=dict(httprequest.headers),
            query=httprequest.args.to_dict(),
            body=body,
        )
        connector = account._connector()
        try:
            handshake = connector.webhook_handshake(delivery)
            if handshake is not None:
                return request.make_response(
                    handshake.body, headers=[("Content-Type", handshake.content_type)], status=handshake.status
                )
            if httprequest.method != "POST":
                raise BadRequest()
            posts = connector.parse_webhook(delivery)
        except WebhookRejected as error:
            _logger.info("Webhook of social account %s rejected: %s", account.id, error)
            raise Forbidden() from None
        stored = account._ingest_pushed(posts, connector.webhook_skipped)
        account._record_webhook_outcome(connector)
        _logger.info("Webhook of social account %s: %d posts, %d new", account.id, len(posts), stored)
        return request.make_response("ok", headers=[("Content-Type", "text/plain")])

    @http.route("/social_crm/oauth/callback", type="http", auth="user", methods=["GET"])
    def oauth_callback(self, state=None, **_query):
        """The network sends the administrator back here; ``state`` must be
        the one this database issued for an account, or nothing happens."""
        if not state or not request.env.user.has_group("social_crm.group_social_crm_manager"):
            raise Forbidden()
        account = request.env["social.crm.account"].sudo().search([("oauth_state", "=", state)], limit=1)
        if not account:
            raise BadRequest(request.env._("This connection request is unknown or was already used."))
        account.with_user(request.env.user)._oauth_finish(request.httprequest.url)
        return request.redirect(f"/odoo/action-social_crm.social_crm_account_action/{account.id}")
