"""The venue: all RFQ and quote state, changed only by synchronous commands.

One writer: the event loop calls these methods and none of them awaits, so each command is atomic; a cancel
racing an execute has exactly one winner without locks. Every command first fires the timers that came due
(``advance``), so nobody ever acts on a quote that should already have expired.

The venue records what it changed (``take_changes``) for the store to commit before any answer is released,
and the events (``take_events``) for subscribers.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from openrfq.domain import errors, execution, makers, rules
from openrfq.domain.clock import Clock
from openrfq.domain.commands import (
    CancelQuote,
    CancelRfq,
    CreateQuote,
    CreateRfq,
    ExecuteQuote,
    QuoteQuery,
    RfqQuery,
    TradeQuery,
)
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.events import Event, QuoteChanged, RfqChanged, TradeExecuted
from openrfq.domain.instrument import Instrument
from openrfq.domain.makers import Maker, MmpConfig, ProductSetting
from openrfq.domain.models import BlockTrade, Quote, Rfq, TradeLeg
from openrfq.domain.prices import Prices, StaticIndex
from openrfq.domain.states import Trigger, transition_quote, transition_rfq

_RFQ, _QUOTE, _CANCEL_ALL_AFTER = 0, 1, 2
T = TypeVar("T")
E = TypeVar("E", RfqState, QuoteState)


@dataclass(slots=True)
class Changes:
    """Ids of the entities a batch of commands touched; the store writes their current rows."""

    rfqs: set[int] = field(default_factory=set)
    quotes: set[int] = field(default_factory=set)
    trades: set[int] = field(default_factory=set)
    makers: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.rfqs or self.quotes or self.trades or self.makers)


MAX_ID_DIGITS = 19  # ids are int64 on OKX's wire; a longer string names nothing (and is never converted)


def parse_id(value: str) -> int | None:
    """A venue id as OKX writes it: ASCII digits without leading zeros. "007" names no quote."""
    if len(value) <= MAX_ID_DIGITS and value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
        return int(value)
    return None


class Venue:
    def __init__(
        self,
        clock: Clock,
        instruments: Iterable[Instrument],
        trader_codes: Iterable[str],
        taker_fee_rate: Decimal = Decimal("0.0005"),
        maker_fee_rate: Decimal = Decimal("0.0002"),
        prices: Prices | None = None,
    ) -> None:
        self.clock = clock
        self.prices = prices or Prices(StaticIndex())
        self.taker_fee_rate, self.maker_fee_rate = taker_fee_rate, maker_fee_rate
        self.catalogue: dict[str, Instrument] = {i.inst_id: i for i in instruments}
        self.traders: frozenset[str] = frozenset(trader_codes)
        self.rfqs: dict[int, Rfq] = {}
        self.quotes: dict[int, Quote] = {}
        self.trades: dict[int, BlockTrade] = {}
        self.makers: dict[str, Maker] = {}  # only traders that set quote products, MMP or Cancel All After
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
        # At most one live RFQ per (taker, clRfqId) and one live quote per (maker, clQuoteId): found without
        # walking every earlier use of a client id that a bot re-uses.
        self._active_cl_rfq: dict[tuple[str, str], int] = {}
        self._active_cl_quote: dict[tuple[str, str], int] = {}
        self._active_quote_of: dict[tuple[int, str], int] = {}  # (RFQ id, maker) -> the maker's live quote
        self._active_rfqs_of: dict[str, dict[int, None]] = {}  # taker -> its live RFQs (insertion-ordered set)
        self._active_quotes_of: dict[str, dict[int, None]] = {}  # maker -> its live quotes
        self._trades_of: dict[str, list[int]] = {}  # taker and maker -> blockTdIds they can see
        self._trade_of_rfq: dict[int, int] = {}  # RFQ id -> its block trade (an RFQ executes once)
        self._legs_of: dict[str, list[tuple[int, int]]] = {}  # instId -> (blockTdId, leg index), oldest first
        self._timers: list[tuple[int, int, int | str]] = []  # (due ms, kind, id or trader code): a min-heap
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

    def active_rfq_count(self) -> int:
        return sum(len(ids) for ids in self._active_rfqs_of.values())

    def active_quote_count(self) -> int:
        return sum(len(ids) for ids in self._active_quotes_of.values())

    def _rfq_changed(self, rfq: Rfq) -> None:
        self._changes.rfqs.add(rfq.rfq_id)
        self._events.append(RfqChanged(rfq.snapshot()))

    def _quote_changed(self, quote: Quote) -> None:
        self._changes.quotes.add(quote.quote_id)
        self._events.append(QuoteChanged(quote.snapshot()))

    def _index_rfq(self, rfq: Rfq) -> None:
        for party in (rfq.taker, *rfq.counterparties):
            self._rfqs_of.setdefault(party, []).append(rfq.rfq_id)
        if rfq.cl_rfq_id:
            self._cl_rfq.setdefault((rfq.taker, rfq.cl_rfq_id), []).append(rfq.rfq_id)
        self._rfq_quotes.setdefault(rfq.rfq_id, [])
        if rfq.state.is_active:
            self._active_rfqs_of.setdefault(rfq.taker, {})[rfq.rfq_id] = None
            if rfq.cl_rfq_id:
                self._active_cl_rfq[(rfq.taker, rfq.cl_rfq_id)] = rfq.rfq_id
            heapq.heappush(self._timers, (rfq.valid_until, _RFQ, rfq.rfq_id))

    def _index_quote(self, quote: Quote, taker: str) -> None:
        self._quotes_of.setdefault(quote.maker, []).append(quote.quote_id)
        self._quotes_of.setdefault(taker, []).append(quote.quote_id)
        self._rfq_quotes.setdefault(quote.rfq_id, []).append(quote.quote_id)
        if quote.cl_quote_id:
            self._cl_quote.setdefault((quote.maker, quote.cl_quote_id), []).append(quote.quote_id)
        if quote.state.is_active:
            self._active_quote_of[(quote.rfq_id, quote.maker)] = quote.quote_id
            if quote.cl_quote_id:
                self._active_cl_quote[(quote.maker, quote.cl_quote_id)] = quote.quote_id
            self._active_quotes_of.setdefault(quote.maker, {})[quote.quote_id] = None
            heapq.heappush(self._timers, (quote.valid_until, _QUOTE, quote.quote_id))

    def restore(
        self,
        rfqs: Iterable[Rfq],
        quotes: Iterable[Quote],
        trades: Iterable[BlockTrade],
        makers: Iterable[Maker] = (),
    ) -> None:
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
            self._index_trade(trade)
            self._next_trade_id = trade.block_td_id + 1
            for leg in trade.legs:
                self._next_leg_trade_id = max(self._next_leg_trade_id, leg.trade_id + 1)
        for maker in makers:
            self.makers[maker.trader_code] = maker
            if maker.cancel_all_after:
                heapq.heappush(self._timers, (maker.cancel_all_after, _CANCEL_ALL_AFTER, maker.trader_code))

    def _index_trade(self, trade: BlockTrade) -> None:
        self.trades[trade.block_td_id] = trade
        for party in dict.fromkeys((trade.taker, trade.maker)):
            self._trades_of.setdefault(party, []).append(trade.block_td_id)
        self._trade_of_rfq[trade.rfq_id] = trade.block_td_id
        for index, leg in enumerate(trade.legs):
            self._legs_of.setdefault(leg.inst_id, []).append((trade.block_td_id, index))

    # --- timers ----------------------------------------------------------------------------------------------

    def advance(self) -> int:
        """Fire every timer due at the clock's now; returns now. Called before every command and query."""
        now = self.clock.now_ms()
        timers = self._timers
        while timers and timers[0][0] <= now:
            due, kind, key = heapq.heappop(timers)
            if kind == _RFQ:
                rfq = self.rfqs[int(key)]
                if rfq.state.is_active and rfq.valid_until <= now:
                    self._end_rfq(rfq, Trigger.EXPIRE, now)
            elif kind == _QUOTE:
                quote = self.quotes[int(key)]
                if quote.state.is_active and quote.valid_until <= now:
                    self._end_quote(quote, Trigger.EXPIRE, now)
            else:
                maker = self.makers[str(key)]
                if maker.cancel_all_after == due:  # not reset or disabled since it was armed
                    maker.cancel_all_after = 0
                    self._changes.makers.add(maker.trader_code)
                    for quote in self._live_quotes_of(maker.trader_code):
                        self._end_quote(quote, Trigger.CANCEL, now)
        return now

    def next_timer_ms(self) -> int | None:
        return self._timers[0][0] if self._timers else None

    def _end_rfq(self, rfq: Rfq, trigger: Trigger, now: int) -> None:
        transition_rfq(rfq, trigger, now)
        self._active_rfqs_of.get(rfq.taker, {}).pop(rfq.rfq_id, None)
        if rfq.cl_rfq_id and self._active_cl_rfq.get((rfq.taker, rfq.cl_rfq_id)) == rfq.rfq_id:
            del self._active_cl_rfq[(rfq.taker, rfq.cl_rfq_id)]
        self._rfq_changed(rfq)
        quote_trigger = Trigger.EXPIRE if trigger is Trigger.EXPIRE else Trigger.RFQ_ENDED
        for quote in self._live_quotes(rfq.rfq_id):
            self._end_quote(quote, quote_trigger, now)

    def _end_quote(self, quote: Quote, trigger: Trigger, now: int, reason: str = "") -> None:
        transition_quote(quote, trigger, now, reason)
        self._active_quote_of.pop((quote.rfq_id, quote.maker), None)
        if quote.cl_quote_id and self._active_cl_quote.get((quote.maker, quote.cl_quote_id)) == quote.quote_id:
            del self._active_cl_quote[(quote.maker, quote.cl_quote_id)]
        self._active_quotes_of.get(quote.maker, {}).pop(quote.quote_id, None)
        self._quote_changed(quote)

    def _live_quotes_of(self, maker: str) -> list[Quote]:
        return [self.quotes[i] for i in self._active_quotes_of.get(maker, {})]

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
        instruments = [self.catalogue[leg.inst_id] for leg in legs]
        # Quote products: the RFQ goes only to named makers whose settings cover every leg.
        receiving = tuple(
            code
            for code in dict.fromkeys(cmd.counterparties)
            if code not in self.makers or all(self.makers[code].covers(i) for i in instruments)
        )
        if not receiving:
            raise errors.CounterpartiesUnavailable()
        ttl = rules.rfq_ttl_ms(instruments)
        rfq = Rfq(
            rfq_id=self._next_rfq_id,
            taker=cmd.taker,
            counterparties=receiving,
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
        rfq_id = self._active_cl_rfq.get((taker, cl_rfq_id))
        return None if rfq_id is None else self.rfqs[rfq_id]

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
        maker = self.makers.get(cmd.maker)
        if maker is not None and maker.is_frozen(now):
            raise errors.MmpFrozen()
        rules.check_cl_id(cmd.cl_quote_id, "clQuoteId")
        rules.check_tag(cmd.tag)
        expires_in = rules.quote_expiry_s(cmd.expires_in_s)
        legs = rules.quote_legs(self.catalogue, rfq.rfq_id, rfq.legs, cmd.legs)
        if maker is not None:
            marks = {leg.inst_id: self.prices.mark(self.catalogue[leg.inst_id], now) for leg in legs}
            makers.check_quote_limits(maker, legs, cmd.quote_side, self.catalogue, marks)
        previous_id = self._active_quote_of.get((rfq.rfq_id, cmd.maker))
        if cmd.cl_quote_id:
            clash = self._active_by_cl_quote(cmd.maker, cmd.cl_quote_id)
            # Re-using the clQuoteId of the quote being replaced is fine: that quote ends right here.
            if clash is not None and clash.quote_id != previous_id:
                raise errors.DuplicateClQuoteId()
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
        # lmtPx auto-execution: the trade is built (everything that can fail) before anything is stored.
        fill = None
        if _within_limits(rfq, quote):
            fill = self._trade_legs(rfq, quote, execution.execution_sizes(rfq, self.catalogue, ()), now)
        if previous_id is not None:
            self._end_quote(self.quotes[previous_id], Trigger.REPLACE, now)
        self._next_quote_id += 1
        self.quotes[quote.quote_id] = quote
        self._index_quote(quote, rfq.taker)
        self._quote_changed(quote)
        if fill is not None:
            self._fill(rfq, quote, fill, now)
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
        quote_id = self._active_cl_quote.get((maker, cl_quote_id))
        return None if quote_id is None else self.quotes[quote_id]

    def cancel_all_rfqs(self, taker: str) -> list[Rfq]:
        now = self.advance()
        live = [self.rfqs[i] for i in self._active_rfqs_of.get(taker, {})]
        if not live:
            raise errors.NoActiveRfqs()
        for rfq in live:
            self._end_rfq(rfq, Trigger.CANCEL, now)
        return live

    def cancel_all_quotes(self, maker: str) -> list[Quote]:
        now = self.advance()
        live = [self.quotes[i] for i in self._active_quotes_of.get(maker, {})]
        if not live:
            raise errors.NoActiveQuotes()
        for quote in live:
            self._end_quote(quote, Trigger.CANCEL, now)
        return live

    # --- execution -------------------------------------------------------------------------------------------

    def execute_quote(self, cmd: ExecuteQuote) -> BlockTrade:
        """Fill ``quote`` against its RFQ: both become filled, the RFQ's other live quotes end, one trade."""
        now = self.advance()
        parsed = parse_id(cmd.rfq_id)
        rfq = self.rfqs.get(parsed) if parsed is not None else None
        if rfq is None or rfq.taker != cmd.taker:
            raise errors.RfqNotFound()
        parsed = parse_id(cmd.quote_id)
        quote = self.quotes.get(parsed) if parsed is not None else None
        if quote is None or quote.rfq_id != rfq.rfq_id:
            raise errors.RfqNotQuotedBy(rfqId=cmd.rfq_id, quoteId=cmd.quote_id)
        # MMP counts every execution attempt against the maker's quotes, whether or not it then fills.
        frozen_now = self._count_attempt(quote.maker, now)
        try:
            if not rfq.state.is_active:
                raise errors.RfqNotExecutable(rfqState=rfq.state.value)
            if not quote.state.is_active:
                raise errors.QuoteNotExecutable(quoteState=quote.state.value)
            sizes = execution.execution_sizes(rfq, self.catalogue, cmd.legs)
            legs = self._trade_legs(rfq, quote, sizes, now)
        except errors.OkxError:
            if frozen_now:
                self._mmp_cancel(quote.maker, now)
            raise
        trade = self._fill(rfq, quote, legs, now, counted=True)
        if frozen_now:
            self._mmp_cancel(quote.maker, now)
        return trade

    def _trade_legs(self, rfq: Rfq, quote: Quote, sizes: tuple[Decimal, ...], now: int) -> tuple[TradeLeg, ...]:
        """The legs an execution would trade, with fees and marks: computed before anything changes."""
        legs: list[TradeLeg] = []
        for rfq_leg, quote_leg, sz in zip(rfq.legs, quote.legs, sizes):
            inst = self.catalogue[rfq_leg.inst_id]
            side = execution.taker_side(quote, rfq_leg.side)
            taker_fee, taker_ccy = execution.fee(inst, quote_leg.px, sz, rfq_leg.tgt_ccy, side, self.taker_fee_rate)
            maker_fee, maker_ccy = execution.fee(
                inst, quote_leg.px, sz, rfq_leg.tgt_ccy, side.opposite, self.maker_fee_rate
            )
            legs.append(
                TradeLeg(
                    inst_id=rfq_leg.inst_id,
                    px=quote_leg.px,
                    sz=sz,
                    side=side,
                    trade_id=self._next_leg_trade_id + len(legs),
                    taker_fee=taker_fee,
                    taker_fee_ccy=taker_ccy,
                    maker_fee=maker_fee,
                    maker_fee_ccy=maker_ccy,
                    trade_quote_ccy=rfq_leg.trade_quote_ccy,
                    tgt_ccy=rfq_leg.tgt_ccy,
                    mark_px=self.prices.mark(inst, now),
                    idx_px=self.prices.index(inst, now),
                    fill_vol=Decimal(repr(self.prices.source.volatility)) if inst.is_option else None,
                )
            )
        return tuple(legs)

    def _fill(self, rfq: Rfq, quote: Quote, legs: tuple[TradeLeg, ...], now: int, counted: bool = False) -> BlockTrade:
        """Apply an execution whose legs are built; nothing here raises, so the fill is all or nothing."""
        frozen_now = False if counted else self._count_attempt(quote.maker, now)
        self._end_quote(quote, Trigger.FILL, now)
        rfq.winner = quote.maker
        self._end_rfq(rfq, Trigger.FILL, now)
        trade = BlockTrade(
            block_td_id=self._next_trade_id,
            rfq_id=rfq.rfq_id,
            quote_id=quote.quote_id,
            taker=rfq.taker,
            maker=quote.maker,
            c_time=now,
            legs=legs,
            cl_rfq_id=rfq.cl_rfq_id,
            cl_quote_id=quote.cl_quote_id,
            taker_tag=rfq.tag,
            maker_tag=quote.tag,
            taker_anonymous=rfq.anonymous,
            maker_anonymous=quote.anonymous,
        )
        self._next_trade_id += 1
        self._next_leg_trade_id += len(legs)
        self._index_trade(trade)
        self._changes.trades.add(trade.block_td_id)
        self._events.append(TradeExecuted(trade))
        if frozen_now:
            self._mmp_cancel(quote.maker, now)
        return trade

    # --- maker controls --------------------------------------------------------------------------------------

    def _maker(self, code: str) -> Maker:
        maker = self.makers.get(code)
        if maker is None:
            maker = self.makers[code] = Maker(code)
        self._changes.makers.add(code)
        return maker

    def _count_attempt(self, code: str, now: int) -> bool:
        maker = self.makers.get(code)
        if maker is None or maker.mmp is None:
            return False
        self._changes.makers.add(code)
        return maker.record_attempt(now)

    def _mmp_cancel(self, code: str, now: int) -> None:
        for quote in self._live_quotes_of(code):
            self._end_quote(quote, Trigger.MMP, now, reason="mmp_canceled")

    def set_products(self, code: str, settings: tuple[ProductSetting, ...]) -> None:
        self.advance()
        makers.check_products(settings, self.catalogue)
        self._maker(code).products = settings

    def products(self, code: str) -> tuple[ProductSetting, ...]:
        maker = self.makers.get(code)
        return maker.products if maker is not None else ()

    def set_mmp(self, code: str, config: MmpConfig) -> MmpConfig:
        self.advance()
        maker = self._maker(code)
        maker.mmp, maker.attempts = config, []
        return config

    def mmp(self, code: str) -> Maker:
        """The maker's MMP state as of now (a freeze that ran out has thawed)."""
        now = self.advance()
        maker = self.makers.get(code) or Maker(code)
        if maker.frozen and not maker.is_frozen(now):
            self._changes.makers.add(code)
        return maker

    def reset_mmp(self, code: str) -> int:
        now = self.advance()
        self._maker(code).reset_mmp()
        return now

    def cancel_all_after(self, code: str, timeout_s: int) -> tuple[int, int]:
        """Arm (or with 0 disarm) the countdown that cancels every live quote of ``code``; (triggerTime, now)."""
        now = self.advance()
        if timeout_s != 0 and not 10 <= timeout_s <= 120:
            raise errors.ParameterError(param0="timeOut")
        maker = self._maker(code)
        maker.cancel_all_after = now + timeout_s * 1000 if timeout_s else 0
        if maker.cancel_all_after:
            heapq.heappush(self._timers, (maker.cancel_all_after, _CANCEL_ALL_AFTER, code))
        return maker.cancel_all_after, now

    # --- queries ---------------------------------------------------------------------------------------------

    def find_rfqs(self, q: RfqQuery) -> list[Rfq]:
        """RFQs the viewer sent or received, newest first, per OKX's filters."""
        self.advance()
        state = _state_filter(q.state, RfqState)
        if q.rfq_id:
            parsed = parse_id(q.rfq_id)
            ids: list[int] = [parsed] if parsed is not None and parsed in self.rfqs else []
            ids = [i for i in ids if q.viewer == self.rfqs[i].taker or q.viewer in self.rfqs[i].counterparties]
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

    def find_trades(self, q: TradeQuery) -> list[BlockTrade]:
        """Block trades the viewer took part in, newest first, per OKX's filters (all of them apply)."""
        self.advance()
        if not q.is_successful:
            return []  # every trade on this venue settles: there are no failed ones to list
        rfq_id, quote_id, block_td_id = _id_filter(q.rfq_id), _id_filter(q.quote_id), _id_filter(q.block_td_id)

        def keep(t: BlockTrade) -> bool:
            is_taker = t.taker == q.viewer
            return (
                (rfq_id is None or t.rfq_id == rfq_id)
                and (rfq_id is not None or not q.cl_rfq_id or (is_taker and t.cl_rfq_id == q.cl_rfq_id))
                and (quote_id is None or t.quote_id == quote_id)
                and (
                    quote_id is not None
                    or not q.cl_quote_id
                    or (t.maker == q.viewer and t.cl_quote_id == q.cl_quote_id)
                )
                and (block_td_id is None or t.block_td_id == block_td_id)
                and (q.begin_ts is None or t.c_time >= q.begin_ts)
                and (q.end_ts is None or t.c_time <= q.end_ts)
            )

        ids = self._trades_of.get(q.viewer, [])
        if rfq_id is not None:
            one = self._trade_of_rfq.get(rfq_id)
            ids = [one] if one is not None and one in self.trades and q.viewer in _parties(self.trades[one]) else []
        found = (self.trades[i] for i in _newest_first(ids, q.begin_id, q.end_id))
        return _take(found, q.limit, keep)

    def public_trades(self, until_ms: int, begin_id: int | None, end_id: int | None, limit: int) -> list[BlockTrade]:
        """Every block trade executed at or before ``until_ms`` (the public delay applied), newest first."""
        self.advance()
        newest = self._next_trade_id - 1 if end_id is None else min(end_id - 1, self._next_trade_id - 1)
        result = []
        for block_td_id in range(newest, max(begin_id or 0, 0), -1):  # ids are dense: 1, 2, 3, ...
            trade = self.trades[block_td_id]
            if trade.c_time <= until_ms:
                result.append(trade)
                if len(result) >= limit:
                    break
        return result

    def block_volumes(self, inst: Instrument, since_ms: int, until_ms: int) -> tuple[Decimal, Decimal]:
        """(vol, volCcy) of ``inst``'s block-trade legs executed in [since_ms, until_ms], exactly summed."""
        vol = vol_ccy = Decimal(0)
        for _, leg in self.public_legs(
            inst.inst_id, since_ms, until_ms, limit=len(self._legs_of.get(inst.inst_id, ()))
        ):
            v, vc = execution.volumes(inst, leg.px, leg.sz, leg.tgt_ccy)
            vol, vol_ccy = rules.EXACT.add(vol, v), rules.EXACT.add(vol_ccy, vc)
        return vol, vol_ccy

    def public_legs(self, inst_id: str, since_ms: int, until_ms: int, limit: int) -> list[tuple[BlockTrade, TradeLeg]]:
        """Single legs of ``inst_id`` executed in [since_ms, until_ms], newest first."""
        self.advance()
        result: list[tuple[BlockTrade, TradeLeg]] = []
        for block_td_id, index in reversed(self._legs_of.get(inst_id, [])):
            trade = self.trades[block_td_id]
            if trade.c_time > until_ms:
                continue
            if trade.c_time < since_ms or len(result) >= limit:
                break
            result.append((trade, trade.legs[index]))
        return result


def _within_limits(rfq: Rfq, quote: Quote) -> bool:
    """lmtPx auto-execution: every leg carries a limit and the quote is at or better for the taker on each."""
    if not rfq.state.is_active:
        return False
    for rfq_leg, quote_leg in zip(rfq.legs, quote.legs):
        limit = rfq_leg.lmt_px
        if limit is None:  # on every leg or on none (rules.rfq_legs): no limits, no auto-execution
            return False
        buys = execution.taker_side(quote, rfq_leg.side) is Side.BUY
        if (buys and quote_leg.px > limit) or (not buys and quote_leg.px < limit):
            return False
    return True


def _id_filter(value: str) -> int | None:
    """An id filter: None when not given; an id that cannot exist (-1) when it is not a venue id."""
    if not value:
        return None
    parsed = parse_id(value)
    return parsed if parsed is not None else -1


def _parties(trade: BlockTrade) -> tuple[str, str]:
    return trade.taker, trade.maker


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
