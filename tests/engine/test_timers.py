"""The timer queue pops what is due in due order, same-millisecond timers by kind then key; a venue arms a timer
for every live RFQ and quote and every armed Cancel All After, also when it restores them."""

from __future__ import annotations

from decimal import Decimal

from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CreateQuote, CreateRfq, LegRequest
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.ids import QuoteId, RfqId
from openrfq.engine import Venue
from openrfq.engine.timers import TimerKind, Timers
from openrfq.instruments.catalogue import default_instruments
from samples import START_MS, TODAY


def _popped(timers: Timers, now_ms: int) -> list[tuple[int, TimerKind, int | str]]:
    popped = []
    while (timer := timers.pop_due(now_ms)) is not None:
        popped.append(timer)
    return popped


def test_timers_pop_in_due_order_whatever_the_order_added() -> None:
    timers = Timers()
    for due in (300, 100, 200):
        timers.add(due, TimerKind.QUOTE_EXPIRY, due)

    popped = _popped(timers, 1_000)

    assert [due for due, _, _ in popped] == [100, 200, 300]


def test_timers_due_at_the_same_ms_pop_rfq_expiry_then_quote_expiry_then_cancel_all_after() -> None:
    timers = Timers()
    timers.add(100, TimerKind.CANCEL_ALL_AFTER, "M1")
    timers.add(100, TimerKind.QUOTE_EXPIRY, 5)
    timers.add(100, TimerKind.RFQ_EXPIRY, 9)

    popped = _popped(timers, 100)

    assert [kind for _, kind, _ in popped] == [
        TimerKind.RFQ_EXPIRY,
        TimerKind.QUOTE_EXPIRY,
        TimerKind.CANCEL_ALL_AFTER,
    ]


def test_timers_of_one_kind_due_at_the_same_ms_pop_oldest_id_first() -> None:
    timers = Timers()
    for quote_id in (3, 1, 2):
        timers.add(100, TimerKind.QUOTE_EXPIRY, quote_id)

    popped = _popped(timers, 100)

    assert [key for _, _, key in popped] == [1, 2, 3]


def test_timers_not_yet_due_stay_queued() -> None:
    timers = Timers()
    timers.add(100, TimerKind.RFQ_EXPIRY, 1)
    timers.add(200, TimerKind.RFQ_EXPIRY, 2)

    popped = _popped(timers, 199)

    assert popped == [(100, TimerKind.RFQ_EXPIRY, 1)]
    assert (len(timers), timers.next_due()) == (1, 200)


def test_timers_empty_have_no_next_due() -> None:
    timers = Timers()

    assert timers.next_due() is None
    assert timers.pop_due(START_MS) is None


def _venue(clock: ManualClock) -> Venue:
    return Venue(clock, default_instruments(TODAY), ["T", "M1"])


def _rfq_and_quote(venue: Venue, quote_expires_in_s: int) -> tuple[RfqId, QuoteId]:
    rfq = venue.create_rfq(CreateRfq("T", ("M1",), (LegRequest("BTC-USDT", Decimal("1"), Side.BUY),)))
    leg = LegRequest("BTC-USDT", Decimal("1"), Side.BUY, px=Decimal("50000"))
    quote = venue.create_quote(CreateQuote("M1", str(rfq.rfq_id), Side.SELL, (leg,), quote_expires_in_s))
    return rfq.rfq_id, quote.quote_id


def test_venue_arms_a_timer_per_live_rfq_quote_and_cancel_all_after() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    _rfq_and_quote(venue, quote_expires_in_s=10)

    trigger_ms, _ = venue.cancel_all_after("M1", 60)

    assert len(venue.timers) == 3
    assert venue.next_timer_ms() == START_MS + 10_000
    assert trigger_ms == START_MS + 60_000


def test_restored_venue_arms_timers_for_live_entities_only_and_fires_those_already_due() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    _rfq_and_quote(venue, quote_expires_in_s=10)
    venue.cancel_all_rfqs("T")  # that RFQ and its quote end: no timers for them after a restart
    live_rfq, live_quote = _rfq_and_quote(venue, quote_expires_in_s=10)
    venue.cancel_all_after("M1", 60)
    restarted = _venue(clock)

    restarted.restore(venue.rfqs.values(), venue.quotes.values(), venue.trades.values(), venue.makers.values())
    armed = len(restarted.timers)
    clock.advance(10_000)  # the live quote's expiry comes due
    restarted.advance()

    assert armed == 3  # the live RFQ's expiry, the live quote's, the Cancel All After
    assert restarted.quotes[live_quote].state is QuoteState.EXPIRED
    assert restarted.rfqs[live_rfq].state is RfqState.ACTIVE
    assert len(restarted.timers) == 2
