"""POST /api/v5/rfq/execute-quote: who may execute, what a fill does to every party's view, sizes, sides, fees."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party, open_venue
from samples import SPOT_LEG, SWAP_LEG, create_quote, create_rfq, make_config

EXECUTE = "/api/v5/rfq/execute-quote"
OPTION = "BTC-USD-251114-100000-C"  # samples.TODAY is Thursday 2025-11-13: the weekly option expires Friday


async def test_full_execution_answers_the_trade_as_the_taker_sees_it(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, clRfqId="r1", tag="takerTag")
    quote = await create_quote(maker1, rfq["rfqId"], clQuoteId="q1", tag="makerTag")

    answer = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    assert answer == {
        "code": "0",
        "msg": "",
        "data": [
            {
                "cTime": rfq["cTime"],
                "rfqId": rfq["rfqId"],
                "clRfqId": "r1",
                "quoteId": quote["quoteId"],
                "clQuoteId": "",
                "blockTdId": "1",
                "tag": "takerTag",
                "tTraderCode": "TAKER1",
                "mTraderCode": "MAKER1",
                "legs": [
                    # quoteSide buy: the maker buys the leg, so the taker sells; the taker pays 5 bp in USDT.
                    {
                        "instId": "BTC-USDT",
                        "px": "50000.1",
                        "sz": "1.5",
                        "side": "sell",
                        "fee": "-37.500075",
                        "feeCcy": "USDT",
                        "tradeId": "1",
                    }
                ],
                "acctAlloc": [],
            }
        ],
    }


async def test_a_fill_is_filled_for_the_winner_and_traded_away_for_other_makers(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    rfq = await create_rfq(taker)
    winner = await create_quote(maker1, rfq["rfqId"])
    loser = await create_quote(maker2, rfq["rfqId"], px="50000.2")

    await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": winner["quoteId"]})

    assert await taker.rfq_state(rfq["rfqId"]) == "filled"
    assert await maker1.rfq_state(rfq["rfqId"]) == "filled"
    assert await maker2.rfq_state(rfq["rfqId"]) == "traded_away"
    assert await maker1.quote_state(winner["quoteId"]) == "filled"
    assert await maker2.quote_state(loser["quoteId"]) == "canceled"
    assert (await maker2.get("/api/v5/rfq/rfqs", state="traded_away"))["data"][0]["rfqId"] == rfq["rfqId"]


async def test_an_rfq_executes_once(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])
    await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    again = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    assert again == {"code": "70504", "msg": "Execution failed as the RFQ status is filled.", "data": []}
    assert len((await taker.get("/api/v5/rfq/trades"))["data"]) == 1


async def test_only_the_rfq_creator_may_execute(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])

    for stranger in (maker1, venue.party("TAKER2")):
        answer = await stranger.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})
        assert answer == {"code": "70000", "msg": "RFQ does not exist.", "data": []}
    assert await maker1.quote_state(quote["quoteId"]) == "active"


async def test_unknown_rfq_is_70000(taker: Party) -> None:
    for rfq_id in ("999", "abc", "01"):
        answer = await taker.post(EXECUTE, {"rfqId": rfq_id, "quoteId": "1"})
        assert answer["code"] == "70000"


async def test_a_quote_of_another_rfq_is_70501(taker: Party, maker1: Party) -> None:
    first, second = await create_rfq(taker), await create_rfq(taker)
    quote = await create_quote(maker1, second["rfqId"])

    answer = await taker.post(EXECUTE, {"rfqId": first["rfqId"], "quoteId": quote["quoteId"]})

    assert answer == {
        "code": "70501",
        "msg": f"RFQ {first['rfqId']} is not quoted by {quote['quoteId']}",
        "data": [],
    }


@pytest.mark.parametrize("how", ["cancel", "replace", "expire"])
async def test_a_quote_that_is_not_active_is_70505_with_its_state(
    clock: ManualClock, taker: Party, maker1: Party, how: str
) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"], expiresIn="10")
    if how == "cancel":
        await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": quote["quoteId"]})
    elif how == "replace":
        await create_quote(maker1, rfq["rfqId"], px="50000.2")
    else:
        clock.advance(10_000)

    answer = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    state = "expired" if how == "expire" else "canceled"
    assert answer == {"code": "70505", "msg": f"Execution failed as the Quote status is {state}.", "data": []}


@pytest.mark.parametrize("how", ["cancel", "expire"])
async def test_an_rfq_that_is_not_active_is_70504_with_its_state(
    clock: ManualClock, taker: Party, maker1: Party, how: str
) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"], expiresIn="120")
    if how == "cancel":
        await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": rfq["rfqId"]})
    else:
        clock.advance(120_000)  # RFQs of non-option legs live 2 minutes

    answer = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    state = "expired" if how == "expire" else "canceled"
    assert answer == {"code": "70504", "msg": f"Execution failed as the RFQ status is {state}.", "data": []}


async def test_missing_ids_are_50014(taker: Party) -> None:
    assert (await taker.post(EXECUTE, {"quoteId": "1"}))["code"] == "50014"
    assert (await taker.post(EXECUTE, {"rfqId": "1", "quoteId": ""}))["code"] == "50014"


async def test_a_read_only_key_cannot_execute(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])

    response = await venue.party("taker1ro-key").request(
        "POST", EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]}
    )

    assert response.json()["code"] == "50120"
    assert await maker1.quote_state(quote["quoteId"]) == "active"


# --- sides ---------------------------------------------------------------------------------------------------


async def test_quote_side_sell_means_the_taker_trades_each_leg_in_its_side(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, legs=[SPOT_LEG, SWAP_LEG])
    quote = await create_quote(
        maker1, rfq["rfqId"], side="sell", legs=[{**SPOT_LEG, "px": "50000.1"}, {**SWAP_LEG, "px": "50010"}]
    )

    answer = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    legs = answer["data"][0]["legs"]
    assert [(leg["instId"], leg["side"]) for leg in legs] == [("BTC-USDT", "buy"), ("BTC-USDT-SWAP", "sell")]
    assert [leg["tradeId"] for leg in legs] == ["1", "2"]


async def test_quote_side_buy_means_the_taker_trades_each_leg_opposite(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, legs=[SPOT_LEG, SWAP_LEG])
    quote = await create_quote(
        maker1, rfq["rfqId"], side="buy", legs=[{**SPOT_LEG, "px": "50000.1"}, {**SWAP_LEG, "px": "50010"}]
    )

    answer = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    assert [leg["side"] for leg in answer["data"][0]["legs"]] == ["sell", "buy"]


# --- fees ----------------------------------------------------------------------------------------------------


async def _fees(taker: Party, maker: Party, leg: dict[str, str], px: str, side: str) -> tuple[Any, Any]:
    rfq = await create_rfq(taker, legs=[leg])
    quote = await create_quote(maker, rfq["rfqId"], side=side, legs=[{**leg, "px": px}])
    taker_view = (await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]}))["data"][0]
    maker_view = (await maker.get("/api/v5/rfq/trades", rfqId=rfq["rfqId"]))["data"][0]
    t, m = taker_view["legs"][0], maker_view["legs"][0]
    return (t["fee"], t["feeCcy"]), (m["fee"], m["feeCcy"])


@pytest.mark.parametrize(
    ("leg", "px", "side", "taker_fee", "maker_fee"),
    [
        # SPOT: each side pays in the currency it receives. Taker buys 1.5 BTC: 1.5 * 5 bp in BTC;
        # the maker sells and pays 2 bp of 75000.15 USDT.
        (
            {"instId": "BTC-USDT", "sz": "1.5", "side": "buy"},
            "50000.1",
            "sell",
            ("-0.00075", "BTC"),
            ("-15.00003", "USDT"),
        ),
        (
            {"instId": "BTC-USDT", "sz": "1.5", "side": "buy"},
            "50000.1",
            "buy",
            ("-37.500075", "USDT"),
            ("-0.0003", "BTC"),
        ),
        # Linear swap: 10 contracts * 0.01 BTC * 50010 = 5001 USDT notional.
        (
            {"instId": "BTC-USDT-SWAP", "sz": "10", "side": "sell"},
            "50010",
            "sell",
            ("-2.5005", "USDT"),
            ("-1.0002", "USDT"),
        ),
        # Inverse swap: 100 contracts * 100 USD / 50000 = 0.2 BTC notional.
        (
            {"instId": "BTC-USD-SWAP", "sz": "100", "side": "buy"},
            "50000",
            "sell",
            ("-0.0001", "BTC"),
            ("-0.00004", "BTC"),
        ),
        # Option: 10 contracts * 0.01 BTC = 0.1 BTC underlying; 5 bp of it, unless capped at 12.5% of premium.
        ({"instId": OPTION, "sz": "10", "side": "buy"}, "0.05", "sell", ("-0.00005", "BTC"), ("-0.00002", "BTC")),
        (
            {"instId": OPTION, "sz": "10", "side": "buy"},
            "0.0005",
            "sell",
            ("-0.00000625", "BTC"),
            ("-0.00000625", "BTC"),
        ),
    ],
)
async def test_fees_per_instrument_type_and_side(
    taker: Party,
    maker1: Party,
    leg: dict[str, str],
    px: str,
    side: str,
    taker_fee: tuple[str, str],
    maker_fee: tuple[str, str],
) -> None:
    assert await _fees(taker, maker1, leg, px, side) == (taker_fee, maker_fee)


async def test_fee_rates_come_from_the_config(tmp_path: Path, clock: ManualClock) -> None:
    config = replace(make_config(), taker_fee_rate=Decimal("0.001"), maker_fee_rate=Decimal(0))
    async with open_venue(config, tmp_path, clock) as venue:
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        fees = await _fees(taker, maker, {"instId": "BTC-USDT-SWAP", "sz": "10", "side": "sell"}, "50010", "sell")
        assert fees == (("-5.001", "USDT"), ("0", "USDT"))


# --- partial execution ---------------------------------------------------------------------------------------


async def _two_leg(taker: Party, maker: Party, partial: bool) -> tuple[str, str]:
    spot = {"instId": "BTC-USDT", "sz": "2", "side": "buy"}
    swap = {"instId": "BTC-USDT-SWAP", "sz": "10", "side": "sell"}
    rfq = await create_rfq(taker, legs=[spot, swap], allowPartialExecution=partial)
    quote = await create_quote(maker, rfq["rfqId"], legs=[{**spot, "px": "50000"}, {**swap, "px": "50010"}])
    return rfq["rfqId"], quote["quoteId"]


async def test_partial_execution_at_the_rfq_ratio(taker: Party, maker1: Party) -> None:
    rfq_id, quote_id = await _two_leg(taker, maker1, partial=True)
    legs = [{"instId": "BTC-USDT-SWAP", "sz": "5"}, {"instId": "BTC-USDT", "sz": "1"}]

    answer = await taker.post(EXECUTE, {"rfqId": rfq_id, "quoteId": quote_id, "legs": legs})

    assert answer["code"] == "0", answer
    assert [(leg["instId"], leg["sz"]) for leg in answer["data"][0]["legs"]] == [
        ("BTC-USDT", "1"),
        ("BTC-USDT-SWAP", "5"),
    ]
    assert await taker.rfq_state(rfq_id) == "filled"


async def test_partial_execution_needs_allow_partial_execution(taker: Party, maker1: Party) -> None:
    rfq_id, quote_id = await _two_leg(taker, maker1, partial=False)
    legs = [{"instId": "BTC-USDT", "sz": "1"}, {"instId": "BTC-USDT-SWAP", "sz": "5"}]

    answer = await taker.post(EXECUTE, {"rfqId": rfq_id, "quoteId": quote_id, "legs": legs})

    assert answer["code"] == "70507"
    assert answer["msg"] == "Partial execution was attempted but allowPartialExecution of the RFQ is not enabled."
    assert await maker1.quote_state(quote_id) == "active"


async def test_the_full_sizes_as_legs_are_a_full_execution(taker: Party, maker1: Party) -> None:
    rfq_id, quote_id = await _two_leg(taker, maker1, partial=False)
    legs = [{"instId": "BTC-USDT", "sz": "2"}, {"instId": "BTC-USDT-SWAP", "sz": "10"}]

    answer = await taker.post(EXECUTE, {"rfqId": rfq_id, "quoteId": quote_id, "legs": legs})

    assert answer["code"] == "0", answer


@pytest.mark.parametrize(
    ("legs", "code"),
    [
        ([{"instId": "BTC-USDT", "sz": "1"}, {"instId": "BTC-USDT-SWAP", "sz": "6"}], "70506"),  # ratio differs
        ([{"instId": "BTC-USDT", "sz": "1"}], "70502"),  # a leg missing
        ([{"instId": "BTC-USDT", "sz": "1"}, {"instId": "ETH-USDT", "sz": "5"}], "70502"),  # a foreign leg
        ([{"instId": "BTC-USDT", "sz": "1"}, {"instId": "BTC-USDT", "sz": "1"}], "70502"),  # a leg twice
        ([{"instId": "BTC-USDT", "sz": "4"}, {"instId": "BTC-USDT-SWAP", "sz": "20"}], "70502"),  # above the RFQ
        ([{"instId": "BTC-USDT", "sz": "0.001"}, {"instId": "BTC-USDT-SWAP", "sz": "0.005"}], "70307"),  # off lot
        ([{"instId": "BTC-USDT", "sz": "1"}, {"instId": "BTC-USDT-SWAP"}], "50014"),
        ([{"instId": "BTC-USDT", "sz": "x"}, {"instId": "BTC-USDT-SWAP", "sz": "5"}], "51000"),
    ],
)
async def test_partial_legs_are_validated(taker: Party, maker1: Party, legs: list[dict[str, str]], code: str) -> None:
    rfq_id, quote_id = await _two_leg(taker, maker1, partial=True)

    answer = await taker.post(EXECUTE, {"rfqId": rfq_id, "quoteId": quote_id, "legs": legs})

    assert answer["code"] == code, answer
    assert answer["data"] == []
    assert await maker1.quote_state(quote_id) == "active"
    assert await taker.rfq_state(rfq_id) == "active"


# --- anonymity and persistence --------------------------------------------------------------------------------


async def test_anonymous_parties_are_blank_to_each_other(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, anonymous=True)
    quote = await create_quote(maker1, rfq["rfqId"], anonymous=True)

    taker_view = (await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]}))["data"][0]
    maker_view = (await maker1.get("/api/v5/rfq/trades"))["data"][0]

    assert (taker_view["tTraderCode"], taker_view["mTraderCode"]) == ("TAKER1", "")
    assert (maker_view["tTraderCode"], maker_view["mTraderCode"]) == ("", "MAKER1")


async def test_trades_and_id_counters_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    async with open_venue(make_config(), tmp_path, clock) as venue:
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        rfq = await create_rfq(taker, legs=[SPOT_LEG, SWAP_LEG])
        quote = await create_quote(maker, rfq["rfqId"], legs=[{**SPOT_LEG, "px": "1"}, {**SWAP_LEG, "px": "2"}])
        executed = (await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]}))["data"][0]
        before = await taker.get("/api/v5/rfq/trades")

    async with open_venue(make_config(), tmp_path, clock) as venue:
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        assert await taker.get("/api/v5/rfq/trades") == before
        assert await maker.rfq_state(rfq["rfqId"]) == "filled"
        rfq2 = await create_rfq(taker)
        quote2 = await create_quote(maker, rfq2["rfqId"])
        again = (await taker.post(EXECUTE, {"rfqId": rfq2["rfqId"], "quoteId": quote2["quoteId"]}))["data"][0]
        assert int(again["blockTdId"]) == int(executed["blockTdId"]) + 1
        assert again["legs"][0]["tradeId"] == "3"  # trade ids 1 and 2 went to the first trade's legs
