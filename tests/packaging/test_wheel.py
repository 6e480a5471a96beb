"""The addons are packaged the OCA way: ``pip wheel ./social_crm`` builds the
distribution ``odoo-addon-social_crm`` with the whool build backend
(``social_crm/pyproject.toml``), and installing that wheel on a machine with
Odoo 19 makes the module installable without the repository on the addons path.

The wheels are built from this checkout once per session.  The install test puts
them in a virtualenv made with ``--system-site-packages`` (so it sees Odoo and the
OCA addons of the system Python, whose site-packages stay untouched: other test
runs on this machine keep importing the repository copy) and installs the modules
from there into a fresh database."""

from __future__ import annotations

import ast
import email.parser
import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
ADDON = "social_crm"
QUEUE_ADDON = "social_crm_queue"
#: Odoo 19 Community addons the addon depends on: the odoo requirement covers them
CORE_DEPENDS = {"crm", "mail", "utm", "link_tracker"}
LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ", re.MULTILINE)


def manifest(addon: str) -> dict:
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())


def build_wheel(addon: str, outdir: Path) -> Path:
    """pip wheel, as the README says; whool comes from requirements-test.txt, or from
    the package index in an isolated build environment when it is not installed."""
    try:
        import whool.buildapi  # noqa: F401

        isolation = ["--no-build-isolation"]
    except ImportError:
        isolation = []
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", str(outdir), str(ROOT / addon)],
        capture_output=True,
        text=True,
        cwd=outdir,
    )
    assert result.returncode == 0, f"pip wheel {addon} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    wheels = sorted(outdir.glob(f"odoo_addon_{addon}-*.whl"))
    assert len(wheels) == 1, f"expected one wheel of {addon} in {outdir}: {wheels}"
    return wheels[0]


@pytest.fixture(scope="session")
def wheels(tmp_path_factory) -> dict[str, Path]:
    outdir = tmp_path_factory.mktemp("wheels")
    return {addon: build_wheel(addon, outdir) for addon in (ADDON, QUEUE_ADDON) if (ROOT / addon).is_dir()}


def wheel_metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.HeaderParser().parsestr(archive.read(name).decode())


def wheel_files(wheel: Path, addon: str) -> set[str]:
    prefix = f"odoo/addons/{addon}/"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    outside = [n for n in names if not n.startswith(prefix) and ".dist-info/" not in n]
    assert not outside, f"files outside odoo/addons/{addon}: {outside}"
    return {n[len(prefix) :] for n in names if n.startswith(prefix)}


def requirements_txt() -> dict[str, Requirement]:
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def version_pattern(addon: str) -> str:
    # whool: the manifest version, plus ".N" when commits (or uncommitted changes) came after its last change
    return re.escape(manifest(addon)["version"]) + r"(\.\d+)?"


def test_wheel_name_and_version_come_from_the_manifest(wheels):
    metadata = wheel_metadata(wheels[ADDON])
    assert metadata["Name"] == "odoo-addon-social_crm"
    assert re.fullmatch(version_pattern(ADDON), metadata["Version"]), metadata["Version"]
    assert wheels[ADDON].name == f"odoo_addon_social_crm-{metadata['Version']}-py3-none-any.whl"
    assert metadata["Summary"] == manifest(ADDON)["summary"]
    assert metadata["License"] == manifest(ADDON)["license"]
    assert "Framework :: Odoo :: 19.0" in metadata.get_all("Classifier")


def test_wheel_requires_odoo_19_the_oca_addons_and_the_pinned_python_packages(wheels):
    requires = [Requirement(r) for r in wheel_metadata(wheels[ADDON]).get_all("Requires-Dist")]
    by_name = {canonicalize_name(r.name): r for r in requires}
    assert str(by_name.pop("odoo").specifier) == "==19.0.*"
    # every addon the manifest depends on that Odoo itself does not ship: odoo-addon-<name>==19.0.*
    for depend in set(manifest(ADDON)["depends"]) - CORE_DEPENDS:
        requirement = by_name.pop(canonicalize_name(f"odoo-addon-{depend}"), None)
        assert requirement is not None, f"no Requires-Dist for the addon {depend}: {requires}"
        assert str(requirement.specifier) == "==19.0.*"
    # every python external dependency, under its PyPI name, with requirements.txt's version
    pinned = requirements_txt()
    for module in manifest(ADDON)["external_dependencies"]["python"]:
        requirement = by_name.pop(canonicalize_name(module), None)
        assert requirement is not None, f"external dependency {module} is missing from Requires-Dist: {requires}"
        assert canonicalize_name(requirement.name) in pinned, f"{requirement} is not in requirements.txt"
        expected = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier == expected.specifier, f"wheel: {requirement}, requirements.txt: {expected}"
    assert not by_name, f"Requires-Dist the manifest does not explain: {sorted(by_name)}"
    # the PyPI name, not the import name: requests_oauthlib is distributed as requests-oauthlib
    assert any(r.name == "requests-oauthlib" for r in requires)


