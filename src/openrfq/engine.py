"""The venue: all RFQ and quote state, changed only by synchronous commands.

One writer: the event loop calls these methods and none of them awaits, so each command is atomic; a cancel
racing an execute has exactly one winner without locks. Every command first fires the timers that came due
(``advance``), so nobody ever acts on a quote that should already have expired.

The venue records what it changed (``take_changes``) for the store to commit before any answer is released,
and the events (``take_events``) for subscribers.
"""

from __future__ import annotations

import copy
import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from openrfq.domain import errors, rules
from openrfq.domain.clock import Clock
from openrfq.domain.commands import CancelQuote, CancelRfq, CreateQuote, CreateRfq, QuoteQuery, RfqQuery
from openrfq.domain.enums import QuoteState, RfqState
from openrfq.domain.events import Event, QuoteChanged, RfqChanged
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.domain.states import Trigger, transition_quote, transition_rfq

_RFQ, _QUOTE = 0, 1
T = TypeVar("T")
E = TypeVar("E", RfqState, QuoteState)


@dataclass(slots=True)
class Changes:
    """Ids of the entities a batch of commands touched; the store writes their current rows."""

    rfqs: set[int] = field(default_factory=set)
    quotes: set[int] = field(default_factory=set)
    trades: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.rfqs or self.quotes or self.trades)


def parse_id(value: str) -> int | None:
    """A venue id as OKX writes it: ASCII digits without leading zeros. "007" names no quote."""
    if value.isascii() and value.isdigit() and str(int(value)) == value:
        return int(value)
    return None


