"""The read side both stores share: the engine's ``History`` (engine/history.py) over the key tables, written once.

The SQL is the same on SQLite and PostgreSQL but for its placeholders (``?``, ``%s``): ``Statements`` holds it
for one of them. A store's history says how it runs a statement (``_one``, ``_many``) and what it holds in memory
(``in_memory``); everything else is here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.engine.history import AFTER_ALL, BEFORE_ALL, Counters
from openrfq.store.base import Snapshot, StoreError
from openrfq.store.codec import (
    GROUP,
    client_id,
    decode_maker,
    decode_quote,
    decode_rfq,
    decode_trade,
    instrument,
    on_rfq,
)
from openrfq.store.codec import party as party_key

T = TypeVar("T")


@dataclass(frozen=True)
class Statements:
    """The reads' SQL with the driver's placeholder ``p``, over the key tables ``keys`` (entity table -> its keys)."""

    by_key: dict[str, str]  # a page of a table's entities under one key, newest first
    all: dict[str, str]  # a page of a table's entities, newest first
    by_id: dict[str, str]

    @classmethod
    def of(cls, p: str, keys: Mapping[str, str]) -> Statements:
        page = f"id > {p} AND id < {p} ORDER BY id DESC LIMIT {p}"
        return cls(
            by_key={t: f"SELECT body FROM {keys[t]} JOIN {t} USING (id) WHERE key = {p} AND {page}" for t in keys},
            all={t: f"SELECT body FROM {t} WHERE {page}" for t in keys},
            by_id={
                "rfqs": f"SELECT body FROM rfqs WHERE id = {p}",
                "quotes": f"SELECT body FROM quotes WHERE id = {p}",
                # A group's children take the ids after their parent's: the trade naming an id is the last at or
                # below it.
                "trades": f"SELECT body FROM trades WHERE id <= {p} ORDER BY id DESC LIMIT 1",
            },
        )


class KeyedHistory:
    """Reads of the venue's past; ``_reader`` is the store's read connection (``execute(sql).fetchone()``)."""

    _sql: Statements
    _reader: Any
    _read_error: type[Exception] = Exception  # what the driver raises when a read fails
    _in_memory = ""  # the WHERE clause of the rows the venue holds in memory (its ``mem`` column set)

    def load(self) -> Snapshot:
        """Every stored entity (the whole history: tests, tools); StoreError naming a row that cannot be read or
        decoded."""
        return Snapshot(
            rfqs=self._decoded("rfqs", decode_rfq),
            quotes=self._decoded("quotes", decode_quote),
            trades=self._decoded("trades", decode_trade),
            makers=self._decoded("makers", decode_maker),
        )

    def load_live(self) -> Snapshot:
        """What start-up reads: the rows held in memory, every maker's settings, the id counters (store/base.py)."""
        try:
            counters = self.counters()
        except self._read_error as e:
            raise StoreError(self._unreadable(e)) from None
        return Snapshot(
            rfqs=self.in_memory("rfqs", decode_rfq),
            quotes=self.in_memory("quotes", decode_quote),
            trades=self.in_memory("trades", decode_trade),
            makers=self._decoded("makers", decode_maker),
            counters=counters,
        )

    def in_memory(self, table: str, decode: Callable[[bytes], T]) -> list[T]:
        """The table's rows the venue holds in memory (live, or ended without keys yet), decoded; StoreError
        naming a row that cannot be read or decoded."""
        return self._decoded(table, decode, self._in_memory)

    # --- by id --------------------------------------------------------------------------------------------------

    def rfq(self, rfq_id: int) -> Rfq | None:
        return self._one(self._sql.by_id["rfqs"], (rfq_id,), decode_rfq)

    def quote(self, quote_id: int) -> Quote | None:
        return self._one(self._sql.by_id["quotes"], (quote_id,), decode_quote)

    def trade(self, block_td_id: int) -> BlockTrade | None:
        found = self._one(self._sql.by_id["trades"], (block_td_id,), decode_trade)
        return found if found is not None and found.names(block_td_id) else None

    def trade_of_rfq(self, rfq_id: int) -> BlockTrade | None:
        found = self.trades_keyed(on_rfq(rfq_id), BEFORE_ALL, AFTER_ALL, 1)
        return found[0] if found else None

    # --- pages, newest first ------------------------------------------------------------------------------------

    def rfqs(self, party: str, above: int, below: int, limit: int) -> list[Rfq]:
        if not party:
            return self._many(self._sql.all["rfqs"], (above, below, limit), decode_rfq)
        return self._many(self._sql.by_key["rfqs"], (party_key(party), above, below, limit), decode_rfq)

    def rfqs_by_cl(self, taker: str, cl_rfq_id: str, above: int, below: int, limit: int) -> list[Rfq]:
        return self._many(self._sql.by_key["rfqs"], (client_id(taker, cl_rfq_id), above, below, limit), decode_rfq)

    def quotes(self, party: str, above: int, below: int, limit: int) -> list[Quote]:
        if not party:
            return self._many(self._sql.all["quotes"], (above, below, limit), decode_quote)
        return self._many(self._sql.by_key["quotes"], (party_key(party), above, below, limit), decode_quote)

    def quotes_by_cl(self, maker: str, cl_quote_id: str, above: int, below: int, limit: int) -> list[Quote]:
        key = client_id(maker, cl_quote_id)
        return self._many(self._sql.by_key["quotes"], (key, above, below, limit), decode_quote)

    def quotes_on(self, rfq_id: int, above: int, below: int, limit: int) -> list[Quote]:
        return self._many(self._sql.by_key["quotes"], (on_rfq(rfq_id), above, below, limit), decode_quote)

    def trades(self, party: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        if not party:
            return self._many(self._sql.all["trades"], (above, below, limit), decode_trade)
        return self.trades_keyed(party_key(party), above, below, limit)

    def trades_with_leg(self, inst_id: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        return self.trades_keyed(instrument(inst_id), above, below, limit)

    def trades_keyed(self, key: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        return self._many(self._sql.by_key["trades"], (key, above, below, limit), decode_trade)

    # --- start-up and the control plane ---------------------------------------------------------------------------

    def counters(self) -> Counters:
        """The next ids: one past the newest RFQ, quote, trade (a group's: its last child), leg and group."""
        row = self._reader.execute("SELECT (SELECT max(id) FROM rfqs), (SELECT max(id) FROM quotes)").fetchone()
        rfq_id, quote_id = row if row is not None else (None, None)
        # Group ids are given out in creation order: the newest group RFQ has the highest (a live one is loaded).
        group = self._many(self._sql.by_key["rfqs"], (GROUP, BEFORE_ALL, AFTER_ALL, 1), decode_rfq)
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
        row = self._reader.execute(
            "SELECT (SELECT count(*) FROM rfqs), (SELECT count(*) FROM quotes), (SELECT count(*) FROM trades)"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    # --- the statements, as the store's driver runs them ------------------------------------------------------------

    def _decoded(self, table: str, decode: Callable[[bytes], T], where: str = "") -> list[T]:
        """The table's entities (those ``where`` selects) in id order; StoreError naming a row that does not."""
        raise NotImplementedError

    def _unreadable(self, error: Exception) -> str:
        raise NotImplementedError

    def _one(self, sql: str, args: tuple[object, ...], decode: Callable[[bytes], T]) -> T | None:
        raise NotImplementedError

    def _many(self, sql: str, args: tuple[object, ...], decode: Callable[[bytes], T]) -> list[T]:
        raise NotImplementedError
