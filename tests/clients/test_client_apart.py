"""The client is apart from the server: nothing in openrfq/client/ imports the venue (api, ws, config, engine,
domain, store, ...), not even for types; a user's program that imports the client loads none of it. What the
two share is openrfq.wire, a leaf that imports msgspec alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import openrfq.client

PACKAGE = Path(openrfq.client.__file__).resolve().parent
SHARED = {"openrfq.wire"}


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, anywhere in it (``if TYPE_CHECKING:`` blocks and functions included); for
    ``from a import b`` both ``a`` and ``a.b`` (``b`` may be a module)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: level 1 is the module's own package, each level more one package up
                package = ["openrfq", "client", *path.relative_to(PACKAGE).parent.parts]
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{module}" if module else base
            found += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return found


def test_the_client_package_imports_nothing_of_the_server() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    server = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in modules
        for name in _imports(path)
        if name.startswith("openrfq.") and not name.startswith(("openrfq.client.", *SHARED))
    }

    assert {p.name for p in modules} >= {"__init__.py", "rest.py", "ws.py", "signing.py"}
    assert server == set()


def test_the_wire_structs_import_msgspec_alone() -> None:
    assert {name.split(".")[0] for name in _imports(PACKAGE.parent / "wire.py")} == {"__future__", "typing", "msgspec"}


def test_importing_the_client_loads_no_server_module() -> None:
    code = "import sys, openrfq.client; print(' '.join(m for m in sys.modules if m.startswith('openrfq')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()

    assert [m for m in loaded if m != "openrfq" and not m.startswith("openrfq.client") and m not in SHARED] == []
