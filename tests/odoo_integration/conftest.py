"""Fixtures of the tests that run real Odoo processes against a real database.

They are skipped, with the reason, when Odoo 19 is not importable or
PostgreSQL is not reachable.  The addon is taken from this repository, or from
``SOCIAL_CRM_ADDONS`` (a folder holding ``social_crm``) when it is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKER = HERE / "worker.py"


def _odoo_missing() -> str:
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.version_info[0])"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return "Odoo is not importable by " + sys.executable
    if probe.stdout.strip() != "19":
        return f"Odoo {probe.stdout.strip()} is installed, not 19"
    if subprocess.run(["psql", "-d", "postgres", "-Atc", "SELECT 1"], capture_output=True).returncode != 0:
        return "PostgreSQL is not reachable with psql (tools/run_tests.py starts it)"
    return ""


def addons_path() -> str:
    """Odoo's own addons (the other addons folders of the ``odoo.addons``
    namespace, such as OCA's, are found by Odoo itself) and the repository."""
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo, pathlib; print(pathlib.Path(odoo.__path__[0]) / 'addons')"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{probe.stdout.strip()},{os.environ.get('SOCIAL_CRM_ADDONS') or ROOT}"


class OdooDatabase:
    """A fresh database with social_crm installed (no demo data) and helpers
    to run worker processes and SQL against it."""

    def __init__(self, name: str, tmp: Path):
        self.name = name
        self.addons = addons_path()
        self.tmp = tmp

    def sql(self, query: str, *params):
        import psycopg2

        with psycopg2.connect(dbname=self.name) as connection, connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall() if cursor.description else []
        connection.close()
        return rows

    def start(self, action: str, *args: str) -> subprocess.Popen:
        command = [sys.executable, str(WORKER), "--db", self.name, "--addons", self.addons, action, *args]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.tmp)

    @staticmethod
    def finish(process: subprocess.Popen, timeout: float = 180) -> dict:
        """Wait for a worker; return the JSON it printed last, plus its exit
        code and error output."""
        stdout, stderr = process.communicate(timeout=timeout)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1]) if lines else {}
        result.update(returncode=process.returncode, stderr=stderr[-3000:])
        return result

    def run(self, action: str, *args: str, timeout: float = 180) -> dict:
        result = self.finish(self.start(action, *args), timeout)
        assert result["returncode"] == 0, result["stderr"]
        return result


@pytest.fixture(scope="session")
def odoo_db(tmp_path_factory):
    reason = _odoo_missing()
    if reason:
        pytest.skip(f"real-Odoo integration tests need Odoo 19 and PostgreSQL: {reason}")
    # SOCIAL_CRM_TEST_DB_PREFIX (tools/run_tests.py) keeps checkouts running side by side apart
    name = f"{os.environ.get('SOCIAL_CRM_TEST_DB_PREFIX', 'social_crm')}_it_{uuid.uuid4().hex[:8]}"
    tmp = tmp_path_factory.mktemp("odoo_it")
    database = OdooDatabase(name, tmp)
    install = subprocess.run(
        [sys.executable, "-m", "odoo", "server", "-d", name, f"--addons-path={database.addons}", "-i", "social_crm",
         "--stop-after-init", "--no-http", "--max-cron-threads=0", f"--logfile={tmp / 'install.log'}"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    state = subprocess.run(
        ["psql", "-d", name, "-Atc", "SELECT state FROM ir_module_module WHERE name = 'social_crm'"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if state != "installed":
        subprocess.run(["dropdb", "--if-exists", name], capture_output=True)
        pytest.fail(f"social_crm did not install: {install.stderr[-2000:]} (log: {tmp / 'install.log'})")
    yield database
    for _attempt in range(10):
        if subprocess.run(["dropdb", "--if-exists", name], capture_output=True).returncode == 0:
            break
        time.sleep(1)
