"""Client ids a bot re-uses: the live RFQ or quote behind one is always the one found, through cancels,
expiries, replacements, RFQ ends and a restart; a second live use of the same id is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openrfq.domain import errors
from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CancelQuote, CancelRfq, CreateQuote, CreateRfq, LegRequest
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.ids import QuoteId, RfqId
from openrfq.engine import Venue
from openrfq.instruments.catalogue import default_instruments
from samples import START_MS, TODAY


def _venue(clock: ManualClock) -> Venue:
    return Venue(clock, default_instruments(TODAY), ["T", "M1", "M2"])


def _rfq(venue: Venue, cl: str = "") -> RfqId:
    leg = LegRequest("BTC-USDT", Decimal("0.5"), Side.SELL)
    return venue.create_rfq(CreateRfq("T", ("M1", "M2"), (leg,), cl_rfq_id=cl)).rfq_id


def _quote(venue: Venue, rfq_id: RfqId, cl: str, expires_in_s: int = 60) -> QuoteId:
    leg = LegRequest("BTC-USDT", Decimal("0.5"), Side.SELL, px=Decimal("40000.1"))
    cmd = CreateQuote("M1", str(rfq_id), Side.BUY, (leg,), expires_in_s=expires_in_s, cl_quote_id=cl)
    return venue.create_quote(cmd).quote_id


def _restarted(venue: Venue, clock: ManualClock) -> Venue:
    again = _venue(clock)
    again.restore(venue.rfqs.values(), venue.quotes.values(), venue.trades.values())
    return again


def test_a_reused_cl_quote_id_always_finds_its_live_quote() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    rfq_id = _rfq(venue)
    ended: list[QuoteId] = []
    for round_ in range(40):
        if round_ == 20:
            venue = _restarted(venue, clock)
        live = _quote(venue, rfq_id, "same", expires_in_s=10)
        other_rfq = _rfq(venue)
        with pytest.raises(errors.DuplicateClQuoteId):
            _quote(venue, other_rfq, "same")  # while "same" is live, on any RFQ
        own = venue.own_quote("M1", "", "same")
        assert own is not None and own.quote_id == live
        ending = round_ % 4
        if ending == 0:
            assert venue.cancel_quote(CancelQuote("M1", cl_quote_id="same")).quote_id == live
        elif ending == 1:
            clock.advance(10_000)  # it expires
            venue.advance()
        elif ending == 2:
            # replaced by a quote that re-uses the same clQuoteId: that one is live now, then canceled by it
            replacement = _quote(venue, rfq_id, "same")
            assert venue.quotes[live].state is QuoteState.CANCELED
            assert venue.cancel_quote(CancelQuote("M1", cl_quote_id="same")).quote_id == replacement
            ended.append(replacement)
        else:
            venue.cancel_rfq(CancelRfq("T", rfq_id=str(rfq_id)))  # ends its quotes
            rfq_id = _rfq(venue)
        ended.append(live)
        assert venue.quotes[live].state is not QuoteState.ACTIVE
        # with nothing live, the latest quote of that clQuoteId is the one a cancel names (and it is no longer live)
        own = venue.own_quote("M1", "", "same")
        assert own is not None and own.quote_id == max(ended)
    assert all(venue.quotes[q].state is not QuoteState.ACTIVE for q in ended)
    assert venue.book.live_quote_count() == 0


def test_a_reused_cl_rfq_id_always_finds_its_live_rfq() -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    for round_ in range(30):
        if round_ == 15:
            venue = _restarted(venue, clock)
        live = _rfq(venue, "same")
        with pytest.raises(errors.DuplicateClRfqId):
            _rfq(venue, "same")
        if round_ % 2:
            assert venue.cancel_rfq(CancelRfq("T", cl_rfq_id="same")).rfq_id == live
        else:
            clock.advance(10 * 60_000)  # past any RFQ's validity: it expires
            venue.advance()
        assert venue.rfqs[live].state is not RfqState.ACTIVE
        with pytest.raises(errors.OkxError):  # the latest one is found, and it can no longer be canceled
            venue.cancel_rfq(CancelRfq("T", cl_rfq_id="same"))
    assert venue.book.live_rfq_count() == 0
