"""The pytest plugin (registered by installing openrfq: entry point ``pytest11``).

Fixtures:
- ``openrfq_venue`` (session): a real ``openrfq serve`` for the whole session, virtual clock, control plane on.
- ``openrfq`` (function): the same venue, reset and with no fault rules, before each test.
- ``openrfq_config`` (session): the TOML the venue runs (default: the demo accounts, no LP bots). Override it in
  your ``conftest.py`` to run your own accounts, bots and instruments::

      @pytest.fixture(scope="session")
      def openrfq_config() -> Path:
          return Path(__file__).parent / "venue.toml"
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported by the fixture: pytest loads this plugin in every session, most never use it
    from openrfq.testing.server import ServerVenue


@pytest.fixture(scope="session")
def openrfq_config() -> Path | None:
    """The TOML the session's venue runs; None: the demo accounts (TAKER1, MAKER1, MAKER2), no LP bots."""
    return None


@pytest.fixture(scope="session")
def openrfq_venue(openrfq_config: Path | None) -> Iterator[ServerVenue]:
    """A real ``openrfq serve`` for the session: virtual clock, control plane on."""
    from openrfq.testing.server import ServerVenue

    venue = ServerVenue(openrfq_config).start()
    try:
        yield venue
    finally:
        venue.close()


@pytest.fixture
def openrfq(openrfq_venue: ServerVenue) -> ServerVenue:
    """The session's venue, reset (no RFQs, quotes, trades; ids from 1) and without fault rules."""
    openrfq_venue.reset()
    openrfq_venue.clear_faults()
    return openrfq_venue
