"""In these tests ``venue`` has its control plane on (tests/controlplane.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from builders import Venue
from controlplane import controlled_venue
from openrfq.domain.clock import ManualClock


@pytest.fixture
async def venue(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Venue]:
    async for v in controlled_venue(tmp_path, clock):
        yield v