class Venue:
    def __init__(self, clock: Clock, instruments: Iterable[Instrument], trader_codes: Iterable[str]) -> None:
        self.clock = clock
        self.catalogue: dict[str, Instrument] = {i.inst_id: i for i in instruments}
        self.traders: frozenset[str] = frozenset(trader_codes)
        self.rfqs: dict[int, Rfq] = {}
        self.quotes: dict[int, Quote] = {}
        self.trades: dict[int, BlockTrade] = {}
        self._next_rfq_id = 1
        self._next_quote_id = 1
        self._next_trade_id = 1
        self._next_leg_trade_id = 1
        # Indexes. Id lists are appended in id order, so they stay sorted for bisect pagination.
        self._rfqs_of: dict[str, list[int]] = {}  # taker and every counterparty -> RFQ ids they can see
        self._quotes_of: dict[str, list[int]] = {}  # maker and the RFQ's taker -> quote ids they can see
        self._rfq_quotes: dict[int, list[int]] = {}  # RFQ id -> ids of every quote on it
        self._cl_rfq: dict[tuple[str, str], list[int]] = {}  # (taker, clRfqId) -> RFQ ids, oldest first
        self._cl_quote: dict[tuple[str, str], list[int]] = {}  # (maker, clQuoteId) -> quote ids, oldest first
        self._active_quote_of: dict[tuple[int, str], int] = {}  # (RFQ id, maker) -> the maker's live quote
        self._timers: list[tuple[int, int, int]] = []  # (due ms, kind, id): a min-heap
        self._changes = Changes()
        self._events: list[Event] = []

    # --- bookkeeping -----------------------------------------------------------------------------------------

    def has_changes(self) -> bool:
        return bool(self._changes)

    def take_changes(self) -> Changes:
        changes, self._changes = self._changes, Changes()
        return changes

    def take_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def _rfq_changed(self, rfq: Rfq) -> None:
        self._changes.rfqs.add(rfq.rfq_id)
        self._events.append(RfqChanged(copy.copy(rfq)))

    def _quote_changed(self, quote: Quote) -> None:
        self._changes.quotes.add(quote.quote_id)
        self._events.append(QuoteChanged(copy.copy(quote)))

    def _index_rfq(self, rfq: Rfq) -> None:
        for party in (rfq.taker, *rfq.counterparties):
            self._rfqs_of.setdefault(party, []).append(rfq.rfq_id)
        if rfq.cl_rfq_id:
            self._cl_rfq.setdefault((rfq.taker, rfq.cl_rfq_id), []).append(rfq.rfq_id)
        self._rfq_quotes.setdefault(rfq.rfq_id, [])
        if rfq.state.is_active:
            heapq.heappush(self._timers, (rfq.valid_until, _RFQ, rfq.rfq_id))

    def _index_quote(self, quote: Quote, taker: str) -> None:
        self._quotes_of.setdefault(quote.maker, []).append(quote.quote_id)
        self._quotes_of.setdefault(taker, []).append(quote.quote_id)
        self._rfq_quotes.setdefault(quote.rfq_id, []).append(quote.quote_id)
        if quote.cl_quote_id:
            self._cl_quote.setdefault((quote.maker, quote.cl_quote_id), []).append(quote.quote_id)
        if quote.state.is_active:
            self._active_quote_of[(quote.rfq_id, quote.maker)] = quote.quote_id
            heapq.heappush(self._timers, (quote.valid_until, _QUOTE, quote.quote_id))

    def restore(self, rfqs: Iterable[Rfq], quotes: Iterable[Quote], trades: Iterable[BlockTrade]) -> None:
        """Rebuild state and indexes from stored rows (any order); timers that came due fire on next advance."""
        for rfq in sorted(rfqs, key=lambda r: r.rfq_id):
            self.rfqs[rfq.rfq_id] = rfq
            self._index_rfq(rfq)
            self._next_rfq_id = rfq.rfq_id + 1
        for quote in sorted(quotes, key=lambda q: q.quote_id):
            self.quotes[quote.quote_id] = quote
            self._index_quote(quote, self.rfqs[quote.rfq_id].taker)
            self._next_quote_id = quote.quote_id + 1
        for trade in sorted(trades, key=lambda t: t.block_td_id):
            self.trades[trade.block_td_id] = trade
            self._next_trade_id = trade.block_td_id + 1
            for leg in trade.legs:
                self._next_leg_trade_id = max(self._next_leg_trade_id, leg.trade_id + 1)

    # --- timers ----------------------------------------------------------------------------------------------

    def advance(self) -> int:
        """Fire every timer due at the clock's now; returns now. Called before every command and query."""
        now = self.clock.now_ms()
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, kind, entity_id = heapq.heappop(timers)
            if kind == _RFQ:
                rfq = self.rfqs[entity_id]
                if rfq.state.is_active and rfq.valid_until <= now:
                    self._end_rfq(rfq, Trigger.EXPIRE, now)
            else:
                quote = self.quotes[entity_id]
                if quote.state.is_active and quote.valid_until <= now:
                    self._end_quote(quote, Trigger.EXPIRE, now)
        return now

    def next_timer_ms(self) -> int | None:
        return self._timers[0][0] if self._timers else None

    def _end_rfq(self, rfq: Rfq, trigger: Trigger, now: int) -> None:
        transition_rfq(rfq, trigger, now)
        self._rfq_changed(rfq)
        quote_trigger = Trigger.EXPIRE if trigger is Trigger.EXPIRE else Trigger.RFQ_ENDED
        for quote in self._live_quotes(rfq.rfq_id):
            self._end_quote(quote, quote_trigger, now)

    def _end_quote(self, quote: Quote, trigger: Trigger, now: int, reason: str = "") -> None:
        transition_quote(quote, trigger, now, reason)
        self._active_quote_of.pop((quote.rfq_id, quote.maker), None)
        self._quote_changed(quote)

    def _live_quotes(self, rfq_id: int) -> list[Quote]:
        return [q for q in (self.quotes[i] for i in self._rfq_quotes.get(rfq_id, ())) if q.state.is_active]

    # --- RFQs ------------------------------------------------------------------------------------------------

    def create_rfq(self, cmd: CreateRfq) -> Rfq:
        now = self.advance()
        if not cmd.counterparties:
            raise errors.NoCounterparties()
        for code in cmd.counterparties:
            if code not in self.traders or code == cmd.taker:
                raise errors.InvalidCounterparty()
        legs = rules.rfq_legs(self.catalogue, cmd.legs)
        rules.check_cl_id(cmd.cl_rfq_id, "clRfqId")
        rules.check_tag(cmd.tag)
        if cmd.cl_rfq_id and self._active_by_cl_rfq(cmd.taker, cmd.cl_rfq_id) is not None:
            raise errors.DuplicateClRfqId()
        ttl = rules.rfq_ttl_ms([self.catalogue[leg.inst_id] for leg in legs])
        rfq = Rfq(
            rfq_id=self._next_rfq_id,
            taker=cmd.taker,
            counterparties=tuple(dict.fromkeys(cmd.counterparties)),
            legs=legs,
            c_time=now,
            u_time=now,
            valid_until=now + ttl,
            cl_rfq_id=cmd.cl_rfq_id,
            tag=cmd.tag,
            anonymous=cmd.anonymous,
            allow_partial=cmd.allow_partial,
        )
        self._next_rfq_id += 1
        self.rfqs[rfq.rfq_id] = rfq
        self._index_rfq(rfq)
        self._rfq_changed(rfq)
        return rfq

    def cancel_rfq(self, cmd: CancelRfq) -> Rfq:
        now = self.advance()
        rfq = self._own_rfq(cmd.taker, cmd.rfq_id, cmd.cl_rfq_id)
        self._end_rfq(rfq, Trigger.CANCEL, now)
        return rfq

    def _own_rfq(self, taker: str, rfq_id: str, cl_rfq_id: str) -> Rfq:
        """The caller's RFQ by id (wins) or client id (the live one, else the latest): 70000 otherwise."""
        rfq: Rfq | None
        if rfq_id:
            parsed = parse_id(rfq_id)
            rfq = self.rfqs.get(parsed) if parsed is not None else None
        else:
            ids = self._cl_rfq.get((taker, cl_rfq_id), [])
            found = self._active_by_cl_rfq(taker, cl_rfq_id)
            rfq = found if found is not None else (self.rfqs[ids[-1]] if ids else None)
        if rfq is None or rfq.taker != taker:
            raise errors.RfqNotFound()
        return rfq

    def _active_by_cl_rfq(self, taker: str, cl_rfq_id: str) -> Rfq | None:
        for rfq_id in reversed(self._cl_rfq.get((taker, cl_rfq_id), ())):
            rfq = self.rfqs[rfq_id]
            if rfq.state.is_active:
                return rfq
        return None

    # --- quotes ----------------------------------------------------------------------------------------------

    def create_quote(self, cmd: CreateQuote) -> Quote:
        now = self.advance()
        parsed = parse_id(cmd.rfq_id)
        rfq = self.rfqs.get(parsed) if parsed is not None else None
        if rfq is None:
            raise errors.RfqNotFound()
        if rfq.taker == cmd.maker:
            raise errors.QuoteOwnRfq()
        if cmd.maker not in rfq.counterparties:
            raise errors.RfqNotFound()  # an RFQ not sent to you does not exist for you
        if not rfq.state.is_active:
            raise errors.RfqNotQuotable(rfqState=rfq.state_for(cmd.maker).value)
        rules.check_cl_id(cmd.cl_quote_id, "clQuoteId")
        rules.check_tag(cmd.tag)
        expires_in = rules.quote_expiry_s(cmd.expires_in_s)
        legs = rules.quote_legs(self.catalogue, rfq.rfq_id, rfq.legs, cmd.legs)
        previous_id = self._active_quote_of.get((rfq.rfq_id, cmd.maker))
        if cmd.cl_quote_id:
            clash = self._active_by_cl_quote(cmd.maker, cmd.cl_quote_id)
            # Re-using the clQuoteId of the quote being replaced is fine: that quote ends right here.
            if clash is not None and clash.quote_id != previous_id:
                raise errors.DuplicateClQuoteId()
        if previous_id is not None:
            self._end_quote(self.quotes[previous_id], Trigger.REPLACE, now)
        quote = Quote(
            quote_id=self._next_quote_id,
            rfq_id=rfq.rfq_id,
            maker=cmd.maker,
            quote_side=cmd.quote_side,
            legs=legs,
            c_time=now,
            u_time=now,
            valid_until=now + expires_in * 1000,
            cl_quote_id=cmd.cl_quote_id,
            tag=cmd.tag,
            anonymous=cmd.anonymous,
        )
        self._next_quote_id += 1
        self.quotes[quote.quote_id] = quote
        self._index_quote(quote, rfq.taker)
        self._quote_changed(quote)
        return quote

    def cancel_quote(self, cmd: CancelQuote) -> Quote:
        now = self.advance()
        quote = self._own_quote(cmd.maker, cmd.quote_id, cmd.cl_quote_id)
        if cmd.rfq_id and cmd.rfq_id != str(quote.rfq_id):
            raise errors.QuoteNotFound()  # no such quote on that RFQ
        self._end_quote(quote, Trigger.CANCEL, now)
        return quote

    def own_quote(self, maker: str, quote_id: str, cl_quote_id: str) -> Quote | None:
        """The maker's quote a cancel by quoteId or clQuoteId refers to, if any (no side effects)."""
        try:
            return self._own_quote(maker, quote_id, cl_quote_id)
        except errors.QuoteNotFound:
            return None

    def _own_quote(self, maker: str, quote_id: str, cl_quote_id: str) -> Quote:
        quote: Quote | None
        if quote_id:
            parsed = parse_id(quote_id)
            quote = self.quotes.get(parsed) if parsed is not None else None
        else:
            ids = self._cl_quote.get((maker, cl_quote_id), [])
            found = self._active_by_cl_quote(maker, cl_quote_id)
            quote = found if found is not None else (self.quotes[ids[-1]] if ids else None)
        if quote is None or quote.maker != maker:
            raise errors.QuoteNotFound()
        return quote

    def _active_by_cl_quote(self, maker: str, cl_quote_id: str) -> Quote | None:
        for quote_id in reversed(self._cl_quote.get((maker, cl_quote_id), ())):
            quote = self.quotes[quote_id]
            if quote.state.is_active:
                return quote
        return None

    # --- queries ---------------------------------------------------------------------------------------------

    def find_rfqs(self, q: RfqQuery) -> list[Rfq]:
        """RFQs the viewer sent or received, newest first, per OKX's filters."""
        self.advance()
        state = _state_filter(q.state, RfqState)
        if q.rfq_id:
            parsed = parse_id(q.rfq_id)
            ids: list[int] = [parsed] if parsed is not None and parsed in self.rfqs else []
            ids = [i for i in ids if q.viewer in (self.rfqs[i].taker, *self.rfqs[i].counterparties)]
        elif q.cl_rfq_id:
            # Client ids are the taker's secret: a maker's clRfqId filter matches nothing.
            ids = self._cl_rfq.get((q.viewer, q.cl_rfq_id), [])
        else:
            ids = self._rfqs_of.get(q.viewer, [])
        found = (self.rfqs[i] for i in _newest_first(ids, q.begin_id, q.end_id))
        return _take(found, q.limit, lambda r: state is None or r.state_for(q.viewer) is state)

    def find_quotes(self, q: QuoteQuery) -> list[Quote]:
        self.advance()
        state = _state_filter(q.state, QuoteState)
        ids: list[int]
        if q.quote_id:
            parsed = parse_id(q.quote_id)
            ids = [parsed] if parsed is not None and parsed in self.quotes else []
        elif q.cl_quote_id:
            ids = self._cl_quote.get((q.viewer, q.cl_quote_id), [])
        else:
            ids = self._quotes_of.get(q.viewer, [])
        rfq_filter: int | None = None
        if q.rfq_id:
            rfq_filter = parse_id(q.rfq_id) or -1
        elif q.cl_rfq_id:
            own = self._cl_rfq.get((q.viewer, q.cl_rfq_id), [])
            rfq_filter = own[-1] if own else -1

        def keep(quote: Quote) -> bool:
            if rfq_filter is not None and quote.rfq_id != rfq_filter:
                return False
            if state is not None and quote.state is not state:
                return False
            return q.viewer in (quote.maker, self.rfqs[quote.rfq_id].taker)

        found = (self.quotes[i] for i in _newest_first(ids, q.begin_id, q.end_id))
        return _take(found, q.limit, keep)


def _newest_first(ids: list[int], begin_id: int | None, end_id: int | None) -> Iterator[int]:
    """Ids strictly between beginId and endId, newest first (OKX: beginId newer-than, endId older-than)."""
    lo = bisect_right(ids, begin_id) if begin_id is not None else 0
    hi = bisect_left(ids, end_id) if end_id is not None else len(ids)
    for index in range(hi - 1, lo - 1, -1):
        yield ids[index]


def _take(items: Iterator[T], limit: int, keep: Callable[[T], bool]) -> list[T]:
    result: list[T] = []
    for item in items:
        if keep(item):
            result.append(item)
            if len(result) >= limit:
                break
    return result


def _state_filter(value: str, enum: type[E]) -> E | None:
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        raise errors.ParameterError(param0="state") from None
