"""The command line without an Odoo server: arguments and environment,
formatting, and the JSON-2 request format against a local imitation."""

import io
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from social_crm_cli.cli import build_parser, main, settings
from social_crm_cli.formatting import Progress, clean, describe_wait, table
from social_crm_cli.transport import Json2Transport, RemoteError, connect, offers_json2

# -- arguments and environment -------------------------------------------------------


def test_connection_options_before_or_after_the_command():
    parser = build_parser()
    before = parser.parse_args(["--url", "http://h:1", "--db", "d", "status", "--json"])
    after = parser.parse_args(["status", "--url", "http://h:1", "--db", "d", "--json"])
    for options in (before, after):
        assert (options.url, options.db, options.json, options.command) == ("http://h:1", "d", True, "status")


def test_import_arguments():
    options = build_parser().parse_args(["import", "Brand X", "a.jsonl", "b.csv", "--batch-size", "50"])
    assert options.account == "Brand X"
    assert [str(path) for path in options.files] == ["a.jsonl", "b.csv"]
    assert (options.batch_size, options.format) == (50, None)
    assert build_parser().parse_args(["import", "1", "a.txt", "--format", "csv"]).format == "csv"


def test_environment_fills_what_the_options_leave_out():
    environ = {
        "SOCIAL_CRM_URL": "https://odoo.example/",
        "SOCIAL_CRM_DB": "prod",
        "SOCIAL_CRM_USER": "integrator",
        "SOCIAL_CRM_API_KEY": "k" * 40,
    }
    config = settings(build_parser().parse_args(["status"]), environ)
    assert (config["url"], config["db"], config["user"], config["api_key"]) == (
        "https://odoo.example",
        "prod",
        "integrator",
        "k" * 40,
    )
    assert config["transport"] == "auto"
    config = settings(build_parser().parse_args(["--db", "test", "--password", "pw", "status"]), environ)
    assert (config["db"], config["password"], config["api_key"]) == ("test", "pw", ""), "a given password wins"
    assert settings(build_parser().parse_args(["status"]), {})["url"] == "http://127.0.0.1:8069"


def test_password_and_api_key_options_exclude_each_other():
    err = io.StringIO()
    assert main(["--password", "a", "--api-key", "b", "status"], out=io.StringIO(), err=err) == 2


def test_missing_credentials_are_a_usage_error(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO())
    err = io.StringIO()
    assert main(["status"], out=io.StringIO(), err=err, environ={}) == 2
    assert "give --api-key or --password" in err.getvalue()


def test_import_checks_files_and_batch_size_before_connecting(tmp_path):
    err = io.StringIO()
    environ = {"SOCIAL_CRM_API_KEY": "k", "SOCIAL_CRM_URL": "http://127.0.0.1:9"}  # nothing listens on port 9
    assert main(["import", "1", str(tmp_path / "none.jsonl")], out=io.StringIO(), err=err, environ=environ) == 2
    assert "no such file" in err.getvalue()
    (tmp_path / "x.xlsx").write_text("")
    err = io.StringIO()
    assert main(["import", "1", str(tmp_path / "x.xlsx")], out=io.StringIO(), err=err, environ=environ) == 2
    assert "cannot tell the format" in err.getvalue()
    (tmp_path / "x.jsonl").write_text("")
    err = io.StringIO()
    code = main(
        ["import", "1", str(tmp_path / "x.jsonl"), "--batch-size", "0"], out=io.StringIO(), err=err, environ=environ
    )
    assert code == 2 and "--batch-size" in err.getvalue()


def test_an_unreachable_server_is_a_failure_that_names_no_secret():
    err = io.StringIO()
    environ = {"SOCIAL_CRM_API_KEY": "secret-key-value", "SOCIAL_CRM_URL": "http://127.0.0.1:9"}
    assert main(["status", "-v"], out=io.StringIO(), err=err, environ=environ) == 3
    assert "cannot reach http://127.0.0.1:9" in err.getvalue()
    assert "secret-key-value" not in err.getvalue()


# -- formatting -------------------------------------------------------------------------


def test_clean_removes_terminal_escapes_and_bidi_overrides():
    assert clean("ok\x1b[31m red\x1b[0m\u202e!") == "ok[31m red[0m!"
    assert clean("two\nlines\ttab") == "two lines tab"
    assert clean([4, "Many2one Name"]) == "Many2one Name"
    assert clean(False) == "" and clean(None) == ""
    assert clean("x" * 10, 5) == "xxxx…"


def test_table_aligns_columns():
    text = table(["ID", "NAME"], [[1, "Nordlight"], [22, "X"]])
    assert text.splitlines() == ["ID  NAME", "--  ---------", "1   Nordlight", "22  X"]


def test_describe_wait():
    now = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert describe_wait("2024-01-01 12:11:30", now) == "waits 12 min"
    assert describe_wait("2024-01-01 14:05:00", now) == "waits 2 h 5 min"
    assert describe_wait("2024-01-01 14:00:00", now) == "waits 2 h"
    assert describe_wait("2024-01-01 11:00:00", now) == "over"
    assert describe_wait(False, now) == ""


