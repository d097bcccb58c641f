"""GET /api/v5/rfq/trades: every documented filter, and each party's own view of a trade."""

from __future__ import annotations

from typing import Any

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party
from samples import create_quote, create_rfq

TRADES = "/api/v5/rfq/trades"


async def _trade(taker: Party, maker: Party, n: int, **rfq: Any) -> dict[str, Any]:
    made = await create_rfq(taker, clRfqId=f"r{n}", tag=f"t{n}", **rfq)
    quote = await create_quote(maker, made["rfqId"], clQuoteId=f"q{n}", tag=f"m{n}")
    answer = await taker.post("/api/v5/rfq/execute-quote", {"rfqId": made["rfqId"], "quoteId": quote["quoteId"]})
    assert answer["code"] == "0", answer
    trade: dict[str, Any] = answer["data"][0]
    return trade


@pytest.fixture
async def three(clock: ManualClock, taker: Party, maker1: Party, maker2: Party) -> list[dict[str, Any]]:
    """Three trades a second apart: maker1, maker2, maker1."""
    made = []
    for n, maker in enumerate((maker1, maker2, maker1), start=1):
        made.append(await _trade(taker, maker, n))
        clock.advance(1000)
    return made


def _ids(answer: dict[str, Any]) -> list[str]:
    assert answer["code"] == "0", answer
    return [t["blockTdId"] for t in answer["data"]]


async def test_each_party_lists_its_own_trades_newest_first(
    three: list[dict[str, Any]], taker: Party, maker1: Party, maker2: Party, venue: InProcessVenue
) -> None:
    assert _ids(await taker.get(TRADES)) == ["3", "2", "1"]
    assert _ids(await maker1.get(TRADES)) == ["3", "1"]
    assert _ids(await maker2.get(TRADES)) == ["2"]
    assert _ids(await venue.party("TAKER2").get(TRADES)) == []


async def test_the_maker_sees_its_own_fee_client_id_and_tag(three: list[dict[str, Any]], maker2: Party) -> None:
    (trade,) = (await maker2.get(TRADES))["data"]

    assert trade == {
        "cTime": three[1]["cTime"],
        "rfqId": three[1]["rfqId"],
        "clRfqId": "",
        "quoteId": three[1]["quoteId"],
        "clQuoteId": "q2",
        "blockTdId": "2",
        "tag": "m2",
        "tTraderCode": "TAKER1",
        "mTraderCode": "MAKER2",
        "isSuccessful": True,
        "errorCode": "",
        "legs": [
            {
                "instId": "BTC-USDT",
                "px": "50000.1",
                "sz": "1.5",
                "side": "sell",  # the taker's direction, as on every view of a block trade
                "fee": "-0.0003",  # the maker bought 1.5 BTC at 2 bp
                "feeCcy": "BTC",
                "tradeId": "2",
                "tradeQuoteCcy": "USDT",
            }
        ],
        "acctAlloc": [],
    }


async def test_the_taker_sees_its_client_rfq_id_and_not_the_makers(three: list[dict[str, Any]], taker: Party) -> None:
    trade = (await taker.get(TRADES, blockTdId="2"))["data"][0]

    assert (trade["clRfqId"], trade["clQuoteId"], trade["tag"]) == ("r2", "", "t2")
    assert trade["legs"][0]["fee"] == "-37.500075"


@pytest.mark.parametrize(
    ("who", "params", "expected"),
    [
        ("taker", {"rfqId": "2"}, ["2"]),
        ("taker", {"clRfqId": "r3"}, ["3"]),
        ("taker", {"rfqId": "1", "clRfqId": "r3"}, ["1"]),  # rfqId wins
        ("maker1", {"clRfqId": "r1"}, []),  # client RFQ ids are the taker's
        ("taker", {"quoteId": "3"}, ["3"]),
        ("maker1", {"clQuoteId": "q1"}, ["1"]),
        ("taker", {"clQuoteId": "q1"}, []),  # client quote ids are the maker's
        ("maker1", {"quoteId": "1", "clQuoteId": "q3"}, ["1"]),  # quoteId wins
        ("taker", {"blockTdId": "1"}, ["1"]),
        ("maker2", {"blockTdId": "1"}, []),  # not its trade
        ("taker", {"beginId": "1"}, ["3", "2"]),
        ("taker", {"endId": "3"}, ["2", "1"]),
        ("taker", {"beginId": "1", "endId": "3"}, ["2"]),
        ("taker", {"limit": "2"}, ["3", "2"]),
        ("taker", {"beginTs": str(1_763_000_001_000)}, ["3", "2"]),
        ("taker", {"endTs": str(1_763_000_001_000)}, ["2", "1"]),
        ("taker", {"beginTs": str(1_763_000_001_000), "endTs": str(1_763_000_001_000)}, ["2"]),
        ("taker", {"isSuccessful": "false"}, []),
        ("taker", {"isSuccessful": "true"}, ["3", "2", "1"]),
        ("taker", {"rfqId": "2", "quoteId": "3"}, []),  # filters combine
        ("taker", {"rfqId": "", "clRfqId": ""}, ["3", "2", "1"]),  # python-okx sends "" for unused ones
    ],
)
async def test_filters(
    three: list[dict[str, Any]], venue: InProcessVenue, who: str, params: dict[str, str], expected: list[str]
) -> None:
    party = venue.party({"taker": "TAKER1"}.get(who, who.upper()))

    assert _ids(await party.get(TRADES, **params)) == expected


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (
            {"beginTs": "yesterday"},
            "70010",
            "Timestamp parameters need to be in Unix timestamp format in milliseconds.",
        ),
        ({"endTs": "1.5"}, "70010", "Timestamp parameters need to be in Unix timestamp format in milliseconds."),
        ({"beginTs": "2000", "endTs": "1000"}, "70013", "endTs needs to be bigger than or equal to beginTs."),
        ({"limit": "101"}, "51000", "Parameter limit error"),
        ({"limit": "0"}, "51000", "Parameter limit error"),
        ({"beginId": "x"}, "51000", "Parameter beginId error"),
        ({"isSuccessful": "maybe"}, "51000", "Parameter isSuccessful error"),
    ],
)
async def test_bad_filters_are_refused(taker: Party, params: dict[str, str], code: str, msg: str) -> None:
    assert await taker.get(TRADES, **params) == {"code": code, "msg": msg, "data": []}
