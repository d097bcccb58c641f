"""A mixed load on a real ``openrfq serve`` until it dies, and the check that every change it saw acknowledged
survived (tests/reliability: kill -9 and restart on SQLite; kill -9 the leader and let a standby take over on
PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from openrfq.testing import Party, ServerVenue

CREATE_RFQ, CANCEL_RFQ = "/api/v5/rfq/create-rfq", "/api/v5/rfq/cancel-rfq"
CREATE_QUOTE, CANCEL_QUOTE = "/api/v5/rfq/create-quote", "/api/v5/rfq/cancel-quote"
EXECUTE = "/api/v5/rfq/execute-quote"
LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}


async def create_rfq_id(taker: Party, **extra: Any) -> str:
    answer = await taker.post(CREATE_RFQ, {"counterparties": ["MAKER1", "MAKER2"], "legs": [LEG], **extra})
    assert answer["code"] == "0", answer
    rfq_id: str = answer["data"][0]["rfqId"]
    return rfq_id


def quote_body(rfq_id: str, px: str = "50000", **extra: Any) -> dict[str, Any]:
    return {"rfqId": rfq_id, "quoteSide": "sell", "legs": [{**LEG, "px": px}], **extra}


async def create_quote_id(maker: Party, rfq_id: str, **extra: Any) -> str:
    answer = await maker.post(CREATE_QUOTE, quote_body(rfq_id, **extra))
    assert answer["code"] == "0", answer
    quote_id: str = answer["data"][0]["quoteId"]
    return quote_id


async def everything(client: Party) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
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


async def all_trades(client: Party) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    query = "?limit=100"
    while True:
        page = (await client.get("/api/v5/rfq/trades" + query))["data"]
        rows += page
        if len(page) < 100:
            return rows
        query = f"?limit=100&endId={page[-1]['blockTdId']}"


class MixedLoad:
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

    async def stop(self) -> None:
        """Stop now (a server that answers 503 does not end the load): a request cut short was not acknowledged."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

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
            answer = await client.post(CREATE_QUOTE, quote_body(rfq_id, px=str(50000 + rng.randrange(100))))
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

    async def verify(self, server: ServerVenue) -> None:
        """On ``server`` (restarted, or the standby that took over): every change this load saw acknowledged is
        there, nothing is half-applied, and new ids are newer than every id handed out before."""
        load = self
        async with (
            server.party("TAKER1") as taker1,
            server.party("TAKER2") as taker2,
            server.party("MAKER1") as maker1,
            server.party("MAKER2") as maker2,
        ):
            taker_views = [await everything(c) for c in (taker1, taker2)]
            rfqs = {r["rfqId"]: r for view in taker_views for r in view[0]}
            maker_quotes = [{q["quoteId"]: q for q in (await everything(c))[1]} for c in (maker1, maker2)]
            quotes = {**maker_quotes[0], **maker_quotes[1]}
            trades = [t for c in (taker1, taker2) for t in await all_trades(c)]

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
            new_rfq = await create_rfq_id(taker1)
            assert int(new_rfq) > max(int(r) for r in rfqs)
            assert int(await create_quote_id(maker1, new_rfq)) > max(int(q) for q in quotes)
