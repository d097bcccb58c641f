"""The PostgreSQL store's read side: the engine's ``History`` (engine/history.py) over the key tables, and what
start-up reads (the rows held in memory, the id counters): the same queries as SQLite's (store/history.py), the
same results, on a connection of their own.

That connection only reads, in autocommit mode: each statement sees the transactions committed when it began,
never half a batch. It is used on the event loop's thread (a read is one indexed statement, well under a
millisecond on a local network), while the writer thread has the store's other connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
import psycopg

from openrfq.store.base import StoreError
from openrfq.store.keyed import KeyedHistory, Statements
from openrfq.store.pgschema import KEYS

T = TypeVar("T")


class PostgresHistory(KeyedHistory):
    """Reads of the venue's past (store/keyed.py); ``_reader`` is the store's read connection, ``path`` how messages
    name it."""

    path: str
    _reader: psycopg.Connection[tuple[Any, ...]]
    _sql = Statements.of("%s", KEYS)
    _read_error = psycopg.Error
    _in_memory = "WHERE mem"

    def _decoded(self, table: str, decode: Callable[[bytes], T], where: str = "") -> list[T]:
        return decoded(self._reader, self.path, table, decode, where)

    def _unreadable(self, error: Exception) -> str:
        return f"store {self.path}: it cannot be read ({error})"

    # --- the statements -------------------------------------------------------------------------------------------

    def _one(self, sql: str, args: tuple[object, ...], decode: Callable[[bytes], T]) -> T | None:
        with self._reader.cursor(binary=True) as cursor:
            row = cursor.execute(sql, args, prepare=True).fetchone()
        return None if row is None else decode(row[0])

    def _many(self, sql: str, args: tuple[object, ...], decode: Callable[[bytes], T]) -> list[T]:
        with self._reader.cursor(binary=True) as cursor:
            return [decode(row[0]) for row in cursor.execute(sql, args, prepare=True).fetchall()]


def decoded(
    db: psycopg.Connection[tuple[Any, ...]], shown: str, table: str, decode: Callable[[bytes], T], where: str = ""
) -> list[T]:
    """The table's entities (those ``where`` selects), decoded; StoreError naming the table (and the row) when one
    cannot be read or does not decode."""
    damaged = f"store {shown} is damaged: table {table}"
    with db.cursor(binary=True) as cursor:
        try:
            rows = cursor.execute(f"SELECT id, body FROM {table} {where} ORDER BY id").fetchall()
        except psycopg.Error as e:
            raise StoreError(f"store {shown}: table {table} cannot be read ({e})") from None
    found = []
    for row_id, body in rows:
        try:
            found.append(decode(body))
        except (msgspec.DecodeError, TypeError, ValueError) as e:
            raise StoreError(f"{damaged}, row {row_id!r} does not decode ({e})") from None
    return found
