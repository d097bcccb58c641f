"""What the fuzzes share (tests/api/test_fuzz.py, tests/ws/test_ws_fuzz.py, tests/control/test_control_fuzz.py,
tests/test_http1_fuzz.py, tests/test_config_fuzz.py) and the lifecycle's model (tests/api/test_lifecycle_model.py):
how many examples they run, any JSON value, a venue served for a whole module of examples, and the server's errors
logged meanwhile.

CI runs a bounded, derandomized number of examples; ``OPENRFQ_LONG=1`` runs many more, randomly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

LONG = bool(os.environ.get("OPENRFQ_LONG"))
T = TypeVar("T")


def fuzz_settings(examples: int, long_examples: int) -> settings:
    """Hypothesis's settings for a fuzz: ``examples`` derandomized in CI, ``long_examples`` at random when LONG."""
    return settings(
        max_examples=long_examples if LONG else examples,
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@contextlib.contextmanager
def served(opened: AbstractAsyncContextManager[T]) -> Iterator[tuple[asyncio.Runner, T]]:
    """A venue (``live_venue(...)``, ``open_venue(...)``) open on a runner of its own for as long as this is entered:
    hypothesis runs its examples synchronously, each one ``runner.run``s its calls."""
    with asyncio.Runner() as runner:
        venue = runner.run(opened.__aenter__())
        try:
            yield runner, venue
        finally:
            runner.run(opened.__aexit__(None, None, None))


class ErrorLog(logging.Handler):
    """The errors the server's loggers log while this is entered: ``with ErrorLog() as errors``. By default those of
    "openrfq.*"; ``names`` for others too (the event loop's "asyncio": an exception a protocol callback raised)."""

    def __init__(self, *names: str) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._names = names or ("openrfq",)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]

    def __enter__(self) -> ErrorLog:
        for name in self._names:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self._names:
            logging.getLogger(name).removeHandler(self)
