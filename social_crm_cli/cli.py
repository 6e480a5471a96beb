"""``python3 -m social_crm_cli``: the Social CRM command line for administrators
and integrators, talking to a running Odoo.

Exit codes: 0 done; 1 ``import`` rejected some rows (the others were stored)
or ``fetch`` left the account in error; 2 wrong usage; 3 the server could not
be reached, refused the login or the call, or the account/partner does not exist.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from social_crm.core.importing import LINE_KEY, detect_format, iter_batches

from .formatting import Progress, clean, describe_wait, table
from .transport import TRANSPORTS, CliError, RemoteError, connect

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

ENVIRONMENT = {
    "url": "SOCIAL_CRM_URL",
    "db": "SOCIAL_CRM_DB",
    "user": "SOCIAL_CRM_USER",
    "password": "SOCIAL_CRM_PASSWORD",
    "api_key": "SOCIAL_CRM_API_KEY",
}
DEFAULT_URL = "http://127.0.0.1:8069"

ACCOUNT_STATUS_FIELDS = [
    "name", "network", "state", "active", "last_fetch_date", "next_fetch_date", "last_error", "last_error_date",
    "rate_limit_remaining", "rate_limit_reset",
]  # fmt: skip
PARTNER_FIELDS = [
    "name", "display_name", "email", "phone", "website", "lang", "is_company", "parent_id", "city", "country_id",
    "social_post_count", "social_sentiment_avg", "social_sentiment_latest", "social_sentiment_trend",
    "social_complaint_count", "social_influence",
]  # fmt: skip
PROFILE_FIELDS = [
    "network", "external_id", "handle", "name", "url", "followers", "verified", "bio", "email", "website",
    "influence_score", "influence_breakdown", "partner_id", "match_reason", "match_confidence", "company_id",
]  # fmt: skip
POST_FIELDS = [
    "account_id", "network", "external_id", "direction", "kind", "url", "profile_id", "partner_id", "text",
    "published_date", "edited_date", "is_deleted", "parent_external_id", "thread_external_id", "language",
    "language_confidence", "sentiment_score", "sentiment_label", "sentiment_supported", "intent",
    "analyzer_version", "analysis_error", "like_count", "reply_count", "repost_count", "view_count", "state",
    "ticket_id", "lead_id",
]  # fmt: skip
TICKET_FIELDS = [
    "name", "number", "description", "stage_id", "partner_id", "user_id", "team_id", "priority", "channel_id",
    "create_date", "closed_date", "company_id",
]  # fmt: skip
LEAD_FIELDS = [
    "name", "type", "stage_id", "partner_id", "user_id", "team_id", "expected_revenue", "probability",
    "email_from", "phone", "create_date", "date_closed", "company_id",
]  # fmt: skip


class UsageError(CliError):
    exit_code = EXIT_USAGE


# -- arguments -------------------------------------------------------------------------


def _connection_options() -> argparse.ArgumentParser:
    """Options accepted before or after the command (``default=SUPPRESS`` so
    that a value given before the command is not reset after it)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection (also read from SOCIAL_CRM_* environment variables)")
    group.add_argument("--url", default=argparse.SUPPRESS, help=f"Odoo address (SOCIAL_CRM_URL, default {DEFAULT_URL})")
    group.add_argument("--db", default=argparse.SUPPRESS, help="database (SOCIAL_CRM_DB)")
    group.add_argument("--user", default=argparse.SUPPRESS, help="login, needed with a password (SOCIAL_CRM_USER)")
    secret = group.add_mutually_exclusive_group()
    secret.add_argument(
        "--password", default=argparse.SUPPRESS, help="password, for /jsonrpc (SOCIAL_CRM_PASSWORD is safer)"
    )
    secret.add_argument(
        "--api-key", default=argparse.SUPPRESS, help="API key, for the JSON-2 API (SOCIAL_CRM_API_KEY is safer)"
    )
    group.add_argument(
        "--transport",
        choices=TRANSPORTS,
        default=argparse.SUPPRESS,
        help="auto (default): JSON-2 with an API key when the server offers it, else /jsonrpc",
    )
    group.add_argument("--timeout", type=float, default=argparse.SUPPRESS, help="seconds per call (default 600)")
    output = common.add_argument_group("output")
    output.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON on stdout")
    output.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bar")
    output.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log the calls")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _connection_options()
    parser = argparse.ArgumentParser(
        prog="python3 -m social_crm_cli",
        description="Social CRM on a running Odoo: backfill imports, fetches, account status, partner exports, "
        "backtests of listening topics.",
        epilog="Exit codes: 0 done, 1 rows rejected (import) or account in error (fetch), 2 usage, 3 failure.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    command = commands.add_parser(
        "import",
        parents=[common],
        help="import historic posts from JSON Lines or CSV exports",
        description="Import historic posts into an account, in batches; importing a file again stores nothing twice.",
    )
    command.add_argument("account", metavar="ACCOUNT", help="account id or name")
    command.add_argument("files", metavar="FILE", nargs="+", type=Path, help=".jsonl/.ndjson or .csv files")
    command.add_argument("--batch-size", type=int, default=500, help="rows per call (default 500, at most 5000)")
    command.add_argument("--format", choices=("jsonl", "csv"), help="file format (default: from the file name)")
    command.add_argument(
        "--route",
        action="store_true",
        help="apply the routing rules to the new posts (tickets, leads, replies); default: stored as processed history",
    )

    command = commands.add_parser("fetch", parents=[common], help="fetch an account's streams now")
    command.add_argument("account", metavar="ACCOUNT", help="account id or name")

    command = commands.add_parser("status", parents=[common], help="accounts: state, last fetch, errors, rate limits")
    command.add_argument("--archived", action="store_true", help="include archived accounts")

    command = commands.add_parser(
        "export-partner", parents=[common], help="a partner's social data as JSON (profiles, posts, tickets, leads)"
    )
    command.add_argument("partner", metavar="PARTNER_ID", type=int, help="id of the res.partner")
    command.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")

    command = commands.add_parser(
        "backtest",
        parents=[common],
        help="list the spike alerts a listening topic would have raised over its stored posts",
        description="Run the spike detector hour by hour over a topic's stored posts; nothing is stored.",
    )
    command.add_argument("topic", metavar="TOPIC", help="listening topic id or name")
    command.add_argument("--days", type=int, default=90, help="days back from now (default 90)")
    command.add_argument("--k", type=float, help="standard deviations above the mean (default: the topic's)")
    command.add_argument(
        "--min-volume", type=int, help="posts in 24 hours below which nothing fires (default: the topic's)"
    )
    return parser


