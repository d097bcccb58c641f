"""A pytest plugin (``-p history_without_cache``, tests/ on the path) that runs every venue the tests build with
no cache of ended entities: every ended RFQ, quote and trade is read back from the store once it is durable.

``tests/store/test_reads_without_cache.py`` runs the API, WebSocket and control-plane suites under it. It wraps
``openrfq.runtime.build_app`` (and the harness's copies of it: ``openrfq.testing.inprocess``, ``.live``), and
reports what it did in the summary.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import pytest

import openrfq.runtime
import openrfq.testing.inprocess
import openrfq.testing.live
from openrfq.store.history import SqliteHistory
from openrfq.store.pghistory import PostgresHistory

_built = 0
_store_reads = 0
_real_build_app = openrfq.runtime.build_app


@functools.wraps(_real_build_app)
def _build_app(config: Any, *args: Any, **kwargs: Any) -> Any:
    global _built
    _built += 1
    return _real_build_app(dataclasses.replace(config, history_cache=0), *args, **kwargs)


def _counted(method: Any) -> Any:
    @functools.wraps(method)
    def counted(*args: Any, **kwargs: Any) -> Any:
        global _store_reads
        _store_reads += 1
        return method(*args, **kwargs)

    return counted


openrfq.runtime.build_app = _build_app
for _harness in (openrfq.testing.inprocess, openrfq.testing.live):  # open_venue, live_venue: imported it by name
    setattr(_harness, "build_app", _build_app)  # noqa: B010 (not an attribute mypy lets a module be assigned)
for _history in (SqliteHistory, PostgresHistory):  # the suites run on both stores (conftest.py's ``store``)
    _history._one = _counted(_history._one)  # type: ignore[method-assign]
    _history._many = _counted(_history._many)  # type: ignore[method-assign]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(f"history cache 0: {_built} venues built, {_store_reads} store reads")
