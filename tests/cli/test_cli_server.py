"""The command line end to end against a real Odoo 19 server (see conftest.py):
both transports, backfill import (idempotent, rejected rows reported), fetch,
status, partner export, access rights and credentials that are never shown."""

import csv
import json
import uuid

import pytest

DEPRECATION = "deprecated in Odoo 19"
HOSTILE = '<script>alert("x")</script> سلام \u202edlrow 👍🏽'


@pytest.fixture
def account(odoo_server):
    """A fresh demo-network account of its own, so that tests do not see each other's posts."""
    name = f"CLI backfill {uuid.uuid4().hex[:8]}"
    account_id = odoo_server.rpc("social.crm.account", "create", vals_list=[{"name": name, "network": "demo"}])[0]
    return {"id": account_id, "name": name}


def post_texts(server, account_id):
    posts = server.rpc(
        "social.crm.post", "search_read", domain=[("account_id", "=", account_id)], fields=["external_id", "text"]
    )
    return {post["external_id"]: post["text"] for post in posts}


def write_jsonl(path, rows):
    path.write_text("\n".join(row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows))
    return path


def export_rows(prefix="e2e"):
    return [
        {"id": f"{prefix}-1", "text": "Díky za opravu!", "author": "@jana", "created_at": "2023-05-01T08:00:00Z"},
        {"post_id": f"{prefix}-2", "content": HOSTILE, "username": "mallory", "date": 1682928000},
        "",
        "{not json",
        {"id": f"{prefix}-3", "text": "no date", "author": "x"},
        {"id": f"{prefix}-4", "message": "Jak dlouho trvá dodání?", "author_id": 7, "published": "2023-05-02"},
        {"id": f"{prefix}-5", "text": "x" * 100_000, "author": "long", "created_at": "2023-05-03T00:00:00Z"},
    ]  # fmt: skip


def test_json2_is_preferred_with_an_api_key_and_jsonrpc_is_the_fallback(odoo_server):
    before = odoo_server.log_count(DEPRECATION)
    result = odoo_server.cli("status", "--json", "-v")
    assert result.returncode == 0, result.stderr
    assert "through json2" in result.stderr
    assert odoo_server.log_count(DEPRECATION) == before, "the JSON-2 API never touches /jsonrpc"
    by_key = json.loads(result.stdout)

    result = odoo_server.cli("status", "--json", "-v", auth="password")
    assert result.returncode == 0, result.stderr
    assert "through jsonrpc" in result.stderr
    assert odoo_server.log_count(DEPRECATION) > before, "odoorpc speaks /jsonrpc, which Odoo 19 warns about"
    by_password = json.loads(result.stdout)
    assert [(a["id"], a["name"], a["state"]) for a in by_key] == [(a["id"], a["name"], a["state"]) for a in by_password]

    forced = odoo_server.cli("status", "--json", "--transport", "jsonrpc", "-v")  # an API key works as a password
    assert forced.returncode == 0 and "through jsonrpc" in forced.stderr, forced.stderr


def test_status_shows_the_demo_account_in_a_table(odoo_server):
    result = odoo_server.cli("status")
    assert result.returncode == 0, result.stderr
    header, rule, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["ID", "NAME", "NETWORK", "STATE"]
    assert "CALLS LEFT" in header and "RATE LIMIT RESET" in header and "LAST ERROR" in header
    assert set(rule) == {"-", " "}
    assert any("Nordlight on the Demo Network" in row and " demo " in row for row in rows)


