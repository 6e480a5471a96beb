#!/usr/bin/env python3
"""The project's test command (see README): static checks, the pure-Python
tests, and, when Odoo 19 is importable, the addon's Odoo tests on a fresh
PostgreSQL database.  It ends with one line ``N passed, N failed``."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADDON = "social_crm"
#: the optional queue_job bridge; tested in a database of its own, since it changes how the crons work
QUEUE_ADDON = "social_crm_queue"
#: the optional satisfaction-survey bridge (Odoo's rating addon); tested in a database of its own too
RATING_ADDON = "social_crm_rating"
#: the optional community bridge (Odoo's website_forum); also installed without demo data, since it brings a website
FORUM_ADDON = "social_crm_forum"
#: log lines the Odoo run may show although they say WARNING: none so far
LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ", re.MULTILINE)
ODOO_RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
#: names the test databases; set it to run two checkouts' test commands side by side
DB_PREFIX = os.environ.get("SOCIAL_CRM_TEST_DB_PREFIX", "social_crm_test")


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.notes: list[str] = []

    def check(self, name: str, ok: bool, note: str = ""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.notes.append(f"FAILED: {name}{': ' + note if note else ''}")
        print(f"[{'ok' if ok else 'FAILED'}] {name}{' - ' + note if note and not ok else ''}", flush=True)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, text=True, **kwargs)


def static_checks(tally: Tally):
    ruff = run([sys.executable, "-m", "ruff", "check", "."])
    tally.check("ruff", ruff.returncode == 0)
    pylint = run([sys.executable, "-m", "pylint", "--rcfile=.pylintrc", ADDON, QUEUE_ADDON, RATING_ADDON, FORUM_ADDON])
    tally.check("pylint-odoo (OCA configuration)", pylint.returncode == 0)


def pure_tests(tally: Tally):
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], capture_output=True)
    print(result.stdout[-6000:], result.stderr[-3000:], sep="\n")
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", summary)) else 0
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", summary))
    tally.passed += passed
    tally.failed += failed
    if result.returncode not in (0,) and not failed:
        tally.check("pytest", False, f"exit code {result.returncode}: {summary}")
    elif failed:
        tally.notes.append(f"FAILED: pytest: {summary}")


def odoo_available() -> str:
    """Why the Odoo tests cannot run, or '' when they can."""
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.version_info[0])"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return "Odoo is not importable by " + sys.executable
    if probe.stdout.strip() != "19":
        return f"Odoo {probe.stdout.strip()} is installed, not 19"
    return ""


def ensure_postgresql():
    """Start the installed cluster when it is not running (CI machines start
    with none of our processes)."""
    if shutil.which("pg_lsclusters"):
        for line in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.splitlines():
            version, cluster, _port, status = line.split()[:4]
            if status != "online":
                subprocess.run(["pg_ctlcluster", version, cluster, "start"], check=True)
    for _attempt in range(30):
        if subprocess.run(["psql", "-d", "postgres", "-Atc", "SELECT 1"], capture_output=True).returncode == 0:
            return
        if os.geteuid() == 0:
            # root has no role of its own on a fresh cluster
            subprocess.run(["su", "postgres", "-c", "createuser -s root"], capture_output=True)
        time.sleep(1)
    raise SystemExit("PostgreSQL is not reachable: install Debian's postgresql package (see README)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_odoo(database: str, logfile: Path, *args: str) -> subprocess.CompletedProcess:
    import odoo

    addons = [str(Path(odoo.__path__[0]) / "addons"), str(ROOT)]
    command = [
        sys.executable, "-m", "odoo", "server", "-d", database, f"--addons-path={','.join(addons)}",
        "--http-interface=127.0.0.1", f"--http-port={free_port()}", "--stop-after-init",
        "--log-level=info", f"--logfile={logfile}", "--max-cron-threads=0", *args,
    ]  # fmt: skip
    return run(command, capture_output=True)


def odoo_shell(database: str, logfile: Path, script: str) -> subprocess.CompletedProcess:
    import odoo

    addons = f"{Path(odoo.__path__[0]) / 'addons'},{ROOT}"
    command = [sys.executable, "-m", "odoo", "shell", "-d", database, "--no-http", f"--logfile={logfile}",
               f"--addons-path={addons}"]  # fmt: skip
    return run(command, input=script, capture_output=True)


def uninstall_script(module: str) -> str:
    modules = f"env['ir.module.module'].search([('name', '=', '{module}')])"
    return f"{modules}.button_immediate_uninstall()\nenv.cr.commit()\n"


def module_state(database: str, module: str = ADDON) -> str:
    result = subprocess.run(
        ["psql", "-d", database, "-AtF", " ", "-c", "SELECT name, state FROM ir_module_module WHERE name LIKE 'soc%'"],
        capture_output=True,
        text=True,
    )
    states = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    return states.get(module, "absent")


def log_problems(logfile: Path) -> list[str]:
    text = logfile.read_text(errors="replace") if logfile.exists() else ""
    return [line for line in text.splitlines() if LOG_PROBLEM.match(line + " ")]


def fresh_database(name: str) -> str:
    subprocess.run(["dropdb", "--if-exists", "--force", name], check=True)
    return name


def count_odoo_tests(tally: Tally, logfile: Path, label: str):
    """Add the test results of an Odoo log to the tally; its WARNING and ERROR lines fail."""
    text = logfile.read_text(errors="replace") if logfile.exists() else ""
    results = ODOO_RESULT.findall(text)
    if results:
        failed, errors, total = (int(n) for n in results[-1])
        tally.passed += total - failed - errors
        tally.failed += failed + errors
        if failed or errors:
            tally.notes.append(f"FAILED: {label} tests: {failed} failed, {errors} errors (see {logfile})")
        print(f"{label} tests: {total - failed - errors} passed, {failed + errors} failed", flush=True)
    else:
        tally.check(f"{label} tests ran", False, f"no test report in {logfile}")
    problems = log_problems(logfile)
    tally.check(f"{label}: test log has no WARNING or ERROR", not problems, "\n  " + "\n  ".join(problems[:20]))


def queue_job_available() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import odoo.addons.queue_job"], capture_output=True)
    return probe.returncode == 0


def odoo_tests(tally: Tally, logs: Path, tags: str):
    ensure_postgresql()
    # 1. with demo data, run the addon's tests
    database = fresh_database(f"{DB_PREFIX}_demo")
    logfile = logs / "odoo-tests.log"
    run_odoo(database, logfile, "-i", ADDON, "--with-demo", "--test-enable", f"--test-tags={tags}")
    tally.check("Odoo: module installed with demo data", module_state(database) == "installed")
    count_odoo_tests(tally, logfile, "Odoo")

    # 1b. the queue_job bridge, when OCA queue_job is installed
    if queue_job_available():
        database = fresh_database(f"{DB_PREFIX}_queue")
        logfile = logs / "odoo-queue-tests.log"
        run_odoo(database, logfile, "-i", QUEUE_ADDON, "--with-demo", "--test-enable", f"--test-tags=/{QUEUE_ADDON}")
        tally.check(f"Odoo: {QUEUE_ADDON} installed", module_state(database, QUEUE_ADDON) == "installed")
        count_odoo_tests(tally, logfile, QUEUE_ADDON)
    else:
        print(f"{QUEUE_ADDON} not tested: OCA queue_job is not installed", flush=True)

    # 1c. the bridges on addons that ship with Odoo: satisfaction (rating), community (website_forum)
    for bridge in (RATING_ADDON, FORUM_ADDON):
        database = fresh_database(f"{DB_PREFIX}_{bridge}")
        logfile = logs / f"odoo-{bridge}-tests.log"
        run_odoo(database, logfile, "-i", bridge, "--with-demo", "--test-enable", f"--test-tags=/{bridge}")
        tally.check(f"Odoo: {bridge} installed", module_state(database, bridge) == "installed")
        count_odoo_tests(tally, logfile, bridge)
    database = fresh_database(f"{DB_PREFIX}_{FORUM_ADDON}_nodemo")
    logfile = logs / f"odoo-{FORUM_ADDON}-lifecycle.log"
    run_odoo(database, logfile, "-i", FORUM_ADDON)
    run_odoo(database, logfile, "-u", FORUM_ADDON)
    installed = module_state(database, FORUM_ADDON) == "installed"
    tally.check(f"Odoo: {FORUM_ADDON} installed and upgraded without demo data", installed)
    odoo_shell(database, logfile, uninstall_script(FORUM_ADDON))
    tally.check(f"Odoo: {FORUM_ADDON} uninstalled", module_state(database, FORUM_ADDON) == "uninstalled")
    problems = log_problems(logfile)
    tally.check(f"Odoo: {FORUM_ADDON} lifecycle log is clean", not problems, "\n  " + "\n  ".join(problems[:20]))

    # 2. without demo data: install, upgrade and uninstall cleanly
    database = fresh_database(f"{DB_PREFIX}_nodemo")
    logfile = logs / "odoo-lifecycle.log"
    run_odoo(database, logfile, "-i", ADDON)
    tally.check("Odoo: module installed without demo data", module_state(database) == "installed")
    run_odoo(database, logfile, "-u", ADDON)
    tally.check("Odoo: module upgraded", module_state(database) == "installed")
    odoo_shell(database, logfile, uninstall_script(ADDON))
    tally.check("Odoo: module uninstalled", module_state(database) == "uninstalled")
    problems = log_problems(logfile)
    tally.check(
        "Odoo: install/upgrade/uninstall log has no WARNING or ERROR", not problems, "\n  " + "\n  ".join(problems[:20])
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--odoo-tags", default=f"/{ADDON}", help="Odoo --test-tags (default: the whole addon)")
    parser.add_argument("--skip-static", action="store_true", help="skip ruff and pylint")
    options = parser.parse_args()
    tally = Tally()
    if not options.skip_static:
        static_checks(tally)
    reason = odoo_available()
    if not reason:
        ensure_postgresql()  # the pytest suite's real-Odoo tests (tests/odoo_integration) need it too
    pure_tests(tally)
    if reason:
        print(f"Odoo tests skipped: {reason}; install Odoo 19 (see README) to run them.", flush=True)
    else:
        logs = Path(os.environ.get("SOCIAL_CRM_TEST_LOGS") or tempfile.mkdtemp(prefix="social_crm_logs_"))
        logs.mkdir(parents=True, exist_ok=True)
        print(f"Odoo logs: {logs}", flush=True)
        odoo_tests(tally, logs, options.odoo_tags)
    for note in tally.notes:
        print(note)
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
