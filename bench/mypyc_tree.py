"""Build a copy of openrfq with its request-path modules compiled by mypyc, to measure what compiling buys.

    .venv/bin/pip install mypy                       # mypyc ships with mypy; gcc and the Python headers too
    PYTHONPATH=$(.venv/bin/python bench/mypyc_tree.py) .venv/bin/python bench/run.py --only ratio

Prints the directory to put first on PYTHONPATH (servers started by bench/run.py inherit it); the build is cached
in bench/.work/mypyc/<hash of src>/ and takes ~25 s. An experiment, not a supported way to run openrfq: the test
suite runs the pure-Python package, and these modules must keep compiling for the numbers to be reproducible.

Left pure on purpose: the stored entities (``domain/models.py``, ``domain/makers.py``), because msgspec
decodes them from the store and does not see mypyc-compiled classes as dataclasses (nested legs come back
as dicts), and everything off the request path.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
WORK = Path(__file__).resolve().parent / ".work" / "mypyc"
MODULES = [
    "openrfq/domain/enums.py",
    "openrfq/domain/commands.py",
    "openrfq/domain/events.py",
    "openrfq/domain/rules.py",
    "openrfq/domain/states.py",
    "openrfq/domain/execution.py",
    "openrfq/domain/clock.py",
    "openrfq/engine.py",
    "openrfq/api/params.py",
    "openrfq/api/views.py",
    "openrfq/api/auth.py",
    "openrfq/api/codec.py",
    "openrfq/api/ratelimit.py",
    "openrfq/api/endpoint.py",
    "openrfq/api/routes/quote.py",
    "openrfq/api/routes/rfq.py",
    "openrfq/api/app.py",
    "openrfq/logs.py",
    "openrfq/metrics.py",
    "openrfq/store/committer.py",
    "openrfq/store/codec.py",
    "openrfq/ws/hub.py",
]


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(SRC.rglob("*.py")):
        digest.update(str(path.relative_to(SRC)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build() -> Path:
    tree = WORK / source_hash()
    if (tree / ".built").exists():
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(SRC / "openrfq", tree / "openrfq", ignore=shutil.ignore_patterns("__pycache__"))
    mypyc = Path(sys.executable).parent / "mypyc"
    # mypy would find the repository's pyproject.toml above the copy; compile with mypy's defaults instead.
    (tree / "mypy.ini").write_text("[mypy]\n")
    subprocess.run([str(mypyc), *MODULES], cwd=tree, check=True, stdout=sys.stderr)
    shutil.rmtree(tree / "build", ignore_errors=True)
    (tree / ".built").touch()
    return tree


if __name__ == "__main__":
    print(build())
