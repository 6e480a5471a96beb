"""A day of work over the web client's JSON-RPC, against a real Odoo server on
a fresh database without demo data and the Mastodon imitation: an
administrator sets up users and rules with every action, a Social CRM manager
connects the account, fetches and routes, and a plain helpdesk agent answers.

Checked: a thread of self-replies joins one ticket (a reply arriving in a
later fetch too), our own statuses (in a hashtag timeline and in a
direct-message conversation) are not customer posts, a direct message is
stored in its conversation, a customer is found by an e-mail in the profile
fields, every rule action acts, and the agent's reply reaches the network once
and is recorded on the ticket and the customer."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.imitation import mastodon
from tests.imitation.server import ImitationServer

JANA = mastodon.account(
    "77", "jana@other.example", fields=[{"name": "E-mail", "value": "jana@firma.example", "verified_at": None}]
)
PETR = mastodon.account("78", "petr@other.example")
EVA = mastodon.account("79", "eva")
BOT = mastodon.account("80", "bot@spam.example")
COMPLAINT = "@shop My internet has been down for three days, this is terrible! I want a refund."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebClient:
    """What the web client does: a session cookie, then ``call_kw``."""

    def __init__(self, url: str, db: str, login: str, password: str):
        self.url = url
        self.session = requests.Session()
        self.uid = self._rpc("/web/session/authenticate", {"db": db, "login": login, "password": password})["uid"]

    def _rpc(self, path: str, params: dict):
        response = self.session.post(
            f"{self.url}{path}", json={"jsonrpc": "2.0", "method": "call", "params": params}, timeout=300
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RpcError(body["error"]["data"]["name"], body["error"]["data"]["message"])
        return body["result"]

    def call(self, model: str, method: str, *args, **kwargs):
        return self._rpc(
            f"/web/dataset/call_kw/{model}/{method}", {"model": model, "method": method, "args": args, "kwargs": kwargs}
        )


class RpcError(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


@pytest.fixture(scope="module")
def server(odoo_db):
    port = free_port()
    log = odoo_db.tmp / "rpc-scenario.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "odoo", "server", "-d", odoo_db.name, f"--addons-path={odoo_db.addons}",
         f"--db-filter=^{odoo_db.name}$", "--http-interface=127.0.0.1", f"--http-port={port}",
         "--max-cron-threads=0", f"--logfile={log}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/web/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None and time.monotonic() < deadline, f"the Odoo server did not start: {log}"
            time.sleep(0.5)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def xmlid(admin: WebClient, full_id: str) -> int:
    module, name = full_id.split(".")
    (row,) = admin.call("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], ["res_id"])
    return row["res_id"]


def create_user(admin, company, login, groups):
    return admin.call(
        "res.users",
        "create",
        {
            "name": login.title(),
            "login": login,
            "password": f"{login}-password-1",
            "company_id": company,
            "company_ids": [(6, 0, [company])],
            "group_ids": [(6, 0, [xmlid(admin, group) for group in groups])],
        },
    )


def test_a_day_of_social_work_over_rpc(odoo_db, server):
    url, log = server
    imitation = mastodon.MastodonImitation()
    first = imitation.add_mention(f"<p>{COMPLAINT}</p>", JANA)
    second = imitation.add_mention(
        "<p>@shop Still nothing, when will you fix it?</p>", JANA, in_reply_to_id=first["id"]
    )
    ours = imitation.add_status("<p>Our new 1 Gbit offer #fiber</p>", mastodon.OWN_ACCOUNT, tags=["fiber"])
    buyer = imitation.add_status(
        "<p>#fiber How much does the 1 Gbit fiber cost? I want to buy it.</p>", PETR, tags=["fiber"]
    )
    spam = imitation.add_status("<p>#fiber win free crypto now</p>", BOT, tags=["fiber"])
    praise = imitation.add_mention("<p>@shop Thank you, great service, everything works perfectly!</p>", EVA)
    question = imitation.add_status(
        "<p>@shop Hello, can I move my contract to a new address next month?</p>", JANA, visibility="direct"
    )
    our_dm = imitation.add_status("<p>@petr We have sent the offer.</p>", mastodon.OWN_ACCOUNT, visibility="direct")
    imitation.conversations += [
        {"id": "c-1", "accounts": [JANA], "unread": True, "last_status": question},
        {"id": "c-2", "accounts": [PETR], "unread": False, "last_status": our_dm},
    ]

    with ImitationServer(imitation) as network:
        admin = WebClient(url, odoo_db.name, "admin", "admin")
        company = admin.call("res.company", "create", {"name": "RPC Scenario Company"})
        admin.call("res.users", "write", [admin.uid], {"company_ids": [(4, company)]})
        agent = create_user(
            admin,
            company,
            "rpc_agent",
            ["base.group_user", "helpdesk_mgmt.group_helpdesk_user", "social_crm.group_social_crm_user"],
        )
        create_user(admin, company, "rpc_manager", ["base.group_user", "social_crm.group_social_crm_manager"])
        customer = admin.call(
            "res.partner", "create", {"name": "Jana", "email": "jana@firma.example", "company_id": company}
        )
        team = admin.call(
            "helpdesk.ticket.team",
            "create",
            {"name": "Social care", "company_id": company, "user_ids": [(6, 0, [agent])]},
        )
        sales = admin.call("crm.team", "create", {"name": "Social sales", "company_id": company})
        tag = admin.call("helpdesk.ticket.tag", "create", {"name": "social", "company_id": company})
        call = xmlid(admin, "mail.mail_activity_data_call")
        rule = {"company_id": company}
        admin.call(
            "social.crm.rule",
            "create",
            [
                dict(rule, name="Spam", sequence=1, keywords="crypto", action="ignore"),
                dict(
                    rule,
                    name="Complaints",
                    sequence=2,
                    intent="complaint",
                    action="ticket",
                    helpdesk_team_id=team,
                    ticket_tag_ids=[(6, 0, [tag])],
                    user_id=agent,
                    activity_type_id=call,
                    acknowledge=True,
                    acknowledgement="Thank you {author}, we are on it.",
                ),
                dict(rule, name="Questions", sequence=3, intent="question", action="ticket", helpdesk_team_id=team),
                dict(
                    rule,
                    name="Buyers",
                    sequence=4,
                    intent="purchase_intent",
                    action="lead",
                    crm_team_id=sales,
                    lead_type="opportunity",
                ),
                dict(
                    rule,
                    name="Praise",
                    sequence=5,
                    intent="praise",
                    action="none",
                    activity_type_id=call,
                    user_id=agent,
                    activity_summary="Thank them",
                ),
            ],
        )

        # the manager connects the account: Test Connection learns its network id
        manager = WebClient(url, odoo_db.name, "rpc_manager", "rpc_manager-password-1")
        account = manager.call(
            "social.crm.account",
            "create",
            {
                "name": "Shop on Mastodon",
                "network": "mastodon",
                "company_id": company,
                "base_url": network.url,
                "credential_ids": [(0, 0, {"key": "access_token", "value": mastodon.TOKEN})],
                "stream_ids": [
                    (0, 0, {"name": "Mentions", "kind": "mentions"}),
                    (0, 0, {"name": "Fiber", "kind": "search", "query": "#fiber"}),
                    (0, 0, {"name": "Messages", "kind": "messages"}),
                ],
            },
        )
        manager.call("social.crm.account", "action_check_connection", [account])
        (row,) = manager.call("social.crm.account", "read", [account], ["external_id", "handle", "state"])
        assert (row["external_id"], row["handle"], row["state"]) == ("1", "shop", "connected")
        manager.call("social.crm.account", "action_fetch_now", [account])
        manager.call("social.crm.post", "action_route_new_posts", [])
        # a later self-reply, in the next fetch
        third = imitation.add_mention(
            "<p>@shop Hello? Still broken and nobody answers.</p>", JANA, in_reply_to_id=second["id"]
        )
        manager.call("social.crm.account", "action_fetch_now", [account])
        manager.call("social.crm.post", "action_route_new_posts", [])

        fields = [
            "external_id",
            "direction",
            "state",
            "kind",
            "thread_external_id",
            "ticket_id",
            "lead_id",
            "partner_id",
            "activity_ids",
        ]
        posts = {
            post["external_id"]: post
            for post in manager.call("social.crm.post", "search_read", [("account_id", "=", account)], fields)
        }
        thread = [posts[status["id"]] for status in (first, second, third)]
        assert {post["thread_external_id"] for post in thread} == {first["id"]}
        assert len({post["ticket_id"][0] for post in thread}) == 1, thread
        ticket = thread[0]["ticket_id"][0]
        assert thread[0]["partner_id"][0] == customer, "found by the e-mail in the profile fields"
        for own in (ours, our_dm):
            assert (posts[own["id"]]["direction"], posts[own["id"]]["ticket_id"]) == ("outgoing", False)
        dm = posts[question["id"]]
        assert (dm["kind"], dm["thread_external_id"], dm["direction"]) == ("message", "c-1", "incoming")
        assert dm["ticket_id"] and dm["ticket_id"][0] != ticket
        assert posts[spam["id"]]["state"] == "ignored"
        assert posts[buyer["id"]]["lead_id"]
        praised = posts[praise["id"]]
        assert not (praised["ticket_id"] or praised["lead_id"] or praised["partner_id"])
        (activity,) = admin.call("mail.activity", "read", praised["activity_ids"], ["user_id", "summary"])
        assert (activity["user_id"][0], activity["summary"]) == (agent, "Thank them")
        (ticket_row,) = admin.call("helpdesk.ticket", "read", [ticket], ["tag_ids", "user_id", "activity_ids"])
        assert (ticket_row["tag_ids"], ticket_row["user_id"][0]) == ([tag], agent)
        assert ticket_row["activity_ids"]
        acknowledged = [s for s in imitation.statuses.values() if "we are on it" in s.get("posted_text", "")]
        assert [s["in_reply_to_id"] for s in acknowledged] == [first["id"]]

        # the plain agent answers from the ticket
        plain = WebClient(url, odoo_db.name, "rpc_agent", "rpc_agent-password-1")
        context = {"active_model": "helpdesk.ticket", "active_id": ticket}
        wizard = plain.call("social.crm.reply", "create", {"text": "A technician comes today."}, context=context)
        assert plain.call("social.crm.reply", "action_send", [wizard], context=context) == {
            "type": "ir.actions.act_window_close"
        }
        again = plain.call("social.crm.reply", "create", {"text": "A technician comes today."}, context=context)
        with pytest.raises(RpcError, match="already public"):
            plain.call("social.crm.reply", "action_send", [again], context=context)
        sent = [s for s in imitation.statuses.values() if "technician" in s.get("posted_text", "")]
        assert len(sent) == 1
        messages = admin.call(
            "mail.message",
            "search_read",
            [("body", "ilike", "technician comes today")],
            ["model", "res_id", "author_id"],
        )
        assert {(m["model"], m["res_id"]) for m in messages} >= {("helpdesk.ticket", ticket), ("res.partner", customer)}
        agent_partner = admin.call("res.users", "read", [agent], ["partner_id"])[0]["partner_id"][0]
        assert {m["author_id"][0] for m in messages} == {agent_partner}
        replied = plain.call(
            "social.crm.post", "search_read", [("ticket_id", "=", ticket), ("state", "=", "replied")], ["external_id"]
        )
        assert {post["external_id"] for post in replied} == {first["id"], third["id"]}
        outgoing = plain.call(
            "social.crm.post", "search_read", [("ticket_id", "=", ticket), ("direction", "=", "outgoing")], ["text"]
        )
        assert len(outgoing) == 2  # the acknowledgement and the agent's reply, each once
    assert " ERROR " not in log.read_text(errors="replace"), log
