"""The domain core is pure: no I/O, async, serialisation or web framework imports.

msgspec's record type (``msgspec.Struct``, ``msgspec.structs``) is allowed: the entities are Structs because they
are built and copied on every request, and a Struct is much cheaper to build than a dataclass. Its codecs are
not: what goes on the wire or to disk is encoded outside the domain.
"""

from __future__ import annotations

import ast
from pathlib import Path

import openrfq.domain

FORBIDDEN = {"asyncio", "json", "sqlite3", "starlette", "uvicorn", "httpx", "socket", "threading"}
MSGSPEC_ALLOWED = {"Struct", "structs"}


def _offenders(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + (
                [f"{node.module}.{a.name}" for a in node.names] if node.module == "msgspec" else []
            )
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "msgspec":
            names = [f"msgspec.{node.attr}"]
        for name in names:
            parts = name.split(".")
            if parts[0] in FORBIDDEN or (parts[0] == "msgspec" and len(parts) > 1 and parts[1] not in MSGSPEC_ALLOWED):
                found.append(name)
    return found


def test_domain_modules_import_nothing_impure() -> None:
    offenders = []
    for path in Path(openrfq.domain.__file__).parent.glob("*.py"):
        offenders += [f"{path.name}: {name}" for name in _offenders(path.read_text())]

    assert offenders == []


def test_msgspec_codecs_count_as_impure() -> None:
    assert _offenders("import msgspec\nmsgspec.json.encode(1)") == ["msgspec.json"]
    assert _offenders("from msgspec import msgpack") == ["msgspec.msgpack"]
    assert _offenders("import msgspec.json") == ["msgspec.json"]
    assert _offenders("import asyncio") == ["asyncio"]
    assert _offenders("import msgspec\nclass A(msgspec.Struct): pass\nmsgspec.structs.replace(A())") == []
