"""The PostgreSQL store's tables: made (or checked) in an existing database when a store first connects.

The same rows as SQLite's (store/sqlite.py: one row per entity, its msgpack body), in the connection's schema
(its ``search_path``: several venues may share one database, a schema each), plus ``lease``: the one row that
says which openrfq process leads and since which epoch (store/lease.py). Creating them is serialized by a
transaction-scoped advisory lock, so two processes starting at once on an empty database do not race.
"""

from __future__ import annotations

import secrets
import time
import uuid

import psycopg

from openrfq.store.base import StoreError

SCHEMA_VERSION = 1  # the PostgreSQL layout's own version (SQLite's counts apart)
ENTITIES = ("rfqs", "quotes", "trades", "makers")
_DDL_LOCK = 0x6F70656E72667100  # "openrfq\0": held for the length of the creating transaction only

TABLES = {
    "rfqs": "id bigint PRIMARY KEY, body bytea NOT NULL",
    "quotes": "id bigint PRIMARY KEY, body bytea NOT NULL",
    "trades": "id bigint PRIMARY KEY, body bytea NOT NULL",
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
