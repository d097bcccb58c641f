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

from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.engine.history import AFTER_ALL, BEFORE_ALL, Counters
from openrfq.store.base import StoreError
from openrfq.store.codec import GROUP, client_id, decode_quote, decode_rfq, decode_trade, instrument, on_rfq
from openrfq.store.codec import party as party_key
from openrfq.store.schema import KEYS

T = TypeVar("T")
_PAGE = "id > ? AND id < ? ORDER BY id DESC LIMIT ?"


def reader(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, cached_statements=64)
    db.execute("PRAGMA query_only = 1")
    return db


def _keyed(table: str) -> str:
    """A page of the table's entities under one key, newest first."""
    return f"SELECT body FROM {KEYS[table]} JOIN {table} USING (id) WHERE key = ? AND {_PAGE}"


_BY_KEY = {table: _keyed(table) for table in KEYS}
_ALL = {table: f"SELECT body FROM {table} WHERE {_PAGE}" for table in KEYS}


class SqliteHistory:
    """Reads of the venue's past; ``_reader`` is the store's read connection."""

    path: Path
    _reader: sqlite3.Connection

    # --- by id --------------------------------------------------------------------------------------------------

    def rfq(self, rfq_id: int) -> Rfq | None:
        return self._one("SELECT body FROM rfqs WHERE id = ?", (rfq_id,), decode_rfq)

    def quote(self, quote_id: int) -> Quote | None:
        return self._one("SELECT body FROM quotes WHERE id = ?", (quote_id,), decode_quote)

    def trade(self, block_td_id: int) -> BlockTrade | None:
        # A group's children take the ids after their parent's: the trade naming an id is the last at or below it.
        found = self._one(
            "SELECT body FROM trades WHERE id <= ? ORDER BY id DESC LIMIT 1", (block_td_id,), decode_trade
        )
        return found if found is not None and found.names(block_td_id) else None

    def trade_of_rfq(self, rfq_id: int) -> BlockTrade | None:
        found = self.trades_keyed(on_rfq(rfq_id), BEFORE_ALL, AFTER_ALL, 1)
        return found[0] if found else None

    # --- pages, newest first ------------------------------------------------------------------------------------

    def rfqs(self, party: str, above: int, below: int, limit: int) -> list[Rfq]:
        if not party:
            return self._many(_ALL["rfqs"], (above, below, limit), decode_rfq)
        return self._many(_BY_KEY["rfqs"], (party_key(party), above, below, limit), decode_rfq)

    def rfqs_by_cl(self, taker: str, cl_rfq_id: str, above: int, below: int, limit: int) -> list[Rfq]:
        return self._many(_BY_KEY["rfqs"], (client_id(taker, cl_rfq_id), above, below, limit), decode_rfq)

    def quotes(self, party: str, above: int, below: int, limit: int) -> list[Quote]:
        if not party:
            return self._many(_ALL["quotes"], (above, below, limit), decode_quote)
        return self._many(_BY_KEY["quotes"], (party_key(party), above, below, limit), decode_quote)

    def quotes_by_cl(self, maker: str, cl_quote_id: str, above: int, below: int, limit: int) -> list[Quote]:
        return self._many(_BY_KEY["quotes"], (client_id(maker, cl_quote_id), above, below, limit), decode_quote)

    def quotes_on(self, rfq_id: int, above: int, below: int, limit: int) -> list[Quote]:
        return self._many(_BY_KEY["quotes"], (on_rfq(rfq_id), above, below, limit), decode_quote)

    def trades(self, party: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        if not party:
            return self._many(_ALL["trades"], (above, below, limit), decode_trade)
        return self.trades_keyed(party_key(party), above, below, limit)

    def trades_with_leg(self, inst_id: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        return self.trades_keyed(instrument(inst_id), above, below, limit)

    def trades_keyed(self, key: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        return self._many(_BY_KEY["trades"], (key, above, below, limit), decode_trade)

    # --- start-up and the control plane ---------------------------------------------------------------------------

    def counters(self) -> Counters:
        """The next ids: one past the newest RFQ, quote, trade (a group's: its last child), leg and group."""
        db = self._reader
        (rfq_id,) = db.execute("SELECT max(id) FROM rfqs").fetchone()
        (quote_id,) = db.execute("SELECT max(id) FROM quotes").fetchone()
        # Group ids are given out in creation order: the newest group RFQ has the highest (a live one is loaded).
        group = self._many(_BY_KEY["rfqs"], (GROUP, BEFORE_ALL, AFTER_ALL, 1), decode_rfq)
        newest = self._one("SELECT body FROM trades ORDER BY id DESC LIMIT 1", (), decode_trade)
        return Counters(
            next_rfq_id=(rfq_id or 0) + 1,
            next_quote_id=(quote_id or 0) + 1,
            next_trade_id=newest.last_block_td_id() + 1 if newest is not None else 1,
            # Leg tradeIds are given out in execution order: the newest trade has the highest.
            next_leg_trade_id=max((leg.trade_id + 1 for _, _, leg in newest.every_leg()), default=1) if newest else 1,
            next_group_id=group[0].group_id + 1 if group else 1,
        )

    def counts(self) -> tuple[int, int, int]:
        db = self._reader
        rfqs, quotes, trades = (
            db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("rfqs", "quotes", "trades")
        )
        return int(rfqs), int(quotes), int(trades)

    def in_memory(self, table: str, decode: Callable[[bytes], T]) -> list[T]:
        """The table's rows the venue holds in memory (live, or ended without keys yet: ``mem = 1``), decoded; a
        row that cannot be read or decoded raises StoreError naming it."""
        return decoded(self._reader, self.path, table, decode, "WHERE mem = 1")

    # --- the statements -------------------------------------------------------------------------------------------

    def _one(self, sql: str, args: tuple[object, ...], decode: Callable[[bytes], T]) -> T | None:
        row = self._reader.execute(sql, args).fetchone()
        return None if row is None else decode(row[0])

    def _many(self, sql: str, args: tuple[object, ...], decode: Callable[[bytes], T], column: int = 0) -> list[T]:
        return [decode(row[column]) for row in self._reader.execute(sql, args).fetchall()]


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
