"""Pushes on /ws/v5/business: what each party sees of RFQs, quotes and trades, public channels, slow consumers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from openrfq.client import Leg
from openrfq.domain.clock import ManualClock
from openrfq.testing import LiveVenue, live_venue, next_push, receive
from samples import make_config

SPOT = Leg("BTC-USDT", "1.5", "buy")


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveVenue]:
    async with live_venue(make_config(), tmp_path) as v:
        yield v


async def test_a_maker_receives_an_rfq_within_100_ms(live: LiveVenue) -> None:
    maker = await live.logged_in("MAKER1", "rfqs")
    async with live.rest("TAKER1") as taker:
        started = time.perf_counter()
        rfq = await taker.create_rfq(["MAKER1"], [SPOT], cl_rfq_id="secret1")
        push = await next_push(maker, "rfqs")
        elapsed = time.perf_counter() - started
    await maker.close()

    assert elapsed < 0.1, f"{elapsed * 1000:.1f} ms"
    assert push["arg"] == {"channel": "rfqs", "uid": "200001"}
    (data,) = push["data"]
    assert (data["rfqId"], data["state"], data["clRfqId"], data["counterparties"]) == (
        rfq.rfq_id,
        "active",
        "",
        ["MAKER1"],
    )
    assert data["traderCode"] == "TAKER1"


async def test_quotes_and_their_cancellation_as_taker_and_maker_see_them(live: LiveVenue) -> None:
    taker_ws = await live.logged_in("TAKER1", "quotes")
    maker_ws = await live.logged_in("MAKER1", "quotes")
    async with live.rest("TAKER1") as taker, live.rest("MAKER1") as maker:
        rfq = await taker.create_rfq(["MAKER1"], [SPOT])
        quote = await maker.create_quote(
            rfq.rfq_id, "sell", [Leg("BTC-USDT", "1.5", "buy", px="50000")], cl_quote_id="mine1"
        )
        taker_new, maker_new = await next_push(taker_ws, "quotes"), await next_push(maker_ws, "quotes")
        await maker.cancel_quote(quote.quote_id)
        taker_end, maker_end = await next_push(taker_ws, "quotes"), await next_push(maker_ws, "quotes")
    for ws in (taker_ws, maker_ws):
        await ws.close()

    assert [(m["data"][0]["state"], m["data"][0]["clQuoteId"]) for m in (taker_new, taker_end)] == [
        ("active", ""),
        ("canceled", ""),
    ]
    assert [(m["data"][0]["state"], m["data"][0]["clQuoteId"]) for m in (maker_new, maker_end)] == [
        ("active", "mine1"),
        ("canceled", "mine1"),
    ]
    assert taker_new["arg"] == {"channel": "quotes", "uid": "100001"}


async def test_execution_pushes_to_every_party_and_the_public(live: LiveVenue) -> None:
    taker_ws = await live.logged_in("TAKER1", "rfqs", "quotes", "struc-block-trades")
    winner_ws = await live.logged_in("MAKER1", "rfqs", "struc-block-trades")
    loser_ws = await live.logged_in("MAKER2", "rfqs")
    public = await connect(live.ws_url)
    await public.send(
        json.dumps(
            {
                "op": "subscribe",
                "args": [
                    {"channel": "public-struc-block-trades"},
                    {"channel": "public-block-trades", "instId": "BTC-USDT"},
                    {"channel": "block-tickers", "instId": "BTC-USDT"},
                ],
            }
        )
    )
    for _ in range(3):
        await receive(public)
    async with live.rest("TAKER1") as taker, live.rest("MAKER1") as m1, live.rest("MAKER2") as m2:
        rfq = await taker.create_rfq(["MAKER1", "MAKER2"], [SPOT])
        win = await m1.create_quote(rfq.rfq_id, "sell", [Leg("BTC-USDT", "1.5", "buy", px="50000")])
        await m2.create_quote(rfq.rfq_id, "sell", [Leg("BTC-USDT", "1.5", "buy", px="50001")])
        trade = await taker.execute_quote(rfq.rfq_id, win.quote_id)

    async def states(ws: ClientConnection, count: int) -> list[str]:
        return [(await next_push(ws, "rfqs"))["data"][0]["state"] for _ in range(count)]

    assert await states(taker_ws, 2) == ["active", "filled"]
    assert await states(winner_ws, 2) == ["active", "filled"]
    assert await states(loser_ws, 2) == ["active", "traded_away"]
    taker_trade = (await next_push(taker_ws, "struc-block-trades"))["data"][0]
    maker_trade = (await next_push(winner_ws, "struc-block-trades"))["data"][0]
    assert taker_trade["blockTdId"] == maker_trade["blockTdId"] == trade.block_td_id
    assert (taker_trade["legs"][0]["feeCcy"], maker_trade["legs"][0]["feeCcy"]) == ("BTC", "USDT")
    # Every field of the channel's push data, in OKX's order (block-trading.md, "Structure block trades channel"):
    # the legs carry tgtCcy, not Get trades' tradeQuoteCcy.
    assert list(taker_trade) == [
        "cTime", "rfqId", "clRfqId", "quoteId", "clQuoteId", "blockTdId", "tag", "tTraderCode", "mTraderCode",
        "isSuccessful", "errorCode", "legs", "acctAlloc",
    ]  # fmt: skip
    assert taker_trade["legs"] == [
        {
            "instId": "BTC-USDT",
            "px": "50000",
            "sz": "1.5",
            "side": "buy",
            "tgtCcy": "base_ccy",
            "fee": "-0.00075",
            "feeCcy": "BTC",
            "tradeId": trade.legs[0].trade_id,
        }
    ]
    assert list(maker_trade["legs"][0]) == list(taker_trade["legs"][0])
    structure = await next_push(public, "public-struc-block-trades")
    # public-struc-block-trades pushes cTime, blockTdId, groupId and legs: no strategy (that is public-trades').
    assert list(structure["data"][0]) == ["cTime", "blockTdId", "groupId", "legs"]
    assert list(structure["data"][0]["legs"][0]) == ["instId", "px", "sz", "side", "tradeId"]
    single = await next_push(public, "public-block-trades")
    ticker = await next_push(public, "block-tickers")
    assert structure["data"][0]["blockTdId"] == trade.block_td_id and "tTraderCode" not in structure["data"][0]
    assert single["arg"] == {"channel": "public-block-trades", "instId": "BTC-USDT"}
    assert single["data"][0]["px"] == "50000"
    assert list(single["data"][0]) == [
        "instId", "tradeId", "px", "sz", "side", "fillVol", "fwdPx", "idxPx", "markPx", "groupId", "ts",
    ]  # fmt: skip
    assert ticker["data"][0]["vol24h"] == "1.5"
    assert set(ticker["data"][0]) == {"instId", "instType", "volCcy24h", "vol24h", "ts"}
    for ws in (taker_ws, winner_ws, loser_ws, public):
        await ws.close()


REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "okx" / "block-trading.md"
CHANNEL_SECTIONS = {
    "rfqs": "Rfqs channel",
    "quotes": "Quotes channel",
    "struc-block-trades": "Structure block trades channel",
    "public-struc-block-trades": "Public structure block trades channel",
    "public-block-trades": "Public block trades channel",
    "block-tickers": "Block tickers channel",
}


def _push_fields(title: str) -> dict[str, set[str]]:
    """A channel's "Push data parameters" as {"data": fields of each item, "data.legs": fields of each leg, ...}."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text[text.index(f"### {title} [") :]
    section = section[section.index("#### Push data parameters") : section.index("\n---")]
    fields: dict[str, set[str]] = {}
    parents: list[str] = []
    for line in section.splitlines():
        cell = line.strip().strip("|").split("|")[0].strip().strip("*")
        if not line.startswith("|") or cell.startswith("-") or cell in ("Parameters", "Parameter"):
            continue
        depth = cell.count("&gt;")
        name = cell.replace("&gt;", "").strip()
        del parents[depth:]
        if parents:
            fields.setdefault(".".join(parents), set()).add(name)
        parents.append(name)
    return fields


