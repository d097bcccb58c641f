"""Batches of every shape are written whole: one statement for one table, a transaction for the rest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openrfq.store.base import Batch
from openrfq.store.sqlite import SqliteStore


def _rows(store: SqliteStore, table: str) -> list[tuple[object, bytes]]:
    return list(store._db.execute(f"SELECT id, body FROM {table} ORDER BY id"))


@pytest.mark.parametrize("quotes", [1, 64, 65, 200])
@pytest.mark.parametrize("with_rfq", [False, True])
def test_a_batch_is_written_whole(tmp_path: Path, quotes: int, with_rfq: bool) -> None:
    store = SqliteStore(tmp_path / "db")
    rfqs = [(1, b"r1")] if with_rfq else []
    store.write(Batch(rfqs=rfqs, quotes=[(i, b"q%d" % i) for i in range(1, quotes + 1)], makers=[("M1", b"m")]))
    store.write(Batch(quotes=[(1, b"again")]))  # rewrites a row

    assert _rows(store, "quotes") == [(1, b"again")] + [(i, b"q%d" % i) for i in range(2, quotes + 1)]
    assert _rows(store, "rfqs") == rfqs
    assert _rows(store, "makers") == [("M1", b"m")]
    store.close()


def test_a_failed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    # A None body, which the store's types rule out, is what makes the batch fail part-way.
    bad: list[tuple[int, bytes]] = [(i, b"q") for i in range(1, 70)] + [(70, None)]  # type: ignore[list-item]
    with pytest.raises(Exception, match="NOT NULL"):
        store.write(Batch(rfqs=[(1, b"r")], quotes=bad))
    with pytest.raises(Exception, match="NOT NULL"):
        store.write(Batch(quotes=[(1, b"q"), (2, None)]))  # type: ignore[list-item]

    assert _rows(store, "quotes") == []
    assert _rows(store, "rfqs") == []
    store.write(Batch(quotes=[(1, b"q")]))  # and the store still writes
    assert _rows(store, "quotes") == [(1, b"q")]
    store.close()


def test_a_store_write_syncs_the_wal_after_the_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteStore(tmp_path / "db")
    synced: list[tuple[int, int]] = []
    real_fdatasync = os.fdatasync

    def recording(fd: int) -> None:
        rows = store._db.execute("SELECT count(*) FROM quotes").fetchone()[0]
        synced.append((os.fstat(fd).st_ino, rows))
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", recording)
    store.write(Batch(quotes=[(1, b"q")]))

    assert synced == [(os.stat(f"{tmp_path / 'db'}-wal").st_ino, 1)]  # the WAL, once the row is in it
    store.close()


def test_the_wal_synced_is_the_wal_sqlite_writes_through_checkpoints(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    wal = Path(f"{tmp_path / 'db'}-wal")
    body = os.urandom(3000)
    sizes = []
    for start in range(0, 3000, 50):  # ~9 MB of rows: several automatic checkpoints, the WAL reused each time
        store.write_unsynced(Batch(quotes=[(i, body) for i in range(start, start + 50)]))
        sizes.append(wal.stat().st_size)
        assert os.fstat(store.sync_fd()).st_ino == wal.stat().st_ino

    assert max(sizes) < 9_000_000  # checkpoints did happen (the WAL did not keep growing)
    store.close()
    reopened = SqliteStore(tmp_path / "db")
    assert reopened._db.execute("SELECT count(*) FROM quotes").fetchone()[0] == 3000
    reopened.close()
