"""The engine's asynchronous settlement: an execution arms a SETTLEMENT timer stored with its trade, fires at its
due time however late the clock is read, survives a restore; group executions take one id per account."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from openrfq.domain import errors
from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import AllocLegRequest, AllocRequest, CreateQuote, CreateRfq, ExecuteQuote, LegRequest
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.engine import Venue
from openrfq.engine.reads import Reads
from openrfq.engine.timers import TimerKind, Timers
from openrfq.instruments.catalogue import default_instruments
from samples import START_MS, TODAY

SETTLEMENT_MS = 500
LEG = LegRequest("BTC-USDT", Decimal("1"), Side.BUY)
ALLOC = (
    AllocRequest("0", (AllocLegRequest("BTC-USDT", Decimal("0.25")),)),
    AllocRequest("s1", (AllocLegRequest("BTC-USDT", Decimal("0.75")),)),
)


def _venue(clock: ManualClock, settlement_ms: int = SETTLEMENT_MS) -> Venue:
    return Venue(
        clock, default_instruments(TODAY), ["T", "M1", "M2"], settlement_ms=settlement_ms, sub_accounts={"T": ["s1"]}
    )


def _quoted(venue: Venue, alloc: tuple[AllocRequest, ...] = ()) -> tuple[str, str]:
    rfq = venue.create_rfq(CreateRfq("T", ("M1",), (LEG,), acct_alloc=alloc))
    quote = venue.create_quote(
        CreateQuote("M1", str(rfq.rfq_id), Side.SELL, (msgspec.structs.replace(LEG, px=Decimal("50000")),))
    )
    return str(rfq.rfq_id), str(quote.quote_id)


def test_an_execution_is_pending_with_its_settlement_stored_on_the_trade_and_a_timer_armed() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    armed: list[int] = []
    venue.on_timer = armed.append
    rfq_id, quote_id = _quoted(venue)

    trade = venue.execute_quote(ExecuteQuote("T", rfq_id, quote_id))

    assert (trade.pending, trade.settle_at, trade.error_code, trade.is_successful) == (
        True,
        START_MS + SETTLEMENT_MS,
        "",
        False,
    )
    assert (venue.rfqs[trade.rfq_id].state, venue.quotes[trade.quote_id].state) == (
        RfqState.PENDING_FILL,
        QuoteState.PENDING_FILL,
    )
    assert armed == [START_MS + SETTLEMENT_MS] and venue.next_timer_ms() == START_MS + SETTLEMENT_MS
    assert list(venue.book.pending_trades) == [trade.block_td_id]


def test_a_settlement_fires_at_its_due_time_however_late_the_clock_is_read() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    rfq_id, quote_id = _quoted(venue)
    trade = venue.execute_quote(ExecuteQuote("T", rfq_id, quote_id))
    venue.take_events()

    clock.advance(SETTLEMENT_MS - 1)
    venue.advance()
    still_pending = venue.trades[trade.block_td_id].pending
    clock.advance(10_000)
    venue.advance()

    settled = venue.trades[trade.block_td_id]
    assert still_pending and not settled.pending and settled.is_successful
    assert venue.rfqs[trade.rfq_id].u_time == venue.quotes[trade.quote_id].u_time == START_MS + SETTLEMENT_MS
    assert [type(e).__name__ for e in venue.take_events()] == ["QuoteChanged", "RfqChanged", "TradeExecuted"]
    assert not venue.book.pending_trades


def test_the_settle_fail_decision_is_asked_once_accepted_and_applied_at_settlement() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    asked: list[str] = []

    def settle_fail() -> str:
        asked.append("asked")
        return "70509"

    rfq_id, quote_id = _quoted(venue)
    refused = ExecuteQuote("T", rfq_id, "999", settle_fail=settle_fail)
    try:
        venue.execute_quote(refused)
    except errors.OkxError:
        pass
    trade = venue.execute_quote(ExecuteQuote("T", rfq_id, quote_id, settle_fail=settle_fail))
    clock.advance(SETTLEMENT_MS)
    venue.advance()

    assert asked == ["asked"]
    assert trade.error_code == "70509" and venue.trades[trade.block_td_id].is_successful is False
    assert (venue.rfqs[trade.rfq_id].state, venue.quotes[trade.quote_id].state) == (
        RfqState.FAILED,
        QuoteState.FAILED,
    )


def test_atomic_settlement_never_asks_the_settle_fail_decision() -> None:
    venue = _venue(ManualClock(START_MS), settlement_ms=0)
    rfq_id, quote_id = _quoted(venue)

    trade = venue.execute_quote(ExecuteQuote("T", rfq_id, quote_id, settle_fail=lambda: "70509"))

    assert (trade.pending, trade.error_code, trade.is_successful) == (False, "", True)
    assert venue.rfqs[trade.rfq_id].state is RfqState.FILLED
    assert not [t for t in venue.timers._heap if t[1] is TimerKind.SETTLEMENT]


def test_a_restored_venue_arms_the_pending_settlements_and_settles_them() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    rfq_id, quote_id = _quoted(venue)
    trade = venue.execute_quote(ExecuteQuote("T", rfq_id, quote_id))
    restarted = _venue(clock)

    restarted.restore(venue.rfqs.values(), venue.quotes.values(), venue.trades.values(), venue.makers.values())
    armed = [t for t in restarted.timers._heap if t[1] is TimerKind.SETTLEMENT]
    clock.advance(SETTLEMENT_MS)
    restarted.advance()

    assert armed == [(START_MS + SETTLEMENT_MS, TimerKind.SETTLEMENT, trade.block_td_id)]
    assert restarted.rfqs[trade.rfq_id].state is RfqState.FILLED


def test_a_group_execution_takes_one_block_trade_id_per_account_and_the_next_id_follows() -> None:
    venue = _venue(ManualClock(START_MS), settlement_ms=0)
    rfq_id, quote_id = _quoted(venue, ALLOC)
    group = venue.execute_quote(ExecuteQuote("T", rfq_id, quote_id))
    plain_rfq, plain_quote = _quoted(venue)

    plain = venue.execute_quote(ExecuteQuote("T", plain_rfq, plain_quote))

    assert [c.block_td_id for c in group.allocs] == [1, 2] and group.block_td_id == 1
    assert [leg.trade_id for c in group.allocs for leg in c.legs] == [1, 2]
    assert (plain.block_td_id, plain.legs[0].trade_id) == (3, 3)
    assert [t.block_td_id for t in Reads(venue).public_trades(START_MS, None, None, 100)] == [3, 1]


def test_group_ids_continue_after_a_restore() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    first = venue.create_rfq(CreateRfq("T", ("M1",), (LEG,), acct_alloc=ALLOC))
    restarted = _venue(clock)
    restarted.restore(venue.rfqs.values(), venue.quotes.values(), venue.trades.values())

    second = restarted.create_rfq(CreateRfq("T", ("M1",), (LEG,), acct_alloc=ALLOC))

    assert (first.group_id, second.group_id, first.allow_partial) == (1, 2, True)


def test_settlement_timers_due_at_the_same_ms_as_others_pop_last() -> None:
    timers = Timers()
    timers.add(100, TimerKind.SETTLEMENT, 1)
    timers.add(100, TimerKind.CANCEL_ALL_AFTER, "M1")
    timers.add(100, TimerKind.RFQ_EXPIRY, 2)

    kinds = [timers.pop_due(100) for _ in range(3)]

    assert [t[1] for t in kinds if t is not None] == [
        TimerKind.RFQ_EXPIRY,
        TimerKind.CANCEL_ALL_AFTER,
        TimerKind.SETTLEMENT,
    ]
