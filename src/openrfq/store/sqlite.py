"""The default store: one SQLite file in WAL mode, and its commit log (store/commitlog.py): a batch is durable
(power loss included) once its record in the log is on disk.

``write_unsynced`` appends the batch's record on the event loop, or readies it for a direct write, and says what
makes it durable (``Pending``); the committer has the kernel do that while the loop goes on (store/aio.py). The
rows reach SQLite in one transaction for many batches, on a thread of the store's (store/applier.py): once
``APPLY_ROWS`` rows wait, when the committer is idle (``idle``), and at once for a batch that writes the keys of
ended entities (the engine lets those go once SQLite has them: ``when_applied``). Anything that reads or writes
the database otherwise (a control-plane operation, ``counts``, ``load``, a reset, meta, fault rules) first has
that thread apply everything and waits for it (``apply``), or waits for what it was given.
SQLite runs with ``synchronous=NORMAL``: it syncs the WAL before each checkpoint and the database after it, on a
thread of the store's, not the event loop (store/checkpoint.py); the store syncs the WAL itself before the log is
written over (``_rewind``), at start-up, and after a control-plane operation.

Opening never guesses. The data directory is locked first (store/lock.py). A new database is built complete
(tables, schema version, venue identity) under a temporary name and only then renamed into place, so a
database file that exists was complete once: one that is empty, lacks a table, its schema version or cannot be
read is damaged, and opening it raises StoreError instead of starting a venue with ids from 1 that would
overwrite its history. The checks read the schema only (store/schema.py, which also migrates an older database
forward); start-up then reads the live rows (``load_live``), which turns a page SQLite cannot read or a row that
does not decode into the same StoreError. It never scans the history: the rest is read on demand, on a
connection of its own (store/history.py).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path

import msgspec

from openrfq.store import schema, transaction
from openrfq.store.applier import Applier, Told
from openrfq.store.base import Batch, Pending, Snapshot, StoreError
from openrfq.store.checkpoint import BACKSTOP, Checkpointer
from openrfq.store.commitlog import CommitLog, decode_batch, encode_batch, has_records, log_path, sync_directory
from openrfq.store.history import SqliteHistory, reader
from openrfq.store.lock import lock_directory
from openrfq.store.schema import ENTITIES, KEYS

SCHEMA_VERSION = schema.SCHEMA_VERSION
# Rows waiting in the log alone, at most, before they are applied: a transaction of many batches writes each page
# it touches once, not once per batch (bench/README.md, "The commit log").
APPLY_ROWS = 512
# Rows waiting, at least, for an idle moment to apply them (``idle``): fewer would write as many pages per row as a
# transaction per batch did, and run SQLite's checkpoints as often (bench/README.md).
IDLE_ROWS = 64


class SqliteStore(SqliteHistory):
    def __init__(self, path: Path) -> None:
        self.path = path
        shown = path.absolute()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the venue's whole history: private
            lock = lock_directory(path.parent)
        except OSError as e:
            raise StoreError(f"data directory {shown.parent}: {e.strerror or e}") from None
        # Released by close(), or when the store is garbage (one a test never closed), like any open file.
        self._unlock = weakref.finalize(self, os.close, lock)
        _make_private(path)
        self._pending: list[Batch] = []  # in the log, not yet in SQLite: oldest first
        self._pending_rows = 0
        self._applier = Applier()
        try:
            self._db, self._wal, self.venue_id = _open(path)
            try:
                self._log = CommitLog(log_path(path), self.venue_id)
                self._replay()
                self._reader = reader(path)
                self._checkpoints = Checkpointer(path)
            except BaseException:
                self._db.close()
                os.close(self._wal)
                raise
        except (OSError, sqlite3.Error) as e:  # making or opening it: no permission, disk full, ...
            self._unlock()
            reason = e.strerror if isinstance(e, OSError) and e.strerror else e
            raise StoreError(f"database {shown}: {reason}") from None
        except BaseException:
            self._unlock()
            raise

    def write(self, batch: Batch) -> None:
        """The batch, durable when this returns (a ``pwrite`` and an fdatasync)."""
        os.fdatasync(self._write(batch, direct=False).fd)

    def write_unsynced(self, batch: Batch, direct: bool = True) -> Pending:
        """The batch's record in the log, or ready to be written there directly (``direct``, where the log allows
        it); its rows in SQLite when due (module docstring). What makes it durable, for the committer to have done."""
        return self._write(batch, direct)

    def _write(self, batch: Batch, direct: bool) -> Pending:
        log = self._log
        payload = encode_batch(batch)
        if not log.fits(payload):
            self._rewind()
            if not log.fits(payload):  # larger than the whole log: into SQLite alone, synced before returning
                self._commit([batch], log.seq)
                os.fdatasync(self._wal)
                return Pending(self._wal)  # synced: this sync covers every batch before it (all applied)
        pending = log.append(payload, direct)
        self._pending.append(batch)
        self._pending_rows += len(batch)
        if batch.wipe:  # a reset: the store's reads must not find the old venue once this returns
            self.apply()
        elif self._pending_rows >= APPLY_ROWS or not transaction.rows_alone(batch):
            self._apply_later()
        return pending

    def when_applied(self, told: Told) -> None:
        """``told(None)``, on the applier's thread (or here), once SQLite has every batch written so far;
        ``told(error)`` if it cannot."""
        self._applier.when_done(told)

    def _apply_later(self) -> None:
        """The batches waiting, applied on the store's thread (store/applier.py) in one transaction."""
        batches, seq, rows = self._pending, self._log.seq, self._pending_rows
        self._pending, self._pending_rows = [], 0

        def job() -> None:
            self._commit(batches, seq)
            self._checkpoints.applied(rows)

        self._applier.submit(job)

    def apply(self) -> None:
        """Every batch in the log but not yet in SQLite written there (by the applier's thread, in order), before
        this returns (not synced: the log keeps them durable until ``_rewind``)."""
        if self._pending:
            self._apply_later()
        self._applier.drain()

    def idle(self) -> None:
        """The committer has nothing to write: a moment to apply the rows waiting, off any request's time."""
        if self._pending_rows >= IDLE_ROWS:
            self._apply_later()

    def _rewind(self) -> None:
        """Everything applied and SQLite's WAL synced: then the log may be written over from its first record."""
        self.apply()
        os.fdatasync(self._wal)
        self._log.start(self._log.seq)

    def _replay(self) -> None:
        """At start-up: the log's records past SQLite's ``log_seq`` applied, and the WAL synced (what a crash left
        in the page cache is durable), before the log is written over."""
        applied = int(self.meta("log_seq") or 0)
        last = applied
        for seq, payload in self._log.records():
            last = max(last, seq)
            if seq > applied:
                try:
                    self._pending.append(decode_batch(payload))
                except msgspec.DecodeError as e:
                    raise StoreError(f"commit log {self._log.path.absolute()} is damaged: record {seq}: {e}") from None
        # Nothing is written when nothing replays: a database refused later (a row that does not decode) stays as
        # it was found.
        if self._pending:
            self._commit(self._pending, last)
            self._pending = []
        os.fdatasync(self._wal)
        self._log.start(last)

    def _commit(self, batches: list[Batch], seq: int) -> None:
        transaction.commit(self._db, batches, seq)

    # --- the control plane's: called by the committer with no batch in flight, each durable when it returns ---

    def counts(self) -> tuple[int, int, int]:
        self.apply()
        return super().counts()

    def load(self) -> Snapshot:
        self.apply()
        return super().load()

    def load_live(self) -> Snapshot:
        self.apply()
        return super().load_live()

    def meta(self, key: str) -> str | None:
        self._applier.drain()  # the connection is the applier's while it works
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def save_snapshot(self, name: str, body: bytes) -> bool:
        """Copy the venue's rows under ``name`` (with ``body``: what else it keeps); False if the name is taken."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM snapshots WHERE name = ?", (name,)).fetchone():
                return False
            db.execute("INSERT INTO snapshots VALUES (?, ?)", (name, body))
            for table in ENTITIES:
                db.execute(f"INSERT INTO snapshot_rows SELECT ?, ?, id, body FROM {table}", (name, table))
        return True

    def snapshots(self) -> list[tuple[str, bytes]]:
        self._applier.drain()
        return [(str(n), bytes(b)) for n, b in self._db.execute("SELECT name, body FROM snapshots ORDER BY name")]

    def restore_snapshot(self, name: str, meta: list[tuple[str, str]]) -> bytes | None:
        """Replace the venue's rows by the snapshot's, and write ``meta``, in one transaction; None if unknown."""
        with self._transaction() as db:
            row = db.execute("SELECT body FROM snapshots WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            for table in (*ENTITIES, *KEYS.values()):
                db.execute(f"DELETE FROM {table}")
            for table in ENTITIES:
                db.execute(
                    f"INSERT INTO {table} (id, body) SELECT id, body FROM snapshot_rows WHERE name = ? AND tbl = ?",
                    (name, table),
                )
            schema.index(db)  # the ended entities' keys, from their bodies
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta)
        return bytes(row[0])

    def delete_snapshot(self, name: str) -> bool:
        with self._transaction() as db:
            gone = db.execute("DELETE FROM snapshots WHERE name = ?", (name,)).rowcount
            db.execute("DELETE FROM snapshot_rows WHERE name = ?", (name,))
        return bool(gone)

    def faults(self) -> list[tuple[int, bytes]]:
        self._applier.drain()
        return [(int(i), bytes(b)) for i, b in self._db.execute("SELECT id, body FROM faults ORDER BY id")]

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.apply()
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        os.fdatasync(self._wal)
        self._log.start(self._log.seq)  # everything is in SQLite, synced: the log may be written over

    def close(self) -> None:
        if self._wal < 0:  # closed already
            return
        try:
            self.apply()  # a clean stop leaves SQLite whole (the log keeps it durable: no sync needed)
        finally:
            self._applier.close()
            self._checkpoints.close()
            self._reader.close()
            self._db.close()
            self._log.close()
            os.close(self._wal)
        self._wal = -1
        self._unlock()  # last: no other server may open the directory while this store can still write


def _open(path: Path) -> tuple[sqlite3.Connection, int, str]:
    """The database, checked (schema, version, identity) and in WAL mode; its WAL, open; its venue id."""
    shown = path.absolute()
    if not path.exists():
        log = Path(f"{path}-wal")
        if log.exists() and log.stat().st_size > 0:  # SQLite would replay another database's log into a new one
            raise StoreError(
                f"database {shown} is missing but its write-ahead log {log.name} is there: "
                "restore the database, or move the log away to start a new venue"
            )
        if has_records(log_path(path)):  # a new venue must not start over another one's acknowledged batches
            raise StoreError(
                f"database {shown} is missing but its commit log {log_path(path).name} is there: "
                "restore the database, or move the log away to start a new venue"
            )
        _create(path)
    # Used by one thread at a time after construction: the event loop's, or the committer's writer thread.
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, cached_statements=512)
    try:
        # Read before anything is written: a damaged file is left as it was found.
        layout = schema.check(db, shown)
        # Every database openrfq made is in WAL mode already (its header says so): this writes nothing.
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":  # SQLite keeps the old mode when it cannot switch, e.g. on a read-only file
            raise StoreError(f"database {shown} cannot be opened for writing (journal mode {mode}, not wal)")
        meta = dict(db.execute("SELECT key, value FROM meta"))  # a read in WAL mode: the -wal file exists after it
        version = meta.get("schema_version")
        if version is None:
            raise StoreError(f"database {shown} is damaged: its schema version is missing")
        if version not in ("1", "2", str(SCHEMA_VERSION)):
            raise StoreError(f"database {shown}: schema version was {version}, this openrfq reads {SCHEMA_VERSION}")
        if int(version) != layout:
            raise StoreError(
                f"database {shown} is damaged: schema version {version}, but the tables of version {layout}"
            )
        db.execute("PRAGMA synchronous=FULL")  # until what a migration writes is synced
        if layout < SCHEMA_VERSION:  # forward, in one transaction: store/schema.py says what each version adds
            db.execute("BEGIN IMMEDIATE")
            try:
                schema.migrate(db, layout)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        venue_id = meta.get("venue_id")
        if venue_id is None:
            # A database of openrfq from before stores had an identity (every one created since has it from
            # the start): given one now, a forward migration.
            identity = _identity()
            db.executemany("INSERT INTO meta VALUES (?, ?)", identity)
            venue_id = identity[0][1]
        db.execute("PRAGMA synchronous=NORMAL")  # and the store syncs the WAL itself (module docstring)
        db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP}")  # checkpoints are a thread's (store/checkpoint.py)
        # SQLite keeps the WAL file (the same inode: it is rewritten from the start after a checkpoint, never
        # truncated) until the last connection to the database closes: not before this store's own does.
        wal = os.open(f"{path}-wal", os.O_RDWR | os.O_CLOEXEC)
    except sqlite3.Error as e:
        db.close()
        raise StoreError(f"database {shown} cannot be opened: {e}") from None
    except BaseException:
        db.close()
        raise
    return db, wal, str(venue_id)


def _make_private(path: Path) -> None:
    """Files of an earlier release were made 0644: the database and its -wal/-shm become 0600 (they are ours)."""
    for name in (str(path), f"{path}-wal", f"{path}-shm", f"{path}-log"):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & 0o077:
                os.chmod(name, mode & 0o700)
        except OSError:  # missing (a new venue), or not ours to change: opening it says what is wrong
            continue


def _create(path: Path) -> None:
    """A new database, whole before it has its name: built and committed under a temporary name, then renamed."""
    building = path.with_name(path.name + ".new")
    for suffix in ("", "-journal", "-wal", "-shm"):  # what a creation a crash interrupted left (we hold the lock)
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    # Made here, private: SQLite gives a database's journal, WAL and shared-memory files the database's own mode.
    os.close(os.open(building, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    db = sqlite3.connect(building, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=FULL")  # the commit syncs the file (rollback journal mode)
        db.execute("BEGIN")
        schema.create(db)
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("schema_version", str(SCHEMA_VERSION)), *_identity()])
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode=WAL")  # in the header: opening it later writes nothing before its checks
    finally:
        db.close()
    os.replace(building, path)
    sync_directory(path.parent)  # the rename itself survives a power loss


def _identity() -> list[tuple[str, str]]:
    """A new venue id and the moment it was made: the wall clock's, as for a file's date (not venue time)."""
    return [("venue_id", uuid.uuid4().hex), ("created_ms", str(time.time_ns() // 1_000_000))]
