"""The book: the RFQs, quotes, block trades and maker settings the venue holds in memory, and every index over them.

What is in memory: everything live (active and pending_fill RFQs and quotes, pending trades), every maker
setting, and the entities that ended recently: those the store cannot find by their keys yet (``unindexed_*``).
The committer writes their keys in batches once there are ``history_cache`` of them, and once those are durable
the venue calls ``forget_*``: the entity leaves memory. Everything older is the store's, asked through
``history`` (engine/history.py): the lookups here (by id, by client id) try memory, then the store. Without a
store (``NoHistory``) nothing is forgotten.

Rules of this file: an entity enters the book only through ``add_*`` (or ``restore``, which is the same
``add_*`` over stored rows), leaves the live indexes only through ``*_ended``, called by the venue right after
the entity's state changed, and leaves memory only through ``forget_*``; so the indexes can never disagree with
the entities. The book decides nothing: which transition applies, what it cascades to and what is recorded for
the store is the venue's.

Id lists hold the entities in memory, in id order, so they stay sorted for the queries' bisect pagination (and
an id that leaves is found by bisection). The live indexes hold at most one live RFQ per (taker, clRfqId) and
one live quote per (maker, clQuoteId) and per (RFQ, maker), so finding them never walks earlier uses.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from openrfq.domain.ids import BlockTradeId, ClQuoteId, ClRfqId, QuoteId, RfqId, parse_id
from openrfq.domain.makers import Maker
from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.engine.history import AFTER_ALL, BEFORE_ALL, Counters, History, NoHistory

K = TypeVar("K", bound=int)  # a venue id type: RfqId, QuoteId
C = TypeVar("C")  # its client id type: ClRfqId, ClQuoteId
T = TypeVar("T")
DEFAULT_CACHE = 1024  # ended entities kept in memory until their keys are written ([store] history_cache)


class ClientIds(Generic[K, C]):
    """The client ids of one kind of entity, per owner: the entities in memory that used one, and the live one."""

    def __init__(self) -> None:
        self.uses: dict[tuple[str, C], list[K]] = {}  # (owner, client id) -> ids in memory, oldest first
        self.live: dict[tuple[str, C], K] = {}  # (owner, client id) -> the live entity's id

    def add(self, owner: str, cl_id: C, key: K, live: bool) -> None:
        if cl_id:
            self.uses.setdefault((owner, cl_id), []).append(key)
            if live:
                self.live[(owner, cl_id)] = key

    def ended(self, owner: str, cl_id: C, key: K) -> None:
        if cl_id and self.live.get((owner, cl_id)) == key:
            del self.live[(owner, cl_id)]

    def forget(self, owner: str, cl_id: C, key: K) -> None:
        if cl_id:
            ids = self.uses.get((owner, cl_id))
            if ids is not None and discard(ids, key) and not ids:
                del self.uses[(owner, cl_id)]

    def of(self, owner: str, cl_id: C) -> list[K]:
        """The ids in memory that used ``cl_id``, oldest first."""
        return self.uses.get((owner, cl_id), [])

    def latest(self, owner: str, cl_id: C) -> K | None:
        """Of those in memory: the live one, else the newest use."""
        found = self.live.get((owner, cl_id))
        if found is None:
            ids = self.uses.get((owner, cl_id))
            return ids[-1] if ids else None
        return found


def discard(ids: list[K], key: K) -> bool:
    """Take ``key`` out of the sorted list ``ids``; whether it was there."""
    at = bisect_left(ids, key)
    if at < len(ids) and ids[at] == key:
        del ids[at]
        return True
    return False


def drop(ids: list[K] | None, gone: set[K]) -> bool:
    """Take the ids in ``gone`` out of the sorted list ``ids`` (each found by bisection when they are few, else in
    one pass); whether any was there."""
    if not ids or not gone:
        return False
    if len(gone) * 8 < len(ids):
        found = False
        for key in gone:
            found = discard(ids, key) or found
        return found
    before = len(ids)
    ids[:] = [i for i in ids if i not in gone]
    return len(ids) < before


def _first(found: list[T]) -> T | None:
    return found[0] if found else None


class Book:
    def __init__(self, history: History | None = None, history_cache: int = DEFAULT_CACHE) -> None:
        self.history: History = history if history is not None else NoHistory()
        self.history_cache = history_cache
        self.rfqs: dict[RfqId, Rfq] = {}
        self.quotes: dict[QuoteId, Quote] = {}
        self.trades: dict[BlockTradeId, BlockTrade] = {}
        self.makers: dict[str, Maker] = {}  # only traders that set quote products, MMP or Cancel All After
        # Ended (trades: settled) and written, not yet findable by their keys in the store: oldest first.
        self.unindexed_rfqs: dict[RfqId, None] = {}
        self.unindexed_quotes: dict[QuoteId, None] = {}
        self.unindexed_trades: dict[BlockTradeId, None] = {}
        self.next_rfq_id = RfqId(1)
        self.next_quote_id = QuoteId(1)
        self.next_trade_id = BlockTradeId(1)
        self.next_leg_trade_id = 1
        self.next_group_id = 1
        self.rfqs_of: dict[str, list[RfqId]] = {}  # taker and every counterparty -> RFQ ids they can see
        self.quotes_of: dict[str, list[QuoteId]] = {}  # maker and the RFQ's taker -> quote ids they can see
        self.rfq_quotes: dict[RfqId, list[QuoteId]] = {}  # RFQ id -> ids of its quotes
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
        if rfq_id >= self.next_rfq_id:
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
        if quote_id >= self.next_quote_id:
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
        last = trade.last_block_td_id()  # a group's children take ids too
        if last >= self.next_trade_id:
            self.next_trade_id = BlockTradeId(last + 1)
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

    def unindexed(self) -> int:
        return len(self.unindexed_rfqs) + len(self.unindexed_quotes) + len(self.unindexed_trades)

    def forget(self, rfq_ids: Iterable[RfqId], quote_ids: Iterable[QuoteId], trade_ids: Iterable[BlockTradeId]) -> None:
        """Ended entities the store can find by their keys (durably) leave memory, and every index of what is in
        memory; a quote before its RFQ (its taker is its RFQ's)."""
        gone_quotes: set[QuoteId] = set()
        parties: set[str] = set()
        rfqs: dict[RfqId, str] = {}  # the RFQs of the quotes that leave, and their takers
        for quote_id in quote_ids:
            quote = self.quotes.pop(quote_id, None)
            if quote is not None:
                gone_quotes.add(quote_id)
                taker = rfqs.get(quote.rfq_id)
                if taker is None:
                    taker = rfqs[quote.rfq_id] = self.taker_of(quote.rfq_id)
                parties.add(quote.maker)
                parties.add(taker)
                self.cl_quotes.forget(quote.maker, quote.cl_quote_id, quote_id)
        for party in parties:
            drop(self.quotes_of.get(party), gone_quotes)
        for rfq_id in rfqs:
            on_rfq = self.rfq_quotes.get(rfq_id)
            if on_rfq is not None and drop(on_rfq, gone_quotes) and not on_rfq and rfq_id not in self.rfqs:
                del self.rfq_quotes[rfq_id]
        gone_rfqs: set[RfqId] = set()
        parties = set()
        for rfq_id in rfq_ids:
            rfq = self.rfqs.pop(rfq_id, None)
            if rfq is not None:
                gone_rfqs.add(rfq_id)
                parties.update((rfq.taker, *rfq.counterparties))
                if not self.rfq_quotes.get(rfq_id, True):
                    del self.rfq_quotes[rfq_id]
                self.cl_rfqs.forget(rfq.taker, rfq.cl_rfq_id, rfq_id)
        for party in parties:
            drop(self.rfqs_of.get(party), gone_rfqs)
        gone_trades: set[BlockTradeId] = set()
        parties = set()
        insts: set[str] = set()
        for block_td_id in trade_ids:
            trade = self.trades.pop(block_td_id, None)
            if trade is not None:
                gone_trades.add(block_td_id)
                parties.update((trade.taker, trade.maker))
                if self.trade_of_rfq.get(trade.rfq_id) == block_td_id:
                    del self.trade_of_rfq[trade.rfq_id]
                insts.update(leg.inst_id for _, _, leg in trade.every_leg())
        for party in parties:
            drop(self.trades_of.get(party), gone_trades)
        for inst_id in insts:
            legs = self.legs_of.get(inst_id)
            if legs:
                legs[:] = [leg for leg in legs if leg[0] not in gone_trades]

    def restore(
        self,
        rfqs: Iterable[Rfq],
        quotes: Iterable[Quote],
        trades: Iterable[BlockTrade],
        makers: Iterable[Maker] = (),
        counters: Counters | None = None,
    ) -> None:
        """Rebuild the entities and indexes from stored rows, in any order: every row, or (with the store's
        ``counters``) those it held in memory; the ended ones among them wait for their keys again."""
        if counters is not None:
            self.next_rfq_id, self.next_quote_id = RfqId(counters.next_rfq_id), QuoteId(counters.next_quote_id)
            self.next_trade_id = BlockTradeId(counters.next_trade_id)
            self.next_leg_trade_id, self.next_group_id = counters.next_leg_trade_id, counters.next_group_id
        for rfq in sorted(rfqs, key=lambda r: r.rfq_id):
            self.add_rfq(rfq)
        for quote in sorted(quotes, key=lambda q: q.quote_id):
            self.add_quote(quote)
        for trade in sorted(trades, key=lambda t: t.block_td_id):
            self.add_trade(trade)
        for maker in makers:
            self.makers[maker.trader_code] = maker
        if counters is not None:
            self.unindexed_rfqs = {i: None for i, r in self.rfqs.items() if ended(r)}
            self.unindexed_quotes = {i: None for i, q in self.quotes.items() if ended(q)}
            self.unindexed_trades = {i: None for i, t in self.trades.items() if not t.pending}

    # --- finding: memory, then the store ------------------------------------------------------------------------

    def rfq_by_id(self, rfq_id: int) -> Rfq | None:
        found = self.rfqs.get(RfqId(rfq_id))
        if found is None and BEFORE_ALL < rfq_id < self.next_rfq_id:
            found = self.history.rfq(rfq_id)
        return found

    def quote_by_id(self, quote_id: int) -> Quote | None:
        found = self.quotes.get(QuoteId(quote_id))
        if found is None and BEFORE_ALL < quote_id < self.next_quote_id:
            found = self.history.quote(quote_id)
        return found

    def rfq(self, rfq_id: str) -> Rfq | None:
        """The RFQ a wire rfqId names, whoever's it is."""
        parsed = parse_id(rfq_id)
        return self.rfq_by_id(parsed) if parsed is not None else None

    def quote(self, quote_id: str) -> Quote | None:
        """The quote a wire quoteId names, whoever's it is."""
        parsed = parse_id(quote_id)
        return self.quote_by_id(parsed) if parsed is not None else None

    def taker_of(self, rfq_id: RfqId) -> str:
        rfq = self.rfq_by_id(rfq_id)
        return rfq.taker if rfq is not None else ""

    def latest_rfq_id(self, taker: str, cl_rfq_id: ClRfqId) -> RfqId | None:
        """The taker's RFQ that used ``cl_rfq_id``: the live one, else the newest use."""
        found = self.cl_rfqs.live.get((taker, cl_rfq_id))
        if found is None and cl_rfq_id:
            in_memory = self.cl_rfqs.of(taker, cl_rfq_id)
            above = in_memory[-1] if in_memory else BEFORE_ALL
            stored = _first(self.history.rfqs_by_cl(taker, cl_rfq_id, above, AFTER_ALL, 1))
            found = stored.rfq_id if stored is not None else in_memory[-1] if in_memory else None
        return found

    def latest_quote_id(self, maker: str, cl_quote_id: ClQuoteId) -> QuoteId | None:
        """The maker's quote that used ``cl_quote_id``: the live one, else the newest use."""
        found = self.cl_quotes.live.get((maker, cl_quote_id))
        if found is None and cl_quote_id:
            in_memory = self.cl_quotes.of(maker, cl_quote_id)
            above = in_memory[-1] if in_memory else BEFORE_ALL
            stored = _first(self.history.quotes_by_cl(maker, cl_quote_id, above, AFTER_ALL, 1))
            found = stored.quote_id if stored is not None else in_memory[-1] if in_memory else None
        return found

    def own_rfq(self, taker: str, rfq_id: str, cl_rfq_id: ClRfqId) -> Rfq | None:
        """The taker's RFQ named by venue id (which wins when sent) or by client id (the live one, else the
        latest); None when there is none, or when it is someone else's (whose RFQs do not exist for you)."""
        found = self.rfq(rfq_id) if rfq_id else _by(self.rfq_by_id, self.latest_rfq_id(taker, cl_rfq_id))
        return found if found is not None and found.taker == taker else None

    def own_quote(self, maker: str, quote_id: str, cl_quote_id: ClQuoteId) -> Quote | None:
        """The maker's quote named by venue id or client id, as ``own_rfq``."""
        found = self.quote(quote_id) if quote_id else _by(self.quote_by_id, self.latest_quote_id(maker, cl_quote_id))
        return found if found is not None and found.maker == maker else None

    # --- the live state ------------------------------------------------------------------------------------------

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


def _by(find: Callable[[int], T | None], key: int | None) -> T | None:
    return find(key) if key is not None else None


def ended(entity: Rfq | Quote) -> bool:
    """Whether an RFQ or quote reached a final state (it never changes again)."""
    return not entity.state.is_active and not entity.state.is_momentary
