"""The default store: one SQLite file in WAL mode; a commit is durable (power loss included) once the WAL is synced.

SQLite runs with ``synchronous=NORMAL``: it syncs the WAL before each checkpoint, the database after it, and
the WAL header when the WAL is reused, but not the WAL at each commit. The store adds that sync itself, which
makes ``write`` exactly ``synchronous=FULL``, and lets the committer split it: ``write_unsynced`` on the event
loop, then an fdatasync of ``sync_fd()`` that the kernel runs while the loop goes on (see store/aio.py).

Opening locks the data directory first (store/lock.py): one server per directory.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from pathlib import Path

from openrfq.store.base import Batch, Snapshot, StoreError
from openrfq.store.codec import decode_maker, decode_quote, decode_rfq, decode_trade
from openrfq.store.lock import lock_directory

SCHEMA_VERSION = 1
_TABLES = ("rfqs", "quotes", "trades")
_CHUNK = 64  # rows per INSERT statement: one statement per table for a typical batch, few distinct statements


def _insert(table: str, rows: int) -> str:
    return f"INSERT OR REPLACE INTO {table} (id, body) VALUES " + ",".join(("(?,?)",) * rows)


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = lock_directory(path.parent)
        except OSError as e:
            raise StoreError(f"data directory {path.parent.absolute()}: {e.strerror or e}") from None
        # Released by close(), or when the store is garbage (one a test never closed), like any open file.
        self._unlock = weakref.finalize(self, os.close, lock)
        try:
            # Used by one thread at a time after construction: the event loop's, or the committer's writer thread.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, cached_statements=512)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for table in _TABLES:
                self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS makers (id TEXT PRIMARY KEY, body BLOB NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) != SCHEMA_VERSION:
                raise RuntimeError(f"{path}: schema version was {row[0]}, this openrfq reads {SCHEMA_VERSION}")
            # SQLite made the WAL file when it opened the database in WAL mode above, and keeps that file (the same
            # inode: it is rewritten from the start after a checkpoint, never truncated) until the last connection
            # to the database closes: not before this store's own does.
            self._wal = os.open(f"{path}-wal", os.O_RDWR | os.O_CLOEXEC)
        except BaseException:
            self._unlock()
            raise

    def load(self) -> Snapshot:
        """Every stored entity, decoded straight from the cursor (no list of a million row bodies in between)."""

        def rows(table: str) -> Iterator[bytes]:
            return (body for (body,) in self._db.execute(f"SELECT body FROM {table} ORDER BY id"))

        return Snapshot(
            rfqs=list(map(decode_rfq, rows("rfqs"))),
            quotes=list(map(decode_quote, rows("quotes"))),
            trades=list(map(decode_trade, rows("trades"))),
            makers=list(map(decode_maker, rows("makers"))),
        )

    def write(self, batch: Batch) -> None:
        """The batch in one transaction, durable when this returns."""
        self.write_unsynced(batch)
        os.fdatasync(self._wal)

    def sync_fd(self) -> int:
        """The file whose fdatasync makes every transaction written so far durable: the WAL."""
        return self._wal

    def write_unsynced(self, batch: Batch) -> None:
        """The batch in one transaction (as few statements as possible), in the WAL but not yet synced."""
        db = self._db
        tables: list[tuple[str, list[tuple[int, bytes]] | list[tuple[str, bytes]]]] = [
            (table, items)
            for table, items in (
                ("rfqs", batch.rfqs),
                ("quotes", batch.quotes),
                ("trades", batch.trades),
                ("makers", batch.makers),
            )
            if items
        ]
        if not tables:
            return
        if len(tables) == 1 and len(tables[0][1]) <= _CHUNK:
            # A single statement outside BEGIN is its own transaction: atomic, and durable when it returns.
            table, items = tables[0]
            db.execute(_insert(table, len(items)), [value for row in items for value in row])
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            for table, items in tables:
                for start in range(0, len(items), _CHUNK):
                    chunk = items[start : start + _CHUNK]
                    db.execute(_insert(table, len(chunk)), [value for row in chunk for value in row])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()
        os.close(self._wal)
        self._unlock()  # last: no other server may open the directory while this store can still write
