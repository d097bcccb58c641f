"""openrfq.client.WsClient against a live venue: typed pushes, pings the venue counts, reconnects that log in and
subscribe again, refusals, subscribing on the way, and wss://."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from openrfq.client import Leg, Push, WsClient, WsRefused, wire
from openrfq.domain.clock import ManualClock
from openrfq.testing import LiveVenue, live_venue
from samples import make_config

SPOT = [Leg("BTC-USDT", "1.5", "buy")]


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveVenue]:
    async with live_venue(make_config(), tmp_path) as v:
        yield v


def _client(live: LiveVenue, name: str = "TAKER1", *channels: str, **options: Any) -> WsClient:
    key = live.account(name)
    return WsClient(live.ws_url, key.api_key, key.secret_key, key.passphrase, channels=channels, **options)


@contextlib.asynccontextmanager
async def _listening(ws: WsClient, connect: bool = True) -> AsyncIterator[asyncio.Queue[Push]]:
    """Iterate ``ws`` in a task, its pushes into a queue; with ``connect``, once it is logged in and subscribed."""
    pushes: asyncio.Queue[Push] = asyncio.Queue()

    async def pump() -> None:
        async for push in ws:
            pushes.put_nowait(push)

    task = asyncio.create_task(pump())
    try:
        if connect:
            async with asyncio.timeout(5):
                await ws.connected.wait()
        yield pushes
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await ws.aclose()


async def _next(pushes: asyncio.Queue[Push], channel: str) -> Push:
    async with asyncio.timeout(3):
        while True:
            push = await pushes.get()
            if push.channel == channel:
                return push


async def test_pushes_arrive_decoded_into_the_clients_types(live: LiveVenue) -> None:
    ws = _client(live, "TAKER1", "rfqs", "quotes")
    async with _listening(ws) as pushes, live.rest("TAKER1") as taker, live.rest("MAKER1") as maker:
        rfq = await taker.create_rfq(["MAKER1"], SPOT, cl_rfq_id="mine")
        (pushed,) = (await _next(pushes, "rfqs")).data
        await maker.create_quote(rfq.rfq_id, "sell", [Leg("BTC-USDT", "1.5", "buy", px="50000.1")])
        (quote,) = (await _next(pushes, "quotes")).data

    assert isinstance(pushed, wire.Rfq) and isinstance(quote, wire.Quote)
    assert (pushed.rfq_id, pushed.cl_rfq_id, pushed.flow_type, pushed.legs[0].sz) == (
        rfq.rfq_id,
        "mine",
        "",
        Decimal("1.5"),
    )
    assert pushed.c_time == rfq.c_time and isinstance(pushed.c_time, int)
    assert (quote.rfq_id, quote.legs[0].px, quote.trader_code) == (rfq.rfq_id, Decimal("50000.1"), "MAKER1")


async def test_its_pings_keep_a_quiet_connection_open(tmp_path: Path) -> None:
    clock = ManualClock(int(time.time() * 1000))
    async with live_venue(make_config(), tmp_path, clock) as live:
        ws = _client(live, "TAKER1", "rfqs", ping_every_s=0.01)
        async with _listening(ws):
            (session,) = live.app.hub.sessions
            for _ in range(3):  # 3 x 20 s of venue time: past the 30 s idle timeout, never 30 s without a ping
                await asyncio.sleep(0.05)  # the client's pings, every 10 ms of its own (loop) time
                await live.app.services.time.advance_to(clock.now_ms() + 20_000)

            assert list(live.app.hub.sessions) == [session]
            assert ws.connected.is_set() and ws.reconnects == 0


async def test_a_dropped_connection_is_reconnected_logged_in_and_subscribed_again(live: LiveVenue) -> None:
    connects = 0

    async def on_connect() -> None:
        nonlocal connects
        connects += 1

    ws = _client(live, "TAKER1", "rfqs", on_connect=on_connect, backoff_s=(0.01, 0.05))
    async with _listening(ws) as pushes, live.rest("TAKER1") as taker:
        for session in list(live.app.hub.sessions):
            session.close(1001)  # the venue goes away
        async with asyncio.timeout(3):
            while not (ws.reconnects and ws.connected.is_set()):
                await asyncio.sleep(0.01)
        rfq = await taker.create_rfq(["MAKER1"], SPOT)
        (pushed,) = (await _next(pushes, "rfqs")).data

    assert isinstance(pushed, wire.Rfq) and pushed.rfq_id == rfq.rfq_id
    assert (ws.reconnects, connects) == (1, 2)


async def test_subscribing_and_unsubscribing_while_connected(tmp_path: Path) -> None:
    async with live_venue(make_config(), tmp_path, ticker_interval_s=0.1) as live:
        ws = _client(live, "TAKER1")
        async with _listening(ws) as pushes, live.rest("TAKER1") as taker:
            await ws.subscribe("rfqs")
            await asyncio.sleep(0.05)  # the subscribe op on its way before the RFQ is made
            first = await taker.create_rfq(["MAKER1"], SPOT)
            (pushed,) = (await _next(pushes, "rfqs")).data
            await ws.unsubscribe("rfqs")
            await ws.subscribe("block-tickers", inst_id="BTC-USDT")
            ticker = await _next(pushes, "block-tickers")  # the unsubscribe op went before: it is in effect
            await taker.create_rfq(["MAKER1"], SPOT)
            before_next_ticker = []  # 0.1 s on
            async with asyncio.timeout(3):
                while (push := await pushes.get()).channel != "block-tickers":
                    before_next_ticker.append(push.channel)

        assert isinstance(pushed, wire.Rfq) and pushed.rfq_id == first.rfq_id
        assert ticker.inst_id == "BTC-USDT" and isinstance(ticker.data[0], wire.BlockTicker)
        assert before_next_ticker == []  # no rfqs push


async def test_a_refused_subscription_ends_the_iteration(live: LiveVenue) -> None:
    ws = _client(live, "TAKER1", "no-such-channel")

    with pytest.raises(WsRefused) as refused:
        async for _ in ws:
            pass

    assert refused.value.code == "60018"


async def test_a_refused_login_is_logged_and_retried_at_the_longest_backoff(
    live: LiveVenue, caplog: pytest.LogCaptureFixture
) -> None:
    ws = WsClient(live.ws_url, "taker1-key", "taker1-SECRET", "wrong", channels=["rfqs"], backoff_s=(0.01, 0.05))
    async with _listening(ws, connect=False):
        async with asyncio.timeout(3):
            while ws.reconnects < 2:
                await asyncio.sleep(0.01)

        assert not ws.connected.is_set()
    assert [r.levelno for r in caplog.records if r.name == "openrfq.client.ws"][:2] == [logging.ERROR] * 2


async def test_over_wss_with_the_venues_certificate(tmp_path: Path) -> None:
    async with live_venue(make_config(), tmp_path, tls=True) as live:
        assert live.ca_file is not None
        ws = WsClient(
            live.ws_url,
            "taker1-key",
            "taker1-SECRET",
            "taker1-pass",
            channels=["rfqs"],
            tls=ssl.create_default_context(cafile=live.ca_file),
        )
        async with _listening(ws):
            assert ws.url.startswith("wss://")
