"""The book: every RFQ, quote, block trade and maker setting the venue holds, and every index over them.

Rules of this file: an entity enters the book only through ``add_*`` (or ``restore``, which is the same
``add_*`` over stored rows), and leaves the live indexes only through ``*_ended``, called by the venue right
after the entity's state changed; so the indexes can never disagree with the entities. The book decides
nothing: which transition applies, what it cascades to and what is recorded for the store is the venue's.

Id lists are appended in id order, so they stay sorted for the queries' bisect pagination. The live indexes
hold at most one live RFQ per (taker, clRfqId) and one live quote per (maker, clQuoteId) and per (RFQ, maker),
so finding them never walks the earlier uses of a client id that a bot re-uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from openrfq.domain.ids import (
    BlockTradeId,
    ClQuoteId,
    ClRfqId,
    QuoteId,
    RfqId,
    parse_id,
    parse_quote_id,
    parse_rfq_id,
)
from openrfq.domain.makers import Maker
from openrfq.domain.models import BlockTrade, Quote, Rfq

K = TypeVar("K")  # a venue id type: RfqId, QuoteId
C = TypeVar("C")  # its client id type: ClRfqId, ClQuoteId
T = TypeVar("T")  # the entity: Rfq, Quote


class ClientIds(Generic[K, C]):
    """The client ids of one kind of entity, per owner: every entity that used one, and the live one."""

    def __init__(self) -> None:
        self.uses: dict[tuple[str, C], list[K]] = {}  # (owner, client id) -> ids, oldest first
        self.live: dict[tuple[str, C], K] = {}  # (owner, client id) -> the live entity's id

    def add(self, owner: str, cl_id: C, key: K, live: bool) -> None:
        if cl_id:
            self.uses.setdefault((owner, cl_id), []).append(key)
            if live:
                self.live[(owner, cl_id)] = key

    def ended(self, owner: str, cl_id: C, key: K) -> None:
        if cl_id and self.live.get((owner, cl_id)) == key:
            del self.live[(owner, cl_id)]

    def of(self, owner: str, cl_id: C) -> list[K]:
        """Every id that used ``cl_id``, oldest first."""
        return self.uses.get((owner, cl_id), [])

    def latest(self, owner: str, cl_id: C) -> K | None:
        """The live one, else the newest use."""
        found = self.live.get((owner, cl_id))
        if found is None:
            ids = self.uses.get((owner, cl_id))
            return ids[-1] if ids else None
        return found


def own(
    entities: dict[K, T],
    client_ids: ClientIds[K, C],
    parse: Callable[[str], K | None],
    owner_of: Callable[[T], str],
    owner: str,
    id_text: str,
    cl_id: C,
) -> T | None:
    """The ``owner``'s entity named by venue id (which wins when sent) or by client id (the live one, else the
    latest); None when there is none, or when it is someone else's (whose entities do not exist for you)."""
    key = parse(id_text) if id_text else client_ids.latest(owner, cl_id)
    found = entities.get(key) if key is not None else None
    return found if found is not None and owner_of(found) == owner else None


def _taker(rfq: Rfq) -> str:
    return rfq.taker


def _maker(quote: Quote) -> str:
    return quote.maker