async def test_every_push_carries_exactly_the_fields_of_its_channel_table(live: LiveVenue) -> None:
    taker_ws = await live.logged_in("TAKER1", "rfqs", "quotes", "struc-block-trades")
    public = await connect(live.ws_url)
    args = [
        {"channel": "public-struc-block-trades"},
        {"channel": "public-block-trades", "instId": "BTC-USDT"},
        {"channel": "block-tickers", "instId": "BTC-USDT"},
    ]
    await public.send(json.dumps({"op": "subscribe", "args": args}))
    for _ in args:
        await receive(public)
    async with live.rest("TAKER1") as taker, live.rest("MAKER1") as maker:
        rfq = await taker.create_rfq(["MAKER1"], [SPOT])
        quote = await maker.create_quote(rfq.rfq_id, "sell", [Leg("BTC-USDT", "1.5", "buy", px="50000")])
        await taker.execute_quote(rfq.rfq_id, quote.quote_id)

    pushes = {
        channel: (await next_push(taker_ws if channel in ("rfqs", "quotes", "struc-block-trades") else public, channel))
        for channel in CHANNEL_SECTIONS
    }
    for ws in (taker_ws, public):
        await ws.close()

    for channel, push in pushes.items():
        table = _push_fields(CHANNEL_SECTIONS[channel])
        (item,) = push["data"]
        assert set(push["arg"]) == table["arg"], channel
        assert set(item) == table["data"], channel
        if "legs" in item:
            assert all(set(leg) == table["data.legs"] for leg in item["legs"]), channel