def test_import_jsonl_reports_rejections_and_is_idempotent(odoo_server, account, tmp_path):
    path = write_jsonl(tmp_path / "export.jsonl", export_rows())
    result = odoo_server.cli("import", account["id"], path, "--batch-size", "2")
    assert result.returncode == 1, result.stderr  # rows were rejected
    assert f"Imported into {account['name']} (#{account['id']})" in result.stdout
    assert "Total: 4 created, 0 already stored (duplicates), 2 rejected" in result.stdout
    assert f"{path}:4: bad JSON" in result.stdout
    assert f"{path}:5: missing date" in result.stdout
    progress = [line for line in result.stderr.splitlines() if line.startswith("export.jsonl [")]
    assert progress and "100%" in progress[-1] and "created 4" in progress[-1]

    texts = post_texts(odoo_server, account["id"])
    assert set(texts) == {"e2e-1", "e2e-2", "e2e-4", "e2e-5"}
    states = odoo_server.rpc(
        "social.crm.post", "search_read", domain=[("account_id", "=", account["id"])], fields=["state"]
    )
    assert {post["state"] for post in states} == {"processed"}, "backfilled posts are history, not routed"
    assert texts["e2e-2"] == HOSTILE
    assert len(texts["e2e-5"]) == 100_000

    again = odoo_server.cli("import", account["name"], path, "--json", "-q")
    assert again.returncode == 1
    assert not again.stderr
    report = json.loads(again.stdout)
    assert (report["created"], report["duplicates"], report["rejected"][0]["line"]) == (0, 4, 4)
    assert [item["line"] for item in report["rejected"]] == [4, 5]
    assert len(post_texts(odoo_server, account["id"])) == 4


def test_import_csv_by_account_name_over_jsonrpc(odoo_server, account, tmp_path):
    path = tmp_path / "listening.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Post ID", "Message", "Author", "Author Name", "Published", "Likes", "Language"])
        writer.writerow(["csv-1", "Skvělá služba,\ndíky!", "@petr", "Petr", "2023-06-01 10:00:00", "1,204", "cs"])
        writer.writerow(["csv-2", "Wo bleibt mein Paket?", "@klaus", "Klaus", "1685613600", "3", "de"])
    result = odoo_server.cli("import", account["name"], path, "--route", auth="password")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Total: 2 created, 0 already stored (duplicates), 0 rejected" in result.stdout
    posts = odoo_server.rpc(
        "social.crm.post",
        "search_read",
        domain=[("account_id", "=", account["id"])],
        fields=["external_id", "text", "like_count", "state"],
        order="external_id",
    )
    assert {post["state"] for post in posts} == {"new"}, "--route leaves them to the routing rules"
    assert [(p["external_id"], p["text"], p["like_count"]) for p in posts] == [
        ("csv-1", "Skvělá služba,\ndíky!", 1204),
        ("csv-2", "Wo bleibt mein Paket?", 3),
    ]


