"""No room too big: a module of openrfq holds at most 450 lines and a class at most 350.

The house issue split engine.py (710 lines, a 593-line Venue) along its seams; past these sizes a module or a class
has grown a second job, and this test says which before it sets.
"""

from __future__ import annotations

import ast
from pathlib import Path

import openrfq

ROOT = Path(openrfq.__file__).parent
MODULE_LINES = 450
CLASS_LINES = 350


def test_no_module_is_over_450_lines() -> None:
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text().splitlines()) for p in ROOT.rglob("*.py")}

    assert sizes, f"no module found under {ROOT}"
    assert {name: n for name, n in sizes.items() if n > MODULE_LINES} == {}


def test_no_class_is_over_350_lines() -> None:
    sizes: dict[str, int] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                sizes[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = node.end_lineno - node.lineno + 1

    assert "engine/venue.py:Venue" in sizes
    assert {name: n for name, n in sizes.items() if n > CLASS_LINES} == {}
