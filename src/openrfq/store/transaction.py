"""A SQLite transaction of batches from the commit log (store/sqlite.py): their rows, the keys of ended entities,
meta and fault rules, and the log's sequence number they reach, in one transaction; on the store's applier
thread (store/applier.py), or on the caller's once that thread is done."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from functools import lru_cache

from openrfq.store.base import Batch
from openrfq.store.schema import ENTITIES, KEYS

_CHUNK = 64  # rows per INSERT statement: one statement per table for a typical batch, few distinct statements


@lru_cache(maxsize=1024)
def _insert(table: str, rows: int) -> str:
    """``rows`` rows of (id, body): an entity or maker row written again changes only its body (not ``mem``)."""
    return (
        f"INSERT INTO {table} (id, body) VALUES {','.join(('(?,?)',) * rows)} "
        "ON CONFLICT (id) DO UPDATE SET body = excluded.body"
    )


@lru_cache(maxsize=1024)
def _insert_keys(table: str, rows: int) -> str:
    return f"INSERT OR IGNORE INTO {table} VALUES " + ",".join(("(?,?)",) * rows)


def commit(db: sqlite3.Connection, batches: list[Batch], seq: int) -> None:
    """``batches`` in order in one transaction, with ``log_seq`` = ``seq`` (the last of them in the log)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for batch in _merged(batches):
            if batch.wipe:  # a reset: every entity row goes first
                for table in (*ENTITIES, *KEYS.values()):
                    db.execute(f"DELETE FROM {table}")
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", batch.meta)
            db.executemany("DELETE FROM faults WHERE id = ?", [(i,) for i, body in batch.faults if body is None])
            db.executemany("INSERT OR REPLACE INTO faults VALUES (?, ?)", [r for r in batch.faults if r[1] is not None])
            _insert_all(db, batch)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('log_seq', ?)", (str(seq),))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _insert_all(db: sqlite3.Connection, batch: Batch) -> None:
    for table, items in _tables(batch):
        for start in range(0, len(items), _CHUNK):
            chunk = items[start : start + _CHUNK]
            db.execute(_statement(table, len(chunk)), [value for row in chunk for value in row])
    indexed = batch.indexed
    done: Sequence[int]
    for entities, done in (("rfqs", indexed.rfqs), ("quotes", indexed.quotes), ("trades", indexed.trades)):
        for start in range(0, len(done), _CHUNK * 8):  # their keys are in: no longer held in memory
            ids = done[start : start + _CHUNK * 8]
            db.execute(f"UPDATE {entities} SET mem = 0 WHERE id IN ({','.join('?' * len(ids))})", ids)


def _tables(batch: Batch) -> list[tuple[str, Sequence[tuple[object, object]]]]:
    """The batch's rows by table, in the order they are written."""
    return [
        ("rfqs", batch.rfqs),
        ("quotes", batch.quotes),
        ("trades", batch.trades),
        ("makers", batch.makers),
        ("rfq_keys", batch.rfq_keys),
        ("quote_keys", batch.quote_keys),
        ("trade_keys", batch.trade_keys),
    ]


def rows_alone(batch: Batch) -> bool:
    """A batch of entity rows and nothing else (what may wait in the log)."""
    return not (
        batch.wipe or batch.meta or batch.faults or batch.rfq_keys or batch.quote_keys or batch.trade_keys
    ) and not any(batch.indexed)


def _merged(batches: list[Batch]) -> Iterator[Batch]:
    """``batches`` with each run of rows-alone batches made one (each row written once: its last body), in order."""
    rows: tuple[dict[int, bytes], dict[int, bytes], dict[int, bytes], dict[str, bytes]] | None = None
    for batch in batches:
        if rows_alone(batch):
            if rows is None:
                rows = ({}, {}, {}, {})
            rows[0].update(batch.rfqs)
            rows[1].update(batch.quotes)
            rows[2].update(batch.trades)
            rows[3].update(batch.makers)
            continue
        if rows is not None:
            yield _batch_of(rows)
            rows = None
        yield batch
    if rows is not None:
        yield _batch_of(rows)


def _batch_of(rows: tuple[dict[int, bytes], dict[int, bytes], dict[int, bytes], dict[str, bytes]]) -> Batch:
    rfqs, quotes, trades, makers = rows
    return Batch(list(rfqs.items()), list(quotes.items()), list(trades.items()), list(makers.items()))


def _statement(table: str, rows: int) -> str:
    return _insert_keys(table, rows) if table.endswith("_keys") else _insert(table, rows)
