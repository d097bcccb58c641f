"""Venues that settle asynchronously and split group RFQs, in process with their control plane on: the config,
the venue, and the control-plane calls the settlement and group RFQ tests make."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec

from openrfq.config import Config
from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, open_venue
from samples import make_config

EXECUTE = "/api/v5/rfq/execute-quote"
SETTLEMENT_MS = 500
SUB_ACCOUNTS = ("alpha-1", "alpha-2")  # TAKER1's
SETTLE_FAIL = {"path": EXECUTE, "action": "settle_fail"}


def settling_config(settlement_ms: int = SETTLEMENT_MS) -> Config:
    """The test accounts, TAKER1 with sub-accounts, executions settling ``settlement_ms`` after they are made."""
    config = make_config()
    accounts = tuple(
        msgspec.structs.replace(a, sub_accounts=SUB_ACCOUNTS) if a.trader_code == "TAKER1" else a
        for a in config.accounts
    )
    return replace(config, accounts=accounts, settlement_ms=settlement_ms)


async def settling_venue(tmp_path: Path, clock: ManualClock, config: Config) -> AsyncIterator[InProcessVenue]:
    """An in-process venue with its control plane on (venue time, faults)."""
    async with open_venue(config, tmp_path, clock, control=True) as venue:
        yield venue


async def control(venue: InProcessVenue, method: str, path: str, body: Any = None) -> dict[str, Any]:
    answer: dict[str, Any] = (await venue.control(method, path, body)).json()
    return answer


async def advance(venue: InProcessVenue, ms: int) -> None:
    """Venue time ``ms`` later, every timer due on the way fired (settlements too) and durable."""
    assert (await control(venue, "POST", "/clock/advance", {"ms": ms}))["code"] == "0"
