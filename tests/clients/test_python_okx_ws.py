"""python-okx's WebSocket classes, unchanged but for the URL, against a real ``openrfq serve --tls`` process.

They only speak ``wss://`` and verify the certificate (ssl.create_default_context), so the client trusts
the venue's local CA through SSL_CERT_FILE, exactly as the README tells users to do. REST goes through
python-okx too, over HTTPS with the same CA.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from okx import BlockTrading
from okx.websocket.WsPrivateAsync import WsPrivateAsync
from okx.websocket.WsPublicAsync import WsPublicAsync

from openrfq.client import Leg
from openrfq.domain.clock import ManualClock
from openrfq.testing import ServerVenue, live_venue
from samples import make_config, make_server


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerVenue]:
    with make_server(tmp_path_factory.mktemp("tls"), tls=True) as proc:
        yield proc


class Inbox:
    """A python-okx callback that collects what the client received."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def __call__(self, message: str) -> None:
        self.messages.put_nowait(json.loads(message))

    async def until(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.messages.get()
                if predicate(message):
                    return message


def _rest(server: ServerVenue, name: str) -> BlockTrading.BlockTradingAPI:
    key = server.account(name)
    return BlockTrading.BlockTradingAPI(key.api_key, key.secret_key, key.passphrase, False, "1", domain=server.url)


def _pushes(channel: str) -> Any:
    return lambda m: m.get("arg", {}).get("channel") == channel and "data" in m


async def test_python_okx_websockets_log_in_subscribe_and_receive_pushes_over_wss(
    tls_server: ServerVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.ca_file))
    assert tls_server.url.startswith("https://") and Path(tls_server.ca_file).is_file()
    assert f"SSL_CERT_FILE={tls_server.ca_file}" in tls_server.log_path.read_text()
    key = tls_server.account("MAKER1")
    private = WsPrivateAsync(
        apiKey=key.api_key, passphrase=key.passphrase, secretKey=key.secret_key, url=tls_server.ws_url
    )
    public = WsPublicAsync(url=tls_server.ws_url)
    maker_inbox, public_inbox = Inbox(), Inbox()
    consumers = [await private.start(), await public.start()]
    assert private.websocket is not None and public.websocket is not None, "TLS handshake failed"
    taker, maker = _rest(tls_server, "TAKER1"), _rest(tls_server, "MAKER1")
    try:
        # WsPrivateAsync.subscribe logs in, sleeps 5 s, then subscribes.
        await asyncio.gather(
            private.subscribe([{"channel": "rfqs"}], maker_inbox, id="sub1"),
            public.subscribe([{"channel": "public-struc-block-trades"}], public_inbox),
        )
        login = await maker_inbox.until(lambda m: m.get("event") == "login")
        assert (login["code"], login["msg"]) == ("0", "")
        subscribed = await maker_inbox.until(lambda m: m.get("event") == "subscribe")
        assert subscribed["arg"] == {"channel": "rfqs"} and subscribed["id"] == "sub1"
        await public_inbox.until(lambda m: m.get("event") == "subscribe")

        rfq = await asyncio.to_thread(
            taker.create_rfq,
            counterparties=["MAKER1"],
            legs=[{"instId": "BTC-USDT", "sz": "0.5", "side": "buy"}],
            clRfqId="okxws1",
        )
        assert rfq["code"] == "0", rfq
        rfq_id = rfq["data"][0]["rfqId"]
        pushed = await maker_inbox.until(_pushes("rfqs"))
        assert pushed["arg"] == {"channel": "rfqs", "uid": "200001"}
        assert (pushed["data"][0]["rfqId"], pushed["data"][0]["state"], pushed["data"][0]["clRfqId"]) == (
            rfq_id,
            "active",
            "",
        )

        quote = await asyncio.to_thread(
            maker.create_quote,
            rfqId=rfq_id,
            quoteSide="sell",
            legs=[{"instId": "BTC-USDT", "sz": "0.5", "side": "buy", "px": "60000"}],
        )
        assert quote["code"] == "0", quote
        trade = await asyncio.to_thread(taker.execute_quote, rfqId=rfq_id, quoteId=quote["data"][0]["quoteId"])
        assert trade["code"] == "0", trade
        filled = await maker_inbox.until(_pushes("rfqs"))
        assert filled["data"][0]["state"] == "filled"
        public_trade = await public_inbox.until(_pushes("public-struc-block-trades"))
        assert public_trade["data"][0]["blockTdId"] == trade["data"][0]["blockTdId"]
    finally:
        taker.close()
        maker.close()
        await private.stop()
        await public.stop()
        for task in consumers:
            task.cancel()
        await asyncio.gather(*consumers, return_exceptions=True)


async def test_python_okx_private_websocket_never_pings_and_stays_connected_while_its_channels_push(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # WsPrivateAsync sends nothing after its subscribe. OKX keeps such a connection while data is pushed to it
    # (websocket-overview.md); venue time runs on a manual clock, so 60 s pass without waiting for them.
    clock = ManualClock(int(time.time() * 1000))
    async with live_venue(make_config(), tmp_path, clock=clock, tls=True) as live:
        monkeypatch.setenv("SSL_CERT_FILE", str(live.ca_file))
        key = live.account("MAKER1")
        private = WsPrivateAsync(
            apiKey=key.api_key, passphrase=key.passphrase, secretKey=key.secret_key, url=live.ws_url
        )
        inbox = Inbox()
        consumer = await private.start()
        try:
            await private.subscribe([{"channel": "rfqs"}], inbox)  # logs in, sleeps 5 s, subscribes
            await inbox.until(lambda m: m.get("event") == "subscribe")
            async with live.rest("TAKER1") as taker:
                for _ in range(3):
                    await live.app.services.time.advance_to(clock.now_ms() + 20_000)
                    rfq = await taker.create_rfq(["MAKER1"], [Leg("BTC-USDT", "1", "buy")])
                    pushed = await inbox.until(_pushes("rfqs"))
                    assert pushed["data"][0]["rfqId"] == rfq.rfq_id

            await live.app.services.time.advance_to(clock.now_ms() + 30_000)  # 30 s without a push: OKX closes
            closed = await inbox.until(lambda m: m.get("event") == "error")

            assert closed["code"] == "ConnClosed" and "4004" in closed["msg"]
        finally:
            await private.stop()
            consumer.cancel()
            await asyncio.gather(consumer, return_exceptions=True)
