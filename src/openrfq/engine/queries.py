"""The read side: what a viewer may see of the book, filtered and paginated the way OKX's list endpoints are.

Functions of the book that change nothing (the venue fires due timers before it calls them, so they never show
a quote that should already have expired). Lists are newest first: an id list of the book is walked backwards
between the page's bounds (``newest_first``) and filtered until the page is full (``take``), so a page costs
what it shows, not the viewer's whole history.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TypeVar

from openrfq.domain import errors, execution, rules
from openrfq.domain.commands import QuoteQuery, RfqQuery, TradeQuery
from openrfq.domain.enums import QuoteState, RfqState
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
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import BlockTrade, Quote, Rfq, TradeLeg
from openrfq.engine.book import Book

T = TypeVar("T")
I = TypeVar("I", bound=int)  # noqa: E741 (an id type)
E = TypeVar("E", RfqState, QuoteState)


def find_rfqs(book: Book, q: RfqQuery) -> list[Rfq]:
    """RFQs the viewer sent or received, newest first, per OKX's filters."""
    state = state_filter(q.state, RfqState)
    ids: list[RfqId]
    if q.rfq_id:
        parsed = parse_rfq_id(q.rfq_id)
        rfq = book.rfqs.get(parsed) if parsed is not None else None
        ids = [rfq.rfq_id] if rfq is not None and (q.viewer == rfq.taker or q.viewer in rfq.counterparties) else []
    elif q.cl_rfq_id:
        # Client ids are the taker's secret: a maker's clRfqId filter matches nothing.
        ids = book.cl_rfqs.of(q.viewer, ClRfqId(q.cl_rfq_id))
    else:
        ids = book.rfqs_of.get(q.viewer, [])
    found = (book.rfqs[i] for i in newest_first(ids, q.begin_id, q.end_id))
    return take(found, q.limit, lambda r: state is None or r.state_for(q.viewer) is state)


def find_quotes(book: Book, q: QuoteQuery) -> list[Quote]:
    """Quotes the viewer made or received, newest first, per OKX's filters (all of them apply)."""
    state = state_filter(q.state, QuoteState)
    ids: list[QuoteId]
    if q.quote_id:
        parsed = parse_quote_id(q.quote_id)
        ids = [parsed] if parsed is not None and parsed in book.quotes else []
    elif q.cl_quote_id:
        ids = book.cl_quotes.of(q.viewer, ClQuoteId(q.cl_quote_id))
    else:
        ids = book.quotes_of.get(q.viewer, [])
    rfq_filter: int | None = None
    if q.rfq_id:
        rfq_filter = parse_id(q.rfq_id) or -1
    elif q.cl_rfq_id:
        own = book.cl_rfqs.of(q.viewer, ClRfqId(q.cl_rfq_id))
        rfq_filter = own[-1] if own else -1

    def keep(quote: Quote) -> bool:
        if rfq_filter is not None and quote.rfq_id != rfq_filter:
            return False
        if state is not None and quote.state is not state:
            return False
        return q.viewer in (quote.maker, book.rfqs[quote.rfq_id].taker)

    found = (book.quotes[i] for i in newest_first(ids, q.begin_id, q.end_id))
    return take(found, q.limit, keep)


def find_trades(book: Book, q: TradeQuery) -> list[BlockTrade]:
    """Block trades the viewer took part in, newest first, per OKX's filters (all of them apply): those that
    filled (``isSuccessful`` true, the default) or those that failed; one still settling is neither."""
    rfq_id, quote_id, block_td_id = id_filter(q.rfq_id), id_filter(q.quote_id), id_filter(q.block_td_id)

    def keep(t: BlockTrade) -> bool:
        is_taker = t.taker == q.viewer
        return (
            not t.pending
            and t.is_successful == q.is_successful
            and (rfq_id is None or t.rfq_id == rfq_id)
            and (rfq_id is not None or not q.cl_rfq_id or (is_taker and t.cl_rfq_id == q.cl_rfq_id))
            and (quote_id is None or t.quote_id == quote_id)
            and (quote_id is not None or not q.cl_quote_id or (t.maker == q.viewer and t.cl_quote_id == q.cl_quote_id))
            and (block_td_id is None or t.names(block_td_id))
            and (q.begin_ts is None or t.c_time >= q.begin_ts)
            and (q.end_ts is None or t.c_time <= q.end_ts)
        )

    ids = book.trades_of.get(q.viewer, [])
    if rfq_id is not None:
        one = book.trade_of_rfq.get(RfqId(rfq_id))
        trade = book.trades.get(one) if one is not None else None
        ids = [trade.block_td_id] if trade is not None and q.viewer in (trade.taker, trade.maker) else []
    found = (book.trades[i] for i in newest_first(ids, q.begin_id, q.end_id))
    return take(found, q.limit, keep)


