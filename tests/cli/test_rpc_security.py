"""Credentials over RPC: a plain Social CRM user, logged in with a real RPC
client against a real server, cannot read them; a manager can."""

from urllib.parse import urlsplit

import odoorpc
import pytest

PLAIN_LOGIN = "rpc_plain_user"
PLAIN_PASSWORD = "rpc-plain-password-42"


@pytest.fixture(scope="module")
def account_with_secret(odoo_server):
    [group_id] = odoo_server.rpc(
        "res.groups", "search", domain=[("privilege_id.name", "=", "Social CRM"), ("name", "=", "User")]
    )
    if not odoo_server.rpc("res.users", "search", domain=[("login", "=", PLAIN_LOGIN)]):
        odoo_server.rpc(
            "res.users",
            "create",
            vals_list=[
                {"name": "RPC plain user", "login": PLAIN_LOGIN, "password": PLAIN_PASSWORD,
                 "group_ids": [(6, 0, [group_id])]}
            ],
        )  # fmt: skip
    [account_id] = odoo_server.rpc(
        "social.crm.account",
        "create",
        vals_list=[
            {"name": "RPC secret account", "network": "demo",
             "credential_ids": [(0, 0, {"key": "access_token", "value": "top-secret-token"})]}
        ],
    )  # fmt: skip
    return account_id


def login(odoo_server, user, password):
    url = urlsplit(odoo_server.url)
    client = odoorpc.ODOO(url.hostname, port=url.port, timeout=120)
    client.login(odoo_server.db, user, password)
    return client


def test_a_plain_user_cannot_read_credentials_over_rpc(odoo_server, account_with_secret):
    client = login(odoo_server, PLAIN_LOGIN, PLAIN_PASSWORD)
    # the account itself is readable
    [account] = client.execute_kw("social.crm.account", "read", [[account_with_secret]], {"fields": ["name"]})
    assert account["name"] == "RPC secret account"
    for model, method, args, kwargs in (
        ("social.crm.account", "read", [[account_with_secret]], {"fields": ["credential_ids"]}),
        ("social.crm.credential", "search_read", [[]], {"fields": ["value"]}),
        ("social.crm.credential", "read", [[1]], {"fields": ["value"]}),
    ):
        with pytest.raises(odoorpc.error.RPCError) as refused:
            client.execute_kw(model, method, args, kwargs)
        assert "top-secret-token" not in str(refused.value)
    fields = client.execute_kw("social.crm.account", "fields_get", [], {"attributes": ["type"]})
    assert "credential_ids" not in fields


def test_a_manager_reads_them(odoo_server, account_with_secret):
    values = odoo_server.rpc(
        "social.crm.credential", "search_read", domain=[("account_id", "=", account_with_secret)], fields=["value"]
    )
    assert [value["value"] for value in values] == ["top-secret-token"]
