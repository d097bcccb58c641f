"""The read side: what a viewer may see of the venue, filtered and paginated the way OKX's list endpoints are.

Functions that change nothing (the venue fires due timers before it calls them, so they never show a quote that
should already have expired). What ended long ago is the store's (engine/history.py), the rest is the book's:
every list merges the two, newest first (``merged``): the ids in memory walked backwards between the page's
bounds (``newest_first``), the store's rows page by page below the last one read, a row of an entity still in
memory left for the entity (it is newer). The merged stream is filtered until the page is full (``take``), so a
page costs what it shows, not the viewer's whole history. A filter that only what is live can pass (state
active or pending_fill) never asks the store: everything live is in memory.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import TypeVar

from openrfq.domain import errors, execution, rules
from openrfq.domain.commands import QuoteQuery, RfqQuery, TradeQuery
from openrfq.domain.enums import QuoteState, RfqState
from openrfq.domain.ids import ClQuoteId, ClRfqId, RfqId, parse_id, parse_quote_id, parse_rfq_id
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import BlockTrade, Quote, Rfq, TradeLeg
from openrfq.engine.book import Book
from openrfq.engine.history import AFTER_ALL, BEFORE_ALL

T = TypeVar("T")
I = TypeVar("I", bound=int)  # noqa: E741 (an id type)
E = TypeVar("E", RfqState, QuoteState)
Fetch = Callable[[int, int, int], list[T]]  # (above, below, limit): a page of stored rows, newest first
MAX_PAGE = 1024  # rows per store read once the first pages did not fill the answer


def find_rfqs(book: Book, q: RfqQuery) -> list[Rfq]:
    """RFQs the viewer sent or received, newest first, per OKX's filters."""
    state = state_filter(q.state, RfqState)
    above, below = bounds(q.begin_id, q.end_id)
    viewer, history = q.viewer, book.history
    fetch: Fetch[Rfq] | None
    found: Iterator[Rfq]
    if q.rfq_id:
        parsed = parse_rfq_id(q.rfq_id)
        rfq = book.rfq_by_id(parsed) if parsed is not None else None
        seen = rfq is not None and (viewer == rfq.taker or viewer in rfq.counterparties)
        found = one(rfq if seen else None, _rfq_id, above, below)
    elif q.cl_rfq_id:
        # Client ids are the taker's secret: a maker's clRfqId filter matches nothing.
        cl = ClRfqId(q.cl_rfq_id)
        fetch = lambda a, b, n: history.rfqs_by_cl(viewer, cl, a, b, n)  # noqa: E731
        found = merged(book.rfqs, book.cl_rfqs.of(viewer, cl), fetch, _rfq_id, above, below, q.limit)
    else:
        fetch = None if state in _LIVE_RFQ else lambda a, b, n: history.rfqs(viewer, a, b, n)
        found = merged(book.rfqs, book.rfqs_of.get(viewer, []), fetch, _rfq_id, above, below, q.limit)
    return take(found, q.limit, lambda r: state is None or r.state_for(viewer) is state)


def find_quotes(book: Book, q: QuoteQuery) -> list[Quote]:
    """Quotes the viewer made or received, newest first, per OKX's filters (all of them apply)."""
    state = state_filter(q.state, QuoteState)
    above, below = bounds(q.begin_id, q.end_id)
    viewer, history = q.viewer, book.history
    rfq_filter: int | None = None
    if q.rfq_id:
        rfq_filter = parse_id(q.rfq_id) or -1
    elif q.cl_rfq_id:
        rfq_filter = book.latest_rfq_id(viewer, ClRfqId(q.cl_rfq_id)) or -1
    fetch: Fetch[Quote] | None
    seen_by: str | None = None  # whose quotes only, when not all of them are the viewer's to see
    found: Iterator[Quote]
    if q.quote_id:
        parsed = parse_quote_id(q.quote_id)
        quote = book.quote_by_id(parsed) if parsed is not None else None
        if quote is not None and viewer not in (quote.maker, book.taker_of(quote.rfq_id)):
            quote = None
        found = one(quote, _quote_id, above, below)
    elif q.cl_quote_id:
        cl = ClQuoteId(q.cl_quote_id)
        fetch = lambda a, b, n: history.quotes_by_cl(viewer, cl, a, b, n)  # noqa: E731
        found = merged(book.quotes, book.cl_quotes.of(viewer, cl), fetch, _quote_id, above, below, q.limit)
    elif rfq_filter is not None:  # the RFQ's quotes, those the viewer may see: the taker all, a maker its own
        rfq_id = RfqId(rfq_filter)
        seen_by = None if book.taker_of(rfq_id) == viewer else viewer
        fetch = None if state in _LIVE_QUOTE else lambda a, b, n: history.quotes_on(rfq_id, a, b, n)
        ids = book.rfq_quotes.get(rfq_id, []) if rfq_filter > 0 else []
        found = merged(book.quotes, ids, fetch if rfq_filter > 0 else None, _quote_id, above, below, q.limit)
    else:
        fetch = None if state in _LIVE_QUOTE else lambda a, b, n: history.quotes(viewer, a, b, n)
        found = merged(book.quotes, book.quotes_of.get(viewer, []), fetch, _quote_id, above, below, q.limit)

    def keep(quote: Quote) -> bool:
        return (
            (rfq_filter is None or quote.rfq_id == rfq_filter)
            and (state is None or quote.state is state)
            and (seen_by is None or quote.maker == seen_by)
        )

    return take(found, q.limit, keep)


