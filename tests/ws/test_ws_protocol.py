"""The /ws/v5/business protocol: login, subscribe/unsubscribe, errors, ping/pong, idle close."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from openrfq.client import Leg
from openrfq.domain.clock import ManualClock
from openrfq.testing import LiveVenue, live_venue, receive
from samples import make_config


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveVenue]:
    async with live_venue(make_config(), tmp_path) as v:
        yield v


async def test_login_answers_with_the_connection_id(live: LiveVenue) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(live.login_message("MAKER1"))
        answer = await receive(ws)

    assert answer["event"] == "login" and answer["code"] == "0" and answer["msg"] == ""
    assert len(answer["connId"]) == 8


@pytest.mark.parametrize(
    ("override", "code", "msg"),
    [
        ({"timestamp": "yesterday"}, "60004", "Invalid timestamp"),
        ({"timestamp": str(int(time.time()) - 60)}, "60006", "Timestamp request expired"),
        ({"apiKey": "nobody"}, "60005", "Invalid apiKey"),
        ({"passphrase": "wrong"}, "60024", "Wrong passphrase"),
        ({"sign": "c2lnbg=="}, "60007", "Invalid sign"),
        ({"sign": ""}, "60027", "Parameter sign can not be empty."),
    ],
)
async def test_login_failures(live: LiveVenue, override: dict[str, str], code: str, msg: str) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(live.login_message("MAKER1", **override))
        answer = await receive(ws)
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "rfqs"}]}))
        after = await receive(ws)

    assert (answer["event"], answer["code"], answer["msg"]) == ("error", code, msg)
    assert after["code"] == "60011"  # still not logged in


async def test_a_second_login_is_60031(live: LiveVenue) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(live.login_message("MAKER1"))
        await receive(ws)
        await ws.send(live.login_message("MAKER1"))
        answer = await receive(ws)

    assert (answer["event"], answer["code"]) == ("error", "60031")


async def test_subscribe_and_unsubscribe_echo_the_id_and_args(live: LiveVenue) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(live.login_message("TAKER1"))
        await receive(ws)
        await ws.send(json.dumps({"id": "r1", "op": "subscribe", "args": [{"channel": "rfqs"}, {"channel": "quotes"}]}))
        first, second = await receive(ws), await receive(ws)
        await ws.send(json.dumps({"id": "r2", "op": "unsubscribe", "args": [{"channel": "quotes"}]}))
        third = await receive(ws)

    assert first == {"id": "r1", "event": "subscribe", "arg": {"channel": "rfqs"}, "connId": first["connId"]}
    assert second["arg"] == {"channel": "quotes"}
    assert (third["id"], third["event"], third["arg"]) == ("r2", "unsubscribe", {"channel": "quotes"})


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"op": "subscribe", "args": [{"channel": "rfqs"}]}, "60011"),  # private before login
        ({"op": "order", "args": []}, "60019"),
    ],
)
async def test_bad_requests_get_error_events(live: LiveVenue, message: dict[str, object], code: str) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(json.dumps({"id": "x1", **message}))
        answer = await receive(ws)

    assert (answer["id"], answer["event"], answer["code"]) == ("x1", "error", code)
    assert answer["msg"] and answer["connId"]


@pytest.mark.parametrize(
    "request_text",
    [
        '{"op": "subscribe", "argss": [{"channel": "rfqs"}]}',  # misspelled args
        '{"op": "subscribe"}',  # no args
        '{"op": "subscribe", "args": "rfqs"}',
        '{"op": "subscribe", "args": []}',
        '{"op": "subscribe", "args": ["rfqs"]}',
        '{"op": "subscribe", "args": [{"chanel": "rfqs"}]}',
        '{"op": "subscribe", "args": [{"channel": "block-tickers"}]}',  # instId required
        '{"op": "unsubscribe", "args": [{"channel": "public-block-trades", "instId": ""}]}',
        '{"args": [{"channel": "rfqs"}]}',  # no op
        '{"op": "login", "args": []}',
        '["subscribe"]',
        "{not json",
    ],
)
async def test_a_malformed_request_is_60012_echoing_it_as_sent(live: LiveVenue, request_text: str) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(request_text)
        answer = await receive(ws)

    assert answer == {
        "event": "error",
        "code": "60012",
        "msg": f"Invalid request: {request_text}",
        "connId": answer["connId"],
    }


@pytest.mark.parametrize(
    ("arg", "wording"),
    [
        ({"channel": "tickers", "instId": "BTC-USDT"}, "channel:tickers,instId:BTC-USDT"),
        ({"channel": "block-tickers", "instId": "DOGE-USDT"}, "channel:block-tickers,instId:DOGE-USDT"),
        (
            {"channel": "public-block-trades", "instId": "BTC-USDT-SWAP2"},
            "channel:public-block-trades,instId:BTC-USDT-SWAP2",
        ),
        ({"channel": "orders"}, "channel:orders,instId:"),
    ],
)
async def test_an_unknown_channel_or_instrument_is_60018_in_okx_wording(
    live: LiveVenue, arg: dict[str, str], wording: str
) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(
            json.dumps({"id": "u1", "op": "subscribe", "args": [{"channel": "public-struc-block-trades"}, arg]})
        )
        answer = await receive(ws)

    assert answer == {
        "id": "u1",
        "event": "error",
        "code": "60018",
        "msg": f"Wrong URL or {wording} doesn't exist. "
        "Please use the correct URL, channel and parameters referring to API document.",
        "connId": answer["connId"],
    }


async def test_unknown_op_and_an_oversized_login_batch(live: LiveVenue) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(json.dumps({"op": "order"}))
        bad_op = await receive(ws)
        await ws.send(json.dumps({"op": "login", "args": [{"apiKey": "a"}, {"apiKey": "b"}]}))
        two_keys = await receive(ws)

    assert (bad_op["code"], bad_op["msg"]) == ("60019", "Invalid op: order")
    assert (two_keys["code"], two_keys["msg"]) == ("60013", "Invalid args")


async def test_public_channels_need_no_login(live: LiveVenue) -> None:
    async with connect(live.ws_url) as ws:
        await ws.send(
            json.dumps({"op": "subscribe", "args": [{"channel": "public-block-trades", "instId": "BTC-USDT"}]})
        )
        answer = await receive(ws)

    assert answer["arg"] == {"channel": "public-block-trades", "instId": "BTC-USDT"}


async def test_ping_pong_keeps_a_connection_alive_and_30_s_of_silence_closes_it(tmp_path: Path) -> None:
    clock = ManualClock(int(time.time() * 1000))
    async with live_venue(make_config(), tmp_path, clock=clock) as live:
        advance = live.app.services.time.advance_to
        async with connect(live.ws_url) as ws:
            for _ in range(3):  # 3 x 20 s: longer than the 30 s idle timeout in all, never idle for 30 s
                await ws.send("ping")
                assert await asyncio.wait_for(ws.recv(), 2) == "pong"
                await advance(clock.now_ms() + 20_000)
            await ws.send("ping")
            assert await asyncio.wait_for(ws.recv(), 2) == "pong"
            await advance(clock.now_ms() + 30_000)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 3)

        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4004


async def _still_open(ws: ClientConnection) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), 0.2)
    except TimeoutError:
        return True
    except ConnectionClosed:
        return False
    raise AssertionError("nothing was expected")


async def _close_code(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 3)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


async def test_pushes_keep_a_client_that_never_pings_connected_and_30_s_without_any_close_it(tmp_path: Path) -> None:
    # OKX: a connection breaks when nothing was subscribed or nothing was pushed for 30 s (websocket-overview.md);
    # python-okx's WsPrivateAsync never pings, and stays connected while its channels push.
    clock = ManualClock(int(time.time() * 1000))
    async with live_venue(make_config(), tmp_path, clock=clock) as live:
        advance = live.app.services.time.advance_to
        maker = await live.logged_in("MAKER1", "rfqs")
        async with live.rest("TAKER1") as taker:
            for _ in range(3):  # 60 s in all without a word from the client, never 30 s without a push
                await advance(clock.now_ms() + 20_000)
                rfq = await taker.create_rfq(["MAKER1"], [Leg("BTC-USDT", "1", "buy")])
                assert (await receive(maker))["data"][0]["rfqId"] == rfq.rfq_id

        await advance(clock.now_ms() + 29_999)
        assert await _still_open(maker)
        await advance(clock.now_ms() + 1)

        assert await _close_code(maker) == 4004


async def test_a_connection_that_subscribes_nothing_is_closed_after_30_s(tmp_path: Path) -> None:
    clock = ManualClock(int(time.time() * 1000))
    async with live_venue(make_config(), tmp_path, clock=clock) as live:
        async with connect(live.ws_url) as silent, connect(live.ws_url) as logged:
            await logged.send(live.login_message("MAKER1"))
            await receive(logged)
            await live.app.services.time.advance_to(clock.now_ms() + 30_000)

            assert await _close_code(silent) == 4004
            assert await _close_code(logged) == 4004  # a login answer is not a subscription's push


async def test_other_websocket_paths_are_refused(live: LiveVenue) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"ws://127.0.0.1:{live.port}/ws/v5/private"):
            pass

    assert refused.value.response.status_code == 403