def public_trades(book: Book, until_ms: int, begin_id: int | None, end_id: int | None, limit: int) -> list[BlockTrade]:
    """Every block trade that filled, executed at or before ``until_ms`` (the public delay applied), newest first."""
    last = book.next_trade_id - 1
    newest = last if end_id is None else min(end_id - 1, last)
    result = []
    # Ids are dense (1, 2, 3, ...) but for a group's children after the first: they name no trade of their own.
    for block_td_id in range(newest, max(begin_id or 0, 0), -1):
        trade = book.trades.get(BlockTradeId(block_td_id))
        if trade is not None and trade.is_successful and trade.c_time <= until_ms:
            result.append(trade)
            if len(result) >= limit:
                break
    return result


def public_legs(
    book: Book, inst_id: str, since_ms: int, until_ms: int, limit: int
) -> list[tuple[BlockTrade, TradeLeg]]:
    """Single legs of ``inst_id`` that traded in [since_ms, until_ms], newest first (a group's by account)."""
    result: list[tuple[BlockTrade, TradeLeg]] = []
    for block_td_id, child, index in reversed(book.legs_of.get(inst_id, [])):
        trade = book.trades[block_td_id]
        if trade.c_time > until_ms:
            continue
        if trade.c_time < since_ms or len(result) >= limit:
            break
        leg = trade.leg_at(child, index)
        if leg is not None:
            result.append((trade, leg))
    return result


def block_volumes(book: Book, inst: Instrument, since_ms: int, until_ms: int) -> tuple[Decimal, Decimal]:
    """(vol, volCcy) of ``inst``'s block-trade legs executed in [since_ms, until_ms], exactly summed."""
    vol = vol_ccy = Decimal(0)
    every = len(book.legs_of.get(inst.inst_id, ()))
    for _, leg in public_legs(book, inst.inst_id, since_ms, until_ms, limit=every):
        v, vc = execution.volumes(inst, leg.px, leg.sz, leg.tgt_ccy)
        vol, vol_ccy = rules.EXACT.add(vol, v), rules.EXACT.add(vol_ccy, vc)
    return vol, vol_ccy


# --- pagination and filters ------------------------------------------------------------------------------------


def newest_first(ids: list[I], begin_id: int | None, end_id: int | None) -> Iterator[I]:
    """Ids strictly between beginId and endId, newest first (OKX: beginId newer-than, endId older-than); ``ids``
    ascending."""
    lo = bisect_right(ids, begin_id) if begin_id is not None else 0
    hi = bisect_left(ids, end_id) if end_id is not None else len(ids)
    for index in range(hi - 1, lo - 1, -1):
        yield ids[index]


def take(items: Iterator[T], limit: int, keep: Callable[[T], bool]) -> list[T]:
    """The first ``limit`` items that ``keep`` accepts (a page), reading no further."""
    result: list[T] = []
    for item in items:
        if keep(item):
            result.append(item)
            if len(result) >= limit:
                break
    return result


def id_filter(value: str) -> int | None:
    """An id filter: None when not given; an id that cannot exist (-1) when it is not a venue id."""
    if not value:
        return None
    parsed = parse_id(value)
    return parsed if parsed is not None else -1


def state_filter(value: str, enum: type[E]) -> E | None:
    """A state filter: None when not given; 51000 for state when it is not one of ``enum``'s values."""
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        raise errors.ParameterError(param0="state") from None
