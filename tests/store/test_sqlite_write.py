"""Batches of every shape are written whole: a record in the commit log first (durable once it is synced), their
rows in SQLite later, many batches to a transaction; a process killed in between loses nothing it was told was
durable, and the log is written over only once SQLite has everything in it, synced."""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

from openrfq.domain.ids import QuoteId
from openrfq.export import durable_rows
from openrfq.store import commitlog
from openrfq.store.base import Batch, Indexed, Pending, StoreError
from openrfq.store.history import reader
from openrfq.store.sqlite import APPLY_ROWS, SqliteStore


def _rows(store: SqliteStore, table: str) -> list[tuple[object, bytes]]:
    """What SQLite holds once the applier's thread has done what it was given (store/applier.py)."""
    store._applier.drain()
    return list(store._db.execute(f"SELECT id, body FROM {table} ORDER BY id"))


def _log(tmp_path: Path) -> Path:
    return Path(f"{tmp_path / 'db'}-log")


def _done(pending: Pending) -> None:
    """What the committer has the kernel do for a batch written, done here and now."""
    if pending.length:  # a direct write, from the aligned buffer the store made
        written = _libc.pwrite(pending.fd, ctypes.c_void_p(pending.address), pending.length, pending.offset)
        assert written == pending.length, ctypes.get_errno()
    else:
        os.fdatasync(pending.fd)


_libc = ctypes.CDLL(None, use_errno=True)
_libc.pwrite.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
_libc.pwrite.restype = ctypes.c_ssize_t


def _die(store: SqliteStore) -> None:
    """As a process killed here: files closed as they are, nothing applied or synced on the way out (but what the
    applier's thread was given: it must not be writing while the connection closes)."""
    store._applier.close()
    store._checkpoints.close()
    store._log.close()
    store._reader.close()
    store._db.close()
    store._unlock()


def _quotes_after_dying(store: SqliteStore, tmp_path: Path) -> int:
    """How many quotes the store holds once reopened after ``_die``: what start-up found durable."""
    _die(store)
    reopened = SqliteStore(tmp_path / "db")
    try:
        return int(reopened._db.execute("SELECT count(*) FROM quotes").fetchone()[0])
    finally:
        reopened.close()


@pytest.mark.parametrize("quotes", [1, 64, 65, 200])
@pytest.mark.parametrize("with_rfq", [False, True])
def test_a_batch_is_written_whole(tmp_path: Path, quotes: int, with_rfq: bool) -> None:
    store = SqliteStore(tmp_path / "db")
    rfqs = [(1, b"r1")] if with_rfq else []
    store.write(Batch(rfqs=rfqs, quotes=[(i, b"q%d" % i) for i in range(1, quotes + 1)], makers=[("M1", b"m")]))
    store.write(Batch(quotes=[(1, b"again")]))  # rewrites a row
    store.apply()

    assert _rows(store, "quotes") == [(1, b"again")] + [(i, b"q%d" % i) for i in range(2, quotes + 1)]
    assert _rows(store, "rfqs") == rfqs
    assert _rows(store, "makers") == [("M1", b"m")]
    store.close()


def test_rows_wait_in_the_log_until_enough_of_them_or_an_apply(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(quotes=[(i, b"q") for i in range(APPLY_ROWS - 1)]))
    assert _rows(store, "quotes") == []  # durable in the log alone
    store.write(Batch(quotes=[(APPLY_ROWS - 1, b"q")]))
    assert len(_rows(store, "quotes")) == APPLY_ROWS  # then one transaction for both batches
    store.write(Batch(rfqs=[(1, b"r")]))
    assert store.counts() == (1, APPLY_ROWS, 0)  # whatever reads the database gets the rows first
    store.close()


def test_a_batch_of_keys_is_in_sqlite_when_the_store_says_it_is_applied(tmp_path: Path) -> None:
    """The keys of ended entities: the engine lets those entities go, and reads them from the database, once the
    batch is durable and ``when_applied`` says so. It is applied at once, off the writer's thread."""
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(quotes=[(1, b"q1")]))
    store.write(Batch(quotes=[(2, b"q2")], quote_keys=[("p M1", 1)], indexed=Indexed([], [QuoteId(1)], [])))
    told: list[BaseException | None] = []
    applied = threading.Event()

    def tell(failure: BaseException | None) -> None:
        told.append(failure)
        applied.set()

    store.when_applied(tell)
    assert applied.wait(5) and told == [None]

    with closing(reader(tmp_path / "db")) as db:  # as the store's history reads it: another connection
        assert list(db.execute("SELECT id, body FROM quotes ORDER BY id")) == [(1, b"q1"), (2, b"q2")]
        assert list(db.execute("SELECT key, id FROM quote_keys")) == [("p M1", 1)]
        assert list(db.execute("SELECT id, mem FROM quotes ORDER BY id")) == [(1, 0), (2, 1)]
    store.close()


