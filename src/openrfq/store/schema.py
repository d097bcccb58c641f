"""The SQLite store's schema: its tables and indexes, the check that a database has exactly them, making a new
database, and the forward migrations of an older one.

Version 3 (history out of RAM) keeps beside each entity's body the columns its reads need, and the indexes over
them: who can see an RFQ, a quote or a trade, its client id, its RFQ, whether it is live (what start-up loads).
A row written without them (``(id, body)`` alone: the store's own tests) gets their defaults, which count it as
live, so start-up reads it. Version 2 added the control plane's tables; version 1 had the entities alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import msgspec

from openrfq.store.base import StoreError
from openrfq.store.codec import (
    decode_quote,
    decode_rfq,
    decode_trade,
    quote_columns,
    rfq_columns,
    rfq_parties,
    trade_columns,
    trade_insts,
    trade_parties,
)

T = TypeVar("T")

SCHEMA_VERSION = 3
ENTITIES = ("rfqs", "quotes", "trades", "makers")  # the venue's state: what a snapshot copies
SEEN = ("rfq_parties", "trade_parties", "trade_insts")  # who sees an RFQ or a trade, which instruments a trade has
LIVE = "('active', 'pending_fill')"  # the states of a live RFQ or quote (start-up loads them)

Column = tuple[str, str, int, int, str]  # (name, type, NOT NULL, primary key, default) as PRAGMA table_info says
_ID_BODY: list[Column] = [("id", "INTEGER", 0, 1, ""), ("body", "BLOB", 1, 0, "")]


def _text(name: str, default: str = "''") -> Column:
    return (name, "TEXT", 1, 0, default)


def _int(name: str) -> Column:
    return (name, "INTEGER", 1, 0, "0")


def _seen(key: str) -> list[Column]:
    return [(key, "TEXT", 1, 1, ""), ("id", "INTEGER", 1, 2, "")]


# Every table with its columns; an entity table's columns after (id, body) are those its rows carry, in order.
SCHEMA: dict[str, list[Column]] = {
    "rfqs": [*_ID_BODY, _text("taker"), _text("cl"), _text("state", "'active'"), _int("grp")],
    "quotes": [*_ID_BODY, _text("maker"), _text("taker"), _int("rfq"), _text("cl"), _text("state", "'active'")],
    "trades": [*_ID_BODY, _text("taker"), _text("maker"), _int("rfq"), _int("outcome")],  # outcome 0: pending
    "makers": [("id", "TEXT", 0, 1, ""), ("body", "BLOB", 1, 0, "")],
    "meta": [("key", "TEXT", 0, 1, ""), ("value", "TEXT", 1, 0, "")],
    # Version 2: the control plane's snapshots (their entity rows copied whole) and fault rules.
    "snapshots": [("name", "TEXT", 0, 1, ""), ("body", "BLOB", 1, 0, "")],
    "snapshot_rows": [
        ("name", "TEXT", 1, 1, ""),
        ("tbl", "TEXT", 1, 2, ""),
        ("id", "", 1, 3, ""),
        ("body", "BLOB", 1, 0, ""),
    ],
    "faults": [("id", "INTEGER", 0, 1, ""), ("body", "BLOB", 1, 0, "")],
    # Version 3: who sees an RFQ (its taker and counterparties), a trade (taker and maker), a trade's instruments.
    "rfq_parties": _seen("party"),
    "trade_parties": _seen("party"),
    "trade_insts": _seen("inst"),
}
INDEXES = {
    "rfqs_cl": "rfqs (taker, cl) WHERE cl != ''",
    "rfqs_live": f"rfqs (state) WHERE state IN {LIVE}",
    "rfqs_group": "rfqs (grp) WHERE grp > 0",
    "quotes_maker": "quotes (maker)",
    "quotes_taker": "quotes (taker)",
    "quotes_rfq": "quotes (rfq)",
    "quotes_cl": "quotes (maker, cl) WHERE cl != ''",
    "quotes_live": f"quotes (state) WHERE state IN {LIVE}",
    "trades_rfq": "trades (rfq)",
    "trades_pending": "trades (outcome) WHERE outcome = 0",
}
ADDED_IN_2 = ("snapshots", "snapshot_rows", "faults")
ADDED_IN_3 = SEEN
CHANGING = {"rfqs": ("state",), "quotes": ("state",), "trades": ("outcome",)}  # what a later row may change


def columns(table: str, schema: dict[str, list[Column]] = SCHEMA) -> str:
    """The table's column definitions, as CREATE TABLE takes them."""
    cols = schema[table]
    keys = [c[0] for c in sorted(cols, key=lambda c: c[3]) if c[3]]
    one_key = len(keys) == 1
    text = ", ".join(
        f"{name}{' ' + kind if kind else ''}{' PRIMARY KEY' * (pk > 0 and one_key)}{' NOT NULL' * not_null}"
        + (f" DEFAULT {default}" if default else "")
        for name, kind, not_null, pk, default in cols
    )
    return text if one_key else f"{text}, PRIMARY KEY ({', '.join(keys)})"


