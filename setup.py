"""Build: the request path compiled to C by mypyc, where this machine can; pure Python otherwise.

Compiled, one create-quote + cancel-quote costs clearly less CPU in the server (bench/README.md has how much).
Everything else about the package is in pyproject.toml.

- ``pip install .`` (a wheel): compiles the modules below. Without a C compiler or the Python headers, or with
  ``OPENRFQ_PURE=1`` in the environment, it installs the same package in pure Python (``pip -v`` shows why).
- ``pip install -e .`` (a developer's editable install) never compiles: an edit takes effect at once, and no
  stale extension module can shadow the source it was built from.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

# The modules a request runs through. The stored entities (domain/models.py, domain/makers.py) stay Python:
# msgspec decodes them from the store and does not see mypyc's classes as its own.
COMPILED = [
    "openrfq/domain/enums.py",
    "openrfq/domain/commands.py",
    "openrfq/domain/events.py",
    "openrfq/domain/rules.py",
    "openrfq/domain/states.py",
    "openrfq/domain/execution.py",
    "openrfq/domain/allocation.py",
    "openrfq/domain/clock.py",
    "openrfq/domain/ids.py",
    "openrfq/engine/book.py",
    "openrfq/engine/journal.py",
    "openrfq/engine/timers.py",
    "openrfq/engine/queries.py",
    "openrfq/engine/venue.py",
    "openrfq/api/params.py",
    "openrfq/api/views.py",
    "openrfq/access/auth.py",
    "openrfq/api/codec.py",
    "openrfq/access/ratelimit.py",
    "openrfq/api/endpoint.py",
    "openrfq/api/routes/quote.py",
    "openrfq/api/routes/rfq.py",
    "openrfq/api/request.py",
    "openrfq/api/app.py",
    "openrfq/logs.py",
    "openrfq/metrics.py",
    "openrfq/store/committer.py",
    "openrfq/store/cut.py",
    "openrfq/store/codec.py",
    "openrfq/ws/hub.py",
    "openrfq/http1.py",
    "openrfq/http1_asgi.py",
]


class OptionalBuildExt(build_ext):
    """A compile that fails leaves the package pure Python (the same code, slower), not uninstallable."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 (no compiler, no headers, ...: distutils' errors vary)
            for path in self.get_outputs():  # half a build would not import: ship none of it
                if os.path.exists(path):
                    os.remove(path)
            _pure(f"the C build failed: {e}")


def _pure(why: str) -> None:
    print(f"openrfq: installing pure Python ({why})", file=sys.stderr)


def ext_modules() -> list[Any]:
    if os.environ.get("OPENRFQ_PURE"):
        _pure("OPENRFQ_PURE is set")
        return []
    if "editable_wheel" in sys.argv:  # setuptools builds PEP 660 editable installs through this command
        return []
    if {"egg_info", "dist_info", "sdist"} & set(sys.argv):  # pip's requirements and metadata steps: no build
        return []
    # pip shows a build's output only with -v (or when it fails): the README's install paragraph says this too.
    print(
        "openrfq: compiling the request path to C with mypyc (about a minute; OPENRFQ_PURE=1 skips it)",
        file=sys.stderr,
        flush=True,
    )
    try:
        from mypyc.build import mypycify

        # With mypy's defaults: pyproject's strict [tool.mypy] is for the type check, not for the build.
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "mypy.ini")
            with open(config, "w") as f:
                f.write("[mypy]\n")
            return mypycify(["--config-file", config, *(os.path.join("src", m) for m in COMPILED)])
    except (Exception, SystemExit) as e:  # noqa: BLE001 (mypy reports errors by exiting)
        _pure(f"mypyc could not compile: {e!r}")
        return []


setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
