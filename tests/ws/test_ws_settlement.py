"""Pushes of asynchronous settlement and group RFQs: nothing while an execution settles (OKX's rfqs channel does not
push pending_fill, "a kind of moment state"), then the filled or failed RFQ, quote and trade to their parties; a
group's trade with each account's execution, and its public data at the parent's and the accounts' levels."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from openrfq.client import Leg
from openrfq.domain.clock import ManualClock
from openrfq.faults import Rule
from openrfq.testing import LiveVenue, live_venue, receive
from settling import EXECUTE, SETTLEMENT_MS, settling_config

PRIVATE = ("rfqs", "quotes", "struc-block-trades")
SPOT = Leg("BTC-USDT", "1.5", "buy")
SWAP = Leg("BTC-USDT-SWAP", "10", "sell")
QUOTED = [Leg("BTC-USDT", "1.5", "buy", px="50000"), Leg("BTC-USDT-SWAP", "10", "sell", px="50010")]
ALLOC = {
    "0": [Leg("BTC-USDT", "0.3"), Leg("BTC-USDT-SWAP", "2")],
    "alpha-1": [Leg("BTC-USDT", "1.2"), Leg("BTC-USDT-SWAP", "8")],
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(int(time.time() * 1000))  # requests are signed with the machine's clock


@pytest.fixture
async def live(tmp_path: Path, clock: ManualClock) -> AsyncIterator[LiveVenue]:
    async with live_venue(settling_config(), tmp_path, clock) as v:
        yield v


async def _next(ws: ClientConnection, timeout: float = 2.0) -> tuple[str, dict[str, Any]]:
    """The next push: its channel and its one item."""
    while True:
        message = await receive(ws, timeout)
        if "data" in message:
            (item,) = message["data"]
            return message["arg"]["channel"], item


async def _nothing_more(ws: ClientConnection) -> None:
    with pytest.raises(TimeoutError):
        await receive(ws, timeout=0.2)


async def _public(live: LiveVenue) -> ClientConnection:
    ws = await connect(live.ws_url)
    args = [
        {"channel": "public-struc-block-trades"},
        {"channel": "public-block-trades", "instId": "BTC-USDT"},
    ]
    await ws.send(json.dumps({"op": "subscribe", "args": args}))
    for _ in args:
        await receive(ws)
    return ws


async def _settle(live: LiveVenue, clock: ManualClock) -> None:
    await live.app.services.time.advance_to(clock.now_ms() + SETTLEMENT_MS)


async def _execute(live: LiveVenue, group: bool = False) -> str:
    """An RFQ quoted by MAKER1 and executed by TAKER1 (group: split by ALLOC); its id."""
    async with live.rest("TAKER1") as taker, live.rest("MAKER1") as maker:
        legs = [SPOT, SWAP] if group else [SPOT]
        rfq = await taker.create_rfq(["MAKER1"], legs, acct_alloc=ALLOC if group else None)
        quote = await maker.create_quote(rfq.rfq_id, "sell", QUOTED[: len(legs)])
        await taker.execute_quote(rfq.rfq_id, quote.quote_id)
    return rfq.rfq_id


async def test_nothing_is_pushed_while_settling_then_the_fill_to_both_parties(
    live: LiveVenue, clock: ManualClock
) -> None:
    taker_ws, maker_ws = await live.logged_in("TAKER1", *PRIVATE), await live.logged_in("MAKER1", *PRIVATE)
    public = await _public(live)
    await _execute(live)
    for ws in (taker_ws, maker_ws):
        assert [(await _next(ws))[0] for _ in range(2)] == ["rfqs", "quotes"]  # created: active
        await _nothing_more(ws)  # executed: pending_fill, not pushed
    await _nothing_more(public)

    await _settle(live, clock)

    for ws in (taker_ws, maker_ws):
        pushed = [await _next(ws) for _ in range(3)]
        assert [(channel, item.get("state")) for channel, item in pushed] == [
            ("quotes", "filled"),
            ("rfqs", "filled"),
            ("struc-block-trades", None),
        ]
        assert (pushed[2][1]["isSuccessful"], pushed[2][1]["errorCode"]) == (True, "")
    assert [(await _next(public))[0] for _ in range(2)] == ["public-struc-block-trades", "public-block-trades"]
    for ws in (taker_ws, maker_ws, public):
        await ws.close()


async def test_a_failed_settlement_is_pushed_to_both_parties_and_published_to_nobody(
    live: LiveVenue, clock: ManualClock
) -> None:
    live.app.services.faults.add(Rule(path=EXECUTE, action="settle_fail", code="70509"))
    taker_ws, maker_ws = await live.logged_in("TAKER1", *PRIVATE), await live.logged_in("MAKER1", *PRIVATE)
    public = await _public(live)
    await _execute(live)
    for ws in (taker_ws, maker_ws):
        [await _next(ws) for _ in range(2)]

    await _settle(live, clock)

    for ws in (taker_ws, maker_ws):
        pushed = [await _next(ws) for _ in range(3)]
        assert [(channel, item.get("state")) for channel, item in pushed[:2]] == [
            ("quotes", "failed"),
            ("rfqs", "failed"),
        ]
        trade = pushed[2][1]
        assert (pushed[2][0], trade["isSuccessful"], trade["errorCode"]) == ("struc-block-trades", False, "70509")
        assert [leg["fee"] for leg in trade["legs"]] == ["0"]
    await _nothing_more(public)
    for ws in (taker_ws, maker_ws, public):
        await ws.close()


async def test_a_group_trade_pushes_each_accounts_execution_and_public_data_at_both_levels(
    live: LiveVenue, clock: ManualClock
) -> None:
    taker_ws = await live.logged_in("TAKER1", "struc-block-trades")
    maker_ws = await live.logged_in("MAKER1", "struc-block-trades")
    public = await _public(live)
    await _execute(live, group=True)

    await _settle(live, clock)

    (_, taker_trade), (_, maker_trade) = await _next(taker_ws), await _next(maker_ws)
    assert list(taker_trade) == [
        "cTime", "rfqId", "clRfqId", "quoteId", "clQuoteId", "blockTdId", "tag", "tTraderCode", "mTraderCode",
        "isSuccessful", "errorCode", "legs", "acctAlloc",
    ]  # fmt: skip
    assert (taker_trade["blockTdId"], [leg["tradeId"] for leg in taker_trade["legs"]]) == ("", ["", ""])
    assert [list(leg) for leg in taker_trade["legs"]] == [
        ["instId", "px", "sz", "side", "tgtCcy", "fee", "feeCcy", "tradeId"]
    ] * 2
    assert [(a["blockTdId"], a["errorCode"], a["acct"]) for a in taker_trade["acctAlloc"]] == [
        ("1", "0", "0"),
        ("2", "0", "alpha-1"),
    ]
    assert [list(a) for a in taker_trade["acctAlloc"]] == [["blockTdId", "errorCode", "acct", "legs"]] * 2
    assert list(taker_trade["acctAlloc"][0]["legs"][0]) == ["instId", "sz", "tradeId", "fee", "feeCcy"]
    assert [a["acct"] for a in maker_trade["acctAlloc"]] == ["", ""]
    channel, structure = await _next(public)
    assert (channel, structure["blockTdId"], structure["groupId"]) == ("public-struc-block-trades", "", "1")
    assert [(leg["sz"], leg["tradeId"]) for leg in structure["legs"]] == [("1.5", ""), ("10", "")]
    singles = [await _next(public) for _ in range(2)]
    assert [(item["tradeId"], item["sz"], item["groupId"]) for _, item in singles] == [
        ("1", "0.3", "1"),
        ("3", "1.2", "1"),
    ]
    for ws in (taker_ws, maker_ws, public):
        await ws.close()


async def test_a_group_rfq_pushes_its_allocation_to_the_taker_only(live: LiveVenue) -> None:
    taker_ws, maker_ws = await live.logged_in("TAKER1", "rfqs"), await live.logged_in("MAKER1", "rfqs")
    async with live.rest("TAKER1") as taker:
        await taker.create_rfq(["MAKER1"], [SPOT, SWAP], acct_alloc=ALLOC)

    (_, as_taker), (_, as_maker) = await _next(taker_ws), await _next(maker_ws)

    assert [a["acct"] for a in as_taker["acctAlloc"]] == ["0", "alpha-1"]
    assert list(as_taker["acctAlloc"][0]) == ["acct", "legs"]
    assert list(as_taker["acctAlloc"][0]["legs"][0]) == ["instId", "sz", "tdMode", "ccy", "posSide"]
    assert (as_taker["groupId"], as_maker["groupId"], as_maker["acctAlloc"]) == ("1", "1", [])
    for ws in (taker_ws, maker_ws):
        await ws.close()
