"""Shared fixtures: an in-process venue on a manual clock, driven through its ASGI app with signed requests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from builders import START_MS, Party, Venue, make_config, open_venue
from openrfq.domain.clock import ManualClock
from serverproc import ServerProcess, make_server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_MS)


@pytest.fixture
async def venue(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Venue]:
    async for v in open_venue(tmp_path, clock, make_config()):
        yield v


@pytest.fixture
def taker(venue: Venue) -> Party:
    return venue.party("taker1")


@pytest.fixture
def maker1(venue: Venue) -> Party:
    return venue.party("maker1")


@pytest.fixture
def maker2(venue: Venue) -> Party:
    return venue.party("maker2")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real ``openrfq serve`` subprocess shared by one test module (rate limits off)."""
    proc = make_server(tmp_path_factory.mktemp("server"))
    proc.start()
    yield proc
    proc.stop()
