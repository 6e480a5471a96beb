#!/usr/bin/env python3
"""Take the README's screenshots from a real browser against a real server.

Without ``--url`` the script prepares a database of its own (social_crm
installed with demo data, the demo network fetched and its posts routed, as
the crons would), starts an Odoo server on it, and stops the server at the
end.  With ``--url`` it uses a running server whose database is prepared the
same way.

The browser is the system's headless Chromium (Debian: ``apt-get install
chromium``; ``fonts-noto-color-emoji`` draws the posts' emoji), driven by
Playwright from PyPI (requirements-test.txt); ``playwright install`` is never
needed.  The pictures are PNG files at 1440x900 in docs/screenshots/, passed
through ``optipng`` when it is installed.

    python3 tools/screenshots.py                      # prepare, serve, shoot
    python3 tools/screenshots.py --reuse-db           # skip the preparation if the database is ready
    python3 tools/screenshots.py --url http://localhost:8069 --db mydb
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADDON = "social_crm"
OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: the demo customer whose Social tab and ticket are shown
PARTNER = "Jana Nováková"
#: words of her complaint, which routing turns into a ticket
TICKET_WORDS = "zase nejde internet"
#: the answer the script sends through the reply wizard before the ticket's picture
REPLY = "Dobrý den, paní Nováková, moc se omlouváme. Porucha je opravená, technik přesekl optiku při výkopu. Nordlight"

PREPARE = """
account = env.ref("social_crm.demo_account")
account._fetch()
Post = env["social.crm.post"]
while Post._process_new(200):
    env.cr.commit()
env.cr.commit()
# the demo campaign's due post goes out and its engagement is read back, as the crons would
env["social.crm.publication"]._cron_publish_due()
env["social.crm.publication.metric"]._cron_read_engagement()
env.cr.commit()
tickets = env["helpdesk.ticket"].search_count([("social_post_ids", "!=", False)])
print("PREPARED", Post.search_count([]), "posts,", tickets, "tickets from posts")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def addons_path() -> str:
    import odoo

    return f"{Path(odoo.__path__[0]) / 'addons'},{ROOT}"


def odoo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "odoo", *args]


def database_ready(database: str) -> bool:
    """The addon is installed and the demo network has been fetched."""
    query = (
        "SELECT 1 FROM ir_module_module WHERE name = 'social_crm' AND state = 'installed'"
        " AND EXISTS (SELECT 1 FROM social_crm_post)"
    )
    result = subprocess.run(["psql", "-d", database, "-Atc", query], capture_output=True, text=True)
    return result.returncode == 0 and result.stdout.strip() == "1"


def prepare_database(database: str, logfile: Path):
    print(f"Preparing database {database} (log: {logfile})", flush=True)
    subprocess.run(["dropdb", "--if-exists", database], check=True)
    install = odoo_command(
        "server", "-d", database, f"--addons-path={addons_path()}", "-i", ADDON, "--with-demo",
        "--stop-after-init", "--http-interface=127.0.0.1", f"--http-port={free_port()}",
        "--max-cron-threads=0", f"--logfile={logfile}",
    )  # fmt: skip
    subprocess.run(install, check=True)
    shell = odoo_command("shell", "-d", database, f"--addons-path={addons_path()}", "--no-http", f"--logfile={logfile}")
    result = subprocess.run(shell, input=PREPARE, capture_output=True, text=True, check=True)
    prepared = [line for line in result.stdout.splitlines() if line.startswith("PREPARED")]
    if not prepared:
        raise SystemExit(f"fetching the demo network failed:\n{result.stdout}\n{result.stderr}")
    print(prepared[0], flush=True)


