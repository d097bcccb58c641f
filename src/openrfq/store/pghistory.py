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

from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.engine.history import AFTER_ALL, BEFORE_ALL, Counters
from openrfq.store.base import StoreError
from openrfq.store.codec import GROUP, client_id, decode_quote, decode_rfq, decode_trade, instrument, on_rfq
from openrfq.store.codec import party as party_key
from openrfq.store.pgschema import KEYS

T = TypeVar("T")
_PAGE = "id > %s AND id < %s ORDER BY id DESC LIMIT %s"
_BY_KEY = {
    table: f"SELECT body FROM {KEYS[table]} JOIN {table} USING (id) WHERE key = %s AND {_PAGE}" for table in KEYS
}
_ALL = {table: f"SELECT body FROM {table} WHERE {_PAGE}" for table in KEYS}


class PostgresHistory:
    """Reads of the venue's past; ``_reader`` is the store's read connection, ``path`` how messages name it."""

    path: str
    _reader: psycopg.Connection[tuple[Any, ...]]

    # --- by id --------------------------------------------------------------------------------------------------

    def rfq(self, rfq_id: int) -> Rfq | None:
        return self._one("SELECT body FROM rfqs WHERE id = %s", (rfq_id,), decode_rfq)

    def quote(self, quote_id: int) -> Quote | None:
        return self._one("SELECT body FROM quotes WHERE id = %s", (quote_id,), decode_quote)

    def trade(self, block_td_id: int) -> BlockTrade | None:
        # A group's children take the ids after their parent's: the trade naming an id is the last at or below it.
        found = self._one(
            "SELECT body FROM trades WHERE id <= %s ORDER BY id DESC LIMIT 1", (block_td_id,), decode_trade
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
        row = db.execute("SELECT (SELECT max(id) FROM rfqs), (SELECT max(id) FROM quotes)").fetchone()
        rfq_id, quote_id = row if row is not None else (None, None)
        group = self._many(_BY_KEY["rfqs"], (GROUP, BEFORE_ALL, AFTER_ALL, 1), decode_rfq)
        newest = self._one("SELECT body FROM trades ORDER BY id DESC LIMIT 1", (), decode_trade)
        return Counters(
            next_rfq_id=(rfq_id or 0) + 1,
            next_quote_id=(quote_id or 0) + 1,
            next_trade_id=newest.last_block_td_id() + 1 if newest is not None else 1,
            next_leg_trade_id=max((leg.trade_id + 1 for _, _, leg in newest.every_leg()), default=1) if newest else 1,
            next_group_id=group[0].group_id + 1 if group else 1,
        )

    def counts(self) -> tuple[int, int, int]:
        row = self._reader.execute(
            "SELECT (SELECT count(*) FROM rfqs), (SELECT count(*) FROM quotes), (SELECT count(*) FROM trades)"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    def in_memory(self, table: str, decode: Callable[[bytes], T]) -> list[T]:
        """The table's rows the venue holds in memory (``mem``), decoded; StoreError naming one that does not."""
        return decoded(self._reader, self.path, table, decode, "WHERE mem")

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