def test_progress_prints_one_line_per_tenth_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream)
    for done in range(0, 101, 5):
        progress.update("f.jsonl", done, 100, {"rows": done, "created": done})
    progress.update("f.jsonl", 100, 100, {"rows": 100, "created": 100}, final=True)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 12  # 0 %, 10 % … 100 %, and the final line
    assert lines[-1].startswith("f.jsonl [########################] 100%  100 rows  created 100")
    quiet = io.StringIO()
    Progress(quiet, enabled=False).update("f", 1, 2, {}, final=True)
    assert quiet.getvalue() == ""


# -- the JSON-2 request format, against a local imitation of Odoo 19 --------------------------


class _Odoo19(BaseHTTPRequestHandler):
    calls: list = []
    version = [19, 0, 0, "final", 0, ""]

    def log_message(self, *args):
        pass

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/web/version" and self.version:
            self._send(200, {"version_info": self.version, "version": "x"})
        else:
            self._send(404, {})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append((self.path, dict(self.headers), body))
        if self.headers.get("Authorization") != "bearer good-key":
            self._send(401, {"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey"})
        elif self.path == "/json/2/res.partner/fail":
            self._send(403, {"name": "odoo.exceptions.AccessError", "message": "not allowed", "arguments": []})
        else:
            self._send(200, {"echo": body})


@pytest.fixture
def imitation():
    _Odoo19.calls = []
    _Odoo19.version = [19, 0, 0, "final", 0, ""]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Odoo19)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_json2_request_carries_key_database_ids_and_named_arguments(imitation):
    transport = Json2Transport(imitation, "prod", "good-key")
    assert transport.call("res.partner", "read", ids=[3, 4], fields=["name"]) == {
        "echo": {"fields": ["name"], "ids": [3, 4]}
    }
    assert transport.call("social.crm.import", "import_rows", account_id=1, rows=[]) == {
        "echo": {"account_id": 1, "rows": []}
    }
    path, headers, _body = _Odoo19.calls[0]
    assert path == "/json/2/res.partner/read"
    assert headers["Authorization"] == "bearer good-key"
    assert headers["X-Odoo-Database"] == "prod"
    assert headers["Content-Type"] == "application/json"
    assert "good-key" not in repr(transport)


def test_json2_errors_become_remote_errors(imitation):
    with pytest.raises(RemoteError, match="AccessError: not allowed") as caught:
        Json2Transport(imitation, "prod", "good-key").call("res.partner", "fail")
    assert caught.value.status == 403
    with pytest.raises(RemoteError, match="Unauthorized: Invalid apikey"):
        Json2Transport(imitation, "prod", "bad-key").call("res.partner", "search", domain=[])


def test_json2_is_chosen_only_when_the_server_offers_it(imitation):
    assert offers_json2(imitation)
    assert connect(imitation, "prod", api_key="good-key").name == "json2"
    _Odoo19.version = [17, 0, 0, "final", 0, ""]
    assert not offers_json2(imitation)
    _Odoo19.version = None  # /web/version answers 404: older than 16, or not Odoo
    assert not offers_json2(imitation)
    assert connect(imitation, "prod", api_key="good-key", transport="json2").name == "json2"


# -- backtest of a listening topic ---------------------------------------------------


class RecordingServer:
    """Answers the calls of ``backtest`` as a server holding one topic would."""

    name = "recording"

    def __init__(self, alerts):
        self.alerts = alerts
        self.calls = []

    def call(self, model, method, ids=None, **kwargs):
        self.calls.append((model, method, ids, kwargs))
        if method == "search_read":
            return [{"id": 7, "name": "Nordlight", "kind": "brand"}]
        return self.alerts

    def close(self):
        pass


def test_backtest_lists_the_alerts_the_server_computed(monkeypatch):
    alert = {
        "start": "2026-03-01 10:00:00", "end": "2026-03-02 09:00:00", "signals": ["crisis"], "volume": 81,
        "volume_threshold": 23.0, "negative_share": 0.64, "share_threshold": 0.4,
    }  # fmt: skip
    server = RecordingServer([alert])
    monkeypatch.setattr("social_crm_cli.cli.connect", lambda *args, **kwargs: server)
    out, err = io.StringIO(), io.StringIO()
    code = main(["backtest", "Nordlight", "--days", "30", "--k", "2.5", "--api-key", "k", "--db", "d"], out, err)
    assert code == 0, err.getvalue()
    assert ("social.crm.topic", "backtest", [7], {"days": 30, "k": 2.5}) in server.calls
    assert "1 alerts" in out.getvalue() and "crisis" in out.getvalue() and "81 / 23.0" in out.getvalue()
    out = io.StringIO()
    assert main(["backtest", "7", "--json", "--api-key", "k", "--db", "d"], out, err) == 0
    assert json.loads(out.getvalue()) == [alert]
    assert main(["backtest", "7", "--days", "0", "--api-key", "k", "--db", "d"], io.StringIO(), err) == 2
