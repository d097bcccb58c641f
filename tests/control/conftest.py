"""In these tests ``venue`` has its control plane on (``venue.control(method, path, body)``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, open_venue
from samples import make_config


@pytest.fixture
async def venue(tmp_path: Path, clock: ManualClock) -> AsyncIterator[InProcessVenue]:
    async with open_venue(make_config(), tmp_path, clock, control=True) as v:
        yield v
