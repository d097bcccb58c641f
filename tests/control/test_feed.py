"""/openrfq/v1/feed, the web blotter's admin feed: the token in the first message or nothing, then the whole venue
live (a state, each durable batch's changes, the control plane's changes), the token never in a URL or a log."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from openrfq.client import Leg
from openrfq.control import feed
from openrfq.domain.clock import ManualClock, SystemClock
from openrfq.testing import LiveVenue, live_venue, receive
from samples import START_MS, make_config

TOKEN = "feed-t0ken-only-the-admin-knows"
SPOT = Leg("BTC-USDT", "1.5", "buy")
PRICED = Leg("BTC-USDT", "1.5", "buy", "60000.5")


async def _serve(tmp_path: Path, token: str | None, clock: ManualClock) -> AsyncIterator[LiveVenue]:
    # As openrfq serve runs a virtual clock: the keep-alive counts in the machine's time.
    async with live_venue(make_config(), tmp_path, clock, token=token, keepalive_clock=SystemClock()) as live:
        yield live


@pytest.fixture
async def live(tmp_path: Path, clock: ManualClock) -> AsyncIterator[LiveVenue]:
    async for v in _serve(tmp_path, TOKEN, clock):
        yield v


def _feed_url(live: LiveVenue) -> str:
    return f"ws://127.0.0.1:{live.port}/openrfq/v1/feed"


async def _refused(ws: ClientConnection) -> None:
    """The feed's refusal: an error event, then the connection closed with 1008."""
    message = await receive(ws)
    assert (message["event"], message["code"]) == ("error", "90001")
    assert '"op": "auth"' in message["msg"]
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 2)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def _admin(live: LiveVenue) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await connect(_feed_url(live))
    await ws.send(json.dumps({"op": "auth", "token": TOKEN}))
    assert await receive(ws) == {"event": "auth", "code": "0", "msg": ""}
    state = await receive(ws)
    assert state["channel"] == "state"
    return ws, state


async def _next(ws: ClientConnection, channel: str) -> dict[str, Any]:
    while True:
        message = await receive(ws)
        if message.get("channel") == channel:
            return message


@pytest.mark.parametrize(
    "first",
    [
        json.dumps({"op": "auth"}),  # no token
        json.dumps({"op": "auth", "token": ""}),
        json.dumps({"op": "auth", "token": "wrong"}),
        json.dumps({"op": "auth", "token": TOKEN + "x"}),
        json.dumps({"op": "auth", "token": 12345}),
        json.dumps({"op": "login", "args": [{"token": TOKEN}]}),  # not the feed's op
        "ping",  # anything but auth first
        "{not json",
    ],
)
async def test_a_missing_or_wrong_token_is_refused(live: LiveVenue, first: str) -> None:
    async with connect(_feed_url(live)) as ws:
        await ws.send(first)
        await _refused(ws)


async def test_a_token_in_the_url_is_not_taken(live: LiveVenue) -> None:
    async with connect(_feed_url(live) + f"?token={TOKEN}") as ws:
        await ws.send(json.dumps({"op": "auth"}))
        await _refused(ws)


async def test_without_a_control_plane_the_feed_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    async for live in _serve(tmp_path, None, clock):
        with pytest.raises(InvalidStatus) as refused:
            await connect(_feed_url(live))
        assert refused.value.response.status_code == 403