def settings(options: argparse.Namespace, environ=None) -> dict:
    """Connection settings: command-line options first, then the environment."""
    environ = os.environ if environ is None else environ
    values = {key: getattr(options, key, None) or environ.get(variable) or "" for key, variable in ENVIRONMENT.items()}
    if getattr(options, "password", None):
        values["api_key"] = ""  # an explicit password wins over a key from the environment
    elif getattr(options, "api_key", None):
        values["password"] = ""
    values["url"] = (values["url"] or DEFAULT_URL).rstrip("/")
    values["transport"] = getattr(options, "transport", None) or "auto"
    values["timeout"] = getattr(options, "timeout", None) or 600
    return values


# -- commands --------------------------------------------------------------------------


def resolve_account(transport, reference: str) -> dict:
    """The account whose id or name is ``reference`` (exact name first, then a unique partial match)."""
    fields = ["name", "network", "company_id"]
    return resolve_record(transport, "social.crm.account", reference, "social account", fields)


def resolve_record(transport, model: str, reference: str, label: str, fields: list[str]) -> dict:
    """The ``model`` record whose id or name is ``reference`` (exact name first, then a unique partial match)."""
    context = {"active_test": False}
    if reference.isdigit():
        domain = [("id", "=", int(reference))]
        found = transport.call(model, "search_read", domain=domain, fields=fields, context=context)
        if found:
            return found[0]
    for operator in ("=", "ilike"):
        found = transport.call(model, "search_read", domain=[("name", operator, reference)], fields=fields, limit=10)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f"{clean(item['name'])} (#{item['id']})" for item in found)
            raise CliError(f"{reference!r} names several {label}s: {names}; give the id")
    raise CliError(f"no {label} with the id or name {reference!r}")


