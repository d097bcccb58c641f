"""The PostgreSQL store: the ``Store`` interface (store/base.py) over psycopg 3, for a venue whose state must
survive its machine, with a standby openrfq ready to take over (store/lease.py, openrfq/standby.py).

Synchronous on purpose: the committer (store/committer.py) writes a store that is not a ``FileStore`` from its
writer thread, a batch at a time, and ``write`` returns once the batch's transaction is committed, which is what
group commit needs; an async driver would add a hop to another loop for nothing. Nearly every batch is one
statement (``WRITE``: one round trip, one commit) whose rows go as arrays (``unnest(ids, bodies)``, built in
PostgreSQL's binary format: store/pgarrays.py), one prepared statement whatever the batch's size. History is read
on a connection of its own (store/pghistory.py).

Commits run with ``synchronous_commit = on`` (or the server's stronger ``remote_apply``): on a primary with a
synchronous standby, a batch is acknowledged once it is on disk on two machines. Each transaction begins with
the fence (``FENCE``): it fails, and so does the whole transaction, when another process has taken the lease.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from openrfq.store import pgarrays, pgschema
from openrfq.store.base import Batch
from openrfq.store.lease import Lease, LeaseLost, connect, shown
from openrfq.store.pghistory import PostgresHistory
from openrfq.store.pgschema import ENTITIES, KEYS

Db = psycopg.Connection[tuple[Any, ...]]

# Fails (division by zero) unless this process's epoch is still the lease's: the whole transaction then rolls
# back. An error, not a row count to look at, so that a batch's statements can all be sent before any answer.
FENCE = "WITH fenced AS (UPDATE lease SET epoch = epoch WHERE epoch = %s RETURNING 1) SELECT 1 / count(*) FROM fenced"
_KIND = {"rfqs": "bigint", "quotes": "bigint", "trades": "bigint", "makers": "text"}
# (ids, bodies) per entity table: a row written again changes only its body (not ``mem``); (keys, ids) per key
# table, a key written twice kept once.
_UPSERTS = ", ".join(
    [
        f"put_{table} AS (INSERT INTO {table} (id, body) SELECT * FROM unnest(%b, %b)"
        " ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body)"
        for table in _KIND
    ]
    + [
        f"put_{keys} AS (INSERT INTO {keys} SELECT * FROM unnest(%b, %b) ON CONFLICT DO NOTHING)"
        for keys in KEYS.values()
    ]
)
# A batch of rows (nearly every batch) in one statement, so one round trip and one commit: autocommit makes a
# statement its own transaction, and every data-modifying part of a WITH runs to completion whatever the outer
# query reads. The fence's division by zero then fails the whole statement.
WRITE = (
    f"WITH fenced AS (UPDATE lease SET epoch = epoch WHERE epoch = %s RETURNING 1), {_UPSERTS}"
    " SELECT 1 / count(*) FROM fenced"
)
PUT = f"WITH {_UPSERTS} SELECT 1"  # the same rows, in a fenced transaction of other statements
_STRONG_ENOUGH = ("on", "remote_apply")


class PostgresStore(PostgresHistory):
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
            self._reader = connect(lease.url, "reader")
        except BaseException:
            if hasattr(self, "_db"):
                self._db.close()
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

    def write(self, batch: Batch) -> None:
        """The batch in one transaction, committed (and so durable) when this returns; LeaseLost if another
        process leads now, another psycopg error if the database cannot be reached."""
        if batch.wipe or batch.meta or batch.faults or any(batch.indexed):  # rare: statement by statement
            self._write_all(batch)
            return
        if not (len(batch) or batch.rfq_keys or batch.quote_keys or batch.trade_keys):
            return
        try:
            self._db.execute(WRITE, (self.epoch, *_arrays(batch)), prepare=True)
        except psycopg.errors.DivisionByZero:
            raise LeaseLost(f"store {self.path}: another openrfq process leads it now") from None

    def _write_all(self, batch: Batch) -> None:
        with self._transaction() as db:
            if batch.wipe:
                for table in (*ENTITIES, *KEYS.values()):
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
            # Their keys are in: no longer held in memory. A statement of its own, after PUT: one statement may
            # not both write a row and update it.
            indexed = batch.indexed
            for table, ids in (("rfqs", indexed.rfqs), ("quotes", indexed.quotes), ("trades", indexed.trades)):
                if ids:
                    db.execute(f"UPDATE {table} SET mem = false WHERE id = ANY(%b)", (pgarrays.int8s(ids),))

    @contextmanager
    def _transaction(self, pipelined: bool = True) -> Iterator[Db]:
        """One fenced transaction (its statements pipelined: nothing read in it); committed when the block ends."""
        db = self._db
        try:
            if pipelined:
                with db.pipeline(), db.transaction():
                    db.execute(FENCE, (self.epoch,))
                    yield db
            else:
                with db.transaction():
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
                db.execute(f"INSERT INTO snapshot_rows SELECT %s, %s, id::text, body FROM {table}", (name, table))
        return True

    def snapshots(self) -> list[tuple[str, bytes]]:
        rows = self._db.execute("SELECT name, body FROM snapshots ORDER BY name").fetchall()
        return [(str(n), bytes(b)) for n, b in rows]

    def restore_snapshot(self, name: str, meta: list[tuple[str, str]]) -> bytes | None:
        row = self._db.execute("SELECT body FROM snapshots WHERE name = %s", (name,)).fetchone()
        if row is None:
            return None
        with self._transaction(pipelined=False) as db:
            for table in (*ENTITIES, *KEYS.values()):
                db.execute(f"DELETE FROM {table}")
            for table in ENTITIES:
                db.execute(
                    f"INSERT INTO {table} (id, body) SELECT id::{_KIND[table]}, body FROM snapshot_rows"
                    " WHERE name = %s AND tbl = %s",
                    (name, table),
                )
            pgschema.index(db)  # the ended entities' keys, from their bodies
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

    def when_applied(self, told: Callable[[BaseException | None], None]) -> None:
        told(None)  # what a durable write wrote is read from the same tables at once

    def faults(self) -> list[tuple[int, bytes]]:
        rows = self._db.execute("SELECT id, body FROM faults ORDER BY id").fetchall()
        return [(int(i), bytes(b)) for i, b in rows]

    def close(self) -> None:
        """Every connection closed (a second call does nothing): the lease's last, so that no other process may
        lead while this one can still write."""
        healthy = not (self._db.broken or self._reader.broken)
        self._reader.close()
        self._db.close()
        self._lease.close(release=healthy)


def _arrays(batch: Batch) -> tuple[bytes, ...]:
    """Each table's arrays, in _UPSERTS' order, as WRITE and PUT take them."""
    found: list[bytes] = []
    for rows in (batch.rfqs, batch.quotes, batch.trades):
        found += [pgarrays.int8s([i for i, _ in rows]), pgarrays.byteas([b for _, b in rows])]
    found += [pgarrays.texts([code for code, _ in batch.makers]), pgarrays.byteas([b for _, b in batch.makers])]
    for keys in (batch.rfq_keys, batch.quote_keys, batch.trade_keys):
        found += [pgarrays.texts([k for k, _ in keys]), pgarrays.int8s([i for _, i in keys])]
    return tuple(found)