def test_a_failed_apply_leaves_nothing_half_written_and_the_next_start_refuses_the_log(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(rfqs=[(1, b"r")]))
    # A None body, which the store's types rule out, is what makes the transaction fail part-way.
    bad: list[tuple[int, bytes]] = [(i, b"q") for i in range(1, 70)] + [(70, None)]  # type: ignore[list-item]
    store.write(Batch(quotes=bad))
    with pytest.raises(Exception, match="NOT NULL"):
        store.apply()

    with pytest.raises(Exception, match="NOT NULL"):  # and every later call: the applier's thread stopped there
        store.apply()
    db = store._db
    assert list(db.execute("SELECT id FROM quotes")) == [] == list(db.execute("SELECT id FROM rfqs"))  # none of it
    _die(store)
    # Never started on part of what was acknowledged: the record SQLite refused is named.
    with pytest.raises(StoreError, match="db-log is damaged: record 2"):
        SqliteStore(tmp_path / "db")


def test_a_store_write_syncs_the_log_once_the_record_is_in_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteStore(tmp_path / "db")
    synced: list[tuple[int, int]] = []
    real_fdatasync = os.fdatasync

    def recording(fd: int) -> None:
        synced.append((os.fstat(fd).st_ino, len(commitlog.logged(_log(tmp_path)))))
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", recording)
    store.write(Batch(quotes=[(1, b"q")]))

    assert synced == [(_log(tmp_path).stat().st_ino, 1)]  # the log, once the record is in it
    store.close()


def test_the_log_is_written_over_only_once_sqlite_has_it_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commitlog, "SIZE", 2 * commitlog.CHUNK)
    store = SqliteStore(tmp_path / "db")
    body = os.urandom(3000)
    events: list[str] = []
    real_fdatasync, real_start = os.fdatasync, store._log.start

    def fdatasync(fd: int) -> None:
        events.append("wal" if fd == store._wal else "log")
        real_fdatasync(fd)

    def start(seq: int) -> None:
        events.append(f"rewind after {seq}, applied {store.meta('log_seq')}, waiting {len(store._pending)}")
        real_start(seq)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(store._log, "start", start)
    for start_id in range(0, 3000, 50):  # ~9 MB of records through a 2 MiB log
        _done(store.write_unsynced(Batch(quotes=[(i, body) for i in range(start_id, start_id + 50)])))
        assert store._log.offset <= 2 * commitlog.CHUNK

    rewinds = [e for e in events if e.startswith("rewind")]
    assert len(rewinds) >= 4
    for i, event in enumerate(events):
        if event.startswith("rewind"):
            seq = event.split()[2].rstrip(",")
            assert event == f"rewind after {seq}, applied {seq}, waiting 0"  # everything applied...
            assert events[i - 1] == "wal"  # ...and the WAL synced just before
    assert _log(tmp_path).stat().st_size == 2 * commitlog.CHUNK
    assert _quotes_after_dying(store, tmp_path) == 3000  # not applied since the last rewind


def test_a_batch_larger_than_the_whole_log_goes_to_sqlite_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commitlog, "SIZE", commitlog.CHUNK)
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(quotes=[(1, b"small")]))
    big = Batch(quotes=[(i, os.urandom(1000)) for i in range(2, 2000)])  # ~2 MB
    synced: list[int] = []
    real_fdatasync = os.fdatasync

    def recording(fd: int) -> None:
        synced.append(fd)
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", recording)
    store.write_unsynced(big)

    assert store._wal in synced  # durable when it returns, the log not needed for it
    assert store._db.execute("SELECT count(*) FROM quotes").fetchone()[0] == 1999
    store.write(Batch(quotes=[(1, b"after")]))  # and the log goes on from its start
    _die(store)
    reopened = SqliteStore(tmp_path / "db")
    assert reopened._db.execute("SELECT body FROM quotes WHERE id = 1").fetchone()[0] == b"after"
    assert reopened._db.execute("SELECT count(*) FROM quotes").fetchone()[0] == 1999
    reopened.close()


