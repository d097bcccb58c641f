"""POST /api/v5/rfq/create-quote: who may quote, legs, prices, expiry, replacement."""

from __future__ import annotations

from typing import Any

import pytest

from openrfq.testing import InProcessVenue, Party
from samples import START_MS, SWAP_LEG, create_quote, create_rfq, quote_body

CREATE = "/api/v5/rfq/create-quote"


async def test_create_quote_answers_every_documented_field(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, clRfqId="secret")

    answer = await maker1.post(CREATE, quote_body(rfq["rfqId"], clQuoteId="q1", tag="t1", expiresIn="30"))

    assert answer["code"] == "0"
    assert answer["data"] == [
        {
            "cTime": str(START_MS),
            "uTime": str(START_MS),
            "state": "active",
            "reason": "",
            "validUntil": str(START_MS + 30_000),
            "rfqId": rfq["rfqId"],
            "clRfqId": "",
            "quoteId": answer["data"][0]["quoteId"],
            "clQuoteId": "q1",
            "tag": "t1",
            "traderCode": "MAKER1",
            "quoteSide": "buy",
            "legs": [
                {
                    "instId": "BTC-USDT",
                    "tdMode": "cash",
                    "ccy": "",
                    "sz": "1.5",
                    "px": "50000.1",
                    "side": "buy",
                    "posSide": "",
                    "tgtCcy": "base_ccy",
                    "tradeQuoteCcy": "USDT",
                }
            ],
        }
    ]


async def test_create_quote_expires_in_defaults_to_sixty_seconds(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)

    quote = await create_quote(maker1, rfq["rfqId"], expiresIn="")

    assert int(quote["validUntil"]) == START_MS + 60_000


@pytest.mark.parametrize("expires_in", ["9", "121", "10.5", "x"])
async def test_create_quote_expires_in_out_of_range_is_51000(taker: Party, maker1: Party, expires_in: str) -> None:
    rfq = await create_rfq(taker)

    answer = await maker1.post(CREATE, quote_body(rfq["rfqId"], expiresIn=expires_in))

    assert answer == {"code": "51000", "msg": "Parameter expiresIn error", "data": []}


async def test_create_quote_replaces_the_makers_previous_quote(taker: Party, maker1: Party, maker2: Party) -> None:
    rfq = await create_rfq(taker)
    first = await create_quote(maker1, rfq["rfqId"])
    other = await create_quote(maker2, rfq["rfqId"])

    second = await create_quote(maker1, rfq["rfqId"], px="50000.2")

    quotes = await taker.get("/api/v5/rfq/quotes", rfqId=rfq["rfqId"])
    states = {q["quoteId"]: q["state"] for q in quotes["data"]}
    assert states == {first["quoteId"]: "canceled", second["quoteId"]: "active", other["quoteId"]: "active"}


async def test_create_quote_replacement_may_reuse_the_cl_quote_id(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    await create_quote(maker1, rfq["rfqId"], clQuoteId="same")

    answer = await maker1.post(CREATE, quote_body(rfq["rfqId"], clQuoteId="same"))

    assert answer["code"] == "0"


async def test_create_quote_duplicate_active_cl_quote_id_on_another_rfq_is_70301(taker: Party, maker1: Party) -> None:
    first = await create_rfq(taker)
    second = await create_rfq(taker)
    await create_quote(maker1, first["rfqId"], clQuoteId="dup")

    answer = await maker1.post(CREATE, quote_body(second["rfqId"], clQuoteId="dup"))

    assert answer == {"code": "70301", "msg": "Duplicate clQuoteId.", "data": []}


async def test_create_quote_by_the_rfq_creator_is_70308(taker: Party) -> None:
    rfq = await create_rfq(taker)

    answer = await taker.post(CREATE, quote_body(rfq["rfqId"]))

    assert answer == {"code": "70308", "msg": "Quote to your own RFQ is not allowed.", "data": []}


async def test_create_quote_by_a_maker_not_asked_is_70000(venue: InProcessVenue, taker: Party) -> None:
    rfq = await create_rfq(taker)

    answer = await venue.party("MAKER3").post(CREATE, quote_body(rfq["rfqId"]))

    assert answer == {"code": "70000", "msg": "RFQ does not exist.", "data": []}


async def test_create_quote_on_unknown_rfq_is_70000(maker1: Party) -> None:
    answer = await maker1.post(CREATE, quote_body("424242"))

    assert answer["code"] == "70000"


async def test_create_quote_on_a_canceled_rfq_is_70303(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": rfq["rfqId"]})

    answer = await maker1.post(CREATE, quote_body(rfq["rfqId"]))

    assert answer == {"code": "70303", "msg": "The RFQ with canceled status cannot be quoted.", "data": []}


@pytest.mark.parametrize(
    "legs",
    [
        [{"instId": "BTC-USDT", "sz": "1.4", "side": "buy", "px": "50000"}],
        [{"instId": "BTC-USDT", "sz": "1.5", "side": "sell", "px": "50000"}],
        [{"instId": "ETH-USDT", "sz": "1.5", "side": "buy", "px": "50000"}],
        [{"instId": "BTC-USDT", "sz": "1.5", "side": "buy", "px": "50000", "tgtCcy": "quote_ccy"}],
        [
            {"instId": "BTC-USDT", "sz": "1.5", "side": "buy", "px": "50000"},
            {**SWAP_LEG, "px": "50000"},
        ],
    ],
)
async def test_create_quote_legs_must_match_the_rfq_or_70306(taker: Party, maker1: Party, legs: list[Any]) -> None:
    rfq = await create_rfq(taker)

    answer = await maker1.post(CREATE, quote_body(rfq["rfqId"], legs=legs))

    assert answer == {"code": "70306", "msg": f"The legs of quote do not match the legs of {rfq['rfqId']}", "data": []}


@pytest.mark.parametrize("px", ["50000.05", "0", "-0.1"])
async def test_create_quote_price_off_the_tick_grid_is_70304(taker: Party, maker1: Party, px: str) -> None:
    rfq = await create_rfq(taker)

    answer = await maker1.post(CREATE, quote_body(rfq["rfqId"], px=px))

    assert answer == {"code": "70304", "msg": "Price should be an integer multiple of the tick size.", "data": []}


async def test_create_quote_without_quote_side_is_50014(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    body = quote_body(rfq["rfqId"])
    del body["quoteSide"]

    response = await maker1.request("POST", CREATE, body)

    assert response.status_code == 400
    assert response.json()["msg"] == "Parameter quoteSide can not be empty."


async def test_create_quote_multi_leg_in_any_leg_order(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, legs=[{"instId": "BTC-USDT", "sz": "1", "side": "buy"}, SWAP_LEG])
    legs = [{**SWAP_LEG, "px": "60000.5"}, {"instId": "BTC-USDT", "sz": "1", "side": "buy", "px": "60000"}]

    quote = await create_quote(maker1, rfq["rfqId"], legs=legs, quoteSide="sell")

    assert [leg["instId"] for leg in quote["legs"]] == ["BTC-USDT-SWAP", "BTC-USDT"]
    assert quote["quoteSide"] == "sell"
