import base64
import binascii
import io

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..core.importing import FORMATS, LINE_KEY, RejectedRow, detect_format, iter_batches, normalize_rows

MANAGER_GROUP = "social_crm.group_social_crm_manager"
#: rows one call of :meth:`SocialCrmImport.import_rows` accepts (the CLI sends 500 by default)
MAX_ROWS_PER_CALL = 5_000
#: rejected rows listed in the wizard's report (all are counted)
MAX_REPORTED = 200


class SocialCrmImport(models.TransientModel):
    """Backfill of historic posts from the exports of listening tools.

    :meth:`import_rows` is the entry point of the command-line client (over
    RPC); the form reads an uploaded file through the same method.  Posts are
    stored only through ``social.crm.post._ingest``, which stores a post once
    per account: importing a file twice creates nothing the second time."""

    _name = "social.crm.import"
    _description = "Import Historic Social Posts"

    account_id = fields.Many2one("social.crm.account", required=True, ondelete="cascade")
    file = fields.Binary(string="Export File", attachment=False, help="JSON Lines (.jsonl) or CSV with a header row.")
    filename = fields.Char()
    file_format = fields.Selection(
        [("auto", "From the File Name"), ("jsonl", "JSON Lines"), ("csv", "CSV")],
        string="Format",
        default="auto",
        required=True,
    )
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", required=True)
    created_count = fields.Integer(string="Created", readonly=True)
    duplicate_count = fields.Integer(string="Already Stored", readonly=True)
    rejected_count = fields.Integer(string="Rejected", readonly=True)
    rejected_report = fields.Text(string="Rejected Rows", readonly=True)

    @api.model
    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only Social CRM managers can import posts."))

    route_posts = fields.Boolean(
        string="Route Like New Posts",
        help="Apply the routing rules to the imported posts (tickets, leads, acknowledgements). Off: they are history, "
        "stored as processed.",
    )

    @api.model
    def import_rows(self, account_id, rows, route=False):
        """Store the posts of ``rows`` (dicts as read from an export; an optional
        ``_line`` key gives the row's line in the file) in the account
        ``account_id`` and return ``{"created": n, "duplicates": n,
        "rejected": [{"line": n, "reason": text, "external_id": id}]}``.

        ``duplicates`` counts the valid rows that were already stored (or
        repeated in ``rows``); they are updated, never stored twice.  Unless
        ``route`` is true, the new posts are history: stored as processed, so
        that the routing rules open no ticket and send no reply for them."""
        self._check_manager()
        if isinstance(account_id, bool) or not isinstance(account_id, int):
            raise UserError(self.env._("The account is given by its id (a number)."))
        if not isinstance(rows, list):
            raise UserError(self.env._("The rows are a list of objects."))
        if len(rows) > MAX_ROWS_PER_CALL:
            raise UserError(
                self.env._(
                    "At most %(limit)s rows can be imported at once; send smaller batches.", limit=MAX_ROWS_PER_CALL
                )
            )
        account = self.env["social.crm.account"].browse(account_id).exists()
        if not account:
            raise UserError(self.env._("There is no social account with id %(id)s.", id=account_id))
        account.check_access("write")
        posts, rejected = normalize_rows(rows, network=account.network)
        Post = self.env["social.crm.post"]
        external_ids = list({post.external_id for _line, post in posts})
        stored = set(
            Post.search([("account_id", "=", account.id), ("external_id", "in", external_ids)]).mapped("external_id")
        )
        created = Post._ingest(account, [post for _line, post in posts]) if posts else 0
        if created and not route:
            new_ids = [external_id for external_id in external_ids if external_id not in stored]
            Post.search([("account_id", "=", account.id), ("external_id", "in", new_ids), ("state", "=", "new")]).write(
                {"state": "processed"}
            )
        return {
            "created": created,
            "duplicates": len(posts) - created,
            "rejected": [item.as_dict() for item in rejected],
        }

    # -- the form ------------------------------------------------------------------
    def _file_format(self):
        if self.file_format in FORMATS:
            return self.file_format
        try:
            return detect_format(self.filename or "")
        except ValueError:
            raise UserError(
                self.env._(
                    "Choose the format: the file name %(name)s ends in neither .jsonl nor .csv.", name=self.filename
                )
            ) from None

    def action_import(self):
        self.ensure_one()
        self._check_manager()
        if not self.file:
            raise UserError(self.env._("Choose the export file to import."))
        try:
            content = base64.b64decode(self.file, validate=False)
        except (binascii.Error, ValueError):
            raise UserError(self.env._("The file could not be read.")) from None
        created = duplicates = 0
        rejected = []
        for rows, refused in iter_batches(io.BytesIO(content), self._file_format(), batch_size=500):
            rejected.extend(refused)
            if rows:
                result = self.import_rows(
                    self.account_id.id, [{**row.data, LINE_KEY: row.line} for row in rows], route=self.route_posts
                )
                created += result["created"]
                duplicates += result["duplicates"]
                rejected.extend(RejectedRow(item["line"], item["reason"]) for item in result["rejected"])
        rejected.sort(key=lambda item: item.line)
        lines = [
            self.env._("Line %(line)s: %(reason)s", line=item.line, reason=item.reason)
            for item in rejected[:MAX_REPORTED]
        ]
        if len(rejected) > MAX_REPORTED:
            lines.append(self.env._("… and %(count)s more.", count=len(rejected) - MAX_REPORTED))
        self.write(
            {
                "state": "done",
                "file": False,
                "created_count": created,
                "duplicate_count": duplicates,
                "rejected_count": len(rejected),
                "rejected_report": "\n".join(lines) or False,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Import Posts"),
        }