def rfqs_of(book: Book, quotes: list[Quote]) -> dict[int, Rfq]:
    """The RFQs of ``quotes`` (what rendering a quote needs), each looked up once."""
    found: dict[int, Rfq] = {}
    for quote in quotes:
        if quote.rfq_id not in found:
            rfq = book.rfq_by_id(quote.rfq_id)
            assert rfq is not None, f"quote {quote.quote_id}: RFQ {quote.rfq_id} is missing"
            found[quote.rfq_id] = rfq
    return found


def find_trades(book: Book, q: TradeQuery) -> list[BlockTrade]:
    """Block trades the viewer took part in, newest first, per OKX's filters (all of them apply): those that
    filled (``isSuccessful`` true, the default) or those that failed; one still settling is neither."""
    rfq_id, quote_id, block_td_id = id_filter(q.rfq_id), id_filter(q.quote_id), id_filter(q.block_td_id)
    above, below = bounds(q.begin_id, q.end_id)
    viewer, history = q.viewer, book.history
    fetch: Fetch[BlockTrade]

    def keep(t: BlockTrade) -> bool:
        is_taker = t.taker == viewer
        return (
            not t.pending
            and t.is_successful == q.is_successful
            and (rfq_id is None or t.rfq_id == rfq_id)
            and (rfq_id is not None or not q.cl_rfq_id or (is_taker and t.cl_rfq_id == q.cl_rfq_id))
            and (quote_id is None or t.quote_id == quote_id)
            and (quote_id is not None or not q.cl_quote_id or (t.maker == viewer and t.cl_quote_id == q.cl_quote_id))
            and (block_td_id is None or t.names(block_td_id))
            and (q.begin_ts is None or t.c_time >= q.begin_ts)
            and (q.end_ts is None or t.c_time <= q.end_ts)
        )

    # An id filter names one trade at most (an RFQ executes once, a quote with it): that one, if the viewer's.
    named: BlockTrade | None = None
    if rfq_id is not None or quote_id is not None:
        quote = book.quote_by_id(quote_id) if rfq_id is None and quote_id is not None and quote_id > 0 else None
        of_rfq = rfq_id if rfq_id is not None else quote.rfq_id if quote is not None else -1
        named = trade_of_rfq(book, of_rfq) if of_rfq > 0 else None
    elif block_td_id is not None:
        named = trade_naming(book, block_td_id) if block_td_id > 0 else None
    else:
        fetch = lambda a, b, n: history.trades(viewer, a, b, n)  # noqa: E731
        found = merged(book.trades, book.trades_of.get(viewer, []), fetch, _trade_id, above, below, q.limit)
        return take(found, q.limit, keep)
    seen = named is not None and viewer in (named.taker, named.maker)
    return take(one(named if seen else None, _trade_id, above, below), q.limit, keep)


def trade_of_rfq(book: Book, rfq_id: int) -> BlockTrade | None:
    in_memory = book.trade_of_rfq.get(RfqId(rfq_id))
    if in_memory is not None:
        return book.trades[in_memory]
    return book.history.trade_of_rfq(rfq_id) if rfq_id < book.next_rfq_id else None


def trade_naming(book: Book, block_td_id: int) -> BlockTrade | None:
    """The trade ``block_td_id`` names: its own, or a group trade one of whose children has it."""
    for trade in book.trades.values():  # in memory: what is settling or not durable yet
        if trade.names(block_td_id):
            return trade
    return book.history.trade(block_td_id) if block_td_id < book.next_trade_id else None


def public_trades(book: Book, until_ms: int, begin_id: int | None, end_id: int | None, limit: int) -> list[BlockTrade]:
    """Every block trade that filled, executed at or before ``until_ms`` (the public delay applied), newest first."""
    above, below = bounds(begin_id, end_id)
    fetch = lambda a, b, n: book.history.trades("", a, b, n)  # noqa: E731
    found = merged(book.trades, list(book.trades), fetch, _trade_id, above, below, limit)
    return take(found, limit, lambda t: t.is_successful and t.c_time <= until_ms)


