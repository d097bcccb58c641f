"""The default store: one SQLite file in WAL mode, ``synchronous=FULL`` so a commit survives power loss too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from openrfq.store.base import Batch, Snapshot
from openrfq.store.codec import decode_maker, decode_quote, decode_rfq, decode_trade

SCHEMA_VERSION = 1
_TABLES = ("rfqs", "quotes", "trades")


class SqliteStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Used from the committer's single writer thread after construction.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        for table in _TABLES:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS makers (id TEXT PRIMARY KEY, body BLOB NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise RuntimeError(f"{path}: schema version was {row[0]}, this openrfq reads {SCHEMA_VERSION}")

    def load(self) -> Snapshot:
        def rows(table: str) -> list[bytes]:
            return [body for (body,) in self._db.execute(f"SELECT body FROM {table} ORDER BY id")]

        return Snapshot(
            rfqs=[decode_rfq(b) for b in rows("rfqs")],
            quotes=[decode_quote(b) for b in rows("quotes")],
            trades=[decode_trade(b) for b in rows("trades")],
            makers=[decode_maker(b) for b in rows("makers")],
        )

    def write(self, batch: Batch) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            tables: tuple[tuple[str, list[tuple[int, bytes]] | list[tuple[str, bytes]]], ...] = (
                ("rfqs", batch.rfqs),
                ("quotes", batch.quotes),
                ("trades", batch.trades),
                ("makers", batch.makers),
            )
            for table, items in tables:
                if items:
                    db.executemany(f"INSERT OR REPLACE INTO {table} (id, body) VALUES (?, ?)", items)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()
