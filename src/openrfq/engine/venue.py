"""The venue: the one object that changes RFQ, quote and trade state, through synchronous commands.

One writer: the event loop calls these methods and none of them awaits, so each command is atomic; a cancel
racing an execute has exactly one winner without locks. Every command and query first fires the timers that
came due (``advance``), so nobody acts on a quote that should already have expired. A command checks all that
can fail (``domain``'s rules, an execution's legs and fees) before its first change: all of it applies or none.

The venue owns the book (entities, indexes: ``book.py``), the timer queue (``timers.py``) and the journal of
what it changed (``journal.py``: ``take_changes`` for the store, which commits them before any answer is
released; ``take_events`` for subscribers), and answers queries from the book (``queries.py``). Cascades cross
entities (an ended RFQ ends its quotes, an execution ends the quote and the RFQ, MMP ends a maker's quotes):
all go through ``_end_rfq`` and ``_end_quote``.

Settlement is atomic by default (an execution fills the RFQ and the quote at once). With ``settlement_ms`` it is
OKX's two steps: the execution leaves both ``pending_fill`` and a pending trade, and a SETTLEMENT timer that
many ms later fills them, or fails them when the request's ``settle_fail`` fault said so. Everything about it
is stored with the trade (its due time, its outcome), so a restart settles it as scheduled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from openrfq.domain import allocation, errors, execution, makers, rules
from openrfq.domain.clock import Clock
from openrfq.domain.commands import (
    CancelQuote,
    CancelRfq,
    CreateQuote,
    CreateRfq,
    ExecuteQuote,
    SettleFail,
)
from openrfq.domain.events import Event
from openrfq.domain.ids import BlockTradeId, ClQuoteId, ClRfqId, QuoteId, RfqId
from openrfq.domain.instrument import Instrument
from openrfq.domain.makers import Maker, MmpConfig, ProductSetting
from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.domain.prices import Prices, StaticIndex
from openrfq.domain.states import (
    Trigger,
    next_quote_state,
    next_rfq_state,
    transition_quote,
    transition_rfq,
)
from openrfq.engine.book import DEFAULT_CACHE, Book
from openrfq.engine.history import Counters, History
from openrfq.engine.journal import Changes, Journal
from openrfq.engine.timers import TimerKind, Timers


class Venue:
    def __init__(
        self,
        clock: Clock,
        instruments: Iterable[Instrument],
        trader_codes: Iterable[str],
        taker_fee_rate: Decimal = Decimal("0.0005"),
        maker_fee_rate: Decimal = Decimal("0.0002"),
        prices: Prices | None = None,
        settlement_ms: int = 0,
        sub_accounts: Mapping[str, Iterable[str]] | None = None,
        history: History | None = None,
        history_cache: int = DEFAULT_CACHE,
    ) -> None:
        """``settlement_ms``: 0 settles every execution at once; N > 0 settles it N ms of venue time later.
        ``sub_accounts``: each trader's sub-account names, which its group RFQs may allocate to. ``history``: the
        store's read side, which answers for the entities ``forget`` let go of (none: nothing is forgotten);
        ``history_cache``: how many ended entities stay in memory before the store indexes them (book.py)."""
        self.clock = clock
        self.history = history
        self.history_cache = history_cache
        self.settlement_ms = settlement_ms
        # Told the due time of each settlement armed: what fires the engine's timers off requests (asgi's tick)
        # may be waiting longer than that.
        self.on_timer: Callable[[int], None] = _nothing
        self.sub_accounts = {code: frozenset(names) for code, names in (sub_accounts or {}).items()}
        self.prices = prices or Prices(StaticIndex())
        self.catalogue: dict[str, Instrument] = {i.inst_id: i for i in instruments}
        self.traders: frozenset[str] = frozenset(trader_codes)
        self.market = execution.Market(self.catalogue, self.prices, taker_fee_rate, maker_fee_rate)
        self.reset()

    def reset(self) -> None:
        """Forget everything that happened: entities, maker settings, timers, unsaved changes; ids start at 1
        again. The catalogue, the traders and the prices stay (the control plane's reset)."""
        book = self.book = Book(self.history, self.history_cache)
        self.timers = Timers()
        # The book's entities in memory by id, as the store and the WebSocket read them.
        self.rfqs, self.quotes, self.trades, self.makers = book.rfqs, book.quotes, book.trades, book.makers
        self.journal = Journal()

    # --- what the store and the metrics read ---------------------------------------------------------------------

    def has_changes(self) -> bool:
        return bool(self.journal.changes)

    def take_changes(self) -> Changes:
        return self.journal.take_changes()

    def take_events(self) -> list[Event]:
        return self.journal.take_events()

    def restore(
        self,
        rfqs: Iterable[Rfq],
        quotes: Iterable[Quote],
        trades: Iterable[BlockTrade],
        makers: Iterable[Maker] = (),
        counters: Counters | None = None,
    ) -> None:
        """Rebuild state from stored rows (any order): every row, or the live ones and the store's ``counters``;
        timers that came due fire on the next advance."""
        self.book.restore(rfqs, quotes, trades, makers, counters)
        self.timers.add_restored(self.book)

    def forget(self, rfq_ids: Iterable[RfqId], quote_ids: Iterable[QuoteId], trade_ids: Iterable[BlockTradeId]) -> None:
        """Ended entities (trades: settled) whose keys are durable in the store leave memory: the store answers for
        them from now on. Called by the committer."""
        self.book.forget(rfq_ids, quote_ids, trade_ids)
        self.timers.prune(self.book)

    # --- time ------------------------------------------------------------------------------------------------------

    def advance(self) -> int:
        """Fire every timer due at the clock's now; returns now. Called before every command and query."""
        now = self.clock.now_ms()
        while (timer := self.timers.pop_due(now)) is not None:
            due, kind, key = timer
            # What a timer was armed for may have ended and left memory since (Venue.forget): nothing to do.
            if kind is TimerKind.RFQ_EXPIRY:
                rfq = self.rfqs.get(RfqId(int(key)))
                if rfq is not None and rfq.state.is_active and rfq.valid_until <= now:
                    self._end_rfq(rfq, Trigger.EXPIRE, now)
            elif kind is TimerKind.QUOTE_EXPIRY:
                quote = self.quotes.get(QuoteId(int(key)))
                if quote is not None and quote.state.is_active and quote.valid_until <= now:
                    self._end_quote(quote, Trigger.EXPIRE, now)
            elif kind is TimerKind.SETTLEMENT:
                trade = self.trades.get(BlockTradeId(int(key)))
                if trade is not None and trade.pending and trade.settle_at == due:
                    self._settle(trade, due)  # at its due time, however late the clock was read
            else:
                maker = self.makers[str(key)]
                if maker.cancel_all_after == due:  # not reset or disabled since it was armed
                    maker.cancel_all_after = 0
                    self.journal.maker(maker.trader_code)
                    for quote in self.book.live_quotes(maker.trader_code):
                        self._end_quote(quote, Trigger.CANCEL, now)
        return now

    def next_timer_ms(self) -> int | None:
        return self.timers.next_due()

    # --- RFQs ------------------------------------------------------------------------------------------------------

    def create_rfq(self, cmd: CreateRfq) -> Rfq:
        now = self.advance()
        rules.check_counterparties(cmd.counterparties, cmd.taker, self.traders)
        legs = rules.rfq_legs(self.catalogue, cmd.legs)
        cl_rfq_id = ClRfqId(rules.check_cl_id(cmd.cl_rfq_id, "clRfqId"))
        rules.check_tag(cmd.tag)
        if cl_rfq_id and self.book.live_rfq_by_cl(cmd.taker, cl_rfq_id) is not None:
            raise errors.DuplicateClRfqId()
        sub_accounts = self.sub_accounts.get(cmd.taker, frozenset())
        allocs = allocation.allocations(self.catalogue, legs, cmd.acct_alloc, sub_accounts) if cmd.acct_alloc else ()
        instruments = [self.catalogue[leg.inst_id] for leg in legs]
        rfq = Rfq(
            rfq_id=self.book.next_rfq_id,
            taker=cmd.taker,
            counterparties=makers.receiving(cmd.counterparties, self.makers, instruments),
            legs=legs,
            c_time=now,
            u_time=now,
            valid_until=now + rules.rfq_ttl_ms(instruments),
            cl_rfq_id=cl_rfq_id,
            tag=cmd.tag,
            anonymous=cmd.anonymous,
            # OKX: a group RFQ always allows partial execution (an account's execution may fail), whatever was sent.
            allow_partial=cmd.allow_partial or bool(allocs),
            group_id=self.book.next_group_id if allocs else 0,
            acct_alloc=allocs,
        )
        self.book.add_rfq(rfq)
        self.timers.add_rfq_expiry(rfq)
        self.journal.rfq(rfq)
        return rfq

    def cancel_rfq(self, cmd: CancelRfq) -> Rfq:
        now = self.advance()
        rfq = self.book.own_rfq(cmd.taker, cmd.rfq_id, ClRfqId(cmd.cl_rfq_id))
        if rfq is None:
            raise errors.RfqNotFound()
        self._end_rfq(rfq, Trigger.CANCEL, now)
        return rfq

    def cancel_all_rfqs(self, taker: str) -> list[Rfq]:
        now = self.advance()
        live = self.book.live_rfqs(taker)
        if not live:
            raise errors.NoActiveRfqs()
        for rfq in live:
            self._end_rfq(rfq, Trigger.CANCEL, now)
        return live

    # --- quotes ----------------------------------------------------------------------------------------------------

    def create_quote(self, cmd: CreateQuote) -> Quote:
        now = self.advance()
        code, tag = cmd.maker, cmd.tag  # a command's fields are lookups (domain/commands.py): read once
        rfq = rules.quotable(self.book.rfq(cmd.rfq_id), code)
        maker = self.makers.get(code)
        if maker is not None and maker.is_frozen(now):
            raise errors.MmpFrozen()
        cl_quote_id = ClQuoteId(rules.check_cl_id(cmd.cl_quote_id, "clQuoteId"))
        rules.check_tag(tag)
        expires_in = rules.quote_expiry_s(cmd.expires_in_s)
        legs = rules.quote_legs(self.catalogue, rfq.rfq_id, rfq.legs, cmd.legs)
        if maker is not None:
            marks = {leg.inst_id: self.prices.mark(self.catalogue[leg.inst_id], now) for leg in legs}
            makers.check_quote_limits(maker, legs, cmd.quote_side, self.catalogue, marks)
        previous_id = self.book.live_quote_id(rfq.rfq_id, code)
        if cl_quote_id:
            clash = self.book.live_quote_by_cl(code, cl_quote_id)
            # Re-using the clQuoteId of the quote being replaced is fine: that quote ends right here.
            if clash is not None and clash.quote_id != previous_id:
                raise errors.DuplicateClQuoteId()
        quote = Quote(
            quote_id=self.book.next_quote_id,
            rfq_id=rfq.rfq_id,
            maker=code,
            quote_side=cmd.quote_side,
            legs=legs,
            c_time=now,
            u_time=now,
            valid_until=now + expires_in * 1000,
            cl_quote_id=cl_quote_id,
            tag=tag,
            anonymous=cmd.anonymous,
        )
        # lmtPx auto-execution: the trade is built (everything that can fail) before anything is stored.
        fill = None
        if execution.within_limits(rfq, quote):
            sizes = execution.execution_sizes(rfq, self.catalogue, ())
            fill = self._trade(rfq, quote, sizes, now, None)
        if previous_id is not None:
            self._end_quote(self.quotes[previous_id], Trigger.REPLACE, now)
        self.book.add_quote(quote)
        self.timers.add_quote_expiry(quote)
        self.journal.quote(quote)
        if fill is not None:
            self._execute(rfq, quote, fill, now)
        return quote

    def cancel_quote(self, cmd: CancelQuote) -> Quote:
        now = self.advance()
        quote = self.own_quote(cmd.maker, cmd.quote_id, cmd.cl_quote_id)
        if quote is None or (cmd.rfq_id and cmd.rfq_id != str(quote.rfq_id)):
            raise errors.QuoteNotFound()  # none of the maker's, or not on the RFQ named
        self._end_quote(quote, Trigger.CANCEL, now)
        return quote

    def own_quote(self, maker: str, quote_id: str, cl_quote_id: str) -> Quote | None:
        """The maker's quote a cancel by quoteId or clQuoteId refers to, if any (no side effects)."""
        return self.book.own_quote(maker, quote_id, ClQuoteId(cl_quote_id))

    def cancel_all_quotes(self, maker: str) -> list[Quote]:
        now = self.advance()
        live = self.book.live_quotes(maker)
        if not live:
            raise errors.NoActiveQuotes()
        for quote in live:
            self._end_quote(quote, Trigger.CANCEL, now)
        return live

    # --- execution -------------------------------------------------------------------------------------------------

    def execute_quote(self, cmd: ExecuteQuote) -> BlockTrade:
        """Execute ``quote`` against its RFQ: both become filled (or pending_fill until settlement), the RFQ's other
        live quotes end, one trade (a group RFQ's: one per allocated account under one parent)."""
        now = self.advance()
        rfq = self.book.rfq(cmd.rfq_id)
        if rfq is None or rfq.taker != cmd.taker:
            raise errors.RfqNotFound()
        quote = self.book.quote(cmd.quote_id)
        if quote is None or quote.rfq_id != rfq.rfq_id:
            raise errors.RfqNotQuotedBy(rfqId=cmd.rfq_id, quoteId=cmd.quote_id)
        # MMP counts every execution attempt against the maker's quotes, whether or not it then fills (a group
        # RFQ's execution is one attempt, however many accounts it is allocated to).
        frozen_now = self._count_attempt(quote.maker, now)
        try:
            trigger = Trigger.EXECUTE if self.settlement_ms else Trigger.FILL
            next_rfq_state(rfq, trigger)  # 70504; 70511 while an execution of it is settling
            next_quote_state(quote, trigger)  # 70505
            sizes = execution.execution_sizes(rfq, self.catalogue, cmd.legs)
            trade = self._trade(rfq, quote, sizes, now, cmd.settle_fail)
        except errors.OkxError:
            if frozen_now:
                self._mmp_cancel(quote.maker, now)
            raise
        self._execute(rfq, quote, trade, now, counted=True)
        if frozen_now:
            self._mmp_cancel(quote.maker, now)
        return trade

    def _trade(
        self, rfq: Rfq, quote: Quote, sizes: tuple[Decimal, ...], now: int, fail: SettleFail | None
    ) -> BlockTrade:
        settle_at = now + self.settlement_ms if self.settlement_ms else 0
        return build_trade(self.market, self.book, rfq, quote, sizes, now, settle_at, fail)

    def _execute(self, rfq: Rfq, quote: Quote, trade: BlockTrade, now: int, counted: bool = False) -> None:
        """Apply an execution whose trade is built; nothing here raises, so it applies all or nothing."""
        frozen_now = False if counted else self._count_attempt(quote.maker, now)
        trigger = Trigger.EXECUTE if trade.pending else Trigger.FILL
        self._end_quote(quote, trigger, now)
        rfq.winner = quote.maker
        self._end_rfq(rfq, trigger, now)
        self.book.add_trade(trade)
        self.journal.trade(trade)
        if trade.pending:
            self.timers.add_settlement(trade)
            self.on_timer(trade.settle_at)
        if frozen_now:
            self._mmp_cancel(quote.maker, now)

    def _settle(self, trade: BlockTrade, at: int) -> None:
        """A pending execution settles: the quote and the RFQ become filled, or failed (as decided when it was
        executed: a group's fails only when every account's execution did), and the trade is shown."""
        trigger = Trigger.SETTLE_FAIL if trade.error_code else Trigger.SETTLE
        quote, rfq = self.quotes[trade.quote_id], self.rfqs[trade.rfq_id]
        transition_quote(quote, trigger, at)
        self.journal.quote(quote)
        transition_rfq(rfq, trigger, at)
        self.journal.rfq(rfq)
        settled = trade.settled()
        self.book.trade_settled(settled)
        self.journal.trade(settled)

    # --- maker controls --------------------------------------------------------------------------------------------

    def set_products(self, code: str, settings: tuple[ProductSetting, ...]) -> None:
        self.advance()
        makers.check_products(settings, self.catalogue)
        self._maker(code).products = settings

    def set_mmp(self, code: str, config: MmpConfig) -> MmpConfig:
        self.advance()
        maker = self._maker(code)
        maker.mmp, maker.attempts = config, []
        return config

    def reset_mmp(self, code: str) -> int:
        now = self.advance()
        self._maker(code).reset_mmp()
        return now

    def cancel_all_after(self, code: str, timeout_s: int) -> tuple[int, int]:
        """Arm (or with 0 disarm) the countdown that cancels every live quote of ``code``; (triggerTime, now)."""
        now = self.advance()
        timeout_ms = makers.cancel_all_after_ms(timeout_s)
        maker = self._maker(code)
        maker.cancel_all_after = now + timeout_ms if timeout_ms else 0
        if maker.cancel_all_after:
            self.timers.add_cancel_all_after(maker)
        return maker.cancel_all_after, now

    def _maker(self, code: str) -> Maker:
        maker = self.makers.get(code)
        if maker is None:
            maker = self.makers[code] = Maker(code)
        self.journal.maker(code)
        return maker

    def _count_attempt(self, code: str, now: int) -> bool:
        maker = self.makers.get(code)
        if maker is None or maker.mmp is None:
            return False
        self.journal.maker(code)
        return maker.record_attempt(now)

    def _mmp_cancel(self, code: str, now: int) -> None:
        for quote in self.book.live_quotes(code):
            self._end_quote(quote, Trigger.MMP, now, reason="mmp_canceled")

    # --- endings and what they cascade to --------------------------------------------------------------------------

    def _end_rfq(self, rfq: Rfq, trigger: Trigger, now: int) -> None:
        transition_rfq(rfq, trigger, now)
        self.book.rfq_ended(rfq)
        self.journal.rfq(rfq)
        quote_trigger = Trigger.EXPIRE if trigger is Trigger.EXPIRE else Trigger.RFQ_ENDED
        for quote in self.book.live_quotes_on(rfq.rfq_id):
            self._end_quote(quote, quote_trigger, now)

    def _end_quote(self, quote: Quote, trigger: Trigger, now: int, reason: str = "") -> None:
        transition_quote(quote, trigger, now, reason)
        self.book.quote_ended(quote)
        self.journal.quote(quote)


def build_trade(
    market: execution.Market,
    book: Book,
    rfq: Rfq,
    quote: Quote,
    sizes: tuple[Decimal, ...],
    now: int,
    settle_at: int,
    settle_fail: SettleFail | None,
) -> BlockTrade:
    """The trade an execution of ``sizes`` makes, built before anything changes; with asynchronous settlement
    (``settle_at``) pending, with what each execution (each allocated account's) is to end as: ``settle_fail`` is
    asked here, once the execution is accepted."""

    def outcome() -> str:
        return settle_fail() if settle_at and settle_fail is not None else ""

    if rfq.acct_alloc:
        codes = [outcome() for _ in rfq.acct_alloc]
        return execution.group_trade(
            market, rfq, quote, book.next_trade_id, book.next_leg_trade_id, now, settle_at, codes
        )
    legs = execution.trade_legs(market, rfq, quote, sizes, book.next_leg_trade_id, now)
    return execution.block_trade(book.next_trade_id, rfq, quote, legs, now, settle_at, outcome())


def _nothing(due_ms: int) -> None:
    return None