class Book:
    def __init__(self) -> None:
        self.rfqs: dict[RfqId, Rfq] = {}
        self.quotes: dict[QuoteId, Quote] = {}
        self.trades: dict[BlockTradeId, BlockTrade] = {}
        self.makers: dict[str, Maker] = {}  # only traders that set quote products, MMP or Cancel All After
        self.next_rfq_id = RfqId(1)
        self.next_quote_id = QuoteId(1)
        self.next_trade_id = BlockTradeId(1)
        self.next_leg_trade_id = 1
        self.next_group_id = 1
        self.rfqs_of: dict[str, list[RfqId]] = {}  # taker and every counterparty -> RFQ ids they can see
        self.quotes_of: dict[str, list[QuoteId]] = {}  # maker and the RFQ's taker -> quote ids they can see
        self.rfq_quotes: dict[RfqId, list[QuoteId]] = {}  # RFQ id -> ids of every quote on it
        self.cl_rfqs: ClientIds[RfqId, ClRfqId] = ClientIds()
        self.cl_quotes: ClientIds[QuoteId, ClQuoteId] = ClientIds()
        self.live_rfqs_of: dict[str, dict[RfqId, None]] = {}  # taker -> its live RFQs (insertion-ordered set)
        self.live_quotes_of: dict[str, dict[QuoteId, None]] = {}  # maker -> its live quotes
        self.live_quote_of: dict[tuple[RfqId, str], QuoteId] = {}  # (RFQ id, maker) -> the maker's live quote
        self.trades_of: dict[str, list[BlockTradeId]] = {}  # taker and maker -> blockTdIds they can see
        self.trade_of_rfq: dict[RfqId, BlockTradeId] = {}  # RFQ id -> its block trade (an RFQ executes once)
        # instId -> (blockTdId, child index or -1, leg index) of every leg with a tradeId (BlockTrade.every_leg)
        self.legs_of: dict[str, list[tuple[BlockTradeId, int, int]]] = {}
        self.pending_trades: dict[BlockTradeId, None] = {}  # executed, not yet settled (insertion-ordered set)

    # --- entering and leaving ----------------------------------------------------------------------------------

    def add_rfq(self, rfq: Rfq) -> None:
        rfq_id = rfq.rfq_id
        self.rfqs[rfq_id] = rfq
        self.next_rfq_id = RfqId(rfq_id + 1)
        for party in (rfq.taker, *rfq.counterparties):
            self.rfqs_of.setdefault(party, []).append(rfq_id)
        self.rfq_quotes.setdefault(rfq_id, [])
        if rfq.group_id >= self.next_group_id:
            self.next_group_id = rfq.group_id + 1
        live = rfq.state.is_active
        self.cl_rfqs.add(rfq.taker, rfq.cl_rfq_id, rfq_id, live)
        if live:
            self.live_rfqs_of.setdefault(rfq.taker, {})[rfq_id] = None

    def add_quote(self, quote: Quote) -> None:
        quote_id, taker = quote.quote_id, self.rfqs[quote.rfq_id].taker
        self.quotes[quote_id] = quote
        self.next_quote_id = QuoteId(quote_id + 1)
        self.quotes_of.setdefault(quote.maker, []).append(quote_id)
        self.quotes_of.setdefault(taker, []).append(quote_id)
        self.rfq_quotes.setdefault(quote.rfq_id, []).append(quote_id)
        live = quote.state.is_active
        self.cl_quotes.add(quote.maker, quote.cl_quote_id, quote_id, live)
        if live:
            self.live_quote_of[(quote.rfq_id, quote.maker)] = quote_id
            self.live_quotes_of.setdefault(quote.maker, {})[quote_id] = None

    def add_trade(self, trade: BlockTrade) -> None:
        block_td_id = trade.block_td_id
        self.trades[block_td_id] = trade
        self.next_trade_id = BlockTradeId(trade.last_block_td_id() + 1)  # a group's children take ids too
        for party in dict.fromkeys((trade.taker, trade.maker)):
            self.trades_of.setdefault(party, []).append(block_td_id)
        self.trade_of_rfq[trade.rfq_id] = block_td_id
        for child, index, leg in trade.every_leg():
            self.legs_of.setdefault(leg.inst_id, []).append((block_td_id, child, index))
            self.next_leg_trade_id = max(self.next_leg_trade_id, leg.trade_id + 1)
        if trade.pending:
            self.pending_trades[block_td_id] = None

    def trade_settled(self, trade: BlockTrade) -> None:
        """``trade`` (a new version of a pending one, same id) has settled: filled or failed."""
        self.trades[trade.block_td_id] = trade
        self.pending_trades.pop(trade.block_td_id, None)

    def rfq_ended(self, rfq: Rfq) -> None:
        """Upkeep after ``rfq`` left its live state."""
        self.live_rfqs_of.get(rfq.taker, {}).pop(rfq.rfq_id, None)
        self.cl_rfqs.ended(rfq.taker, rfq.cl_rfq_id, rfq.rfq_id)

    def quote_ended(self, quote: Quote) -> None:
        """Upkeep after ``quote`` left its live state."""
        self.live_quote_of.pop((quote.rfq_id, quote.maker), None)
        self.cl_quotes.ended(quote.maker, quote.cl_quote_id, quote.quote_id)
        self.live_quotes_of.get(quote.maker, {}).pop(quote.quote_id, None)

    def restore(
        self,
        rfqs: Iterable[Rfq],
        quotes: Iterable[Quote],
        trades: Iterable[BlockTrade],
        makers: Iterable[Maker] = (),
    ) -> None:
        """Rebuild the entities and indexes from stored rows, in any order."""
        for rfq in sorted(rfqs, key=lambda r: r.rfq_id):
            self.add_rfq(rfq)
        for quote in sorted(quotes, key=lambda q: q.quote_id):
            self.add_quote(quote)
        for trade in sorted(trades, key=lambda t: t.block_td_id):
            self.add_trade(trade)
        for maker in makers:
            self.makers[maker.trader_code] = maker

    # --- finding -----------------------------------------------------------------------------------------------

    def rfq(self, rfq_id: str) -> Rfq | None:
        """The RFQ a wire rfqId names, whoever's it is."""
        parsed = parse_id(rfq_id)
        return self.rfqs.get(RfqId(parsed)) if parsed is not None else None

    def quote(self, quote_id: str) -> Quote | None:
        """The quote a wire quoteId names, whoever's it is."""
        parsed = parse_id(quote_id)
        return self.quotes.get(QuoteId(parsed)) if parsed is not None else None

    def own_rfq(self, taker: str, rfq_id: str, cl_rfq_id: ClRfqId) -> Rfq | None:
        return own(self.rfqs, self.cl_rfqs, parse_rfq_id, _taker, taker, rfq_id, cl_rfq_id)

    def own_quote(self, maker: str, quote_id: str, cl_quote_id: ClQuoteId) -> Quote | None:
        return own(self.quotes, self.cl_quotes, parse_quote_id, _maker, maker, quote_id, cl_quote_id)

    def live_rfq_by_cl(self, taker: str, cl_rfq_id: ClRfqId) -> Rfq | None:
        rfq_id = self.cl_rfqs.live.get((taker, cl_rfq_id))
        return None if rfq_id is None else self.rfqs[rfq_id]

    def live_quote_by_cl(self, maker: str, cl_quote_id: ClQuoteId) -> Quote | None:
        quote_id = self.cl_quotes.live.get((maker, cl_quote_id))
        return None if quote_id is None else self.quotes[quote_id]

    def live_quote_id(self, rfq_id: RfqId, maker: str) -> QuoteId | None:
        """The maker's live quote on the RFQ: the one a new quote of the maker's replaces."""
        return self.live_quote_of.get((rfq_id, maker))

    def live_rfqs(self, taker: str) -> list[Rfq]:
        return [self.rfqs[i] for i in self.live_rfqs_of.get(taker, {})]

    def live_quotes(self, maker: str) -> list[Quote]:
        return [self.quotes[i] for i in self.live_quotes_of.get(maker, {})]

    def live_quotes_on(self, rfq_id: RfqId) -> list[Quote]:
        return [q for q in (self.quotes[i] for i in self.rfq_quotes.get(rfq_id, ())) if q.state.is_active]

    def live_rfq_count(self) -> int:
        return sum(len(ids) for ids in self.live_rfqs_of.values())

    def live_quote_count(self) -> int:
        return sum(len(ids) for ids in self.live_quotes_of.values())