def import_formats(options) -> dict:
    """``{path: format}`` of the files to import; checked before connecting."""
    if not 1 <= options.batch_size <= 5000:
        raise UsageError("--batch-size is between 1 and 5000")
    formats = {}
    for path in options.files:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        try:
            formats[path] = options.format or detect_format(path.name)
        except ValueError as error:
            raise UsageError(f"{error} (--format)") from None
    return formats


def command_import(transport, options, out, err) -> int:
    formats = import_formats(options)
    account = resolve_account(transport, options.account)
    progress = Progress(err, enabled=not getattr(options, "quiet", False))
    totals = {"rows": 0, "created": 0, "duplicates": 0, "rejected": 0}
    files, rejected = [], []
    for path, file_format in formats.items():
        counts = {"rows": 0, "created": 0, "duplicates": 0, "rejected": 0}
        size = path.stat().st_size
        with path.open("rb") as stream:
            for rows, refused in iter_batches(stream, file_format, options.batch_size):
                found = [{"file": str(path), **item.as_dict()} for item in refused]
                if rows:
                    result = transport.call(
                        "social.crm.import",
                        "import_rows",
                        account_id=account["id"],
                        rows=[{**row.data, LINE_KEY: row.line} for row in rows],
                        route=options.route,
                    )
                    counts["created"] += result["created"]
                    counts["duplicates"] += result["duplicates"]
                    found += [{"file": str(path), **item} for item in result["rejected"]]
                counts["rows"] += len(rows) + len(refused)
                counts["rejected"] += len(found)
                rejected += found
                progress.update(path.name, stream.tell(), size, counts)
        progress.update(path.name, size, size, counts, final=True)
        files.append({"file": str(path), "format": file_format, **counts})
        for key in totals:
            totals[key] += counts[key]
    rejected.sort(key=lambda item: (item["file"], item["line"]))
    report = {"account": {"id": account["id"], "name": account["name"]}, **totals, "files": files, "rejected": rejected}
    if getattr(options, "json", False):
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(f"Imported into {clean(account['name'])} (#{account['id']}):\n")
        for item in files:
            out.write(
                f"  {clean(item['file'])}: {item['rows']:,} rows, {item['created']:,} created, "
                f"{item['duplicates']:,} already stored, {item['rejected']:,} rejected\n"
            )
        out.write(
            f"Total: {totals['created']:,} created, {totals['duplicates']:,} already stored (duplicates), "
            f"{totals['rejected']:,} rejected\n"
        )
        if rejected:
            out.write("Rejected rows:\n")
            for item in rejected:
                out.write(f"  {clean(item['file'])}:{item['line']}: {clean(item['reason'], 300)}\n")
    return EXIT_REJECTED if rejected else EXIT_OK


def read_accounts(transport, ids=None, archived=False) -> list[dict]:
    domain = [("id", "in", ids)] if ids else []
    context = {"active_test": not archived}
    return transport.call(
        "social.crm.account", "search_read", domain=domain, fields=ACCOUNT_STATUS_FIELDS, context=context
    )


