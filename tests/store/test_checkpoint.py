"""SQLite's checkpoints run on a thread of their own, not on the connection that applies rows (the event loop's):
the store's connection checkpoints only past a backstop, and the thread once enough rows have been applied."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from openrfq.store import checkpoint
from openrfq.store.base import Batch
from openrfq.store.checkpoint import BACKSTOP, Checkpointer
from openrfq.store.sqlite import SqliteStore

_PAGE = b"x" * 4000  # a row of about one page: rows and WAL pages counted alike


def _apply_rows(store: SqliteStore, rows: int, first: int = 1) -> None:
    for start in range(first, first + rows, 100):
        store.write(Batch(quotes=[(i, _PAGE) for i in range(start, min(start + 100, first + rows))]))
        store.apply()


def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every_rows: int) -> SqliteStore:
    """A new store whose checkpointer is asked for a checkpoint every ``every_rows`` rows applied."""
    monkeypatch.setattr(checkpoint, "EVERY_ROWS", every_rows)
    return SqliteStore(tmp_path / "db")


def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.01)


def test_the_stores_connection_checkpoints_past_the_backstop_not_at_sqlites_1000_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path, monkeypatch, 10**9)  # no checkpointer: what the store's connection does alone
    empty = (tmp_path / "db").stat().st_size
    assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP

    _apply_rows(store, 1500)

    # 1,500 pages in the WAL and none copied into the database: SQLite's default would have at 1,000.
    assert (tmp_path / "db").stat().st_size == empty
    assert store._checkpoints.done == 0

    _apply_rows(store, 3000, first=1501)  # past the backstop: the WAL is bounded even with no thread
    assert (tmp_path / "db").stat().st_size > empty + 1500 * 4096
    store.close()


def test_the_checkpointer_copies_the_wal_into_the_database_once_enough_rows_are_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path, monkeypatch, 300)
    empty = (tmp_path / "db").stat().st_size

    _apply_rows(store, 200)
    assert store._checkpoints._thread is None  # not enough yet: no thread at all
    _apply_rows(store, 200, first=201)

    thread = store._checkpoints._thread
    assert thread is not None and thread is not threading.current_thread() and thread.name == "openrfq-checkpoint"
    _until(lambda: store._checkpoints.done >= 1)
    assert (tmp_path / "db").stat().st_size >= empty + 300 * 4096  # the pages are in the database file
    assert len(list(store._db.execute("SELECT id FROM quotes"))) == 400
    store.close()


def test_closing_stops_the_checkpointer_before_the_store_closes_its_own_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path, monkeypatch, 100)
    _apply_rows(store, 300)
    thread = store._checkpoints._thread
    assert thread is not None

    store.close()

    assert not thread.is_alive()
    # The last connection to close checkpoints and removes the WAL: the store's, once the thread's is closed.
    assert not Path(f"{tmp_path / 'db'}-wal").exists()
    reopened = SqliteStore(tmp_path / "db")
    assert reopened.counts() == (0, 300, 0)
    reopened.close()


def test_a_checkpointer_that_cannot_open_the_database_says_so_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(checkpoint, "EVERY_ROWS", 1)
    checkpointer = Checkpointer(tmp_path / "missing" / "db")
    with caplog.at_level(logging.WARNING, logger="openrfq.store"):
        checkpointer.applied(1)
        thread = checkpointer._thread
        assert thread is not None
        thread.join(10)
    assert not thread.is_alive()
    assert checkpointer.done == 0
    assert "checkpoints: cannot open the database" in caplog.text
    checkpointer.close()  # after the thread ended by itself: nothing to wait for
