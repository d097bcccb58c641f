"""Shared fixtures: an in-process venue on a manual clock, driven through its ASGI app with signed requests, and a
real ``openrfq serve`` per module (openrfq.testing)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party, ServerVenue, open_venue
from samples import START_MS, make_config, make_server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_MS)


@pytest.fixture
async def venue(tmp_path: Path, clock: ManualClock) -> AsyncIterator[InProcessVenue]:
    async with open_venue(make_config(), tmp_path, clock) as v:
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