def start_server(database: str, logfile: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = odoo_command(
        "server", "-d", database, f"--addons-path={addons_path()}", f"--db-filter=^{database}$",
        "--http-interface=127.0.0.1", f"--http-port={port}", "--max-cron-threads=0", f"--logfile={logfile}",
    )  # fmt: skip
    server = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(120):
        if server.poll() is not None:
            raise SystemExit(f"the Odoo server stopped (see {logfile})")
        try:
            # our own server on 127.0.0.1
            with urllib.request.urlopen(f"{url}/web/login", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return server, url
        except OSError:
            time.sleep(1)
    server.terminate()
    raise SystemExit(f"the Odoo server did not answer on {url} (see {logfile})")


class Shooter:
    def __init__(self, page, url: str, out: Path):
        self.page = page
        self.url = url
        self.out = out
        self.taken: list[Path] = []

    def call(self, model: str, method: str, *args, **kwargs):
        """JSON-RPC in the browser's session, to find the records to show."""
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1,
                   "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs}}  # fmt: skip
        response = self.page.request.post(f"{self.url}/web/dataset/call_kw/{model}/{method}", data=json.dumps(payload),
                                          headers={"Content-Type": "application/json"})  # fmt: skip
        body = response.json()
        if "error" in body:
            raise SystemExit(f"{model}.{method}: {body['error'].get('data', {}).get('message', body['error'])}")
        return body["result"]

    def login(self, login: str, password: str, database: str | None):
        self.page.goto(f"{self.url}/web/login" + (f"?db={database}" if database else ""))
        self.page.fill("input[name=login]", login)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector(".o_main_navbar", timeout=60000)

    def open(self, path: str, ready: str):
        self.page.goto(f"{self.url}{path}")
        self.page.wait_for_selector(ready, timeout=60000)
        self.settle()

    def settle(self):
        # the bus keeps a connection open, so "network idle" never comes: wait for
        # Odoo's own loading indicator, then for charts to animate and avatars to load
        self.page.wait_for_selector(".o_loading_indicator", state="detached", timeout=60000)
        self.page.wait_for_timeout(1500)
        dialogs = self.page.locator(".o_error_dialog, .o_dialog .modal-title:has-text('Error')")
        if dialogs.count():
            raise SystemExit(f"an error dialog is open on {self.page.url}: {dialogs.first.inner_text()}")

    def shoot(self, name: str):
        path = self.out / f"{name}.png"
        self.page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover effects
        self.page.screenshot(path=str(path))
        self.taken.append(path)
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)

    def partner_social_tab(self):
        partners = self.call("res.partner", "search_read", [["name", "=", PARTNER]], fields=["id"], limit=1)
        if not partners:
            raise SystemExit(f"no partner {PARTNER!r}: is the database prepared with demo data?")
        self.open(f"/odoo/contacts/{partners[0]['id']}", ".o_form_view .o_notebook")
        self.page.click(".o_notebook a.nav-link:has-text('Social')")
        self.settle()
        # the page starts below the fold: bring the tabs to the top of the form
        self.page.locator(".o_notebook").evaluate("(el) => el.scrollIntoView({block: 'start'})")
        self.page.wait_for_timeout(300)
        self.shoot("partner_social_tab")

    def post_kanban(self):
        self.open("/odoo/action-social_crm.social_crm_post_action", ".o_kanban_view .o_kanban_record")
        self.shoot("post_kanban")

    def ticket_from_post(self):
        tickets = self.call(
            "helpdesk.ticket", "search_read",
            [["social_post_ids.text", "ilike", TICKET_WORDS]], fields=["id"], limit=1,
        )  # fmt: skip
        if not tickets:
            raise SystemExit("no ticket was routed from the demo complaint: were the posts fetched and routed?")
        ticket_id = tickets[0]["id"]
        self.open(f"/odoo/helpdesk-tickets/{ticket_id}", ".o_form_view .o_notebook")
        answered = self.call(
            "social.crm.post", "search_count", [["ticket_id", "=", ticket_id], ["direction", "=", "outgoing"]]
        )
        if not answered:
            # answer through the wizard, as an agent would, so the ticket shows the whole exchange
            self.page.click(".o_form_statusbar button[name=action_social_reply]")
            self.page.fill(".modal .o_field_widget[name=text] textarea", REPLY)
            self.page.click(".modal footer button[name=action_send]")
            self.page.wait_for_selector(".modal", state="detached", timeout=60000)
            self.page.wait_for_selector(".o-mail-Message:has-text('Replied on')", timeout=60000)
            self.settle()
        self.page.click(".o_notebook a.nav-link:has-text('Social Posts')")
        self.settle()
        self.shoot("ticket_from_post")

    def analysis_graph(self):
        self.open("/odoo/action-social_crm.social_crm_post_action_analysis", ".o_graph_view canvas")
        self.shoot("analysis_graph")

    def sentiment_graph(self):
        self.open("/odoo/action-social_crm.social_crm_post_action_analysis_sentiment", ".o_graph_view canvas")
        self.shoot("sentiment_graph")

    def _record(self, model: str, name: str) -> int:
        found = self.call(model, "search_read", [["name", "=", name]], fields=["id"], limit=1)
        if not found:
            raise SystemExit(f"no {model} named {name!r}: is the database prepared with demo data?")
        return found[0]["id"]

    def publication_composer(self):
        publication_id = self._record("social.crm.publication", "Spring offer")
        self.open(f"/odoo/action-social_crm.social_crm_publication_action/{publication_id}",
                  ".o_form_view .o_field_widget[name=variant_ids] .o_data_row")
        self.page.click(".o_notebook a.nav-link:has-text('Preview')")
        self.settle()
        self.shoot("publication_composer")

    def publication_calendar(self):
        self.open("/odoo/action-social_crm.social_crm_publication_action", ".o_calendar_view .fc-event")
        self.shoot("publication_calendar")

    def campaign_return(self):
        campaign_id = self._record("utm.campaign", "Spring Lamps (social)")
        self.open(f"/odoo/action-social_crm.utm_campaign_action_social/{campaign_id}", ".o_form_view .o_notebook")
        self.page.click(".o_notebook a.nav-link:has-text('Social Return')")
        self.settle()
        self.shoot("campaign_return")


def optimise(paths: list[Path]):
    if not shutil.which("optipng"):
        print("optipng is not installed: the PNG files are left as Chromium wrote them", flush=True)
        return
    subprocess.run(["optipng", "-quiet", "-o2", "-strip", "all", *map(str, paths)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running Odoo server (its database must be prepared already)")
    parser.add_argument("--db", default="social_crm_screenshots", help="database (default: %(default)s)")
    parser.add_argument("--reuse-db", action="store_true", help="keep the database when it is already prepared")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the PNG files (default: docs/screenshots)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    options = parser.parse_args()

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("pip install playwright (requirements-test.txt); the system Chromium is used") from None
    if not Path(options.chromium).exists():
        raise SystemExit(f"no Chromium at {options.chromium} (Debian: apt-get install chromium)")

    logs = Path(tempfile.mkdtemp(prefix="social_crm_screenshots_"))
    server = None
    url = options.url
    try:
        if not url:
            if not (options.reuse_db and database_ready(options.db)):
                prepare_database(options.db, logs / "prepare.log")
            server, url = start_server(options.db, logs / "server.log")
            print(f"Odoo serves {options.db} on {url} (log: {logs / 'server.log'})", flush=True)
        options.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=options.chromium, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(viewport=VIEWPORT, locale="en-US", device_scale_factor=1)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            shooter = Shooter(page, url, options.out)
            shooter.login(options.login, options.password, None if options.url else options.db)
            shooter.ticket_from_post()
            shooter.partner_social_tab()
            shooter.post_kanban()
            shooter.analysis_graph()
            shooter.sentiment_graph()
            shooter.publication_composer()
            shooter.publication_calendar()
            shooter.campaign_return()
            browser.close()
        if errors:
            raise SystemExit("the pages raised JavaScript errors:\n" + "\n".join(errors))
        optimise(shooter.taken)
        for path in shooter.taken:
            print(f"{path.name}: {path.stat().st_size // 1024} KB")
    finally:
        if server:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
