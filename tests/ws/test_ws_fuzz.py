"""A property-based fuzz of /ws/v5/business: whatever a client sends on a logged-in connection (any text, any JSON,
requests with any op, args and id), it is answered with OKX events (a "ping" with "pong"), each well formed; never
with a connection closed for an error of the server's, never with an error in the server's log.

CI runs a bounded, derandomized number of examples; ``OPENRFQ_LONG=1`` runs many more, randomly (tests/fuzzing.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from fuzzing import ErrorLog, fuzz_settings, json_values, served
from openrfq.testing import LiveVenue, live_venue
from samples import make_config

EVENTS = {"error", "login", "subscribe", "unsubscribe", "channel-conn-count", "channel-conn-count-error", "notice"}
CHANNELS = [
    "rfqs",
    "quotes",
    "struc-block-trades",
    "public-struc-block-trades",
    "public-block-trades",
    "block-tickers",
    "tickers",
    "orders",
]
KEYS = ["channel", "instId", "instFamily", "instType", "ccy", "uid", "apiKey", "passphrase", "timestamp", "sign"]

args = st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=8),
    st.sampled_from(CHANNELS) | st.sampled_from(["BTC-USDT", "BTC-USDT-SWAP", "", "BTC"]) | json_values,
    max_size=4,
)
requests = st.fixed_dictionaries(
    {},
    optional={
        "op": st.sampled_from(["login", "subscribe", "unsubscribe", "order", ""]) | json_values,
        "args": st.lists(args, max_size=4) | json_values,
        "id": st.text(max_size=40) | json_values,
    },
)
# Requests shaped as OKX's, their args' values anything: past the form, into the channels' own checks.
shaped = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["subscribe", "unsubscribe"]),
        "args": st.lists(
            st.fixed_dictionaries(
                {"channel": st.sampled_from(CHANNELS) | st.text(max_size=8)},
                optional={
                    key: st.sampled_from(["BTC-USDT", "BTC-USDT-SWAP", "", "BTC"]) | json_values for key in KEYS[1:]
                },
            ),
            min_size=1,
            max_size=4,
        ),
    },
    optional={"id": st.text(max_size=40) | json_values},
)
messages = (
    shaped.map(json.dumps)
    | requests.map(json.dumps)
    | json_values.map(json.dumps)
    | st.text(max_size=200)
    | st.just("ping")
    | st.binary(max_size=64)
)


class _World:
    def __init__(self, runner: asyncio.Runner, live: LiveVenue) -> None:
        self.runner, self.live = runner, live
        self.ws: ClientConnection | None = None
        self.sent = 0  # on this connection

    async def connection(self) -> ClientConnection:
        if self.ws is None:
            self.ws, self.sent = await self.live.logged_in("MAKER1"), 0
        return self.ws

    async def reconnect(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        self.ws = None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_World]:
    with served(live_venue(make_config(), tmp_path_factory.mktemp("wsfuzz"))) as (runner, live):
        w = _World(runner, live)
        yield w
        runner.run(w.reconnect())  # the fuzz's connection closed before the venue


async def _answers(world: _World, message: str | bytes) -> list[dict[str, Any]] | None:
    """The events the venue answers ``message`` with, pushes skipped: all of them, since a "ping" sent after it is
    answered after them; None if the venue closed the connection (not for an error of its own)."""
    if world.sent >= 400:  # a new connection before this one's 480 requests an hour are spent (60014 after)
        await world.reconnect()
    ws = await world.connection()
    world.sent += 1
    await ws.send(message)
    await ws.send("ping")
    events: list[dict[str, Any]] = []
    pongs = 2 if message == "ping" else 1
    try:
        while pongs:
            raw = await asyncio.wait_for(ws.recv(), 5)
            if raw == "pong":
                pongs -= 1
                continue
            answer = json.loads(raw)
            if "event" in answer:
                events.append(answer)
        return events
    except ConnectionClosed as closed:
        world.ws = None
        assert closed.rcvd is not None and closed.rcvd.code != 1011, closed  # 1011: the server's own error
        return None


def test_any_message_gets_okx_events_or_pong(world: _World) -> None:
    seen: set[str] = set()

    @fuzz_settings(300, 3000)
    @given(message=messages)
    def one(message: str | bytes) -> None:
        with ErrorLog() as errors:  # each example judged alone: hypothesis then shrinks to the message at fault
            events = world.runner.run(_answers(world, message))
        for event in events or []:
            assert event["event"] in EVENTS, event
            if event["event"] == "error":
                assert isinstance(event["code"], str) and event["code"].startswith("6"), event
                assert isinstance(event["msg"], str) and event["msg"], event
            seen.add(event["event"] + " " + str(event.get("code", "")))
        if message != "ping" and events is not None:
            assert events, message  # every request is answered
        assert not errors.records, errors.messages()

    one()
    # The harness reached past the parser: requests were refused for what they asked, not only for their form.
    assert {"error 60012", "error 60018", "subscribe "} <= seen, seen


def test_the_fuzz_connects_logged_in(world: _World) -> None:
    world.runner.run(world.reconnect())
    events = world.runner.run(_answers(world, json.dumps({"op": "subscribe", "args": [{"channel": "quotes"}]})))
    assert events is not None and [e["event"] for e in events] == ["subscribe"], events