async def test_public_data_waits_out_the_public_delay_in_venue_time(tmp_path: Path) -> None:
    clock = ManualClock(int(time.time() * 1000))
    async with live_venue(replace(make_config(), public_delay_ms=600), tmp_path, clock=clock) as live:
        public = await connect(live.ws_url)
        await public.send(json.dumps({"op": "subscribe", "args": [{"channel": "public-struc-block-trades"}]}))
        await receive(public)
        async with live.rest("TAKER1") as taker, live.rest("MAKER1") as maker:
            rfq = await taker.create_rfq(["MAKER1"], [SPOT])
            quote = await maker.create_quote(rfq.rfq_id, "sell", [Leg("BTC-USDT", "1.5", "buy", px="50000")])
            await taker.execute_quote(rfq.rfq_id, quote.quote_id)
        with pytest.raises(TimeoutError):
            await receive(public, timeout=0.1)  # not yet: venue time has not moved

        await live.app.services.time.advance_to(clock.now_ms() + 600)
        push = await next_push(public, "public-struc-block-trades", timeout=3)

        assert push["data"][0]["legs"][0]["instId"] == "BTC-USDT"
        await public.close()


async def test_block_tickers_are_also_pushed_every_5_minutes_of_venue_time(tmp_path: Path) -> None:
    clock = ManualClock(int(time.time() * 1000))
    # a silent client, kept open
    async with live_venue(make_config(), tmp_path, clock=clock, idle_timeout_s=3600) as live:
        public = await connect(live.ws_url)
        await public.send(json.dumps({"op": "subscribe", "args": [{"channel": "block-tickers", "instId": "ETH-USDT"}]}))
        await receive(public)
        pushes = []
        for _ in range(2):
            await live.app.services.time.advance_to(clock.now_ms() + 300_000)
            pushes.append(await next_push(public, "block-tickers"))

        assert [p["data"][0]["instId"] for p in pushes] == ["ETH-USDT", "ETH-USDT"]
        assert int(pushes[1]["data"][0]["ts"]) - int(pushes[0]["data"][0]["ts"]) == 300_000
        await public.close()


async def test_a_stalled_client_is_closed_and_delays_nobody(tmp_path: Path) -> None:
    async with live_venue(make_config(), tmp_path, queue_size=20) as live:
        hub = live.app.hub
        # A client whose connection stopped taking data: every send to it blocks, as a full socket's drain does.
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        stuck = asyncio.Event()
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "websocket.send" and len(sent) > 3:
                await stuck.wait()  # never set

        for text in (
            "connect",
            live.login_message("MAKER1"),
            json.dumps({"op": "subscribe", "args": [{"channel": "rfqs"}]}),
        ):
            inbox.put_nowait(
                {"type": "websocket.connect"} if text == "connect" else {"type": "websocket.receive", "text": text}
            )
        stalled = asyncio.create_task(hub.serve({"type": "websocket"}, inbox.get, send))
        healthy = await live.logged_in("MAKER2", "rfqs")
        delays = []
        async with live.rest("TAKER1") as taker:
            for n in range(40):
                started = time.perf_counter()
                await taker.create_rfq(["MAKER1", "MAKER2"], [SPOT], tag=f"t{n}")
                await next_push(healthy, "rfqs")
                delays.append(time.perf_counter() - started)
        await asyncio.wait_for(stalled, 3)  # the stalled connection's handler ended: it was closed
        await healthy.close()

        # A stalled client must not hold the others' pushes back (a bound generous for a loaded 2-core machine).
        assert max(delays) < 1.0, f"slowest push {max(delays) * 1000:.1f} ms"
        assert sent[-1] == {"type": "websocket.close", "code": 4005, "reason": "Buffer is full, cannot write data"}
        assert not any(s.account and s.account.trader_code == "MAKER1" for s in hub.sessions)
