"""The venue's past as the engine asks for it: the read interface a store implements (``SqliteStore``; the
PostgreSQL store next), so that memory holds what is live and the store answers for everything that ended.

The engine keeps in memory what its commands need (live and settling RFQs and quotes, pending trades, maker
settings, the live indexes, the id counters) and the entities that ended recently: at most ``history_cache`` of
them wait until the committer writes their keys in one batch (store/committer.py's ``cut``), and once that batch
is durable they leave memory (``Venue.forget``). Everything else is read here. So an entity the engine asks for
here is final (an ended RFQ, quote or settled trade never changes again) and durable. A store may also answer
with rows of entities still in memory (a list of every RFQ, or keys written but not yet durable): the engine
reads those from memory and leaves the stored row out (engine/queries.py's ``merged``).

Lists are newest first, ids strictly between ``above`` and ``below`` (``BEFORE_ALL``/``AFTER_ALL`` when
unbounded), at most ``limit`` of them; the engine asks for the next page below the last id it got. A store
reads only committed rows: a separate read connection (SQLite in WAL mode), never half a batch.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from openrfq.domain.models import BlockTrade, Quote, Rfq

BEFORE_ALL = 0  # ids start at 1: "above 0" is every id
AFTER_ALL = (1 << 63) - 1  # the largest id a store keeps (int64): "below it" is every id


class Counters(NamedTuple):
    """The next ids the venue gives out: what start-up reads besides the live state."""

    next_rfq_id: int = 1
    next_quote_id: int = 1
    next_trade_id: int = 1  # a group's children take ids too
    next_leg_trade_id: int = 1
    next_group_id: int = 1


class History(Protocol):
    def rfq(self, rfq_id: int) -> Rfq | None: ...

    def quote(self, quote_id: int) -> Quote | None: ...

    def trade(self, block_td_id: int) -> BlockTrade | None:
        """The block trade ``block_td_id`` names: its own id, or one of a group trade's children's."""

    def trade_of_rfq(self, rfq_id: int) -> BlockTrade | None:
        """The RFQ's block trade (an RFQ executes once)."""

    def rfqs(self, party: str, above: int, below: int, limit: int) -> list[Rfq]:
        """RFQs ``party`` sent or received (its taker or a counterparty); every RFQ when ``party`` is ""."""

    def rfqs_by_cl(self, taker: str, cl_rfq_id: str, above: int, below: int, limit: int) -> list[Rfq]:
        """The taker's RFQs that used ``cl_rfq_id``."""

    def quotes(self, party: str, above: int, below: int, limit: int) -> list[Quote]:
        """Quotes ``party`` made or received (its maker, or its RFQ's taker); every quote when ``party`` is ""."""

    def quotes_by_cl(self, maker: str, cl_quote_id: str, above: int, below: int, limit: int) -> list[Quote]:
        """The maker's quotes that used ``cl_quote_id``."""

    def quotes_on(self, rfq_id: int, above: int, below: int, limit: int) -> list[Quote]:
        """Every quote on the RFQ."""

    def trades(self, party: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        """Block trades ``party`` took part in (taker or maker); every block trade when ``party`` is ""."""

    def trades_with_leg(self, inst_id: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        """Block trades with a leg (a group's: a child's leg) of ``inst_id``."""


class NoHistory:
    """The history of a venue without a store (tests, the seeding benchmark): it never forgets, so this is
    asked only for what never existed."""

    def rfq(self, rfq_id: int) -> Rfq | None:
        return None

    def quote(self, quote_id: int) -> Quote | None:
        return None

    def trade(self, block_td_id: int) -> BlockTrade | None:
        return None

    def trade_of_rfq(self, rfq_id: int) -> BlockTrade | None:
        return None

    def rfqs(self, party: str, above: int, below: int, limit: int) -> list[Rfq]:
        return []

    def rfqs_by_cl(self, taker: str, cl_rfq_id: str, above: int, below: int, limit: int) -> list[Rfq]:
        return []

    def quotes(self, party: str, above: int, below: int, limit: int) -> list[Quote]:
        return []

    def quotes_by_cl(self, maker: str, cl_quote_id: str, above: int, below: int, limit: int) -> list[Quote]:
        return []

    def quotes_on(self, rfq_id: int, above: int, below: int, limit: int) -> list[Quote]:
        return []

    def trades(self, party: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        return []

    def trades_with_leg(self, inst_id: str, above: int, below: int, limit: int) -> list[BlockTrade]:
        return []
