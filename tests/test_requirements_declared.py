"""Every package the pure suite imports is declared in requirements.txt or
requirements-test.txt, so the test command passes on a fresh machine and never
leans on packages that happen to be installed (for example Odoo's dependencies).

`.ci/run` proves the same by running the pure suite in a virtualenv that holds only
those requirements; this test names the culprit, on any machine."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
#: the code the pure suite runs or imports: everything but the addon's Odoo side
PURE_CODE = ["tests", "social_crm/core", "social_crm_cli", "tools", "benchmarks"]
REQUIREMENTS = ["requirements.txt", "requirements-test.txt"]
#: Odoo and what only Odoo brings; imported only by the tests that run Odoo and skip without it
FROM_ODOO = {"odoo", "psycopg2"}


def declared_distributions() -> set[str]:
    names = set()
    for filename in REQUIREMENTS:
        for line in (ROOT / filename).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(canonicalize_name(Requirement(line).name))
    return names


def first_party_names() -> set[str]:
    """Top-level names the project itself provides: its packages and the scripts the
    tests import from their own folders (benchmarks, tools)."""
    names = {path.name for path in ROOT.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    names |= {path.stem for folder in ("benchmarks", "tools") for path in (ROOT / folder).glob("*.py")}
    return names


def guarded_by_import_error(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """An import inside ``try: … except ImportError`` is optional by design."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                caught = handler.type
                names = [caught] if not isinstance(caught, ast.Tuple) else list(caught.elts)
                if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names):
                    return True
    return False


def imported_top_level_names(root: Path = ROOT, folders: list[str] = PURE_CODE) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                if guarded_by_import_error(node, parents):
                    continue
                for module in modules:
                    found.setdefault(module.split(".")[0], set()).add(str(path.relative_to(root)))
    return found


def undeclared_imports(imported: dict[str, set[str]]) -> list[str]:
    declared = declared_distributions()
    local = first_party_names() | FROM_ODOO
    providers = importlib.metadata.packages_distributions()
    undeclared = []
    for name, files in sorted(imported.items()):
        if name in sys.stdlib_module_names or name in local:
            continue
        distributions = {canonicalize_name(d) for d in providers.get(name, [])}
        if not distributions & declared:
            where = ", ".join(sorted(files)[:3])
            what = ", ".join(sorted(distributions)) or "not installed here"
            undeclared.append(f"{name} ({what}) imported by {where}")
    return undeclared


def test_every_third_party_import_of_the_pure_suite_is_declared():
    undeclared = undeclared_imports(imported_top_level_names())
    assert not undeclared, "imports no requirements file declares:\n  " + "\n  ".join(undeclared)


def test_the_check_names_an_undeclared_import_and_spares_optional_ones(tmp_path):
    """Not vacuous: Odoo's web framework imported by a test is caught; an import that
    falls back on ImportError, the standard library and our own packages are not."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_probe.py").write_text(
        "import json\nimport werkzeug.urls\nfrom social_crm.core import types\n"
        "try:\n    import phonenumbers\nexcept ImportError:\n    phonenumbers = None\n"
    )
    imported = imported_top_level_names(tmp_path, ["tests"])
    assert set(imported) == {"json", "werkzeug", "social_crm"}
    (problem,) = undeclared_imports(imported)
    assert problem.startswith("werkzeug (") and problem.endswith(" imported by tests/test_probe.py"), problem