def create_table(table: str) -> str:
    return f"CREATE TABLE {table} ({columns(table)})" + (" WITHOUT ROWID" if table in SEEN else "")


def layout(schema: int) -> dict[str, list[Column]]:
    """The tables of schema version ``schema`` (1, 2 or 3)."""
    tables = dict(SCHEMA)
    if schema < 3:
        for table in ADDED_IN_3:
            del tables[table]
        for table in ("rfqs", "quotes", "trades"):
            tables[table] = _ID_BODY
    if schema < 2:
        for table in ADDED_IN_2:
            del tables[table]
    return tables


def check(db: sqlite3.Connection, shown: Path) -> int:
    """The schema version the database's tables are of; StoreError when they are none of them, exactly."""
    found = {t: [(c[1], c[2], c[3], c[5]) for c in db.execute(f"PRAGMA table_info({t})")] for t in SCHEMA}
    if not any(found.values()):
        raise StoreError(f"database {shown} is damaged: it has none of openrfq's tables")
    version = 1 if not any(found[t] for t in ADDED_IN_2) else 2 if not any(found[t] for t in ADDED_IN_3) else 3
    expected = layout(version)
    for table, cols in expected.items():
        if found[table] != [c[:4] for c in cols]:
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
    if version < 3:  # version 3: the entity tables gain their index columns, filled from the stored bodies
        for table, cols in SCHEMA.items():
            if table in CHANGING:
                for name, kind, _, _, default in cols[2:]:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind} NOT NULL DEFAULT {default}")
        for table in ADDED_IN_3:
            db.execute(create_table(table))
        fill(db)
        for name, definition in INDEXES.items():
            db.execute(f"CREATE INDEX {name} ON {definition}")
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


def fill(db: sqlite3.Connection) -> None:
    """The index columns and tables of every entity row, from its body (a migration, a restored snapshot). A row
    that does not decode keeps the defaults, which count it as live: start-up then reads it, and says so."""
    for rfq in _decoded(db, "rfqs", decode_rfq):
        taker, cl, state, grp = rfq_columns(rfq)
        db.execute(
            "UPDATE rfqs SET taker = ?, cl = ?, state = ?, grp = ? WHERE id = ?", (taker, cl, state, grp, rfq.rfq_id)
        )
        db.executemany("INSERT OR IGNORE INTO rfq_parties VALUES (?, ?)", rfq_parties(rfq))
    for quote in _decoded(db, "quotes", decode_quote):
        maker, _, rfq_id, cl, state = quote_columns(quote, "")
        db.execute(
            "UPDATE quotes SET maker = ?, rfq = ?, cl = ?, state = ? WHERE id = ?",
            (maker, rfq_id, cl, state, quote.quote_id),
        )
    db.execute("UPDATE quotes SET taker = coalesce((SELECT taker FROM rfqs WHERE rfqs.id = quotes.rfq), '')")
    for trade in _decoded(db, "trades", decode_trade):
        taker, maker, rfq_id, outcome = trade_columns(trade)
        db.execute(
            "UPDATE trades SET taker = ?, maker = ?, rfq = ?, outcome = ? WHERE id = ?",
            (taker, maker, rfq_id, outcome, trade.block_td_id),
        )
        db.executemany("INSERT OR IGNORE INTO trade_parties VALUES (?, ?)", trade_parties(trade))
        db.executemany("INSERT OR IGNORE INTO trade_insts VALUES (?, ?)", trade_insts(trade))


def _decoded(db: sqlite3.Connection, table: str, decode: Callable[[bytes], T]) -> Iterator[T]:
    """The table's rows that decode, read a chunk at a time (the caller updates the table as it goes)."""
    last = -(1 << 63)
    while True:
        chunk = db.execute(f"SELECT id, body FROM {table} WHERE id > ? ORDER BY id LIMIT 10000", (last,)).fetchall()
        if not chunk:
            return
        last = chunk[-1][0]
        for _, body in chunk:
            try:
                yield decode(body)
            except (msgspec.DecodeError, TypeError, ValueError):
                continue