def test_wheel_holds_every_tracked_file_of_the_addon_and_nothing_else(wheels):
    files = wheel_files(wheels[ADDON], ADDON)
    for needed in (
        "__init__.py",
        "__manifest__.py",
        "core/__init__.py",
        "core/types.py",
        "core/connectors/demo_posts.json",
        "core/analysis/data/sentiment/en.json",
        "core/analysis/data/intent/en.json",
        "static/description/icon.png",
    ):
        assert needed in files, f"{needed} is not in the wheel"
    # every file the manifest loads, every analysis lexicon and every static file of the checkout
    on_disk = [
        *manifest(ADDON)["data"],
        *manifest(ADDON)["demo"],
        *(str(p.relative_to(ROOT / ADDON)) for p in (ROOT / ADDON / "core/analysis/data").rglob("*") if p.is_file()),
        *(str(p.relative_to(ROOT / ADDON)) for p in (ROOT / ADDON / "static").rglob("*") if p.is_file()),
        *(str(p.relative_to(ROOT / ADDON)) for p in (ROOT / ADDON / "i18n").glob("*.po*")),
    ]
    missing = sorted(set(on_disk) - files)
    assert not missing, f"not in the wheel (whool packs only the files git tracks: git add them): {missing}"
    # a new module nobody added to git would be left out of the wheel, which then fails to import
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"], cwd=ROOT / ADDON, capture_output=True, text=True
    )
    untracked = [f for f in untracked.stdout.splitlines() if f != "pyproject.toml"]
    assert not untracked, f"files git does not track are left out of the wheel (git add them): {untracked}"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT / ADDON, capture_output=True, text=True, check=True)
    expected = set(tracked.stdout.splitlines()) - {"pyproject.toml"}
    expected = {f for f in expected if (ROOT / ADDON / f).exists()}
    assert files == expected, f"only in the wheel: {sorted(files - expected)}; only tracked: {sorted(expected - files)}"
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]


def test_queue_bridge_wheel_requires_our_social_crm_and_queue_job(wheels):
    if QUEUE_ADDON not in wheels:
        pytest.skip(f"no {QUEUE_ADDON}/ in this checkout")
    metadata = wheel_metadata(wheels[QUEUE_ADDON])
    assert metadata["Name"] == "odoo-addon-social_crm_queue"
    assert re.fullmatch(version_pattern(QUEUE_ADDON), metadata["Version"]), metadata["Version"]
    # Odoo Enterprise has a social_crm module too, which makes whool drop this one unless the pyproject names it
    assert sorted(metadata.get_all("Requires-Dist")) == [
        "odoo-addon-queue_job==19.0.*",
        "odoo-addon-social_crm==19.0.*",
        "odoo==19.0.*",
    ]
    files = wheel_files(wheels[QUEUE_ADDON], QUEUE_ADDON)
    assert {"__init__.py", "__manifest__.py", "data/queue_job_data.xml"} <= files


# --- installing the wheels on a machine with Odoo 19 ------------------------------------


def odoo19_missing() -> str:
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.version_info[0])"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"Odoo is not importable by {sys.executable}"
    if probe.stdout.strip() != "19":
        return f"Odoo {probe.stdout.strip()} is installed, not 19"
    if not shutil.which("psql") or not shutil.which("dropdb"):
        return "the PostgreSQL client programs (psql, dropdb) are not installed"
    if subprocess.run(["psql", "-d", "postgres", "-Atc", "SELECT 1"], capture_output=True).returncode != 0:
        return "PostgreSQL is not reachable (psql -d postgres fails)"
    return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def module_states(database: str) -> dict[str, str]:
    result = subprocess.run(
        ["psql", "-d", database, "-AtF", " ", "-c", "SELECT name, state FROM ir_module_module"],
        capture_output=True,
        text=True,
    )
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)


def test_installed_wheel_makes_the_module_installable_without_the_repository(wheels, tmp_path):
    reason = odoo19_missing()
    if reason:
        pytest.skip(f"installing the wheel needs Odoo 19 and PostgreSQL: {reason}")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    # the wheels' dependencies are those of requirements.txt, installed in the system Python: --no-deps
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", *map(str, wheels.values())],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]

    # the addon now comes from the venv's site-packages; the system Python still has none
    where = subprocess.run(
        [str(python), "-c", "import odoo.addons.social_crm as m; print(m.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    modules = [ADDON]
    queue_job = subprocess.run([str(python), "-c", "import odoo.addons.queue_job"], capture_output=True, cwd=tmp_path)
    if QUEUE_ADDON in wheels and queue_job.returncode == 0:
        modules.append(QUEUE_ADDON)
    database = f"social_crm_wheel_{os.getpid()}"
    logfile = tmp_path / "odoo.log"
    subprocess.run(["dropdb", "--if-exists", database], check=True, capture_output=True)
    try:
        # no --addons-path: Odoo finds the addons under odoo/addons of every site-packages
        odoo = subprocess.run(
            [str(python), "-m", "odoo", "server", "-d", database, "-i", ",".join(modules), "--stop-after-init",
             "--http-interface=127.0.0.1", f"--http-port={free_port()}", "--max-cron-threads=0",
             "--log-level=info", f"--logfile={logfile}"],
            capture_output=True, text=True, cwd=tmp_path, timeout=600,
        )  # fmt: skip
        log = logfile.read_text(errors="replace") if logfile.exists() else ""
        assert odoo.returncode == 0, odoo.stderr[-3000:] + log[-3000:]
        paths = re.search(r"addons paths: (.*)", log)
        assert paths and str(ROOT) not in paths.group(1), paths and paths.group(1)
        states = module_states(database)
        for module in modules:
            assert states.get(module) == "installed", f"{module}: {states.get(module)} (log {logfile})"
        problems = [line for line in log.splitlines() if LOG_PROBLEM.match(line + " ")]
        assert not problems, "\n".join(problems[:20])
    finally:
        subprocess.run(["dropdb", "--if-exists", database], capture_output=True)
