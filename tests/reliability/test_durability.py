"""Durable before acknowledged: a real ``openrfq serve`` is stopped or SIGKILLed and restarted on the same data
directory; every acknowledged change must be there, nothing unacknowledged may be half-applied, ids never repeat."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loads import (
    CANCEL_QUOTE,
    CANCEL_RFQ,
    CREATE_QUOTE,
    MixedLoad,
    create_quote_id,
    create_rfq_id,
    everything,
    quote_body,
)
from openrfq.testing import ServerVenue, wall_ms
from samples import make_server

TRIALS = 1000 if os.environ.get("OPENRFQ_LONG") else 20


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[ServerVenue]:
    with make_server(tmp_path) as proc:
        yield proc


async def test_a_restart_resumes_rfqs_quotes_and_id_counters(fresh_server: ServerVenue) -> None:
    async with (
        fresh_server.party("TAKER1") as taker,
        fresh_server.party("MAKER1") as maker1,
        fresh_server.party("MAKER2") as maker2,
    ):
        kept = await create_rfq_id(taker, clRfqId="keepMe")
        canceled = await create_rfq_id(taker)
        q1 = await create_quote_id(maker1, kept, clQuoteId="mq1")
        q2 = await create_quote_id(maker2, kept)
        await create_quote_id(maker1, canceled)
        assert (await maker2.post(CANCEL_QUOTE, {"quoteId": q2}))["data"][0]["sCode"] == "0"
        assert (await taker.post(CANCEL_RFQ, {"rfqId": canceled}))["data"][0]["sCode"] == "0"
        before = {name: await everything(c) for name, c in (("taker", taker), ("maker1", maker1), ("maker2", maker2))}

        fresh_server.stop()
        fresh_server.start()

        after = {name: await everything(c) for name, c in (("taker", taker), ("maker1", maker1), ("maker2", maker2))}
        assert after == before
        assert (await maker1.post(CANCEL_QUOTE, {"clQuoteId": "mq1"}))["data"][0] == {
            "quoteId": q1,
            "clQuoteId": "mq1",
            "sCode": "0",
            "sMsg": "",
        }
        assert int(await create_rfq_id(taker)) > int(canceled)
        assert int(await create_quote_id(maker2, kept)) > int(q2)


@pytest.mark.parametrize("trial", range(TRIALS))
async def test_kill_9_under_mixed_load_loses_nothing_acknowledged_and_half_applies_nothing(
    tmp_path: Path, trial: int
) -> None:
    with make_server(tmp_path) as server:
        load = MixedLoad(server, trial)
        load.start()
        deadline = time.monotonic() + 20  # a loaded machine may take a while for the first acknowledgements
        while not (load.rfqs and load.quotes) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        # Wall time on purpose: the load runs against a real process for a while before the kill lands.
        await asyncio.sleep(random.Random(trial).uniform(0.2, 0.8))
        server.kill9()
        await load.join()
        assert load.rfqs and load.quotes, "the load made no acknowledged changes before the kill"
        print(
            f"acknowledged: {len(load.rfqs)} RFQs, {len(load.quotes)} quotes, "
            f"{len(load.canceled)} cancels, {len(load.executed)} fills"
        )

        server.start()
        await load.verify(server)


async def test_a_cancel_racing_a_replace_has_exactly_one_outcome(fresh_server: ServerVenue) -> None:
    outcomes: set[str] = set()
    rng = random.Random(0)
    async with (
        fresh_server.party("TAKER1") as taker,
        fresh_server.party("MAKER1") as maker,
        fresh_server.party("MAKER1") as other,
    ):
        for n in range(40):
            rfq_id = await create_rfq_id(taker)
            first = await create_quote_id(maker, rfq_id, clQuoteId=f"a{n}")
            calls: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
                "cancel": lambda: maker.post(CANCEL_QUOTE, {"quoteId": first}),
                "replace": lambda: other.post(CREATE_QUOTE, quote_body(rfq_id, px="50001", clQuoteId=f"b{n}")),
            }
            order = rng.sample(sorted(calls), 2)  # sent together, on two connections, in either order
            answers = dict(zip(order, await asyncio.gather(*(calls[name]() for name in order))))

            assert answers["replace"]["code"] == "0", answers
            second = answers["replace"]["data"][0]["quoteId"]
            item = answers["cancel"]["data"][0]
            outcomes.add(item["sCode"])
            if item["sCode"] == "70400":  # the replacement came first and already ended the quote
                assert item["sMsg"] == "The Quote with canceled status cannot be canceled"
            else:
                assert item == {"quoteId": first, "clQuoteId": f"a{n}", "sCode": "0", "sMsg": ""}
            states = {q["quoteId"]: q["state"] for q in (await maker.get("/api/v5/rfq/quotes", rfqId=rfq_id))["data"]}
            assert states == {first: "canceled", second: "active"}
    assert outcomes <= {"0", "70400"}


async def test_timers_that_came_due_while_down_fire_at_start_up(tmp_path: Path) -> None:
    # Venue time stands 11 s behind the machine's until the kill (a virtual clock), and is the machine's after the
    # restart: the 10 s countdowns started before the kill have run out while the server was down, at no wait.
    server = make_server(tmp_path)
    server.clock, server.start_ms = "virtual", wall_ms() - 11_000
    with server:
        async with (
            server.party("TAKER1") as taker,
            server.party("MAKER1") as maker1,
            server.party("MAKER2") as maker2,
        ):
            rfq_id = await create_rfq_id(taker)
            quote_id = await create_quote_id(maker1, rfq_id, expiresIn="10")
            assert (await maker2.post("/api/v5/rfq/cancel-all-after", {"timeOut": "10"}))["code"] == "0"
            other = await create_quote_id(maker2, rfq_id, expiresIn="120")
            server.kill9()
            server.clock, server.start_ms = "real", None
            server.start()

            # No request has touched the venue yet; the metrics show what start-up already fired.
            metrics = httpx.get(server.url + "/metrics").text
            assert "openrfq_active_quotes 0.0" in metrics
            states = {
                q["quoteId"]: q["state"] for c in (maker1, maker2) for q in (await c.get("/api/v5/rfq/quotes"))["data"]
            }
            assert states == {quote_id: "expired", other: "canceled"}
