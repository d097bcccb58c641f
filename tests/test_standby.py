"""Leader and standbys on one PostgreSQL store, served in the test's event loop (openrfq.standby, serving.running):
what a standby answers, a takeover, and a leader that loses the store stepping down."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import websockets

from openrfq import standby
from openrfq.asgi import VenueApp
from openrfq.config import BotSettings, Config
from openrfq.domain.clock import SystemClock
from openrfq.domain.errors import ServiceUnavailable
from openrfq.runtime import build_app
from openrfq.serving import Running, running
from openrfq.standby import RoleApp
from openrfq.store.base import Store, StoreError
from openrfq.testing import Party
from openrfq.testing.accounts import find_account
from openrfq.testing.postgres import Schemas
from samples import make_config, rfq_body

UNAVAILABLE = {"code": "50001", "msg": "Service temporarily unavailable. Please try again later."}


@pytest.fixture
def url(pg_schemas: Schemas) -> Iterator[str]:
    made = pg_schemas.new()
    yield made
    pg_schemas.drop(made)


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(standby, "POLL_S", 0.05)
    monkeypatch.setattr(standby, "CHECK_S", 0.05)
    monkeypatch.setattr(standby, "RETRY_S", 0.1)


@contextlib.asynccontextmanager
async def serving(url: str, data_dir: Path, config: Config | None = None) -> AsyncIterator[tuple[RoleApp, Running]]:
    """One ``openrfq serve --store url`` in this loop, leader or standby, whichever the store makes it."""
    config = config or make_config()

    def build(store: Store) -> VenueApp:
        return build_app(config, data_dir, SystemClock(), store=store)

    role = RoleApp(url, build)
    async with running(role, config) as run:
        yield role, run


def _party(run: Running, name: str = "TAKER1") -> Party:
    return Party(httpx.AsyncClient(base_url=run.url(), timeout=10), find_account(make_config(), name), owns_client=True)


async def _until(condition: Any, timeout_s: float = 5.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, "not within the time allowed"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def test_a_standby_answers_503_50001_and_its_health_says_standby(url: str, tmp_path: Path) -> None:
    async with serving(url, tmp_path / "a") as (leader, a), serving(url, tmp_path / "b") as (waiting, b):
        assert (leader.role, waiting.role) == ("leader", "standby")
        async with httpx.AsyncClient() as client:
            health_a = await client.get(a.url() + "/openrfq/v1/health")
            health_b = await client.get(b.url() + "/openrfq/v1/health")
            time_b = await client.get(b.url() + "/api/v5/public/time")
            ui_b = await client.get(b.url() + "/ui/")
        assert (health_a.status_code, health_a.json()["data"]) == (200, [{"role": "leader"}])
        assert (health_b.status_code, health_b.json()) == (503, {**UNAVAILABLE, "data": [{"role": "standby"}]})
        assert (time_b.status_code, time_b.json()) == (503, {**UNAVAILABLE, "data": []})
        assert ui_b.status_code == 503
        async with _party(b) as taker:
            assert await taker.post("/api/v5/rfq/create-rfq", rfq_body()) == {**UNAVAILABLE, "data": []}
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(b.ws_url()):
                pass
        assert refused.value.response.status_code == 503  # a handshake is refused as a request is
        assert json.loads(refused.value.response.body or b"") == {**UNAVAILABLE, "data": []}


async def test_a_standby_takes_over_with_every_acknowledged_change(url: str, tmp_path: Path) -> None:
    async with serving(url, tmp_path / "a") as (leader, a), serving(url, tmp_path / "b") as (waiting, b):
        async with _party(a) as taker:
            created = [(await taker.post("/api/v5/rfq/create-rfq", rfq_body()))["data"][0]["rfqId"] for _ in range(5)]
            await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": created[0]})
        await leader.close()  # a clean stop: the lease goes with it
        took = await _until(lambda: waiting.role == "leader")
        assert took < 1.0
        async with _party(b) as taker:
            rfqs = (await taker.get("/api/v5/rfq/rfqs"))["data"]
        assert sorted((r["rfqId"], r["state"]) for r in rfqs) == sorted(
            [(created[0], "canceled")] + [(i, "active") for i in created[1:]]
        )


async def test_a_leader_that_loses_its_connection_answers_503_and_steps_down(url: str, tmp_path: Path) -> None:
    async with serving(url, tmp_path / "a") as (leader, a), _party(a) as taker:
        first = (await taker.post("/api/v5/rfq/create-rfq", rfq_body()))["data"][0]["rfqId"]
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'openrfq%'"
            )
        refused = await taker.post("/api/v5/rfq/create-rfq", rfq_body())
        assert refused == {**UNAVAILABLE, "data": []}
        assert leader.role == "standby"
        # Nobody else stands by: once the store answers again, this process leads again, from what was committed.
        await _until(lambda: leader.role == "leader")
        rfqs = (await taker.get("/api/v5/rfq/rfqs"))["data"]
        assert [r["rfqId"] for r in rfqs] == [first]


async def test_a_leader_that_lost_its_lease_while_idle_finds_out_and_stands_by(url: str, tmp_path: Path) -> None:
    async with serving(url, tmp_path / "a") as (leader, a), serving(url, tmp_path / "b") as (waiting, _):
        with psycopg.connect(url, autocommit=True) as admin:
            pid = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'openrfq lease' AND state = 'idle'"
                " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory')"
            ).fetchone()
            assert pid is not None
            admin.execute("SELECT pg_terminate_backend(%s)", pid)
        await _until(lambda: waiting.role == "leader")
        await _until(lambda: leader.role == "standby")
        async with httpx.AsyncClient() as client:
            assert (await client.get(a.url() + "/openrfq/v1/health")).status_code == 503


async def test_the_lp_bots_run_on_the_leader_only(url: str, tmp_path: Path) -> None:
    config = dataclasses.replace(make_config(), bots=(BotSettings(trader_code="MAKER1"),))
    async with serving(url, tmp_path / "a", config) as (leader, a), serving(url, tmp_path / "b", config) as (_, b):
        assert len(a.bots) == 1 and b.bots == []
        await leader.close()
        await _until(lambda: len(b.bots) == 1)
        async with _party(b) as taker:
            rfq = (await taker.post("/api/v5/rfq/create-rfq", rfq_body(counterparties=["MAKER1"])))["data"][0]

            async def quoted() -> bool:
                return bool((await taker.get("/api/v5/rfq/quotes", rfqId=rfq["rfqId"]))["data"])

            deadline = time.monotonic() + 10
            while not await quoted():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)


async def test_an_unreachable_store_keeps_a_standby_asking(tmp_path: Path) -> None:
    role = RoleApp(
        "postgresql://nobody@127.0.0.1:1/none", lambda store: build_app(make_config(), tmp_path, store=store)
    )
    async with running(role, make_config()) as run:
        await asyncio.sleep(0.3)
        assert role.role == "standby"
        async with httpx.AsyncClient() as client:
            assert (await client.get(run.url() + "/openrfq/v1/health")).status_code == 503


async def test_a_leader_stepping_down_closes_its_websocket_sessions_with_1012(url: str, tmp_path: Path) -> None:
    async with serving(url, tmp_path / "a") as (leader, a), websockets.connect(a.ws_url()) as ws:
        await ws.send("ping")
        assert await ws.recv() == "pong"
        leader.step_down(RuntimeError("told to"))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == standby.SERVICE_RESTART


async def test_a_takeover_that_fails_to_load_stands_by_and_asks_again(url: str, tmp_path: Path) -> None:
    attempts: list[int] = []

    def build(store: Store) -> VenueApp:
        attempts.append(1)
        if len(attempts) == 1:
            store.close()
            raise StoreError("the rows do not fit together")
        return build_app(make_config(), tmp_path, SystemClock(), store=store)

    role = RoleApp(url, build)
    async with running(role, make_config()):
        await _until(lambda: role.role == "leader")
    assert len(attempts) == 2


async def test_a_takeover_whose_first_commit_fails_stands_by(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = [True]
    start = VenueApp.start

    async def start_once(app: VenueApp) -> None:
        if failing.pop() if failing else False:
            raise ServiceUnavailable()
        await start(app)

    monkeypatch.setattr(VenueApp, "start", start_once)
    async with serving(url, tmp_path / "a") as (role, _):
        assert role.role == "standby"  # the free store's first start failed
        await _until(lambda: role.role == "leader")
