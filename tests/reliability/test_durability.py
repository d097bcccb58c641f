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

from openrfq.testing import Party, ServerVenue, wall_ms
from samples import make_server

CREATE_RFQ, CANCEL_RFQ = "/api/v5/rfq/create-rfq", "/api/v5/rfq/cancel-rfq"
CREATE_QUOTE, CANCEL_QUOTE = "/api/v5/rfq/create-quote", "/api/v5/rfq/cancel-quote"
EXECUTE = "/api/v5/rfq/execute-quote"
LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[ServerVenue]:
    with make_server(tmp_path) as proc:
        yield proc


async def _rfq(taker: Party, **extra: Any) -> str:
    answer = await taker.post(CREATE_RFQ, {"counterparties": ["MAKER1", "MAKER2"], "legs": [LEG], **extra})
    assert answer["code"] == "0", answer
    rfq_id: str = answer["data"][0]["rfqId"]
    return rfq_id


def _quote_body(rfq_id: str, px: str = "50000", **extra: Any) -> dict[str, Any]:
    return {"rfqId": rfq_id, "quoteSide": "sell", "legs": [{**LEG, "px": px}], **extra}


async def _quote(maker: Party, rfq_id: str, **extra: Any) -> str:
    answer = await maker.post(CREATE_QUOTE, _quote_body(rfq_id, **extra))
    assert answer["code"] == "0", answer
    quote_id: str = answer["data"][0]["quoteId"]
    return quote_id