def command_fetch(transport, options, out, err) -> int:
    account = resolve_account(transport, options.account)
    count_before = transport.call("social.crm.post", "search_count", domain=[("account_id", "=", account["id"])])
    transport.call("social.crm.account", "action_fetch_now", ids=[account["id"]])
    state = read_accounts(transport, [account["id"]], archived=True)[0]
    count_after = transport.call("social.crm.post", "search_count", domain=[("account_id", "=", account["id"])])
    result = {
        "account": {"id": account["id"], "name": account["name"]},
        "new_posts": count_after - count_before,
        "posts": count_after,
        "state": state["state"],
        "last_fetch_date": state["last_fetch_date"] or None,
        "last_error": state["last_error"] or None,
        "rate_limit_reset": state["rate_limit_reset"] or None,
    }
    if getattr(options, "json", False):
        out.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(
            f"Fetched {clean(account['name'])} (#{account['id']}): {result['new_posts']:,} new posts, "
            f"{result['posts']:,} in all; state {state['state']}\n"
        )
        if state["rate_limit_reset"]:
            wait = describe_wait(state["rate_limit_reset"])
            out.write(f"Rate limited until {state['rate_limit_reset']} UTC ({wait})\n")
        if state["last_error"]:
            out.write(f"Last error: {clean(state['last_error'], 500)}\n")
    return EXIT_REJECTED if state["state"] == "error" else EXIT_OK


