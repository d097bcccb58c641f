"""The PostgreSQL store's tables: made (or checked) in an existing database when a store first connects.

The same rows as SQLite's (store/schema.py: one row per entity, its msgpack body, whether the venue holds it in
memory, ``mem``, with a partial index of those rows for start-up; key tables that find the ended ones), in the
connection's schema (its ``search_path``: several venues may share one database, a schema each), plus
``lease``: the one row that says which openrfq process leads and since which epoch (store/lease.py). Creating
them is serialized by a transaction-scoped advisory lock, so two processes starting at once on an empty
database do not race.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
import psycopg

from openrfq.engine.book import ended
from openrfq.store import pgarrays
from openrfq.store.base import StoreError
from openrfq.store.codec import Key, decode_quote, decode_rfq, decode_trade, quote_keys, rfq_keys, trade_keys

SCHEMA_VERSION = 1  # the PostgreSQL layout's own version (SQLite's counts apart)
ENTITIES = ("rfqs", "quotes", "trades", "makers")
KEYS = {"rfqs": "rfq_keys", "quotes": "quote_keys", "trades": "trade_keys"}  # the key table of each entity table
T = TypeVar("T")
_DDL_LOCK = 0x6F70656E72667100  # "openrfq\0": held for the length of the creating transaction only

_ENTITY = "id bigint PRIMARY KEY, body bytea NOT NULL, mem boolean NOT NULL DEFAULT true"
_KEY = "key text NOT NULL, id bigint NOT NULL, PRIMARY KEY (key, id)"
TABLES = {
    "rfqs": _ENTITY,
    "quotes": _ENTITY,
    "trades": _ENTITY,
    **{keys: _KEY for keys in KEYS.values()},
    "makers": "id text PRIMARY KEY, body bytea NOT NULL",
    "meta": "key text PRIMARY KEY, value text NOT NULL",
    "snapshots": "name text PRIMARY KEY, body bytea NOT NULL",
    # Entity rows copied whole; ``id`` as text holds both kinds of key (the makers' are trader codes).
    "snapshot_rows": "name text NOT NULL, tbl text NOT NULL, id text NOT NULL, body bytea NOT NULL, "
    "PRIMARY KEY (name, tbl, id)",
    "faults": "id bigint PRIMARY KEY, body bytea NOT NULL",
    # One row. ``lock_key``: the session advisory lock the leader holds (random per venue, so venues in
    # other schemas of the database lock apart); ``epoch``: raised by each new leader, checked by every commit.
    "lease": "id int PRIMARY KEY CHECK (id = 1), lock_key bigint NOT NULL, epoch bigint NOT NULL, "
    "holder text NOT NULL, since_ms bigint NOT NULL",
}


def ensure(db: psycopg.Connection[tuple[object, ...]], shown: str) -> None:
    """The tables made if the schema has none of them, checked if it has them; StoreError if it has some only,
    or another version's. ``db`` is in autocommit mode."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        found = {
            name
            for (name,) in db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                " AND table_name = ANY(%s)",
                (list(TABLES),),
            )
        }
        if not found:
            if db.execute("SELECT current_schema()").fetchone() == (None,):
                raise StoreError(f"store {shown}: no schema to create tables in (its search_path names none)")
            for name, columns in TABLES.items():
                db.execute(f"CREATE TABLE {name} ({columns})")
            for table in KEYS:  # what start-up reads: the rows held in memory, without a scan of the history
                db.execute(f"CREATE INDEX {table}_mem ON {table} (id) WHERE mem")
            now_ms = time.time_ns() // 1_000_000
            db.execute(
                "INSERT INTO meta VALUES ('schema_version', %s), ('venue_id', %s), ('created_ms', %s)",
                (str(SCHEMA_VERSION), uuid.uuid4().hex, str(now_ms)),
            )
            key = secrets.randbits(63)
            db.execute("INSERT INTO lease VALUES (1, %s, 0, '', %s)", (key, now_ms))
            return
        missing = sorted(set(TABLES) - found)
        if missing:
            raise StoreError(f"store {shown} is damaged: table {missing[0]} is missing")
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise StoreError(f"store {shown} is damaged: its schema version is missing")
        if row[0] != str(SCHEMA_VERSION):
            raise StoreError(f"store {shown}: schema version was {row[0]}, this openrfq reads {SCHEMA_VERSION}")
        if db.execute("SELECT count(*) FROM lease").fetchone() != (1,):
            raise StoreError(f"store {shown} is damaged: table lease does not have its one row")


def index(db: psycopg.Connection[tuple[Any, ...]]) -> None:
    """Keys for every ended entity whose row is ``mem`` (a restored snapshot), which then no longer is; in the
    caller's transaction. A row that does not decode stays ``mem``: start-up then reads it, and says so."""
    takers: dict[int, str] = {}  # a quote's keys name its RFQ's taker
    rfqs = _decodable(db, "rfqs", decode_rfq)
    takers.update((r.rfq_id, r.taker) for r in rfqs)
    _index(db, "rfqs", [(r.rfq_id, rfq_keys(r)) for r in rfqs if ended(r)])
    quotes = _decodable(db, "quotes", decode_quote)
    _index(db, "quotes", [(q.quote_id, quote_keys(q, takers.get(q.rfq_id, ""))) for q in quotes if ended(q)])
    trades = _decodable(db, "trades", decode_trade)
    _index(db, "trades", [(t.block_td_id, trade_keys(t)) for t in trades if not t.pending])


def _decodable(db: psycopg.Connection[tuple[Any, ...]], table: str, decode: Callable[[bytes], T]) -> list[T]:
    found = []
    with db.cursor(binary=True) as cursor:
        for (body,) in cursor.execute(f"SELECT body FROM {table} WHERE mem ORDER BY id"):
            try:
                found.append(decode(body))
            except (msgspec.DecodeError, TypeError, ValueError):
                continue
    return found


def _index(db: psycopg.Connection[tuple[Any, ...]], table: str, done: list[tuple[int, list[Key]]]) -> None:
    keys = [key for _, entity_keys in done for key in entity_keys]
    db.execute(
        f"INSERT INTO {KEYS[table]} SELECT * FROM unnest(%b, %b) ON CONFLICT DO NOTHING",
        (pgarrays.texts([k for k, _ in keys]), pgarrays.int8s([i for _, i in keys])),
    )
    db.execute(f"UPDATE {table} SET mem = false WHERE id = ANY(%b)", (pgarrays.int8s([i for i, _ in done]),))