def test_import_of_an_unknown_account_or_file_fails_clearly(odoo_server, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", export_rows("unknown"))
    result = odoo_server.cli("import", "No Such Account", path)
    assert result.returncode == 3
    assert "no social account with the id or name 'No Such Account'" in result.stderr
    result = odoo_server.cli("import", "1", tmp_path / "missing.jsonl")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_fetch_status_and_export_partner(odoo_server, tmp_path):
    demo = odoo_server.rpc("social.crm.account", "search_read", domain=[("network", "=", "demo")], fields=["name"])
    demo = next(item for item in demo if item["name"] == "Nordlight on the Demo Network")
    result = odoo_server.cli("fetch", "Nordlight on the Demo Network")
    assert result.returncode == 0, result.stderr
    assert f"Fetched Nordlight on the Demo Network (#{demo['id']})" in result.stdout
    assert "state connected" in result.stdout
    fetched = odoo_server.rpc("social.crm.post", "search_count", domain=[("account_id", "=", demo["id"])])
    assert fetched > 0

    status = json.loads(odoo_server.cli("status", "--json").stdout)
    row = next(item for item in status if item["id"] == demo["id"])
    assert row["state"] == "connected" and row["last_fetch_date"]

    partner = odoo_server.rpc(
        "res.partner", "search_read", domain=[("email", "=", "jana.novakova@example.cz")], fields=["name"]
    )[0]
    posts = odoo_server.rpc(
        "social.crm.post", "search_read", domain=[("partner_id", "=", partner["id"])], fields=["id"], limit=2
    )
    assert posts, "the demo data links posts to Jana"
    lead = {"name": "Lead from a post", "partner_id": partner["id"]}
    lead_id = odoo_server.rpc("crm.lead", "create", vals_list=[lead])[0]
    ticket_id = odoo_server.rpc(
        "helpdesk.ticket",
        "create",
        vals_list=[{"name": "Ticket from a post", "description": "<p>see post</p>", "partner_id": partner["id"]}],
    )[0]
    odoo_server.rpc("social.crm.post", "write", ids=[posts[0]["id"]], vals={"lead_id": lead_id, "ticket_id": ticket_id})

    output = tmp_path / "jana.json"
    result = odoo_server.cli("export-partner", partner["id"], "-o", output)
    assert result.returncode == 0, result.stderr
    assert "Exported partner" in result.stderr
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["partner"]["name"] == "Jana Nováková"
    assert document["partner"]["social_post_count"] >= 1
    assert document["profiles"] and all(profile["partner_id"][0] == partner["id"] for profile in document["profiles"])
    assert {post["id"] for post in posts} <= {post["id"] for post in document["posts"]}
    analysed = document["posts"][0]
    assert {"text", "language", "sentiment_label", "sentiment_score", "intent", "published_date"} <= set(analysed)
    assert [ticket["id"] for ticket in document["tickets"]] == [ticket_id]
    assert document["tickets"][0]["name"] == "Ticket from a post"
    assert [lead["id"] for lead in document["leads"]] == [lead_id]

    stdout = odoo_server.cli("export-partner", partner["id"], auth="password")
    assert stdout.returncode == 0
    assert json.loads(stdout.stdout)["partner"]["id"] == partner["id"]

    missing = odoo_server.cli("export-partner", 999_999_999)
    assert missing.returncode == 3 and "no partner with id 999999999" in missing.stderr


def test_a_plain_user_is_refused(odoo_server, account, tmp_path):
    group = odoo_server.rpc(
        "ir.model.data",
        "search_read",
        domain=[("module", "=", "social_crm"), ("name", "=", "group_social_crm_user")],
        fields=["res_id"],
    )[0]["res_id"]
    login = f"plain_{uuid.uuid4().hex[:8]}"
    password = f"Plain-{uuid.uuid4().hex}"
    odoo_server.rpc(
        "res.users", "create", vals_list=[{"name": "Plain User", "login": login, "password": password,
                                           "group_ids": [(4, group)]}],
    )  # fmt: skip
    path = write_jsonl(tmp_path / "x.jsonl", export_rows("plain"))
    env = odoo_server.env(auth=None, SOCIAL_CRM_USER=login, SOCIAL_CRM_PASSWORD=password)
    result = odoo_server.cli("import", account["id"], path, env=env)
    assert result.returncode == 3
    assert "AccessError: Only Social CRM managers can import posts." in result.stderr
    assert post_texts(odoo_server, account["id"]) == {}
    assert odoo_server.cli("status", env=env).returncode == 0, "plain users may read the status"


def test_bad_credentials_fail_without_showing_them(odoo_server):
    wrong_key = "0123456789abcdef" * 2 + "wrong"
    env = odoo_server.env(auth=None, SOCIAL_CRM_API_KEY=wrong_key)
    result = odoo_server.cli("status", "-v", env=env)
    assert result.returncode == 3
    assert "Invalid apikey" in result.stderr
    assert wrong_key not in result.stdout + result.stderr

    result = odoo_server.cli("status", "--user", "admin", "--password", "not-the-password", env=odoo_server.env(None))
    assert result.returncode == 3
    assert "wrong login or password" in result.stderr.lower() or "AccessDenied" in result.stderr
    assert "not-the-password" not in result.stdout + result.stderr

    result = odoo_server.cli("status", "-v")
    assert result.returncode == 0
    assert odoo_server.api_key not in result.stdout + result.stderr
