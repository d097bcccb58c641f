"""Public block-trade data: /api/v5/rfq/public-trades, /api/v5/public/block-trades, block tickers, publish delay.

As block-trading.md documents them ("Get public multi-leg transactions of block trades", "Get public single-leg
transactions of block trades", "Get block tickers", "Get block ticker") and compatibility.md ("Public block-trade
data"): no authentication, nothing about the parties, newest first, 24 h volumes of the venue's own trades.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party, open_venue
from samples import SPOT_LEG, START_MS, SWAP_LEG, create_quote, create_rfq, make_config

PUBLIC_TRADES = "/api/v5/rfq/public-trades"
BLOCK_TRADES = "/api/v5/public/block-trades"
TICKERS = "/api/v5/market/block-tickers"
TICKER = "/api/v5/market/block-ticker"
EXECUTE = "/api/v5/rfq/execute-quote"

TRADE_KEYS = {"strategy", "cTime", "blockTdId", "groupId", "legs"}
TRADE_LEG_KEYS = {"instId", "px", "sz", "side", "tradeId"}
SINGLE_LEG_KEYS = {"instId", "tradeId", "px", "sz", "side", "fillVol", "fwdPx", "idxPx", "markPx", "groupId", "ts"}
TICKER_KEYS = {"instType", "instId", "volCcy24h", "vol24h", "ts"}


async def _trade(
    taker: Party, maker: Party, legs: list[dict[str, str]], pxs: list[str], side: str = "buy", **rfq: Any
) -> dict[str, Any]:
    """An executed block trade of ``legs`` at ``pxs``: the execute-quote answer (the taker's view)."""
    created = await create_rfq(taker, legs=legs, **rfq)
    quote_legs = [{**leg, "px": px} for leg, px in zip(legs, pxs)]
    quote = await create_quote(maker, created["rfqId"], side=side, legs=quote_legs)
    answer = await taker.post(EXECUTE, {"rfqId": created["rfqId"], "quoteId": quote["quoteId"]})
    assert answer["code"] == "0", answer
    data: dict[str, Any] = answer["data"][0]
    return data


async def _spot(
    taker: Party, maker: Party, sz: str = "1.5", px: str = "50000.1", inst: str = "BTC-USDT"
) -> dict[str, Any]:
    return await _trade(taker, maker, [{"instId": inst, "sz": sz, "side": "buy"}], [px])


async def _get(client: httpx.AsyncClient, path: str, **params: str) -> dict[str, Any]:
    response = await client.get(path, params=params)
    body: dict[str, Any] = response.json()
    return body


async def _ticker(client: httpx.AsyncClient, inst_id: str) -> dict[str, str]:
    answer = await _get(client, TICKER, instId=inst_id)
    assert answer["code"] == "0", answer
    (row,) = answer["data"]
    result: dict[str, str] = row
    return result


# --- /api/v5/rfq/public-trades -------------------------------------------------------------------------------------


async def test_public_trades_show_a_multi_leg_trade_without_any_party_details(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    trade = await _trade(
        taker, maker1, [SPOT_LEG, SWAP_LEG], ["50000.1", "50010"], clRfqId="secretRfq", tag="secretTag", anonymous=True
    )

    response = await venue.client.get(PUBLIC_TRADES)  # no credentials at all

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["msg"]) == ("0", "")
    (row,) = body["data"]
    assert set(row) == TRADE_KEYS
    assert all(set(leg) == TRADE_LEG_KEYS for leg in row["legs"])
    assert row == {
        "strategy": "",
        "cTime": trade["cTime"],
        "blockTdId": trade["blockTdId"],
        "groupId": "",
        "legs": [
            # quoteSide buy: the maker trades each leg in its side, the taker the opposite; sides are the taker's.
            {
                "instId": "BTC-USDT",
                "px": "50000.1",
                "sz": "1.5",
                "side": "sell",
                "tradeId": trade["legs"][0]["tradeId"],
            },
            {
                "instId": "BTC-USDT-SWAP",
                "px": "50010",
                "sz": "10",
                "side": "buy",
                "tradeId": trade["legs"][1]["tradeId"],
            },
        ],
    }
    assert "secret" not in response.text
    assert "TAKER1" not in response.text and "MAKER1" not in response.text


W1, W2 = "BTC-USD-251114", "BTC-USD-251121"  # two weekly expiries of the default catalogue


def _option(expiry: str, strike: str, kind: str, side: str, sz: str = "1") -> dict[str, str]:
    return {"instId": f"{expiry}-{strike}-{kind}", "sz": sz, "side": side}


@pytest.mark.parametrize(
    ("legs", "strategy"),
    [
        ([_option(W1, "100000", "C", "buy")], "CALL"),
        ([_option(W1, "90000", "P", "sell")], "PUT"),
        ([_option(W1, "90000", "C", "buy"), _option(W1, "100000", "C", "sell")], "CALL_SPREAD"),
        ([_option(W1, "100000", "P", "buy"), _option(W1, "90000", "P", "sell")], "PUT_SPREAD"),
        ([_option(W1, "100000", "C", "sell"), _option(W2, "100000", "C", "buy")], "CALL_CALENDAR_SPREAD"),
        ([_option(W2, "90000", "P", "buy"), _option(W1, "90000", "P", "sell")], "PUT_CALENDAR_SPREAD"),
        ([_option(W1, "100000", "C", "buy"), _option(W1, "100000", "P", "buy")], "STRADDLE"),
        ([_option(W1, "90000", "P", "sell"), _option(W1, "100000", "C", "sell")], "STRANGLE"),
        # No name: a diagonal, a ratio, a risk reversal, two legs on one side, a straddle across expiries.
        ([_option(W1, "90000", "C", "buy"), _option(W2, "100000", "C", "sell")], ""),
        ([_option(W1, "90000", "C", "buy"), _option(W1, "100000", "C", "sell", "2")], ""),
        ([_option(W1, "90000", "P", "sell"), _option(W1, "100000", "C", "buy")], ""),
        ([_option(W1, "90000", "C", "buy"), _option(W1, "100000", "C", "buy")], ""),
        ([_option(W1, "100000", "C", "buy"), _option(W2, "100000", "P", "buy")], ""),
        ([_option(W1, "100000", "C", "buy"), {"instId": "BTC-USD-SWAP", "sz": "10", "side": "sell"}], ""),
    ],
)
async def test_public_trades_name_the_option_strategy_of_the_legs(
    venue: InProcessVenue, taker: Party, maker1: Party, legs: list[dict[str, str]], strategy: str
) -> None:
    pxs = ["50000" if leg["instId"].endswith("SWAP") else "0.0005" for leg in legs]
    await _trade(taker, maker1, legs, pxs)

    (row,) = (await _get(venue.client, PUBLIC_TRADES))["data"]

    assert row["strategy"] == strategy
    assert list(row) == ["strategy", "cTime", "blockTdId", "groupId", "legs"]


async def test_public_trades_sides_follow_the_taker_for_a_sell_quote(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await _trade(taker, maker1, [SPOT_LEG, SWAP_LEG], ["50000.1", "50010"], side="sell")

    (row,) = (await _get(venue.client, PUBLIC_TRADES))["data"]

    assert [leg["side"] for leg in row["legs"]] == ["buy", "sell"]


async def test_public_trades_are_newest_first(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    first = await _spot(taker, maker1)
    venue.clock.advance(1_000)
    second = await _spot(taker, maker2, px="50000.2")
    venue.clock.advance(1_000)
    third = await _trade(taker, maker1, [SWAP_LEG], ["50010"])

    rows = (await _get(venue.client, PUBLIC_TRADES))["data"]

    assert [r["blockTdId"] for r in rows] == [third["blockTdId"], second["blockTdId"], first["blockTdId"]]
    assert [r["cTime"] for r in rows] == [str(START_MS + 2_000), str(START_MS + 1_000), str(START_MS)]


async def test_public_trades_paginate_with_begin_end_and_limit(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    ids = [(await _spot(taker, maker1))["blockTdId"] for _ in range(5)]
    assert ids == ["1", "2", "3", "4", "5"]

    async def page(**params: str) -> list[str]:
        answer = await _get(venue.client, PUBLIC_TRADES, **params)
        assert answer["code"] == "0", answer
        return [r["blockTdId"] for r in answer["data"]]

    assert await page(limit="2") == ["5", "4"]
    assert await page(beginId="3") == ["5", "4"]  # newer than beginId, not including it
    assert await page(endId="3") == ["2", "1"]  # older than endId, not including it
    assert await page(endId="4", limit="2") == ["3", "2"]
    assert await page(beginId="1", endId="5") == ["4", "3", "2"]
    assert await page(beginId="5") == []
    assert await page(endId="1") == []
    # python-okx sends every unused parameter as "".
    assert await page(beginId="", endId="", limit="") == ["5", "4", "3", "2", "1"]


async def test_public_trades_begin_id_below_every_id_is_an_open_bound(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    # beginId/endId are exclusive bounds (compatibility.md): a beginId below every blockTdId bounds nothing, as
    # Get trades and Get rfqs answer it. It must not be a server error.
    for _ in range(2):
        await _spot(taker, maker1)

    for params in ({"beginId": "-1"}, {"beginId": "-5", "endId": "2"}):
        response = await venue.client.get(PUBLIC_TRADES, params=params)
        assert response.status_code == 200, (params, response.text)
        assert response.json()["code"] == "0", params
    everything = (await _get(venue.client, PUBLIC_TRADES, beginId="-1"))["data"]
    below_two = (await _get(venue.client, PUBLIC_TRADES, beginId="-5", endId="2"))["data"]
    assert [t["blockTdId"] for t in everything] == ["2", "1"]
    assert [t["blockTdId"] for t in below_two] == ["1"]
    assert (await taker.get("/api/v5/rfq/trades", beginId="-1"))["code"] == "0"


async def test_public_trades_limit_defaults_to_100_and_caps_at_100(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await _spot(taker, maker1)

    assert (await _get(venue.client, PUBLIC_TRADES, limit="100"))["code"] == "0"
    assert (await _get(venue.client, PUBLIC_TRADES, limit="101")) == {
        "code": "51000",
        "msg": "Parameter limit error",
        "data": [],
    }
    assert (await _get(venue.client, PUBLIC_TRADES, limit="0"))["code"] == "51000"


async def test_public_trades_empty_before_any_trade(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    await create_quote(maker1, rfq["rfqId"])  # quoted but never executed: nothing public

    assert await _get(venue.client, PUBLIC_TRADES) == {"code": "0", "msg": "", "data": []}


# --- /api/v5/public/block-trades -----------------------------------------------------------------------------------


async def test_block_trades_list_single_legs_of_the_instrument_newest_first(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    first = await _trade(taker, maker1, [SPOT_LEG, SWAP_LEG], ["50000.1", "50010"])
    venue.clock.advance(5_000)
    await _spot(taker, maker1, inst="ETH-USDT", sz="2", px="3000.01")  # another instrument: not listed
    venue.clock.advance(5_000)
    second = await _spot(taker, maker1, sz="0.5", px="49999.9")

    response = await venue.client.get(BLOCK_TRADES, params={"instId": "BTC-USDT"})

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["msg"]) == ("0", "")
    assert all(set(row) == SINGLE_LEG_KEYS for row in body["data"])
    assert body["data"] == [
        {
            "instId": "BTC-USDT",
            "tradeId": second["legs"][0]["tradeId"],
            "px": "49999.9",
            "sz": "0.5",
            "side": "sell",
            "fillVol": "",
            "fwdPx": "",
            "idxPx": "",
            "markPx": "",
            "groupId": "",
            "ts": str(START_MS + 10_000),
        },
        {
            "instId": "BTC-USDT",
            "tradeId": first["legs"][0]["tradeId"],
            "px": "50000.1",
            "sz": "1.5",
            "side": "sell",
            "fillVol": "",
            "fwdPx": "",
            "idxPx": "",
            "markPx": "",
            "groupId": "",
            "ts": str(START_MS),
        },
    ]
    assert int(body["data"][0]["tradeId"]) > int(body["data"][1]["tradeId"])  # descending by tradeId


async def test_the_legacy_market_block_trades_path_serves_the_same_answers(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    # python-okx's MarketAPI.get_block_trades and okx-api's getPublicBlockTrades call OKX's older path.
    await _trade(taker, maker1, [SPOT_LEG, SWAP_LEG], ["50000.1", "50010"])

    for params in ({"instId": "BTC-USDT"}, {"instId": "BTC-USDT-SWAP"}, {"instId": "DOGE-USDT"}, {}):
        legacy = await venue.client.get("/api/v5/market/block-trades", params=params)
        current = await venue.client.get(BLOCK_TRADES, params=params)

        assert (legacy.status_code, legacy.content) == (current.status_code, current.content)


async def test_block_trades_of_a_swap_carry_index_and_mark(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    trade = await _trade(taker, maker1, [SPOT_LEG, SWAP_LEG], ["50000.1", "50010"])

    (row,) = (await _get(venue.client, BLOCK_TRADES, instId="BTC-USDT-SWAP"))["data"]

    assert set(row) == SINGLE_LEG_KEYS
    assert row == {
        "instId": "BTC-USDT-SWAP",
        "tradeId": trade["legs"][1]["tradeId"],
        "px": "50010",
        "sz": "10",
        "side": "buy",
        "fillVol": "",  # options only
        "fwdPx": "",  # options only
        "idxPx": "50000",
        "markPx": "50000",
        "groupId": "",
        "ts": trade["cTime"],
    }


async def test_block_trades_of_an_instrument_never_traded_is_empty(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await _spot(taker, maker1)

    assert await _get(venue.client, BLOCK_TRADES, instId="ETH-USDT") == {"code": "0", "msg": "", "data": []}


async def test_block_trades_unknown_instrument_is_51001(venue: InProcessVenue) -> None:
    response = await venue.client.get(BLOCK_TRADES, params={"instId": "DOGE-USDT"})

    assert response.status_code == 200
    assert response.json() == {
        "code": "51001",
        "msg": "Instrument ID, Instrument ID code or Spread ID doesn't exist.",
        "data": [],
    }


@pytest.mark.parametrize("params", [{}, {"instId": ""}])
async def test_block_trades_without_inst_id_is_50014(venue: InProcessVenue, params: dict[str, str]) -> None:
    response = await venue.client.get(BLOCK_TRADES, params=params)

    assert response.status_code == 400
    assert response.json() == {"code": "50014", "msg": "Parameter instId can not be empty.", "data": []}


async def test_block_trades_return_at_most_the_500_most_recent(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    # lmtPx auto-execution: each matching quote fills in the same step, one trade per RFQ/quote pair.
    leg = {"instId": "BTC-USDT", "sz": "0.001", "side": "buy"}
    for _ in range(501):
        rfq = await create_rfq(taker, legs=[{**leg, "lmtPx": "60000"}])
        quote = await create_quote(maker1, rfq["rfqId"], side="sell", legs=[{**leg, "px": "50000"}])
        assert quote["state"] == "filled", quote

    rows = (await _get(venue.client, BLOCK_TRADES, instId="BTC-USDT"))["data"]

    assert len(rows) == 500
    assert [r["tradeId"] for r in rows] == [str(n) for n in range(501, 1, -1)]  # the oldest (tradeId 1) dropped
    assert len((await _get(venue.client, PUBLIC_TRADES))["data"]) == 100


# --- block tickers -------------------------------------------------------------------------------------------------


async def test_block_ticker_spot_counts_base_and_quote(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    await _spot(taker, maker1, sz="1.5", px="50000.1")
    await _spot(taker, maker1, sz="0.5", px="49000")

    response = await venue.client.get(TICKER, params={"instId": "BTC-USDT"})

    assert response.status_code == 200
    assert response.json() == {
        "code": "0",
        "msg": "",
        "data": [
            {
                "instType": "SPOT",
                "instId": "BTC-USDT",
                "volCcy24h": "99500.15",  # 1.5*50000.1 + 0.5*49000, in USDT
                "vol24h": "2",  # BTC
                "ts": str(venue.clock.now_ms()),
            }
        ],
    }


async def test_block_ticker_spot_sized_in_quote_currency(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    await _trade(taker, maker1, [{"instId": "BTC-USDT", "sz": "1000", "side": "buy", "tgtCcy": "quote_ccy"}], ["50000"])

    row = await _ticker(venue.client, "BTC-USDT")

    assert (row["vol24h"], row["volCcy24h"]) == ("0.02", "1000")


async def test_public_legs_of_a_quote_currency_spot_trade_are_sized_in_base(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    # block-trading.md, public trades and public block trades: "sz ... For spot trading, the unit is base
    # currency". Public legs carry no tgtCcy, so 1000 USDT at 50000 must be published as 0.02 BTC.
    await _trade(taker, maker1, [{"instId": "BTC-USDT", "sz": "1000", "side": "buy", "tgtCcy": "quote_ccy"}], ["50000"])

    (multi,) = (await _get(venue.client, PUBLIC_TRADES))["data"]
    (single,) = (await _get(venue.client, BLOCK_TRADES, instId="BTC-USDT"))["data"]

    assert multi["legs"][0]["sz"] == "0.02"
    assert single["sz"] == "0.02"


async def test_block_ticker_linear_swap_counts_contracts_and_base(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    leg = {"instId": "BTC-USDT-SWAP", "sz": "10", "side": "sell"}
    await _trade(taker, maker1, [leg], ["50010"])
    await _trade(taker, maker1, [{**leg, "sz": "5"}], ["49990"])

    row = await _ticker(venue.client, "BTC-USDT-SWAP")

    # ctVal 0.01 BTC: 15 contracts are 0.15 BTC whatever the price.
    assert row == {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "volCcy24h": "0.15", "vol24h": "15", "ts": row["ts"]}


async def test_block_ticker_inverse_swap_converts_usd_contracts_at_the_trade_price(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    leg = {"instId": "BTC-USD-SWAP", "sz": "10", "side": "buy"}
    await _trade(taker, maker1, [leg], ["50000"])
    await _trade(taker, maker1, [{**leg, "sz": "5"}], ["40000"])

    row = await _ticker(venue.client, "BTC-USD-SWAP")

    # ctVal 100 USD: 10*100/50000 + 5*100/40000 = 0.02 + 0.0125 BTC.
    assert (row["vol24h"], row["volCcy24h"]) == ("15", "0.0325")


async def test_block_ticker_futures_and_options_count_contracts_and_base(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    futures = (await _get(venue.client, "/api/v5/public/instruments", instType="FUTURES"))["data"][0]["instId"]
    option = "BTC-USD-251114-100000-C"  # weekly call: ctVal 0.01 BTC
    await _trade(taker, maker1, [{"instId": futures, "sz": "20", "side": "buy"}], ["40000"])
    await _trade(taker, maker1, [{"instId": option, "sz": "30", "side": "buy"}], ["0.0005"])

    future_row = await _ticker(venue.client, futures)
    option_row = await _ticker(venue.client, option)

    # Inverse futures, ctVal 100 USD: 20*100/40000 BTC. Options: 30 contracts of 0.01 BTC.
    assert (future_row["instType"], future_row["vol24h"], future_row["volCcy24h"]) == ("FUTURES", "20", "0.05")
    assert (option_row["instType"], option_row["vol24h"], option_row["volCcy24h"]) == ("OPTION", "30", "0.3")
    (leg,) = (await _get(venue.client, BLOCK_TRADES, instId=option))["data"]
    assert set(leg) == SINGLE_LEG_KEYS
    assert all(leg[k] != "" for k in ("fillVol", "fwdPx", "idxPx", "markPx"))  # all four apply to options


async def test_block_tickers_list_every_instrument_of_the_type_with_zero_volumes(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await _spot(taker, maker1, sz="1.5", px="50000.1")
    venue.clock.advance(3_000)

    response = await venue.client.get(TICKERS, params={"instType": "SPOT"})

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["msg"]) == ("0", "")
    assert all(set(row) == TICKER_KEYS for row in body["data"])
    now = str(venue.clock.now_ms())
    assert sorted(body["data"], key=lambda r: r["instId"]) == [
        {"instType": "SPOT", "instId": "BTC-USDT", "volCcy24h": "75000.15", "vol24h": "1.5", "ts": now},
        {"instType": "SPOT", "instId": "ETH-USDT", "volCcy24h": "0", "vol24h": "0", "ts": now},
    ]


async def test_block_tickers_by_type_and_family(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    await _trade(taker, maker1, [{"instId": "BTC-USD-SWAP", "sz": "10", "side": "buy"}], ["50000"])

    swaps = (await _get(venue.client, TICKERS, instType="SWAP"))["data"]
    family = (await _get(venue.client, TICKERS, instType="SWAP", instFamily="BTC-USD"))["data"]
    options = (await _get(venue.client, TICKERS, instType="OPTION", instFamily="BTC-USD"))["data"]

    assert {r["instId"] for r in swaps} == {"BTC-USDT-SWAP", "ETH-USDT-SWAP", "BTC-USD-SWAP"}
    assert [(r["instId"], r["vol24h"], r["volCcy24h"]) for r in family] == [("BTC-USD-SWAP", "10", "0.02")]
    assert options and all(r["instType"] == "OPTION" and r["instId"].startswith("BTC-USD-") for r in options)


@pytest.mark.parametrize(
    ("params", "code"),
    [({}, "50014"), ({"instType": ""}, "50014"), ({"instType": "MARGIN2"}, "51000"), ({"instType": "MARGIN"}, "51000")],
)
async def test_block_tickers_bad_inst_type(venue: InProcessVenue, params: dict[str, str], code: str) -> None:
    response = await venue.client.get(TICKERS, params=params)

    assert response.json()["code"] == code
    if code == "51000":  # block-tickers takes SPOT, SWAP, FUTURES, OPTION: MARGIN is mark-price's, not this one's
        assert response.status_code == 400
        assert response.json() == {"code": "51000", "msg": "Parameter instType error", "data": []}


@pytest.mark.parametrize("param", ["instFamily", "uly"])
async def test_block_tickers_filter_derivatives_by_family_or_python_okx_uly(venue: InProcessVenue, param: str) -> None:
    linear = (await _get(venue.client, TICKERS, instType="SWAP", **{param: "BTC-USDT"}))["data"]
    none = (await _get(venue.client, TICKERS, instType="FUTURES", **{param: "ETH-USD"}))["data"]
    spot = (await _get(venue.client, TICKERS, instType="SPOT", **{param: "BTC-USD"}))["data"]

    assert [r["instId"] for r in linear] == ["BTC-USDT-SWAP"]
    assert none == []
    assert {r["instId"] for r in spot} == {"BTC-USDT", "ETH-USDT"}  # the family applies to derivatives only


async def test_block_ticker_unknown_and_missing_inst_id(venue: InProcessVenue) -> None:
    assert await _get(venue.client, TICKER, instId="DOGE-USDT") == {
        "code": "51001",
        "msg": "Instrument ID, Instrument ID code or Spread ID doesn't exist.",
        "data": [],
    }
    missing = await venue.client.get(TICKER)
    assert missing.status_code == 400
    assert missing.json()["code"] == "50014"


async def test_block_ticker_volume_drops_trades_older_than_24_hours(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await _spot(taker, maker1, sz="1.5", px="50000.1")
    venue.clock.advance(12 * 3600 * 1000)
    await _spot(taker, maker1, sz="0.5", px="49000")

    venue.clock.advance(12 * 3600 * 1000 - 1)  # the first trade is 1 ms short of 24 h old
    assert (await _ticker(venue.client, "BTC-USDT"))["vol24h"] == "2"

    venue.clock.advance(2)  # now 24 h + 1 ms old: out of the window
    row = await _ticker(venue.client, "BTC-USDT")
    assert (row["vol24h"], row["volCcy24h"]) == ("0.5", "24500")
    tickers = (await _get(venue.client, TICKERS, instType="SPOT"))["data"]
    assert {r["instId"]: r["vol24h"] for r in tickers}["BTC-USDT"] == "0.5"

    venue.clock.advance(12 * 3600 * 1000)
    assert (await _ticker(venue.client, "BTC-USDT"))["vol24h"] == "0"
    # The trades themselves stay public.
    assert len((await _get(venue.client, PUBLIC_TRADES))["data"]) == 2


# --- the publish delay ---------------------------------------------------------------------------------------------


@pytest.fixture
async def delayed(tmp_path: Path) -> AsyncIterator[InProcessVenue]:
    """A venue that publishes block trades 15 minutes after execution, as OKX does."""
    config = replace(make_config(), public_delay_ms=900_000)
    data_dir = tmp_path / "delayed"
    data_dir.mkdir()
    async with open_venue(config, data_dir, ManualClock(START_MS)) as v:
        yield v


async def _everything_public(venue: InProcessVenue) -> tuple[list[Any], list[Any], dict[str, str], dict[str, str]]:
    trades = (await _get(venue.client, PUBLIC_TRADES))["data"]
    legs = (await _get(venue.client, BLOCK_TRADES, instId="BTC-USDT-SWAP"))["data"]
    ticker = await _ticker(venue.client, "BTC-USDT-SWAP")
    tickers = {r["instId"]: r["vol24h"] for r in (await _get(venue.client, TICKERS, instType="SWAP"))["data"]}
    return trades, legs, ticker, tickers


async def test_public_delay_hides_a_trade_for_15_minutes(delayed: InProcessVenue) -> None:
    taker, maker = delayed.party("TAKER1"), delayed.party("MAKER1")
    trade = await _trade(taker, maker, [SWAP_LEG], ["50010"])

    # The parties see their own trade at once.
    assert [t["blockTdId"] for t in (await taker.get("/api/v5/rfq/trades"))["data"]] == [trade["blockTdId"]]

    for elapsed in (0, 60_000, 899_999):
        delayed.clock.set(START_MS + elapsed)
        trades, legs, ticker, tickers = await _everything_public(delayed)
        assert trades == [], elapsed
        assert legs == [], elapsed
        assert (ticker["vol24h"], ticker["volCcy24h"]) == ("0", "0"), elapsed
        assert tickers["BTC-USDT-SWAP"] == "0", elapsed

    delayed.clock.set(START_MS + 900_000)
    trades, legs, ticker, tickers = await _everything_public(delayed)
    assert [t["blockTdId"] for t in trades] == [trade["blockTdId"]]
    assert trades[0]["cTime"] == str(START_MS)  # published late, stamped with the execution time
    assert [leg["tradeId"] for leg in legs] == [trade["legs"][0]["tradeId"]]
    assert legs[0]["ts"] == str(START_MS)
    assert (ticker["vol24h"], ticker["volCcy24h"]) == ("10", "0.1")
    assert tickers["BTC-USDT-SWAP"] == "10"


async def test_public_delay_applies_per_trade(delayed: InProcessVenue) -> None:
    taker, maker = delayed.party("TAKER1"), delayed.party("MAKER1")
    old = await _trade(taker, maker, [SWAP_LEG], ["50010"])
    delayed.clock.advance(600_000)
    await _trade(taker, maker, [SWAP_LEG], ["50020"])
    delayed.clock.advance(300_000)  # the first is 15 minutes old, the second 5

    trades, legs, ticker, _ = await _everything_public(delayed)

    assert [t["blockTdId"] for t in trades] == [old["blockTdId"]]
    assert [leg["px"] for leg in legs] == ["50010"]
    assert ticker["vol24h"] == "10"
    # Pagination sees only published trades too.
    assert (await _get(delayed.client, PUBLIC_TRADES, beginId="0"))["data"] == trades
