"""A command applies completely or changes nothing: what can fail is computed before the first change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CreateQuote, CreateRfq, LegRequest
from openrfq.domain.enums import QuoteState, Side
from openrfq.domain.ids import RfqId
from openrfq.domain.prices import Prices, StaticIndex
from openrfq.engine import Venue
from openrfq.instruments.catalogue import default_instruments
from samples import START_MS, TODAY


class _IndexFailingWhenTrading:
    """Prices for quoting; the index a trade records is unavailable (an exception from inside the venue)."""

    volatility = 0.5

    def __init__(self) -> None:
        self.armed = False

    def index(self, ccy: str, now_ms: int) -> Decimal | None:
        if self.armed:
            raise RuntimeError("index feed down")
        return StaticIndex().index(ccy, now_ms)


def _auto_executing_rfq(venue: Venue) -> RfqId:
    leg = LegRequest("BTC-USDT", Decimal("0.5"), Side.BUY, lmt_px=Decimal("60000"))
    return venue.create_rfq(CreateRfq("T", ("M1",), (leg,))).rfq_id


def _quote_within_the_limit(venue: Venue, rfq_id: RfqId) -> None:
    leg = LegRequest("BTC-USDT", Decimal("0.5"), Side.BUY, px=Decimal("50000"))
    venue.create_quote(CreateQuote("M1", str(rfq_id), Side.SELL, (leg,)))


def test_create_quote_whose_auto_execution_fails_leaves_no_quote_and_no_change() -> None:
    source = _IndexFailingWhenTrading()
    venue = Venue(ManualClock(START_MS), default_instruments(TODAY), ["T", "M1"], prices=Prices(source))
    rfq_id = _auto_executing_rfq(venue)
    venue.take_changes(), venue.take_events()
    source.armed = True

    with pytest.raises(RuntimeError):
        _quote_within_the_limit(venue, rfq_id)

    assert venue.quotes == {}
    assert not venue.has_changes()
    assert venue.take_events() == []
    assert venue.rfqs[rfq_id].state.is_active


def test_create_quote_within_the_limit_fills_at_once() -> None:
    venue = Venue(ManualClock(START_MS), default_instruments(TODAY), ["T", "M1"])
    rfq_id = _auto_executing_rfq(venue)

    _quote_within_the_limit(venue, rfq_id)

    assert [q.state for q in venue.quotes.values()] == [QuoteState.FILLED]
    assert len(venue.trades) == 1
