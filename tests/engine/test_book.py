"""The book's indexes follow its entities: adding, ending and restoring keep every index in step, and one generic
lookup finds a trader's RFQ or quote by venue id or by client id."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.ids import BlockTradeId, ClQuoteId, ClRfqId, QuoteId, RfqId, TradeId
from openrfq.domain.models import BlockTrade, Quote, QuoteLeg, Rfq, RfqLeg, TradeLeg
from openrfq.engine.book import Book, ClientIds
from samples import START_MS


def _rfq(rfq_id: int, taker: str = "T", cl: str = "", state: RfqState = RfqState.ACTIVE) -> Rfq:
    leg = RfqLeg("BTC-USDT", Decimal("1"), Side.BUY)
    return Rfq(
        rfq_id=RfqId(rfq_id),
        taker=taker,
        counterparties=("M1", "M2"),
        legs=(leg,),
        c_time=START_MS,
        valid_until=START_MS + 60_000,
        cl_rfq_id=ClRfqId(cl),
        state=state,
    )


def _quote(quote_id: int, rfq_id: int, maker: str = "M1", cl: str = "", state: QuoteState = QuoteState.ACTIVE) -> Quote:
    leg = QuoteLeg("BTC-USDT", Decimal("1"), Decimal("50000"), Side.BUY)
    return Quote(
        quote_id=QuoteId(quote_id),
        rfq_id=RfqId(rfq_id),
        maker=maker,
        quote_side=Side.SELL,
        legs=(leg,),
        c_time=START_MS,
        valid_until=START_MS + 30_000,
        cl_quote_id=ClQuoteId(cl),
        state=state,
    )


def _trade(block_td_id: int, rfq_id: int, quote_id: int, first_leg_id: int) -> BlockTrade:
    leg = TradeLeg(
        inst_id="BTC-USDT",
        px=Decimal("50000"),
        sz=Decimal("1"),
        side=Side.BUY,
        trade_id=TradeId(first_leg_id),
        taker_fee=Decimal("-0.0005"),
        taker_fee_ccy="BTC",
        maker_fee=Decimal("-10"),
        maker_fee_ccy="USDT",
    )
    return BlockTrade(
        block_td_id=BlockTradeId(block_td_id),
        rfq_id=RfqId(rfq_id),
        quote_id=QuoteId(quote_id),
        taker="T",
        maker="M1",
        c_time=START_MS,
        legs=(leg,),
    )


def _book_with_rfq() -> Book:
    book = Book()
    book.add_rfq(_rfq(1, cl="r1"))
    return book


# --- adding and ending -------------------------------------------------------------------------------------------


def test_add_rfq_indexes_it_for_its_taker_and_every_counterparty() -> None:
    book = Book()

    book.add_rfq(_rfq(1, cl="r1"))
    book.add_rfq(_rfq(2))

    assert book.rfqs_of == {"T": [1, 2], "M1": [1, 2], "M2": [1, 2]}
    assert book.live_rfqs("T") == [book.rfqs[RfqId(1)], book.rfqs[RfqId(2)]]
    assert book.live_rfq_by_cl("T", ClRfqId("r1")) is book.rfqs[RfqId(1)]
    assert book.next_rfq_id == 3


def test_add_quote_indexes_it_for_its_maker_the_rfq_taker_and_the_rfq() -> None:
    book = _book_with_rfq()

    book.add_quote(_quote(1, 1, cl="q1"))

    assert book.quotes_of == {"M1": [1], "T": [1]}
    assert book.rfq_quotes[RfqId(1)] == [1]
    assert book.live_quote_id(RfqId(1), "M1") == 1
    assert book.live_quotes("M1") == [book.quotes[QuoteId(1)]]
    assert book.live_quote_by_cl("M1", ClQuoteId("q1")) is book.quotes[QuoteId(1)]
    assert book.live_quote_count() == 1
    assert book.next_quote_id == 2


def test_quote_ended_leaves_the_live_indexes_and_keeps_its_history() -> None:
    book = _book_with_rfq()
    quote = _quote(1, 1, cl="q1")
    book.add_quote(quote)
    quote.state = QuoteState.CANCELED

    book.quote_ended(quote)

    assert book.live_quote_id(RfqId(1), "M1") is None
    assert book.live_quote_by_cl("M1", ClQuoteId("q1")) is None
    assert book.live_quotes("M1") == []
    assert book.live_quotes_on(RfqId(1)) == []
    assert book.quotes_of["M1"] == [1]
    assert book.cl_quotes.of("M1", ClQuoteId("q1")) == [1]


def test_rfq_ended_leaves_the_live_indexes_and_keeps_its_history() -> None:
    book = _book_with_rfq()
    rfq = book.rfqs[RfqId(1)]
    rfq.state = RfqState.CANCELED

    book.rfq_ended(rfq)

    assert book.live_rfqs("T") == []
    assert book.live_rfq_by_cl("T", ClRfqId("r1")) is None
    assert book.live_rfq_count() == 0
    assert book.rfqs_of["T"] == [1]


def test_add_trade_indexes_both_parties_the_rfq_and_its_legs() -> None:
    book = _book_with_rfq()
    book.add_quote(_quote(1, 1))

    book.add_trade(_trade(1, 1, 1, first_leg_id=7))

    assert book.trades_of == {"T": [1], "M1": [1]}
    assert book.trade_of_rfq == {1: 1}
    assert book.legs_of == {"BTC-USDT": [(1, -1, 0)]}  # (blockTdId, no child, leg index)
    assert (book.next_trade_id, book.next_leg_trade_id) == (2, 8)


# --- restore -----------------------------------------------------------------------------------------------------


def test_restore_in_any_order_rebuilds_the_indexes_and_the_next_ids() -> None:
    rfqs = [_rfq(2, cl="r"), _rfq(1, cl="r", state=RfqState.CANCELED)]
    quotes = [
        _quote(3, 2, cl="q"),
        _quote(1, 1, cl="q", state=QuoteState.CANCELED),
        _quote(2, 2, maker="M2", state=QuoteState.EXPIRED),
    ]
    book = Book()

    book.restore(rfqs, quotes, [_trade(1, 1, 1, first_leg_id=4)])

    assert book.rfqs_of["T"] == [1, 2]
    assert book.quotes_of == {"M1": [1, 3], "T": [1, 2, 3], "M2": [2]}
    assert book.cl_rfqs.of("T", ClRfqId("r")) == [1, 2]
    assert book.live_rfq_by_cl("T", ClRfqId("r")) is book.rfqs[RfqId(2)]
    assert book.live_quote_by_cl("M1", ClQuoteId("q")) is book.quotes[QuoteId(3)]
    assert book.live_quotes_on(RfqId(2)) == [book.quotes[QuoteId(3)]]
    assert (book.live_rfq_count(), book.live_quote_count()) == (1, 1)
    assert (book.next_rfq_id, book.next_quote_id, book.next_trade_id, book.next_leg_trade_id) == (3, 4, 2, 5)


def test_restore_of_a_quote_whose_rfq_is_missing_raises() -> None:
    book = Book()

    with pytest.raises(KeyError):
        book.restore([], [_quote(1, 9)], [])


# --- own: by venue id or client id --------------------------------------------------------------------------------


def test_own_quote_by_id_wins_over_the_client_id() -> None:
    book = _book_with_rfq()
    book.add_quote(_quote(1, 1, cl="a"))
    book.add_quote(_quote(2, 1, maker="M1", cl="b"))

    found = book.own_quote("M1", "1", ClQuoteId("b"))

    assert found is book.quotes[QuoteId(1)]


def test_own_quote_by_client_id_when_every_use_ended_is_the_latest() -> None:
    book = _book_with_rfq()
    for quote_id in (1, 2):
        quote = _quote(quote_id, 1, cl="a")
        book.add_quote(quote)
        quote.state = QuoteState.CANCELED
        book.quote_ended(quote)

    found = book.own_quote("M1", "", ClQuoteId("a"))

    assert found is book.quotes[QuoteId(2)]


def test_own_rfq_by_client_id_is_the_live_one() -> None:
    book = Book()
    book.add_rfq(_rfq(1, cl="r", state=RfqState.CANCELED))
    book.add_rfq(_rfq(2, cl="r"))

    found = book.own_rfq("T", "", ClRfqId("r"))

    assert found is book.rfqs[RfqId(2)]


@pytest.mark.parametrize(
    ("owner", "id_text", "cl_id"),
    [
        ("M2", "1", ""),  # someone else's quote, by id
        ("M2", "", "a"),  # and by client id: each owner has its own client ids
        ("M1", "007", ""),  # not a venue id as OKX writes one
        ("M1", "99", ""),  # no such quote
        ("M1", "", ""),  # neither
        ("M1", "", "zz"),  # a client id never used
    ],
)
def test_own_quote_that_is_not_the_callers_is_none(owner: str, id_text: str, cl_id: str) -> None:
    book = _book_with_rfq()
    book.add_quote(_quote(1, 1, cl="a"))

    found = book.own_quote(owner, id_text, ClQuoteId(cl_id))

    assert found is None


def test_own_rfq_of_another_taker_is_none() -> None:
    book = _book_with_rfq()

    assert book.own_rfq("M1", "1", ClRfqId("")) is None
    assert book.own_rfq("M1", "", ClRfqId("r1")) is None


def test_client_ids_latest_prefers_the_live_use_to_a_newer_ended_one() -> None:
    ids: ClientIds[int, str] = ClientIds()
    ids.add("M1", "a", 1, live=True)
    ids.add("M1", "a", 2, live=False)

    assert ids.latest("M1", "a") == 1
    assert ids.of("M1", "a") == [1, 2]


def test_client_ids_ending_an_older_use_keeps_the_live_one() -> None:
    ids: ClientIds[int, str] = ClientIds()
    ids.add("M1", "a", 1, live=False)
    ids.add("M1", "a", 2, live=True)

    ids.ended("M1", "a", 1)

    assert ids.live == {("M1", "a"): 2}


def test_client_ids_ignore_the_empty_client_id() -> None:
    ids: ClientIds[int, str] = ClientIds()

    ids.add("M1", "", 1, live=True)

    assert ids.uses == {} and ids.live == {}
    assert ids.latest("M1", "") is None
