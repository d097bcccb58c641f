"""The SQLite store's schema: its tables and indexes, the check that a database has exactly them, making a new
database, and the forward migrations of an older one.

Version 3 (history out of RAM): an entity row says whether the venue holds the entity in memory (``mem``: live,
or ended but not indexed yet: what start-up loads, through a partial index of those rows alone), and three key
tables (``rfq_keys``, ``quote_keys``, ``trade_keys``: (key, id), store/codec.py says which keys) find the ended
ones. Keys are written for ended entities in batches, not with every row (the committer: a key index written
with each commit dirtied a page per key range per commit, a third more CPU per request; bench/README.md), and
the rows then marked ``mem = 0`` in the same transaction. Version 2 added the control plane's tables; version 1
had the entities alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import msgspec

from openrfq.domain.models import Quote, Rfq
from openrfq.store.base import StoreError
from openrfq.store.codec import Key, decode_quote, decode_rfq, decode_trade, quote_keys, rfq_keys, trade_keys

SCHEMA_VERSION = 3
ENTITIES = ("rfqs", "quotes", "trades", "makers")  # the venue's state: what a snapshot copies
KEYS = {"rfqs": "rfq_keys", "quotes": "quote_keys", "trades": "trade_keys"}  # the key table of each entity table
T = TypeVar("T")

Column = tuple[str, str, int, int]  # (name, type, NOT NULL, primary key) as PRAGMA table_info says
_ID_BODY: list[Column] = [("id", "INTEGER", 0, 1), ("body", "BLOB", 1, 0)]
_MEM: Column = ("mem", "INTEGER", 1, 0)  # 1: the venue holds it in memory (the default: a row just written)
_KEY: list[Column] = [("key", "TEXT", 1, 1), ("id", "INTEGER", 1, 2)]
SCHEMA: dict[str, list[Column]] = {
    "rfqs": [*_ID_BODY, _MEM],
    "quotes": [*_ID_BODY, _MEM],
    "trades": [*_ID_BODY, _MEM],
    "makers": [("id", "TEXT", 0, 1), ("body", "BLOB", 1, 0)],
    "meta": [("key", "TEXT", 0, 1), ("value", "TEXT", 1, 0)],
    # Version 2: the control plane's snapshots (their entity rows copied whole) and fault rules.
    "snapshots": [("name", "TEXT", 0, 1), ("body", "BLOB", 1, 0)],
    "snapshot_rows": [("name", "TEXT", 1, 1), ("tbl", "TEXT", 1, 2), ("id", "", 1, 3), ("body", "BLOB", 1, 0)],
    "faults": [("id", "INTEGER", 0, 1), ("body", "BLOB", 1, 0)],
    # Version 3: the keys of the ended entities.
    **{table: _KEY for table in KEYS.values()},
}
INDEXES = {f"{table}_mem": f"{table} (mem) WHERE mem = 1" for table in KEYS}
ADDED_IN_2 = ("snapshots", "snapshot_rows", "faults")
ADDED_IN_3 = tuple(KEYS.values())


def columns(table: str, schema: dict[str, list[Column]] = SCHEMA) -> str:
    """The table's column definitions, as CREATE TABLE takes them."""
    cols = schema[table]
    keys = [c[0] for c in sorted(cols, key=lambda c: c[3]) if c[3]]
    one_key = len(keys) == 1
    text = ", ".join(
        f"{name}{' ' + kind if kind else ''}{' PRIMARY KEY' * (pk > 0 and one_key)}{' NOT NULL' * not_null}"
        + (" DEFAULT 1" if (name, kind, not_null, pk) == _MEM else "")
        for name, kind, not_null, pk in cols
    )
    return text if one_key else f"{text}, PRIMARY KEY ({', '.join(keys)})"


def create_table(table: str) -> str:
    return f"CREATE TABLE {table} ({columns(table)})" + (" WITHOUT ROWID" if table in ADDED_IN_3 else "")


def layout(version: int) -> dict[str, list[Column]]:
    """The tables of schema version ``version`` (1, 2 or 3)."""
    tables = dict(SCHEMA)
    if version < 3:
        for table in ADDED_IN_3:
            del tables[table]
        for table in KEYS:
            tables[table] = _ID_BODY
    if version < 2:
        for table in ADDED_IN_2:
            del tables[table]
    return tables