async def test_the_admin_sees_the_whole_venue_live(live: LiveVenue, clock: ManualClock) -> None:
    async with live.rest("TAKER1") as taker, live.rest("MAKER1") as maker:
        before = await taker.create_rfq(["MAKER1", "MAKER2"], [SPOT], cl_rfq_id="desk7")
        ws, state = await _admin(live)

        assert [(r["rfqId"], r["state"], r["clRfqId"], r["counterparties"]) for r in state["rfqs"]] == [
            (before.rfq_id, "active", "desk7", ["MAKER1", "MAKER2"])
        ]
        assert (state["quotes"], state["trades"], state["faults"], state["snapshots"]) == ([], [], [], [])
        assert state["clock"] == {"mode": "virtual", "ts": str(START_MS)}

        quote = await maker.create_quote(before.rfq_id, "sell", [PRICED], cl_quote_id="mm1")
        changes = await _next(ws, "changes")
        assert [(q["quoteId"], q["traderCode"], q["clQuoteId"], q["clRfqId"]) for q in changes["quotes"]] == [
            (quote.quote_id, "MAKER1", "mm1", "desk7")  # every party named, both client ids
        ]
        trade = await taker.execute_quote(before.rfq_id, quote.quote_id)
        changes = await _next(ws, "changes")
        assert {r["rfqId"]: r["state"] for r in changes["rfqs"]} == {before.rfq_id: "filled"}
        assert [(t["blockTdId"], t["tTraderCode"], t["mTraderCode"]) for t in changes["trades"]] == [
            (trade.block_td_id, "TAKER1", "MAKER1")
        ]

        later = await taker.create_rfq(["MAKER2"], [SPOT])
        await _next(ws, "changes")
        async with httpx.AsyncClient(base_url=live.url, headers={"Authorization": f"Bearer {TOKEN}"}) as admin:
            await admin.post("/openrfq/v1/clock/advance", json={"ms": 600_000})
            expired = await _next(ws, "changes")
            control = await _next(ws, "control")
            assert {r["rfqId"]: r["state"] for r in expired["rfqs"]} == {later.rfq_id: "expired"}
            assert control["clock"] == {"mode": "virtual", "ts": str(START_MS + 600_000)}

            await admin.post("/openrfq/v1/faults", json={"path": "ws", "action": "delay", "ms": 5})
            assert [f["action"] for f in (await _next(ws, "control"))["faults"]] == ["delay"]
            await admin.post("/openrfq/v1/snapshots", json={"name": "s1"})
            assert [s["name"] for s in (await _next(ws, "control"))["snapshots"]] == ["s1"]

            await admin.post("/openrfq/v1/reset")
            state = await _next(ws, "state")  # the whole venue again: it starts over
            assert (state["rfqs"], state["quotes"], state["trades"]) == ([], [], [])
            await admin.post("/openrfq/v1/snapshots/s1/restore")
            state = await _next(ws, "state")
            assert {r["rfqId"] for r in state["rfqs"]} == {before.rfq_id, later.rfq_id}
        await ws.close()


async def test_the_state_holds_the_newest_of_each_kind(
    live: LiveVenue, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed, "LIMIT", 2)
    async with live.rest("TAKER1") as taker:
        for _ in range(3):
            await taker.create_rfq(["MAKER1"], [SPOT])
    ws, state = await _admin(live)
    await ws.close()

    assert (sorted(r["rfqId"] for r in state["rfqs"]), state["limit"]) == (["2", "3"], 2)


async def test_the_feed_answers_ping_and_a_second_auth_changes_nothing(live: LiveVenue) -> None:
    ws, _ = await _admin(live)
    await ws.send("ping")
    assert await asyncio.wait_for(ws.recv(), 2) == "pong"
    await ws.send(json.dumps({"op": "auth", "token": "wrong"}))  # ignored once in
    await ws.send("ping")
    assert await asyncio.wait_for(ws.recv(), 2) == "pong"
    await ws.close()


async def test_the_token_is_never_logged(
    live: LiveVenue, caplog: pytest.LogCaptureFixture, tmp_path: Path, clock: ManualClock
) -> None:
    caplog.set_level(logging.DEBUG)
    for token in (TOKEN, "a-wrong-token-to-look-for"):
        async with connect(_feed_url(live)) as ws:
            await ws.send(json.dumps({"op": "auth", "token": token}))
            await receive(ws)
    async with httpx.AsyncClient(base_url=live.url) as client:
        await client.get("/openrfq/v1/clock", headers={"Authorization": "Bearer a-wrong-token-to-look-for"})
        await client.get("/openrfq/v1/clock", headers={"Authorization": f"Bearer {TOKEN}"})
        await client.get("/api/v5/public/time")

    # The server's records, with their extra fields (the test's own clients log what they send at debug).
    venue = [f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name.startswith(("openrfq", "uvicorn"))]
    assert any("/api/v5/public/time" in line for line in venue)  # the venue did log, one line per request
    assert not [line for line in venue if TOKEN in line or "a-wrong-token-to-look-for" in line]