async def _everything(client: Party) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every RFQ and quote the client can see, newest first, paging with endId... beginId as OKX does."""
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, path, id_field in (("rfqs", "/api/v5/rfq/rfqs", "rfqId"), ("quotes", "/api/v5/rfq/quotes", "quoteId")):
        rows: list[dict[str, Any]] = []
        query = "?limit=100"
        while True:
            page = await client.get(path + query)
            assert page["code"] == "0", page
            rows += page["data"]
            if len(page["data"]) < 100:
                break
            query = f"?limit=100&endId={page['data'][-1][id_field]}"
        found[kind] = rows
    return found["rfqs"], found["quotes"]


async def test_a_restart_resumes_rfqs_quotes_and_id_counters(fresh_server: ServerVenue) -> None:
    async with (
        fresh_server.party("TAKER1") as taker,
        fresh_server.party("MAKER1") as maker1,
        fresh_server.party("MAKER2") as maker2,
    ):
        kept = await _rfq(taker, clRfqId="keepMe")
        canceled = await _rfq(taker)
        q1 = await _quote(maker1, kept, clQuoteId="mq1")
        q2 = await _quote(maker2, kept)
        await _quote(maker1, canceled)
        assert (await maker2.post(CANCEL_QUOTE, {"quoteId": q2}))["data"][0]["sCode"] == "0"
        assert (await taker.post(CANCEL_RFQ, {"rfqId": canceled}))["data"][0]["sCode"] == "0"
        before = {name: await _everything(c) for name, c in (("taker", taker), ("maker1", maker1), ("maker2", maker2))}

        fresh_server.stop()
        fresh_server.start()

        after = {name: await _everything(c) for name, c in (("taker", taker), ("maker1", maker1), ("maker2", maker2))}
        assert after == before
        assert (await maker1.post(CANCEL_QUOTE, {"clQuoteId": "mq1"}))["data"][0] == {
            "quoteId": q1,
            "clQuoteId": "mq1",
            "sCode": "0",
            "sMsg": "",
        }
        assert int(await _rfq(taker)) > int(canceled)
        assert int(await _quote(maker2, kept)) > int(q2)


async def _all_trades(client: Party) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    query = "?limit=100"
    while True:
        page = (await client.get("/api/v5/rfq/trades" + query))["data"]
        rows += page
        if len(page) < 100:
            return rows
        query = f"?limit=100&endId={page[-1]['blockTdId']}"


TRIALS = 1000 if os.environ.get("OPENRFQ_LONG") else 20


class _Load:
    """Two takers creating RFQs and executing quotes, two makers quoting, replacing and canceling, each on its own
    connection, until the server dies; only what the server acknowledged is remembered."""

    def __init__(self, server: ServerVenue, seed: int) -> None:
        self.server, self.seed = server, seed
        self.rfqs: dict[str, str] = {}  # acknowledged rfqId -> taker
        self.quotes: dict[str, str] = {}  # acknowledged quoteId -> rfqId
        self.canceled: set[str] = set()  # acknowledged cancel-quotes
        self.executed: dict[str, str] = {}  # acknowledged executions: quoteId -> blockTdId
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [
            asyncio.create_task(self._run(self._maker, "MAKER1")),
            asyncio.create_task(self._run(self._maker, "MAKER2")),
            asyncio.create_task(self._run(self._taker, "TAKER1")),
            asyncio.create_task(self._run(self._taker, "TAKER2")),
        ]

    async def join(self) -> None:
        async with asyncio.timeout(20):
            await asyncio.gather(*self.tasks)

    async def _run(self, body: Callable[[Party, random.Random], Awaitable[None]], name: str) -> None:
        rng = random.Random(f"{self.seed}:{name.lower()}")
        async with self.server.party(name) as client:
            try:
                while True:
                    await body(client, rng)
                    await asyncio.sleep(0)  # a body with nothing to do yet awaited nothing: let the others run
            except (httpx.HTTPError, ValueError):
                return  # the server was killed mid-request: that answer was never acknowledged

    async def _maker(self, client: Party, rng: random.Random) -> None:
        rfq_ids = list(self.rfqs)[-10:]
        mine = [q for q in list(self.quotes)[-20:] if q not in self.canceled and q not in self.executed]
        if mine and rng.random() < 0.3:
            quote_id = rng.choice(mine)
            if (await client.post(CANCEL_QUOTE, {"quoteId": quote_id}))["code"] == "0":
                self.canceled.add(quote_id)
        elif rfq_ids:
            rfq_id = rng.choice(rfq_ids)
            answer = await client.post(CREATE_QUOTE, _quote_body(rfq_id, px=str(50000 + rng.randrange(100))))
            if answer["code"] == "0":
                self.quotes[answer["data"][0]["quoteId"]] = rfq_id

    async def _taker(self, client: Party, rng: random.Random) -> None:
        taker = client.trader_code
        candidates = [(q, r) for q, r in list(self.quotes.items())[-20:] if self.rfqs.get(r) == taker]
        if candidates and rng.random() < 0.5:
            quote_id, rfq_id = rng.choice(candidates)
            answer = await client.post(EXECUTE, {"rfqId": rfq_id, "quoteId": quote_id})
            if answer["code"] == "0":
                self.executed[quote_id] = answer["data"][0]["blockTdId"]
        else:
            answer = await client.post(CREATE_RFQ, {"counterparties": ["MAKER1", "MAKER2"], "legs": [LEG]})
            if answer["code"] == "0":
                self.rfqs[answer["data"][0]["rfqId"]] = taker


@pytest.mark.parametrize("trial", range(TRIALS))
async def test_kill_9_under_mixed_load_loses_nothing_acknowledged_and_half_applies_nothing(
    tmp_path: Path, trial: int
) -> None:
    with make_server(tmp_path) as server:
        load = _Load(server, trial)
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
        async with (
            server.party("TAKER1") as taker1,
            server.party("TAKER2") as taker2,
            server.party("MAKER1") as maker1,
            server.party("MAKER2") as maker2,
        ):
            taker_views = [await _everything(c) for c in (taker1, taker2)]
            rfqs = {r["rfqId"]: r for view in taker_views for r in view[0]}
            maker_quotes = [{q["quoteId"]: q for q in (await _everything(c))[1]} for c in (maker1, maker2)]
            quotes = {**maker_quotes[0], **maker_quotes[1]}
            trades = [t for c in (taker1, taker2) for t in await _all_trades(c)]

            # Every acknowledged change survived.
            assert set(load.rfqs) <= set(rfqs)
            assert set(load.quotes) <= set(quotes)
            assert all(quotes[q]["state"] == "canceled" for q in load.canceled)
            by_quote = {t["quoteId"]: t for t in trades}
            assert all(by_quote[q]["blockTdId"] == td for q, td in load.executed.items())
            # Nothing half-applied: fills, trades and RFQ states agree; replacement left one live quote per maker.
            filled = {q for q, quote in quotes.items() if quote["state"] == "filled"}
            assert filled == set(by_quote)
            assert len({t["rfqId"] for t in trades}) == len(trades)
            assert all(rfqs[t["rfqId"]]["state"] == "filled" for t in trades)
            assert all(q["rfqId"] in rfqs for q in quotes.values())
            for view in maker_quotes:
                live = [q["rfqId"] for q in view.values() if q["state"] == "active"]
                assert len(live) == len(set(live))
            # Ids never repeat: what is created now is newer than anything the dead process handed out.
            new_rfq = await _rfq(taker1)
            assert int(new_rfq) > max(int(r) for r in rfqs)
            assert int(await _quote(maker1, new_rfq)) > max(int(q) for q in quotes)


async def test_a_cancel_racing_a_replace_has_exactly_one_outcome(fresh_server: ServerVenue) -> None:
    outcomes: set[str] = set()
    rng = random.Random(0)
    async with (
        fresh_server.party("TAKER1") as taker,
        fresh_server.party("MAKER1") as maker,
        fresh_server.party("MAKER1") as other,
    ):
        for n in range(40):
            rfq_id = await _rfq(taker)
            first = await _quote(maker, rfq_id, clQuoteId=f"a{n}")
            calls: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
                "cancel": lambda: maker.post(CANCEL_QUOTE, {"quoteId": first}),
                "replace": lambda: other.post(CREATE_QUOTE, _quote_body(rfq_id, px="50001", clQuoteId=f"b{n}")),
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
            rfq_id = await _rfq(taker)
            quote_id = await _quote(maker1, rfq_id, expiresIn="10")
            assert (await maker2.post("/api/v5/rfq/cancel-all-after", {"timeOut": "10"}))["code"] == "0"
            other = await _quote(maker2, rfq_id, expiresIn="120")
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
