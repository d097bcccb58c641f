"""What runs is what was meant to run: a wheel install (``pip install .``) has the request path compiled by mypyc
wherever a C compiler and the Python headers exist; an editable install (``pip install -e .``) runs the source.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import shutil
import sysconfig
from pathlib import Path

import openrfq

SOURCE = Path(__file__).resolve().parents[1] / "src" / "openrfq"
HOT = [
    "openrfq.engine.venue",
    "openrfq.engine.book",
    "openrfq.api.app",
    "openrfq.api.params",
    "openrfq.store.committer",
    "openrfq.domain.rules",
]
STORED = ["openrfq.domain.models", "openrfq.domain.makers", "openrfq.wire"]  # msgspec Structs: always Python


def _compiled(module: str) -> bool:
    file = importlib.import_module(module).__file__
    return file is not None and file.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _can_compile() -> bool:
    compiler = (sysconfig.get_config_var("CC") or "").split()
    return (
        bool(compiler)
        and shutil.which(compiler[0]) is not None
        and (Path(sysconfig.get_paths()["include"]) / "Python.h").exists()
    )


def test_an_editable_install_runs_its_source_and_a_wheel_install_its_compiled_request_path() -> None:
    editable = Path(openrfq.__file__).resolve().parent == SOURCE
    if editable:
        # An extension module left in src/ would run instead of the edited source next to it.
        assert [m for m in HOT if _compiled(m)] == []
        assert list(SOURCE.rglob("*.so")) == []
    else:
        assert [m for m in HOT if _compiled(m)] == (HOT if _can_compile() else [])
    assert [m for m in STORED if _compiled(m)] == []
