"""What one WebSocket client can cost: message size, args per request, a client that stops reading, requests
that make the server fail. Each is refused with an error event and either a close or a connection kept."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from openrfq.access.auth import FAILURES_ALLOWED
from openrfq.client import ApiError
from openrfq.domain.clock import ManualClock
from openrfq.limits import HOUR_MS, WS_MAX_ARGS, WS_MAX_FRAME, WS_MAX_MESSAGE, WS_REQUESTS_PER_HOUR
from openrfq.testing import LiveVenue, live_venue, receive
from openrfq.ws import protocol
from samples import make_config

TICKER = {"channel": "block-tickers", "instId": "BTC-USDT"}


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveVenue]:
    async with live_venue(make_config(), tmp_path) as v:
        yield v


def _subscribe(args: list[dict[str, str]], padding: int = 0) -> str:
    message: dict[str, object] = {"op": "subscribe", "args": args}
    if padding:
        message["id"] = "x" * padding  # bulk only: the id is not checked before the size
    return json.dumps(message)


async def _closed(ws: ClientConnection, timeout: float = 3.0) -> ConnectionClosed:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    return closed.value


async def test_a_message_over_64_kib_is_answered_60012_then_closed_with_1009(live: LiveVenue) -> None:
    async with connect(live.ws_url, max_size=None) as ws:
        await ws.send(_subscribe([TICKER], padding=WS_MAX_MESSAGE))
        answer = await receive(ws)
        closed = await _closed(ws)

    assert (answer["event"], answer["code"], answer["msg"]) == ("error", "60012", "Invalid request")
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (1009, "Request message exceeds the maximum frame length")


async def test_a_message_of_64_kib_with_multibyte_characters_counts_bytes(live: LiveVenue) -> None:
    async with connect(live.ws_url, max_size=None) as ws:
        message = json.dumps(
            {"op": "subscribe", "args": [TICKER], "id": "é" * (WS_MAX_MESSAGE // 2)}, ensure_ascii=False
        )
        assert len(message) < WS_MAX_MESSAGE < len(message.encode())
        await ws.send(message)
        answer = await receive(ws)
        closed = await _closed(ws)

    assert (answer["code"], closed.rcvd and closed.rcvd.code) == ("60012", 1009)


async def test_a_message_just_under_64_kib_is_served(live: LiveVenue) -> None:
    async with connect(live.ws_url) as ws:
        message = _subscribe([TICKER], padding=1)
        await ws.send(_subscribe([TICKER], padding=WS_MAX_MESSAGE - len(message)))
        answer = await receive(ws)
        await ws.send("ping")
        pong = await asyncio.wait_for(ws.recv(), 2)

    assert (answer["event"], answer["arg"], pong) == ("subscribe", TICKER, "pong")


async def test_a_frame_far_over_the_limit_is_closed_by_the_protocol_before_it_is_read(live: LiveVenue) -> None:
    async with connect(live.ws_url, max_size=None, compression=None) as ws:
        with contextlib.suppress(ConnectionClosed):  # the send may or may not see the close in time
            await ws.send("x" * (WS_MAX_FRAME * 8))
        closed = await _closed(ws)

    assert closed.rcvd is not None and closed.rcvd.code == 1009


async def test_args_beyond_the_cap_are_refused_60013_and_the_connection_closed_with_4008(live: LiveVenue) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(json.dumps({"id": "many", "op": "subscribe", "args": [TICKER] * (WS_MAX_ARGS + 1)}))
        answer = await receive(ws)
        closed = await _closed(ws)

    assert (answer["id"], answer["event"], answer["code"], answer["msg"]) == ("many", "error", "60013", "Invalid args")
    assert closed.rcvd is not None and closed.rcvd.code == 4008


async def test_a_burst_of_full_subscribe_requests_is_all_answered(live: LiveVenue) -> None:
    # 20 requests of WS_MAX_ARGS args sent at once: 2,000 answers, twice the session's queue; a client that reads
    # them must get them all (the receive loop lets the sender drain between requests).
    async with connect(live.ws_url) as ws:
        for _ in range(20):
            await ws.send(json.dumps({"op": "unsubscribe", "args": [TICKER] * WS_MAX_ARGS}))
        answers = [await receive(ws) for _ in range(20 * WS_MAX_ARGS)]

    assert {a["event"] for a in answers} == {"unsubscribe"}


async def test_non_ascii_in_a_login_is_an_error_event_and_the_connection_stays(
    live: LiveVenue, caplog: pytest.LogCaptureFixture
) -> None:
    async with connect(live.ws_url) as ws:
        with caplog.at_level(logging.ERROR, logger="openrfq.ws"):
            await ws.send(live.login_message("MAKER1", sign="sïgn"))
            answer = await receive(ws)
        await ws.send(live.login_message("MAKER1"))
        login = await receive(ws)

    assert (answer["event"], answer["code"], answer["msg"]) == ("error", "60007", "Invalid sign")
    assert (login["event"], login["code"]) == ("login", "0")
    assert [r for r in caplog.records if r.name == "openrfq.ws"] == []


async def test_the_481st_login_or_subscription_request_of_an_hour_is_60014(tmp_path: Path) -> None:
    clock = ManualClock(int(time.time() * 1000))
    async with live_venue(make_config(), tmp_path, clock=clock) as live:
        async with connect(live.ws_url) as ws:
            for _ in range(WS_REQUESTS_PER_HOUR):
                await ws.send(_subscribe([TICKER]))
                assert (await receive(ws))["event"] == "subscribe"
            await ws.send(_subscribe([TICKER]))
            refused = await receive(ws)
            clock.advance(HOUR_MS)
            await ws.send(_subscribe([TICKER]))
            later = await receive(ws)
        async with connect(live.ws_url) as other:
            await other.send(_subscribe([TICKER]))
            fresh = await receive(other)

    assert (refused["event"], refused["code"], refused["msg"]) == ("error", "60014", "Requests too frequent")
    assert later["event"] == fresh["event"] == "subscribe"


async def test_past_30_failed_logins_the_ip_is_refused_on_the_websocket_and_on_rest(live: LiveVenue) -> None:
    async with connect(live.ws_url) as ws:
        for _ in range(FAILURES_ALLOWED.count):
            await ws.send(live.login_message("MAKER1", passphrase="guess"))
            assert (await receive(ws))["code"] == "60024"
        await ws.send(live.login_message("MAKER1"))
        refused = await receive(ws)
    async with live.rest("TAKER1") as taker:
        with pytest.raises(ApiError) as rest:
            await taker.rfqs()

    assert (refused["event"], refused["code"]) == ("error", "60014")
    assert rest.value.code == "50011"


async def test_an_unexpected_failure_answers_64007_logs_one_line_and_keeps_the_connection(
    live: LiveVenue, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = protocol.event

    def broken(name: str, *args: Any, **fields: Any) -> str:  # a bug in rendering a subscribe's answer
        if name == "subscribe":
            raise KeyError("a bug")
        return event(name, *args, **fields)

    monkeypatch.setattr(protocol, "event", broken)  # a module attribute: patchable under the compiled hub too
    async with connect(live.ws_url) as ws:
        with caplog.at_level(logging.ERROR, logger="openrfq.ws"):
            await ws.send(json.dumps({"id": "s1", "op": "subscribe", "args": [TICKER]}))
            answer = await receive(ws)
        await ws.send("ping")
        pong = await asyncio.wait_for(ws.recv(), 2)

    assert (answer["id"], answer["event"], answer["code"]) == ("s1", "error", "64007")
    assert answer["msg"] == "Operation subscribe failed due to WebSocket internal error. Please try again later."
    assert pong == "pong"
    assert len([r for r in caplog.records if r.name == "openrfq.ws"]) == 1


@pytest.mark.parametrize("depth", [1_000, 10_000])  # 10,000 levels: 60 KB at most, under the size limit
async def test_a_deeply_nested_message_is_60012_and_the_connection_stays(live: LiveVenue, depth: int) -> None:
    async with connect(live.ws_url, max_size=None) as ws:
        await ws.send("[" * depth + "]" * depth)
        nested_list = await receive(ws)
        await ws.send('{"op":"subscribe","args":' + '{"a":' * depth + "1" + "}" * depth + "}")
        nested_args = await receive(ws)
        await ws.send("ping")
        pong = await asyncio.wait_for(ws.recv(), 2)

    assert (nested_list["event"], nested_list["code"]) == ("error", "60012")
    assert (nested_args["event"], nested_args["code"]) in {("error", "60012"), ("error", "60013")}
    assert pong == "pong"


# --- a client that stops reading ------------------------------------------------------------------------------


def _frame(text: str) -> bytes:
    """A masked client text frame."""
    data = text.encode()
    mask = os.urandom(4)
    size = len(data)
    head = b"\x81" + (bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + struct.pack("!H", size))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _send_without_reading(port: int, seconds: float) -> tuple[bool, float]:
    """Subscribe over and over (each request ~8 KB of answers) and never read; (closed by the server, when)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        b"GET /ws/v5/business HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    request = _frame(json.dumps({"op": "subscribe", "args": [TICKER] * WS_MAX_ARGS}))
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            sock.sendall(request)
            time.sleep(0.002)
        return False, time.monotonic() - started
    except OSError:  # reset: the server dropped the connection
        return True, time.monotonic() - started
    finally:
        sock.close()


async def test_a_client_that_stops_reading_but_keeps_sending_is_really_closed(live: LiveVenue) -> None:
    healthy = await connect(live.ws_url)
    closed, after_s = await asyncio.to_thread(_send_without_reading, live.port, 15.0)
    await healthy.send("ping")
    pong = await asyncio.wait_for(healthy.recv(), 2)
    await healthy.close()

    assert closed, "the stalled connection was still open after 15 s"
    assert after_s < 10.0, f"closed only after {after_s:.1f} s"
    assert pong == "pong"
    await asyncio.sleep(0.1)
    assert not live.app.hub.sessions
