"""The engine's timer queue: what comes due when (an RFQ's or a quote's expiry, a maker's Cancel All After, the
settlement of an execution when settlement is asynchronous).

A timer is ``(due ms, kind, key)`` in a min-heap, so timers pop in due order, and timers due at the same
millisecond in the order of their kinds (an RFQ's expiry before a quote's: the RFQ's ends its quotes first),
then of their keys (ids are increasing: the oldest first). Timers are never taken out: when one pops, the venue
checks that what it was armed for still holds (the quote is still live and still valid until then; the
countdown was not reset; the trade still pending), so cancelling or re-arming costs nothing here; ``compact``
drops, now and then, those that no longer hold. Time is the
venue clock's; the queue only compares numbers. The ``add_*`` helpers know which field of an entity a kind of
timer waits for.
"""

from __future__ import annotations

import heapq
from enum import IntEnum

from openrfq.domain.ids import BlockTradeId, QuoteId, RfqId
from openrfq.domain.makers import Maker
from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.engine.book import Book


class TimerKind(IntEnum):
    """What a timer is for; the value orders timers due at the same millisecond."""

    RFQ_EXPIRY = 0  # key: the RFQ id
    QUOTE_EXPIRY = 1  # key: the quote id
    CANCEL_ALL_AFTER = 2  # key: the maker's trader code
    SETTLEMENT = 3  # key: the block trade's id (a group's: its parent's)


Timer = tuple[int, TimerKind, int | str]  # (due ms, kind, id or trader code)
SLACK = 4096  # timers beyond twice those that still hold, before the queue drops those that do not


class Timers:
    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._limit = SLACK  # how many timers before ``prune`` compacts

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, due_ms: int, kind: TimerKind, key: int | str) -> None:
        heapq.heappush(self._heap, (due_ms, kind, key))

    def add_rfq_expiry(self, rfq: Rfq) -> None:
        heapq.heappush(self._heap, (rfq.valid_until, TimerKind.RFQ_EXPIRY, rfq.rfq_id))

    def add_quote_expiry(self, quote: Quote) -> None:
        heapq.heappush(self._heap, (quote.valid_until, TimerKind.QUOTE_EXPIRY, quote.quote_id))

    def add_cancel_all_after(self, maker: Maker) -> None:
        heapq.heappush(self._heap, (maker.cancel_all_after, TimerKind.CANCEL_ALL_AFTER, maker.trader_code))

    def add_settlement(self, trade: BlockTrade) -> None:
        heapq.heappush(self._heap, (trade.settle_at, TimerKind.SETTLEMENT, trade.block_td_id))

    def add_restored(self, book: Book) -> None:
        """The timers of a book just restored: its live RFQs' and quotes' expiries, its armed countdowns, its
        pending executions' settlements (stored with the trades: a restart settles them as scheduled)."""
        for rfq_ids in book.live_rfqs_of.values():
            for rfq_id in rfq_ids:
                self.add_rfq_expiry(book.rfqs[rfq_id])
        for quote_ids in book.live_quotes_of.values():
            for quote_id in quote_ids:
                self.add_quote_expiry(book.quotes[quote_id])
        for maker in book.makers.values():
            if maker.cancel_all_after:
                self.add_cancel_all_after(maker)
        for block_td_id in book.pending_trades:
            self.add_settlement(book.trades[block_td_id])

    def prune(self, book: Book) -> None:
        """Compact once the queue has grown past twice what held at the last compaction (timers are never taken
        out: what ended leaves its timers behind)."""
        if len(self._heap) > self._limit:
            self.compact(book)
            self._limit = 2 * len(self._heap) + SLACK

    def compact(self, book: Book) -> None:
        """Drop the timers that can no longer do anything (``holds``): what the venue calls once the queue holds
        many of those, so that it grows with what is live, not with what happened."""
        self._heap = [timer for timer in self._heap if holds(book, *timer)]
        heapq.heapify(self._heap)

    def next_due(self) -> int | None:
        """When the earliest timer comes due, if any."""
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int) -> Timer | None:
        """The earliest timer due at or before ``now_ms``, taken out of the queue; None when none is due."""
        heap = self._heap
        if heap and heap[0][0] <= now_ms:
            return heapq.heappop(heap)
        return None


def holds(book: Book, due: int, kind: TimerKind, key: int | str) -> bool:
    """Whether a timer can still do something when it fires (what ``Venue.advance`` checks then)."""
    if kind is TimerKind.RFQ_EXPIRY:
        rfq = book.rfqs.get(RfqId(int(key)))
        return rfq is not None and rfq.state.is_active
    if kind is TimerKind.QUOTE_EXPIRY:
        quote = book.quotes.get(QuoteId(int(key)))
        return quote is not None and quote.state.is_active
    if kind is TimerKind.SETTLEMENT:
        return BlockTradeId(int(key)) in book.pending_trades
    maker = book.makers.get(str(key))
    return maker is not None and maker.cancel_all_after == due
