"""A leader and a standby ``openrfq serve`` on one PostgreSQL store: the leader SIGKILLed under load, the standby
leads within 5 s with every acknowledged change and its timers; and PostgreSQL's own failover, a synchronous
replica promoted after its primary stopped, loses nothing acknowledged either."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import httpx
import pytest

from loads import CANCEL_QUOTE, MixedLoad, create_quote_id, create_rfq_id
from openrfq.testing import ServerVenue, wall_ms
from openrfq.testing.postgres import SKIP_REASON, Schemas, binaries, replicated
from samples import ACCOUNTS

TRIALS = 200 if os.environ.get("OPENRFQ_LONG") else 20
TAKEOVER_S = 5.0


def _server(
    store: str, data_dir: Path, clock: Literal["virtual", "real"] = "real", control: bool = False, **options: int
) -> ServerVenue:
    """``openrfq serve --store`` on the tests' accounts, rate limits off (default: the machine's clock)."""
    return ServerVenue(
        ACCOUNTS,
        data_dir,
        clock=clock,
        control=control,
        rate_limits=False,
        store=store,
        start_ms=options.get("start_ms"),
    )


async def _leads_within(server: ServerVenue, timeout_s: float) -> float:
    """Seconds until ``server`` answers its health check as the leader."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=server.url, timeout=1) as client:
        while True:
            try:
                if (await client.get("/openrfq/v1/health")).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            assert time.monotonic() - started < timeout_s, f"no leader after {timeout_s} s"
            await asyncio.sleep(0.01)


@pytest.fixture(scope="module")
def pair(pg_schemas: Schemas, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerVenue]]:
    """Two processes on one store: ``pair[0]`` leads, ``pair[1]`` stands by."""
    url = pg_schemas.new()
    work = tmp_path_factory.mktemp("pair")
    servers = [_server(url, work / "a"), _server(url, work / "b")]
    try:
        servers[0].start()
        servers[1].start(standby=True)
        yield servers
    finally:
        for server in servers:
            server.close()
        pg_schemas.drop(url)


@pytest.mark.parametrize("trial", range(TRIALS))
async def test_kill_9_the_leader_under_load_and_the_standby_leads_within_5_s_with_everything_acknowledged(
    pair: list[ServerVenue], trial: int
) -> None:
    leader, standby = pair
    load = MixedLoad(leader, trial)
    load.start()
    deadline = time.monotonic() + 20
    while not (load.rfqs and load.quotes) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(random.Random(trial).uniform(0.2, 0.8))
    leader.kill9()
    took = await _leads_within(standby, TAKEOVER_S)
    await load.join()
    assert load.rfqs and load.quotes, "the load made no acknowledged changes before the kill"
    print(f"took over in {took:.3f} s; acknowledged: {len(load.rfqs)} RFQs, {len(load.quotes)} quotes")

    await load.verify(standby)
    leader.start(standby=True)  # back, standing by for the next trial's kill
    pair.reverse()


async def test_timers_fire_on_the_new_leader_as_if_nothing_happened(pg_schemas: Schemas, tmp_path: Path) -> None:
    url = pg_schemas.new()
    start_ms = wall_ms() // 1000 * 1000  # [clock] start is given in whole seconds
    first = _server(url, tmp_path / "a", clock="virtual", control=True, start_ms=start_ms)
    second = _server(url, tmp_path / "b", clock="virtual", control=True, start_ms=start_ms)
    try:
        first.start()
        second.start(standby=True)
        async with first.party("TAKER1") as taker, first.party("MAKER1") as maker1, first.party("MAKER2") as maker2:
            rfq_id = await create_rfq_id(taker)
            expiring = await create_quote_id(maker1, rfq_id, expiresIn="10")
            assert (await maker2.post("/api/v5/rfq/cancel-all-after", {"timeOut": "10"}))["code"] == "0"
            guarded = await create_quote_id(maker2, rfq_id, expiresIn="120")
            first.advance(4)
        first.kill9()
        await _leads_within(second, TAKEOVER_S)

        assert second.now_ms() == start_ms + 4_000  # venue time resumes where the old leader left it
        async with second.party("MAKER1") as maker1, second.party("MAKER2") as maker2:

            async def states() -> dict[str, str]:
                found = [q for c in (maker1, maker2) for q in (await c.get("/api/v5/rfq/quotes"))["data"]]
                return {q["quoteId"]: q["state"] for q in found}

            assert await states() == {expiring: "active", guarded: "active"}
            second.advance(5)
            assert await states() == {expiring: "active", guarded: "active"}
            second.advance(1)
            assert await states() == {expiring: "expired", guarded: "canceled"}
            assert (await maker2.post(CANCEL_QUOTE, {"quoteId": guarded}))["data"][0]["sCode"] == "70400"
    finally:
        first.close()
        second.close()
        pg_schemas.drop(url)


async def test_a_promoted_synchronous_replica_has_everything_acknowledged(tmp_path: Path) -> None:
    if binaries() is None:
        pytest.skip(SKIP_REASON)
    with replicated() as (primary, replica):
        primary.sql("CREATE DATABASE openrfq")
        url = (
            f"host=127.0.0.1,127.0.0.1 port={primary.port},{replica.port} user=postgres dbname=openrfq"
            " target_session_attrs=read-write"
        )
        with _server(url, tmp_path / "data") as server:
            load = MixedLoad(server, 0)
            load.start()
            deadline = time.monotonic() + 20
            while not (load.rfqs and load.quotes) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)
            await asyncio.to_thread(primary.stop, "immediate")  # the primary's machine is gone
            await load.stop()
            assert load.rfqs and load.quotes
            async with httpx.AsyncClient(base_url=server.url) as client:
                assert (await client.get("/openrfq/v1/health")).status_code == 503  # it stepped down
            await asyncio.to_thread(replica.promote)  # what Patroni does, here by hand
            took = await _leads_within(server, 30)
            print(f"leading again {took:.3f} s after the promotion")
            await load.verify(server)