def public_legs(
    book: Book, inst_id: str, since_ms: int, until_ms: int, limit: int
) -> list[tuple[BlockTrade, TradeLeg]]:
    """Single legs of ``inst_id`` that traded in [since_ms, until_ms], newest first (a group's by account)."""
    result: list[tuple[BlockTrade, TradeLeg]] = []
    in_memory = list(dict.fromkeys(block_td_id for block_td_id, _, _ in book.legs_of.get(inst_id, ())))
    fetch = lambda a, b, n: book.history.trades_with_leg(inst_id, a, b, n)  # noqa: E731
    for trade in merged(book.trades, in_memory, fetch, _trade_id, BEFORE_ALL, AFTER_ALL, min(limit, MAX_PAGE)):
        for child, index, leg in reversed(trade.every_leg()):
            if leg.inst_id != inst_id or trade.c_time > until_ms:
                continue
            if trade.c_time < since_ms or len(result) >= limit:
                return result
            traded = trade.leg_at(child, index)
            if traded is not None:
                result.append((trade, traded))
    return result


def block_volumes(book: Book, inst: Instrument, since_ms: int, until_ms: int) -> tuple[Decimal, Decimal]:
    """(vol, volCcy) of ``inst``'s block-trade legs executed in [since_ms, until_ms], exactly summed."""
    vol = vol_ccy = Decimal(0)
    for _, leg in public_legs(book, inst.inst_id, since_ms, until_ms, limit=AFTER_ALL):
        v, vc = execution.volumes(inst, leg.px, leg.sz, leg.tgt_ccy)
        vol, vol_ccy = rules.EXACT.add(vol, v), rules.EXACT.add(vol_ccy, vc)
    return vol, vol_ccy


def newest(book: Book, limit: int) -> tuple[list[Rfq], list[Quote], list[BlockTrade]]:
    """The venue's newest RFQs, quotes and block trades, whoever's (the control plane's admin view)."""
    history = book.history
    rfqs = merged(book.rfqs, list(book.rfqs), lambda a, b, n: history.rfqs("", a, b, n), _rfq_id, 0, AFTER_ALL, limit)
    quotes = merged(
        book.quotes, list(book.quotes), lambda a, b, n: history.quotes("", a, b, n), _quote_id, 0, AFTER_ALL, limit
    )
    trades = merged(
        book.trades, list(book.trades), lambda a, b, n: history.trades("", a, b, n), _trade_id, 0, AFTER_ALL, limit
    )
    return take(rfqs, limit, _any), take(quotes, limit, _any), take(trades, limit, _any)


_LIVE_RFQ = (RfqState.ACTIVE, RfqState.PENDING_FILL)
_LIVE_QUOTE = (QuoteState.ACTIVE, QuoteState.PENDING_FILL)


def _rfq_id(rfq: Rfq) -> int:
    return rfq.rfq_id


def _quote_id(quote: Quote) -> int:
    return quote.quote_id


def _trade_id(trade: BlockTrade) -> int:
    return trade.block_td_id


def _any(item: object) -> bool:
    return True


# --- merging memory and the store ------------------------------------------------------------------------------


def merged(
    in_memory: Mapping[I, T],
    ids: list[I],
    fetch: Fetch[T] | None,
    key: Callable[[T], int],
    above: int,
    below: int,
    first_page: int,
) -> Iterator[T]:
    """The entities ``ids`` names (in memory, ascending) and those ``fetch`` reads from the store, as one stream
    newest first between the bounds; a stored row of an entity in memory is left out (memory is newer)."""
    from_memory = (in_memory[i] for i in newest_first(ids, above, below))
    if fetch is None:
        return from_memory
    stored = (item for item in pages(fetch, key, above, below, first_page) if key(item) not in in_memory)
    return heapq.merge(from_memory, stored, key=key, reverse=True)


def pages(fetch: Fetch[T], key: Callable[[T], int], above: int, below: int, size: int) -> Iterator[T]:
    """Stored rows page by page, each read below the last row of the one before, pages growing up to MAX_PAGE."""
    size = max(1, min(size, MAX_PAGE))
    while True:
        page = fetch(above, below, size)
        yield from page
        if len(page) < size:
            return
        below = key(page[-1])
        size = min(size * 4, MAX_PAGE)


def one(item: T | None, key: Callable[[T], int], above: int, below: int) -> Iterator[T]:
    """``item`` if there is one and its id is between the bounds."""
    if item is not None and above < key(item) < below:
        yield item


# --- pagination and filters ------------------------------------------------------------------------------------


def bounds(begin_id: int | None, end_id: int | None) -> tuple[int, int]:
    """OKX's beginId (newer than) and endId (older than) as exclusive id bounds a store can take (int64)."""
    above = BEFORE_ALL if begin_id is None else max(BEFORE_ALL, min(begin_id, AFTER_ALL))
    below = AFTER_ALL if end_id is None else max(BEFORE_ALL, min(end_id, AFTER_ALL))
    return above, below


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
