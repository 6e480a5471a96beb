"""A real Odoo 19 server for the command line's end-to-end tests.

One server per test session: a fresh database with ``social_crm`` installed
with demo data, an API key for ``admin`` made in ``odoo shell``, then
``odoo server`` on a free loopback port until the session ends.  The tests are
skipped, with the reason, when Odoo 19 or PostgreSQL is not available."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "admin"


def skip_reason() -> str:
    """Why no Odoo server can be started here, or ''."""
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.version_info[0])"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"Odoo is not importable by {sys.executable}: the end-to-end tests need Odoo 19 (see README)"
    if probe.stdout.strip() != "19":
        return f"Odoo {probe.stdout.strip()} is installed, the end-to-end tests need Odoo 19"
    if not shutil.which("psql"):
        return "PostgreSQL's client (psql) is not installed"
    if subprocess.run(["psql", "-d", "postgres", "-Atc", "SELECT 1"], capture_output=True).returncode != 0:
        return "PostgreSQL is not reachable (tools/run_tests.py starts it; or start the cluster)"
    return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OdooServer:
    url: str
    db: str
    api_key: str
    logfile: Path

    def env(self, auth: str = "key", **extra) -> dict:
        """The environment of a CLI run, credentials in SOCIAL_CRM_* variables."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIAL_CRM_")}
        env.update(SOCIAL_CRM_URL=self.url, SOCIAL_CRM_DB=self.db, SOCIAL_CRM_USER="admin")
        if auth == "key":
            env["SOCIAL_CRM_API_KEY"] = self.api_key
        elif auth == "password":
            env["SOCIAL_CRM_PASSWORD"] = ADMIN_PASSWORD
        env.update(extra)
        return env

    def cli(self, *args, auth="key", env=None, timeout=600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "social_crm_cli", *map(str, args)],
            cwd=ROOT,
            env=env or self.env(auth),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def rpc(self, model, method, ids=None, **kwargs):
        """A JSON-2 call made without the CLI's code, to set up and check data."""
        body = dict(kwargs, **({"ids": ids} if ids is not None else {}))
        response = requests.post(
            f"{self.url}/json/2/{model}/{method}",
            data=json.dumps(body),
            headers={
                "Authorization": f"bearer {self.api_key}",
                "X-Odoo-Database": self.db,
                "Content-Type": "application/json",
            },
            timeout=300,
        )
        assert response.status_code == 200, response.text[:2000]
        return response.json()

    def log_count(self, needle: str) -> int:
        return self.logfile.read_text(errors="replace").count(needle) if self.logfile.exists() else 0


@pytest.fixture(scope="session")
def odoo_server():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    import odoo

    workdir = Path(tempfile.mkdtemp(prefix="social_crm_cli_e2e_"))
    logs = Path(os.environ.get("SOCIAL_CRM_TEST_LOGS") or workdir)
    logs.mkdir(parents=True, exist_ok=True)
    db = f"social_crm_cli_e2e_{os.getpid()}"
    common = [
        "-d", db, f"--addons-path={Path(odoo.__path__[0]) / 'addons'},{ROOT}", f"--data-dir={workdir / 'data'}",
        "--max-cron-threads=0",
    ]  # fmt: skip
    subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)
    install = subprocess.run(
        [sys.executable, "-m", "odoo", "server", *common, "-i", "social_crm", "--with-demo", "--stop-after-init",
         "--http-interface=127.0.0.1", f"--http-port={free_port()}", f"--logfile={logs / 'cli-e2e-install.log'}"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    state = subprocess.run(
        ["psql", "-d", db, "-Atc", "SELECT state FROM ir_module_module WHERE name = 'social_crm'"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if install.returncode != 0 or state != "installed":
        pytest.fail(f"social_crm did not install (state {state!r}); see {logs / 'cli-e2e-install.log'}")
    script = (
        "key = env['res.users.apikeys'].with_user(env.ref('base.user_admin'))._generate(None, 'cli tests', None)\n"
        "env.cr.commit()\n"
        "print('APIKEY=' + key)\n"
    )
    shell = subprocess.run(
        [sys.executable, "-m", "odoo", "shell", *common, "--no-http", f"--logfile={logs / 'cli-e2e-shell.log'}"],
        input=script, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    keys = [line[len("APIKEY=") :] for line in shell.stdout.splitlines() if line.startswith("APIKEY=")]
    if not keys:
        pytest.fail(f"no API key was made; see {logs / 'cli-e2e-shell.log'}")
    port = free_port()
    logfile = logs / "cli-e2e-server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "odoo", "server", *common, f"--db-filter=^{db}$", "--http-interface=127.0.0.1",
         f"--http-port={port}", f"--logfile={logfile}"],
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
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Odoo server did not start; see {logfile}")
            time.sleep(0.5)
        yield OdooServer(url=url, db=db, api_key=keys[0], logfile=logfile)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        subprocess.run(["dropdb", "--if-exists", db], capture_output=True)
        shutil.rmtree(workdir / "data", ignore_errors=True)