def command_status(transport, options, out, err) -> int:
    accounts = read_accounts(transport, archived=options.archived)
    now = datetime.now(timezone.utc)
    for account in accounts:
        account["rate_limit_wait"] = describe_wait(account["rate_limit_reset"], now)
    if getattr(options, "json", False):
        out.write(json.dumps(accounts, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    if not accounts:
        out.write("No social accounts.\n")
        return EXIT_OK
    rows = [
        [
            account["id"],
            clean(account["name"], 40),
            account["network"],
            account["state"] + ("" if account["active"] else " (archived)"),
            f"{account['last_fetch_date']} UTC" if account["last_fetch_date"] else "never",
            account["rate_limit_remaining"] if account["rate_limit_reset"] or account["rate_limit_remaining"] else "",
            f"{account['rate_limit_reset']} UTC {account['rate_limit_wait']}" if account["rate_limit_reset"] else "",
            clean(account["last_error"], 60),
        ]
        for account in accounts
    ]
    headers = ["ID", "NAME", "NETWORK", "STATE", "LAST FETCH", "CALLS LEFT", "RATE LIMIT RESET", "LAST ERROR"]
    out.write(table(headers, rows) + "\n")
    return EXIT_OK


def _fields(transport, model: str, wanted: list[str]) -> list[str]:
    """The fields of ``wanted`` that ``model`` has on this server (other addons may differ)."""
    available = transport.call(model, "fields_get", attributes=["type"])
    return [name for name in wanted if name in available]


def _read(transport, model: str, ids: list[int], wanted: list[str]) -> list[dict]:
    if not ids:
        return []
    return transport.call(model, "read", ids=sorted(ids), fields=_fields(transport, model, wanted))


def command_export_partner(transport, options, out, err) -> int:
    partner_id = options.partner
    partners = transport.call(
        "res.partner",
        "search_read",
        domain=[("id", "=", partner_id)],
        fields=_fields(transport, "res.partner", PARTNER_FIELDS),
        context={"active_test": False},
    )
    if not partners:
        raise CliError(f"no partner with id {partner_id}")
    domain = [("partner_id", "child_of", partner_id)]
    profile_fields = _fields(transport, "social.crm.profile", PROFILE_FIELDS)
    profiles = transport.call("social.crm.profile", "search_read", domain=domain, fields=profile_fields)
    posts = transport.call(
        "social.crm.post",
        "search_read",
        domain=domain,
        fields=_fields(transport, "social.crm.post", POST_FIELDS),
        order="published_date desc, id desc",
    )
    ticket_ids = {post["ticket_id"][0] for post in posts if post.get("ticket_id")}
    lead_ids = {post["lead_id"][0] for post in posts if post.get("lead_id")}
    document = {
        "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "partner": partners[0],
        "profiles": profiles,
        "posts": posts,
        "tickets": _read(transport, "helpdesk.ticket", list(ticket_ids), TICKET_FIELDS),
        "leads": _read(transport, "crm.lead", list(lead_ids), LEAD_FIELDS),
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if options.output:
        options.output.write_text(text, encoding="utf-8")
        err.write(
            f"Exported partner #{partner_id}: {len(profiles)} profiles, {len(posts)} posts, "
            f"{len(document['tickets'])} tickets, {len(document['leads'])} leads to {options.output}\n"
        )
    else:
        out.write(text)
    return EXIT_OK


def command_backtest(transport, options, out, err) -> int:
    """The alerts the spike detector would have raised over the stored posts of a listening topic."""
    if options.days < 1:
        raise UsageError("--days is at least 1")
    topic = resolve_record(transport, "social.crm.topic", options.topic, "listening topic", ["name", "kind"])
    given = {"k": options.k, "min_volume": options.min_volume}
    overrides = {name: value for name, value in given.items() if value is not None}
    alerts = transport.call("social.crm.topic", "backtest", ids=[topic["id"]], days=options.days, **overrides)
    if getattr(options, "json", False):
        out.write(json.dumps(alerts, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    out.write(f"Backtest of {clean(topic['name'])} (#{topic['id']}) over {options.days} days: {len(alerts)} alerts\n")
    if alerts:
        rows = [
            [
                alert["start"],
                alert["end"],
                ", ".join(alert["signals"]),
                f"{alert['volume']} / {alert['volume_threshold']}",
                f"{alert['negative_share']:.0%} / {alert['share_threshold']:.0%}",
            ]
            for alert in alerts
        ]
        out.write(table(["FROM", "TO", "SIGNALS", "POSTS 24H / THRESHOLD", "NEGATIVE / THRESHOLD"], rows) + "\n")
    return EXIT_OK


COMMANDS = {
    "import": command_import,
    "backtest": command_backtest,
    "fetch": command_fetch,
    "status": command_status,
    "export-partner": command_export_partner,
}


# -- entry point -----------------------------------------------------------------------


class _Redact(logging.Filter):
    """Replaces the secrets in any log record by ``***`` (belt and braces: none is logged)."""

    def __init__(self, secrets):
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record):
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def main(argv=None, out=None, err=None, environ=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    config = settings(options, environ)
    handler = logging.StreamHandler(err)
    handler.addFilter(_Redact([config["password"], config["api_key"]]))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("social_crm_cli")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if getattr(options, "verbose", False) else logging.WARNING)
    root.propagate = False
    if not config["password"] and not config["api_key"]:
        if sys.stdin.isatty() and config["user"]:
            config["password"] = getpass.getpass(f"Password of {config['user']}: ")
        else:
            err.write("error: give --api-key or --password (or SOCIAL_CRM_API_KEY / SOCIAL_CRM_PASSWORD)\n")
            return EXIT_USAGE
    transport = None
    try:
        if options.command == "import":
            import_formats(options)
        transport = connect(
            config["url"],
            config["db"],
            login=config["user"],
            password=config["password"],
            api_key=config["api_key"],
            transport=config["transport"],
            timeout=config["timeout"],
        )
        root.info("connected to %s through %s", config["url"], transport.name)
        return COMMANDS[options.command](transport, options, out, err)
    except RemoteError as error:
        err.write(f"error: the server refused: {clean(str(error), 500)}\n")
        return error.exit_code
    except CliError as error:
        err.write(f"error: {clean(str(error), 500)}\n")
        return error.exit_code
    except KeyboardInterrupt:
        err.write("interrupted: the batches sent so far are stored; importing again skips them\n")
        return 130
    finally:
        if transport is not None:
            transport.close()