_CHILD = """
import ctypes, os, signal, sys
from contextlib import closing
from pathlib import Path
from openrfq.store.base import Batch
from openrfq.store.sqlite import SqliteStore
libc = ctypes.CDLL(None, use_errno=True)
libc.pwrite.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
store = SqliteStore(Path(sys.argv[1]))
for i in range(1, 6):
    store.write(Batch(quotes=[(i, b"q%d" % i)]))  # durable: a pwrite and an fdatasync
for i in range(6, 11):  # durable: what the committer has the kernel do, a direct write where the log allows
    p = store.write_unsynced(Batch(quotes=[(i, b"q%d" % i)]))
    assert p.length and libc.pwrite(p.fd, p.address, p.length, p.offset) == p.length
store.write_unsynced(Batch(quotes=[(11, b"never synced")]))
print(store._db.execute("SELECT count(*) FROM quotes").fetchone()[0], flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_kill_9_between_the_log_sync_and_the_apply_loses_nothing_acknowledged(tmp_path: Path) -> None:
    child = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "db")], capture_output=True, text=True)

    assert child.returncode == -signal.SIGKILL
    assert child.stdout.strip() == "0"  # none of it was in SQLite when the process died
    store = SqliteStore(tmp_path / "db")
    rows = dict(_rows(store, "quotes"))
    # Every batch synced is there; the one whose sync never ran may be (the page cache kept it) or not, whole.
    assert {i: rows[i] for i in range(1, 11)} == {i: b"q%d" % i for i in range(1, 11)}
    assert set(rows) - set(range(1, 11)) <= {11}
    assert store.meta("log_seq") == str(len(rows))
    store.close()


def test_a_torn_record_ends_the_log(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(quotes=[(1, b"one")]))
    store.write(Batch(quotes=[(2, b"two")]))
    end = store._log.offset
    _die(store)
    with open(_log(tmp_path), "r+b") as f:  # the second record's first payload byte never reached the disk
        f.seek(end - commitlog.BLOCK + 16)
        f.write(b"\xff")

    reopened = SqliteStore(tmp_path / "db")
    assert _rows(reopened, "quotes") == [(1, b"one")]
    reopened.write(Batch(quotes=[(3, b"three")]))  # written over the torn one, numbered after the last whole one
    assert [seq for seq, _ in commitlog.logged(_log(tmp_path))] == [2]
    reopened.close()


def test_a_log_of_another_venue_is_refused(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "a" / "db").close()
    other = SqliteStore(tmp_path / "b" / "db")
    other.write(Batch(quotes=[(1, b"q")]))
    other.close()
    os.replace(tmp_path / "b" / "db-log", tmp_path / "a" / "db-log")

    with pytest.raises(StoreError, match=r"commit log .*db-log is not this venue's"):
        SqliteStore(tmp_path / "a" / "db")


def test_a_database_missing_beside_a_log_with_records_is_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(quotes=[(1, b"q")]))
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_path / 'db'}{suffix}").unlink(missing_ok=True)

    with pytest.raises(StoreError, match="is missing but its commit log db-log is there"):
        SqliteStore(tmp_path / "db")
    assert not (tmp_path / "db").exists()


def test_the_rows_of_a_reset_replay_in_order(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(quotes=[(1, b"before")]))
    store.write(Batch(wipe=True, meta=[("clock", "5")]))
    store.write(Batch(quotes=[(2, b"after")]))
    # As if nothing had been applied: every record replays, in order.
    store._db.execute("UPDATE meta SET value = '0' WHERE key = 'log_seq'")
    store._db.execute("DELETE FROM quotes")
    store._db.execute("INSERT INTO quotes (id, body) VALUES (1, 'stale')")
    _die(store)

    reopened = SqliteStore(tmp_path / "db")
    assert _rows(reopened, "quotes") == [(2, b"after")]
    assert reopened.meta("clock") == "5"
    reopened.close()


def test_export_reads_what_the_log_holds_beyond_the_database_a_reset_included(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(rfqs=[(1, b"r1")], quotes=[(1, b"q1")]))
    store.write(Batch(wipe=True))  # applied at once (not rows alone): the database has the reset
    store.write(Batch(rfqs=[(2, b"r2")]))
    store.write(Batch(quotes=[(2, b"q2")]))

    rows = durable_rows(tmp_path / "db")  # beside the open store, as beside a running server

    assert rows == {"rfqs": {2: b"r2"}, "quotes": {2: b"q2"}, "trades": {}}
    assert _rows(store, "rfqs") == []  # the last two are in the log alone
    store._db.execute("UPDATE meta SET value = '0' WHERE key = 'log_seq'")  # every record read again: same state
    assert durable_rows(tmp_path / "db") == rows
    store.close()


def test_a_control_plane_operation_applies_first_and_the_log_starts_over_after_it(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(quotes=[(1, b"q1")]))
    assert store.save_snapshot("s", b"{}")  # the rows first: the snapshot has them
    assert store._log.offset == commitlog.BLOCK  # SQLite has everything, synced: the log is written from its start
    store.write(Batch(quotes=[(2, b"q2")]))
    _die(store)

    reopened = SqliteStore(tmp_path / "db")
    assert _rows(reopened, "quotes") == [(1, b"q1"), (2, b"q2")]
    assert list(reopened._db.execute("SELECT id, body FROM snapshot_rows WHERE tbl = 'quotes'")) == [(1, b"q1")]
    reopened.close()


def test_a_new_log_is_made_ready_for_direct_writes_by_its_filler_as_it_grows(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    log = store._log
    if log.direct < 0:
        pytest.skip("this file system refuses O_DIRECT: the log is written and synced instead (tested above)")

    body = os.urandom(3000)
    pendings = [store.write_unsynced(Batch(quotes=[(i, body)])) for i in range(400)]  # 1.6 MB: past the first chunk
    assert all(p.length == commitlog.BLOCK and p.fd == log.direct for p in pendings)  # every one direct
    assert [p.offset for p in pendings] == [commitlog.BLOCK * (i + 1) for i in range(400)]  # a block each
    log._wait_fill()
    assert log.ready == log.end == _log(tmp_path).stat().st_size  # zeros written and synced ahead...
    assert 401 * commitlog.BLOCK < log.end <= 401 * commitlog.BLOCK + 3 * commitlog.FILL_AHEAD < commitlog.SIZE
    for p in pendings:  # ...not the whole log: a venue that writes little keeps a small file
        _done(p)
    assert _quotes_after_dying(store, tmp_path) == 400


def test_a_record_past_what_is_ready_extends_the_log_itself_then_the_filler_makes_it_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStore(tmp_path / "db")
    log = store._log
    started: list[tuple[int, int]] = []  # (end, ready) when a filler started
    fill_ahead = log._fill_ahead

    def recorded() -> None:
        started.append((log.end, log.ready))
        fill_ahead()

    monkeypatch.setattr(log, "_fill_ahead", recorded)
    big = store.write_unsynced(Batch(quotes=[(i, os.urandom(1000)) for i in range(600)]))  # ~600 KB

    assert big.length == 0 and big.fd == log.fd  # written, to be synced: it is past the first chunk's zeros
    if log.direct < 0:
        assert started == []  # nothing to make ready where writes are never direct
    else:  # a filler only once the log's own extension was written: never two writers past the end at once
        [(end, ready)] = started
        assert ready == commitlog.CHUNK and end > 600_000  # the first chunk was ready; the extension written
        log._wait_fill()
        assert log.ready == log.end  # what the extension wrote is synced, with zeros after it: ready
    _done(big)
    after = store.write_unsynced(Batch(quotes=[(1000, b"q")]))
    if log.direct >= 0:
        assert after.length == commitlog.BLOCK and after.fd == log.direct  # direct again, not until a rewind
    _done(after)
    assert _quotes_after_dying(store, tmp_path) == 601


def test_a_quiet_record_past_what_is_ready_starts_no_filler(tmp_path: Path) -> None:
    """A record that was not to be direct is made durable by its own sync: no zeros written and synced beside it
    (they would share the disk with it, on a server that is waiting for that sync)."""
    store = SqliteStore(tmp_path / "db")
    log = store._log
    big = store.write_unsynced(Batch(quotes=[(i, os.urandom(1000)) for i in range(600)]), direct=False)

    assert big.length == 0 and big.fd == log.fd and log.end > commitlog.CHUNK
    assert log._filler is None and log.ready == commitlog.CHUNK
    _done(big)
    store.close()


def test_where_o_direct_is_refused_records_are_written_and_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def refusing(path: object, flags: int, *args: int) -> int:
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")  # as tmpfs on older kernels, and some file systems
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing)
    store = SqliteStore(tmp_path / "db")
    pending = store.write_unsynced(Batch(quotes=[(1, b"q")]), direct=True)

    assert store._log.direct == -1 and pending == Pending(store._log.fd)  # written; the committer syncs it
    _done(pending)
    _die(store)
    monkeypatch.undo()
    reopened = SqliteStore(tmp_path / "db")
    assert _rows(reopened, "quotes") == [(1, b"q")]
    reopened.close()
