"""The package's declared runtime dependencies (pyproject ``[project] dependencies``) are exactly what its code
imports: each one is imported somewhere under src/openrfq, and every third-party module imported there is one."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "openrfq"
# A distribution whose import name is not its own name with "-" as "_".
IMPORT_NAMES = {"prometheus-client": "prometheus_client", "python-okx": "okx", "pyyaml": "yaml"}
# Imported, not declared, on purpose.
UNDECLARED = {"pytest": "openrfq.testing.plugin is loaded by pytest alone (entry point pytest11), which brings it"}


def _import_name(requirement: str) -> str:
    """``uvicorn[standard]>=0.30`` -> ``uvicorn``; ``prometheus-client>=0.20`` -> ``prometheus_client``."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match is not None, requirement
    name = match.group(0).lower()
    return IMPORT_NAMES.get(name, name.replace("-", "_").replace(".", "_"))


def _declared() -> dict[str, str]:
    """Import name -> the requirement as pyproject.toml declares it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_import_name(requirement): requirement for requirement in project["dependencies"]}


def _imported() -> dict[str, list[str]]:
    """Top-level module -> the files under src/openrfq that import it (relative imports left out)."""
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.partition(".")[0], []).append(str(path.relative_to(ROOT)))
    return found


def test_every_declared_runtime_dependency_is_imported_by_the_package() -> None:
    imported = _imported()

    unused = [requirement for name, requirement in _declared().items() if name not in imported]

    assert unused == [], f"declared in [project] dependencies, imported nowhere under src/openrfq: {unused}"


def test_every_third_party_module_the_package_imports_is_declared() -> None:
    declared = _declared()

    undeclared = {
        name: files
        for name, files in _imported().items()
        if name != "openrfq" and name not in sys.stdlib_module_names and name not in declared and name not in UNDECLARED
    }

    assert undeclared == {}, f"imported under src/openrfq, not in [project] dependencies: {undeclared}"
