"""The read side pages newest first between OKX's beginId (newer than) and endId (older than), stops reading once
a page is full, and treats an id filter that names nothing as matching nothing."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from openrfq.domain import errors
from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CreateQuote, CreateRfq, LegRequest, QuoteQuery, RfqQuery
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.ids import QuoteId
from openrfq.engine import Venue, queries
from openrfq.engine.reads import Reads
from openrfq.instruments.catalogue import default_instruments
from samples import START_MS, TODAY

IDS = [2, 4, 6, 8, 10]


def test_newest_first_without_bounds_yields_every_id_newest_first() -> None:
    assert list(queries.newest_first(IDS, None, None)) == [10, 8, 6, 4, 2]


def test_newest_first_between_begin_and_end_leaves_out_both_bounds() -> None:
    assert list(queries.newest_first(IDS, 4, 10)) == [8, 6]


def test_newest_first_with_bounds_that_are_not_ids_cuts_between_them() -> None:
    assert list(queries.newest_first(IDS, 3, 9)) == [8, 6, 4]


def test_newest_first_with_bounds_past_either_end_is_empty() -> None:
    assert list(queries.newest_first(IDS, 10, None)) == []
    assert list(queries.newest_first(IDS, None, 2)) == []


def test_take_stops_reading_once_the_page_is_full() -> None:
    read: list[int] = []

    def items() -> Iterator[int]:
        for i in range(100):
            read.append(i)
            yield i

    page = queries.take(items(), 3, lambda i: i % 2 == 0)

    assert page == [0, 2, 4]
    assert read == [0, 1, 2, 3, 4]


def test_id_filter_absent_is_none_and_malformed_matches_nothing() -> None:
    assert queries.id_filter("") is None
    assert queries.id_filter("12") == 12
    assert queries.id_filter("012") == -1
    assert queries.id_filter("x") == -1


def test_state_filter_not_a_state_raises_51000() -> None:
    with pytest.raises(errors.ParameterError) as raised:
        queries.state_filter("open", QuoteState)

    assert raised.value.code == "51000" and raised.value.msg == "Parameter state error"
    assert queries.state_filter("", QuoteState) is None
    assert queries.state_filter("active", RfqState) is RfqState.ACTIVE


def _venue_with_quotes(count: int) -> tuple[Venue, list[QuoteId]]:
    venue = Venue(ManualClock(START_MS), default_instruments(TODAY), ["T", "M1", "M2"])
    rfq = venue.create_rfq(CreateRfq("T", ("M1",), (LegRequest("BTC-USDT", Decimal("1"), Side.BUY),)))
    leg = LegRequest("BTC-USDT", Decimal("1"), Side.BUY, px=Decimal("50000"))
    ids = [venue.create_quote(CreateQuote("M1", str(rfq.rfq_id), Side.SELL, (leg,))).quote_id for _ in range(count)]
    return venue, ids


def test_find_quotes_pages_newest_first_from_end_id() -> None:
    venue, ids = _venue_with_quotes(6)

    page = Reads(venue).find_quotes(QuoteQuery("M1", end_id=ids[4], limit=2))

    assert [q.quote_id for q in page] == [ids[3], ids[2]]


def test_find_quotes_with_a_state_filter_skips_newer_quotes_in_other_states() -> None:
    venue, ids = _venue_with_quotes(3)  # each replaced the one before: canceled, canceled, active

    page = Reads(venue).find_quotes(QuoteQuery("M1", state="canceled", limit=1))

    assert [q.quote_id for q in page] == [ids[1]]
    assert [q.state for q in Reads(venue).find_quotes(QuoteQuery("M1", state="active"))] == [QuoteState.ACTIVE]


def test_find_quotes_is_the_same_for_the_rfqs_taker_and_nothing_for_others() -> None:
    venue, ids = _venue_with_quotes(2)

    for_taker = Reads(venue).find_quotes(QuoteQuery("T"))
    for_other = Reads(venue).find_quotes(QuoteQuery("M2"))

    assert [q.quote_id for q in for_taker] == ids[::-1]
    assert for_other == []


def test_find_rfqs_by_an_id_that_is_not_a_venue_id_is_empty() -> None:
    venue, _ = _venue_with_quotes(1)

    assert Reads(venue).find_rfqs(RfqQuery("T", rfq_id="01")) == []
    assert [r.rfq_id for r in Reads(venue).find_rfqs(RfqQuery("T", rfq_id="1"))] == [1]