def check(db: sqlite3.Connection, shown: Path) -> int:
    """The schema version whose tables (and indexes) the database has; StoreError when it has none exactly."""
    found = {t: [(c[1], c[2], c[3], c[5]) for c in db.execute(f"PRAGMA table_info({t})")] for t in SCHEMA}
    if not any(found.values()):
        raise StoreError(f"database {shown} is damaged: it has none of openrfq's tables")
    version = 1 if not any(found[t] for t in ADDED_IN_2) else 2 if not any(found[t] for t in ADDED_IN_3) else 3
    expected = layout(version)
    for table, cols in expected.items():
        if found[table] != cols:
            what = f"is not ({columns(table, expected)})" if found[table] else "is missing"
            raise StoreError(f"database {shown} is damaged: table {table} {what}")
    if version == 3:
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        for name in INDEXES:
            if name not in indexes:
                raise StoreError(f"database {shown} is damaged: index {name} is missing")
    return version


def create(db: sqlite3.Connection) -> None:
    """Every table and index of the current version, in the caller's transaction."""
    for table in SCHEMA:
        db.execute(create_table(table))
    for name, definition in INDEXES.items():
        db.execute(f"CREATE INDEX {name} ON {definition}")


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Forward from ``version`` to the current one, in the caller's transaction."""
    if version < 2:  # version 2 adds the control plane's tables, nothing else changes
        for table in ADDED_IN_2:
            db.execute(create_table(table))
    if version < 3:  # version 3: every ended entity gets its keys, from its stored body
        for table in KEYS:
            db.execute(f"ALTER TABLE {table} ADD COLUMN mem INTEGER NOT NULL DEFAULT 1")
        for table in ADDED_IN_3:
            db.execute(create_table(table))
        for name, definition in INDEXES.items():
            db.execute(f"CREATE INDEX {name} ON {definition}")
        index(db)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


def index(db: sqlite3.Connection) -> None:
    """Keys for every ended entity whose row is ``mem = 1`` (a migration, a restored snapshot), which then no
    longer is. A row that does not decode stays ``mem = 1``: start-up then reads it, and says so."""
    db.execute("CREATE TEMP TABLE takers (id INTEGER PRIMARY KEY, taker TEXT NOT NULL)")  # a quote's keys need it
    try:
        for rfqs in _chunks(db, "rfqs", decode_rfq):
            db.executemany("INSERT INTO temp.takers VALUES (?, ?)", [(r.rfq_id, r.taker) for r in rfqs])
            _index(db, "rfqs", [(r.rfq_id, rfq_keys(r)) for r in rfqs if _ended(r)])
        for quotes in _chunks(db, "quotes", decode_quote):
            wanted = ",".join(str(q.rfq_id) for q in quotes)
            takers = dict(db.execute(f"SELECT id, taker FROM temp.takers WHERE id IN ({wanted})").fetchall())
            _index(db, "quotes", [(q.quote_id, quote_keys(q, takers.get(q.rfq_id, ""))) for q in quotes if _ended(q)])
        for trades in _chunks(db, "trades", decode_trade):
            _index(db, "trades", [(t.block_td_id, trade_keys(t)) for t in trades if not t.pending])
    finally:
        db.execute("DROP TABLE temp.takers")


def _ended(entity: Rfq | Quote) -> bool:
    return not entity.state.is_active and not entity.state.is_momentary


def _index(db: sqlite3.Connection, table: str, ended: list[tuple[int, list[Key]]]) -> None:
    db.executemany(f"INSERT OR IGNORE INTO {KEYS[table]} VALUES (?, ?)", [key for _, keys in ended for key in keys])
    db.executemany(f"UPDATE {table} SET mem = 0 WHERE id = ?", [(entity_id,) for entity_id, _ in ended])


def _chunks(db: sqlite3.Connection, table: str, decode: Callable[[bytes], T]) -> Iterator[list[T]]:
    """The table's ``mem = 1`` rows that decode, a chunk at a time (the caller updates the table as it goes)."""
    last = -(1 << 63)
    while True:
        rows = db.execute(
            f"SELECT id, body FROM {table} WHERE mem = 1 AND id > ? ORDER BY id LIMIT 10000", (last,)
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        chunk = []
        for _, body in rows:
            try:
                chunk.append(decode(body))
            except (msgspec.DecodeError, TypeError, ValueError):
                continue
        yield chunk
