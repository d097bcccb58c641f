"""The domain core is pure: no I/O, async, serialisation or web framework imports."""

from __future__ import annotations

import ast
from pathlib import Path

import openrfq.domain

FORBIDDEN = {"asyncio", "json", "sqlite3", "starlette", "msgspec", "uvicorn", "httpx", "socket", "threading"}


def test_domain_modules_import_nothing_impure() -> None:
    offenders = []
    for path in Path(openrfq.domain.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]

    assert offenders == []
