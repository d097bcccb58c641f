"""The SQLite store's read side: the engine's ``History`` (engine/history.py) over the key tables of
store/schema.py, and what start-up reads (the rows held in memory, the id counters), on a connection of its own.

That connection only reads (``query_only``), on the event loop's thread. In WAL mode each statement sees the
transactions committed when it began, never one half written, and each read here is a whole statement whose
rows are fetched at once (a cursor left open would keep an old snapshot). Whether what it sees is durable is
the engine's side of the contract: it asks here only for entities it let go of once their rows were durable
(``Venue.forget``), and keeps everything else in memory (engine/history.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec

from openrfq.store.base import StoreError
from openrfq.store.keyed import KeyedHistory, Statements
from openrfq.store.schema import KEYS

T = TypeVar("T")


def reader(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, cached_statements=64)
    db.execute("PRAGMA query_only = 1")
    return db


class SqliteHistory(KeyedHistory):
    """Reads of the venue's past (store/keyed.py); ``_reader`` is the store's read connection."""

    path: Path
    _reader: sqlite3.Connection
    _sql = Statements.of("?", KEYS)
    _read_error = sqlite3.Error
    _in_memory = "WHERE mem = 1"

    def _decoded(self, table: str, decode: Callable[[bytes], T], where: str = "") -> list[T]:
        return decoded(self._reader, self.path, table, decode, where)

    def _unreadable(self, error: Exception) -> str:
        return f"database {self.path.absolute()} is damaged: it cannot be read ({error})"

    # --- the statements -------------------------------------------------------------------------------------------

    def _one(self, sql: str, args: tuple[object, ...], decode: Callable[[bytes], T]) -> T | None:
        row = self._reader.execute(sql, args).fetchone()
        return None if row is None else decode(row[0])

    def _many(self, sql: str, args: tuple[object, ...], decode: Callable[[bytes], T]) -> list[T]:
        return [decode(row[0]) for row in self._reader.execute(sql, args).fetchall()]


def decoded(db: sqlite3.Connection, path: Path, table: str, decode: Callable[[bytes], T], where: str = "") -> list[T]:
    """The table's entities (those ``where`` selects), decoded straight from the cursor; a page SQLite cannot read
    or a row that does not decode raises StoreError naming the table (and the row)."""
    damaged = f"database {path.absolute()} is damaged: table {table}"
    try:
        return list(map(decode, (body for (body,) in db.execute(f"SELECT body FROM {table} {where} ORDER BY id"))))
    except sqlite3.Error as e:
        raise StoreError(f"{damaged} cannot be read ({e})") from None
    except (msgspec.DecodeError, TypeError, ValueError) as e:  # not msgpack, not this entity, not bytes at all
        for row_id, body in db.execute(f"SELECT id, body FROM {table} {where} ORDER BY id"):
            try:
                decode(body)
            except (msgspec.DecodeError, TypeError, ValueError):
                raise StoreError(f"{damaged}, row {row_id!r} does not decode ({e})") from None
        raise StoreError(f"{damaged}: a row does not decode ({e})") from None
