"""Shared fixtures: an in-process venue on a manual clock, driven through its ASGI app with signed requests, and a
real ``openrfq serve`` per module (openrfq.testing)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party, ServerVenue, open_venue
from openrfq.testing.postgres import SKIP_REASON, Cluster, Schemas, binaries
from samples import START_MS, STORES, make_config, make_server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_MS)


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[Schemas]:
    """A PostgreSQL cluster of the session's own (a temporary directory, 127.0.0.1, a free port), a schema per
    test in it. Its fsync is off: these tests are about what openrfq reads and writes, not about the disk
    (tests/store/test_postgres_failover.py runs clusters that sync)."""
    if binaries() is None:
        pytest.skip(SKIP_REASON)
    with Cluster(fsync=False) as cluster:
        schemas = Schemas(cluster)
        try:
            yield schemas
        finally:
            schemas.close()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The store of the test's venue: None (SQLite in its data directory), or a PostgreSQL URL of a new schema.
    Every test that opens its venue through ``venue`` (or passes ``store=store`` itself) runs on both."""
    if request.param == "sqlite":
        yield None
        return
    schemas: Schemas = request.getfixturevalue("pg_schemas")
    url = schemas.new()
    yield url
    schemas.drop(url)


@pytest.fixture
async def venue(tmp_path: Path, clock: ManualClock, store: str | None) -> AsyncIterator[InProcessVenue]:
    async with open_venue(make_config(), tmp_path, clock, store=store) as v:
        yield v


@pytest.fixture
def taker(venue: InProcessVenue) -> Party:
    return venue.party("TAKER1")


@pytest.fixture
def maker1(venue: InProcessVenue) -> Party:
    return venue.party("MAKER1")


@pytest.fixture
def maker2(venue: InProcessVenue) -> Party:
    return venue.party("MAKER2")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerVenue]:
    """A real ``openrfq serve`` subprocess shared by one test module (machine's clock, rate limits off)."""
    with make_server(tmp_path_factory.mktemp("server")) as proc:
        yield proc
