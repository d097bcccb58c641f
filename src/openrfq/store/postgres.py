"""The PostgreSQL store: the ``Store`` interface (store/base.py) over psycopg 3, for a venue whose state must
survive its machine, with a standby openrfq ready to take over (store/lease.py, openrfq/standby.py).

Synchronous on purpose: the committer (store/committer.py) writes a store that is not a ``FileStore`` from its
writer thread, a batch at a time, and ``write`` returns once the batch's transaction is committed, which is what
group commit needs; an async driver would add a hop to another loop for nothing. A batch is one round trip: its
statements are pipelined (psycopg's pipeline mode) and each table's rows go in one ``INSERT ... SELECT FROM
unnest(ids, bodies)``, one prepared statement whatever the batch's size.

Commits run with ``synchronous_commit = on`` (or the server's stronger ``remote_apply``): on a primary with a
synchronous standby, a batch is acknowledged once it is on disk on two machines. Each transaction begins with
the fence (``FENCE``): it fails, and so does the whole transaction, when another process has taken the lease.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import msgspec
import psycopg

from openrfq.store import pgarrays
from openrfq.store.base import Batch, Snapshot, StoreError
from openrfq.store.codec import decode_maker, decode_quote, decode_rfq, decode_trade
from openrfq.store.lease import Lease, LeaseLost, connect, shown
from openrfq.store.pgschema import ENTITIES

T = TypeVar("T")
Db = psycopg.Connection[tuple[Any, ...]]

# Fails (division by zero) unless this process's epoch is still the lease's: the whole transaction then rolls
# back. An error, not a row count to look at, so that a batch's statements can all be sent before any answer.
FENCE = "WITH fenced AS (UPDATE lease SET epoch = epoch WHERE epoch = %s RETURNING 1) SELECT 1 / count(*) FROM fenced"
_KIND = {"rfqs": "bigint", "quotes": "bigint", "trades": "bigint", "makers": "text"}
_UPSERTS = ", ".join(  # (ids, bodies) per table
    f"put_{table} AS (INSERT INTO {table} (id, body) SELECT * FROM unnest(%b, %b)"
    " ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body)"
    for table in _KIND
)
# A batch of entity rows (nearly every batch) in one statement, so one round trip and one commit: autocommit
# makes a statement its own transaction, and every data-modifying part of a WITH runs to completion whatever
# the outer query reads. The fence's division by zero then fails the whole statement.
WRITE = (
    f"WITH fenced AS (UPDATE lease SET epoch = epoch WHERE epoch = %s RETURNING 1), {_UPSERTS}"
    " SELECT 1 / count(*) FROM fenced"
)
PUT = f"WITH {_UPSERTS} SELECT 1"  # the same rows, in a fenced transaction of other statements
_STRONG_ENOUGH = ("on", "remote_apply")


class PostgresStore:
    """Writes as the leader at ``lease.epoch``; owns the lease from now on (``close`` releases it, last)."""

    def __init__(self, lease: Lease) -> None:
        if lease.epoch is None:
            raise ValueError("the lease must be acquired first")
        self.url = lease.url
        self.path = shown(lease.url)  # how messages name the store (SQLite's: its file)
        self.epoch = lease.epoch
        self._lease = lease
        try:
            self._db = connect(lease.url, "writer")
        except BaseException:
            lease.close()
            raise
        pgarrays.register(self._db.adapters)
        row = self._db.execute("SHOW synchronous_commit").fetchone()
        if row is None or row[0] not in _STRONG_ENOUGH:  # durable before acknowledged, whatever the server's default
            self._db.execute("SET synchronous_commit = on")
        found = self._db.execute("SELECT value FROM meta WHERE key = 'venue_id'").fetchone()
        self.venue_id = str(found[0]) if found else ""

    @property
    def lease(self) -> Lease:
        return self._lease

    def load(self) -> Snapshot:
        return Snapshot(
            rfqs=self._decoded("rfqs", decode_rfq),
            quotes=self._decoded("quotes", decode_quote),
            trades=self._decoded("trades", decode_trade),
            makers=self._decoded("makers", decode_maker),
        )

    def _decoded(self, table: str, decode: Callable[[bytes], T]) -> list[T]:
        damaged = f"store {self.path} is damaged: table {table}"
        with self._db.cursor(binary=True) as cursor:
            try:
                cursor.execute(f"SELECT id, body FROM {table} ORDER BY id")
                rows = cursor.fetchall()
            except psycopg.Error as e:
                raise StoreError(f"store {self.path}: table {table} cannot be read ({e})") from None
        found = []
        for row_id, body in rows:
            try:
                found.append(decode(body))
            except (msgspec.DecodeError, TypeError, ValueError) as e:
                raise StoreError(f"{damaged}, row {row_id!r} does not decode ({e})") from None
        return found

    def write(self, batch: Batch) -> None:
        """The batch in one transaction, committed (and so durable) when this returns; LeaseLost if another
        process leads now, another psycopg error if the database cannot be reached."""
        if (
            batch.wipe or batch.meta or batch.faults
        ):  # a reset, a moved clock, a fault rule: rare, statement by statement
            self._write_all(batch)
            return
        if not len(batch):
            return
        try:
            self._db.execute(WRITE, (self.epoch, *_arrays(batch)), prepare=True)
        except psycopg.errors.DivisionByZero:
            raise LeaseLost(f"store {self.path}: another openrfq process leads it now") from None

    def _write_all(self, batch: Batch) -> None:
        with self._transaction() as db:
            if batch.wipe:
                for table in ENTITIES:
                    db.execute(f"DELETE FROM {table}")
            with db.cursor() as cursor:
                if batch.meta:
                    cursor.executemany(
                        "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        batch.meta,
                    )
                gone = [(i,) for i, body in batch.faults if body is None]
                if gone:
                    cursor.executemany("DELETE FROM faults WHERE id = %s", gone)
                kept = [r for r in batch.faults if r[1] is not None]
                if kept:
                    cursor.executemany(
                        "INSERT INTO faults VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body",
                        kept,
                    )
            db.execute(PUT, _arrays(batch))

    @contextmanager
    def _transaction(self) -> Iterator[Db]:
        """One fenced transaction, its statements pipelined; committed when the block ends."""
        db = self._db
        try:
            with db.pipeline(), db.transaction():
                db.execute(FENCE, (self.epoch,))
                yield db
        except psycopg.errors.DivisionByZero:
            raise LeaseLost(f"store {self.path}: another openrfq process leads it now") from None

    # --- the control plane's: called by the committer with no batch in flight, each durable when it returns ---

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return None if row is None else str(row[0])

    def save_snapshot(self, name: str, body: bytes) -> bool:
        # Asked first, outside the transaction: this process is the store's one writer (and the committer is
        # paused), so nobody can take the name in between.
        if self._db.execute("SELECT 1 FROM snapshots WHERE name = %s", (name,)).fetchone():
            return False
        with self._transaction() as db:
            db.execute("INSERT INTO snapshots VALUES (%s, %s)", (name, body))
            for table in ENTITIES:
                db.execute(
                    f"INSERT INTO snapshot_rows SELECT %s, %s, id::text, body FROM {table}",
                    (name, table),
                )
        return True

    def snapshots(self) -> list[tuple[str, bytes]]:
        rows = self._db.execute("SELECT name, body FROM snapshots ORDER BY name").fetchall()
        return [(str(n), bytes(b)) for n, b in rows]

    def restore_snapshot(self, name: str, meta: list[tuple[str, str]]) -> bytes | None:
        row = self._db.execute("SELECT body FROM snapshots WHERE name = %s", (name,)).fetchone()
        if row is None:
            return None
        with self._transaction() as db:
            for table in ENTITIES:
                db.execute(f"DELETE FROM {table}")
                db.execute(
                    f"INSERT INTO {table} SELECT id::{_KIND[table]}, body FROM snapshot_rows"
                    " WHERE name = %s AND tbl = %s",
                    (name, table),
                )
            with db.cursor() as cursor:
                if meta:
                    cursor.executemany(
                        "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        meta,
                    )
        return bytes(row[0])

    def delete_snapshot(self, name: str) -> bool:
        with self._transaction() as db:
            gone = db.execute("DELETE FROM snapshots WHERE name = %s", (name,))
            db.execute("DELETE FROM snapshot_rows WHERE name = %s", (name,))
        return gone.rowcount > 0

    def faults(self) -> list[tuple[int, bytes]]:
        rows = self._db.execute("SELECT id, body FROM faults ORDER BY id").fetchall()
        return [(int(i), bytes(b)) for i, b in rows]

    def close(self) -> None:
        """Both connections closed (a second call does nothing): the lease's last, so that no other process may
        lead while this one can still write."""
        self._db.close()
        self._lease.close()


def _arrays(batch: Batch) -> tuple[bytes, ...]:
    """Each table's (ids, bodies), in _KIND's order, as WRITE and PUT take them."""
    found: list[bytes] = []
    for rows in (batch.rfqs, batch.quotes, batch.trades):
        found += [pgarrays.int8s([i for i, _ in rows]), pgarrays.byteas([b for _, b in rows])]
    found += [pgarrays.texts([code for code, _ in batch.makers]), pgarrays.byteas([b for _, b in batch.makers])]
    return tuple(found)
