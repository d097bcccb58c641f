"""Venues that settle asynchronously and split group RFQs, in process with their control plane on: the config,
the venue, and the control-plane calls the settlement and group RFQ tests make."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import msgspec

from builders import Venue, make_config
from openrfq.config import Config
from openrfq.domain.clock import ManualClock
from openrfq.runtime import build_app

EXECUTE = "/api/v5/rfq/execute-quote"
SETTLEMENT_MS = 500
SUB_ACCOUNTS = ("alpha-1", "alpha-2")  # TAKER1's
SETTLE_FAIL = {"path": EXECUTE, "action": "settle_fail"}
TOKEN = "t0ken"


def settling_config(settlement_ms: int = SETTLEMENT_MS) -> Config:
    """The test accounts, TAKER1 with sub-accounts, executions settling ``settlement_ms`` after they are made."""
    config = make_config()
    accounts = tuple(
        msgspec.structs.replace(a, sub_accounts=SUB_ACCOUNTS) if a.trader_code == "TAKER1" else a
        for a in config.accounts
    )
    return replace(config, accounts=accounts, settlement_ms=settlement_ms)


async def settling_venue(tmp_path: Path, clock: ManualClock, config: Config) -> AsyncIterator[Venue]:
    """An in-process venue with its control plane on (venue time, faults)."""
    app = build_app(config, tmp_path, clock, admin_token=TOKEN)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://openrfq.test") as client:
        yield Venue(app, clock, client, config, tmp_path)
    await app.services.committer.close()


async def control(venue: Venue, method: str, path: str, body: Any = None) -> dict[str, Any]:
    response = await venue.client.request(
        method, "/openrfq/v1" + path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    answer: dict[str, Any] = response.json()
    return answer


async def advance(venue: Venue, ms: int) -> None:
    """Venue time ``ms`` later, every timer due on the way fired (settlements too) and durable."""
    assert (await control(venue, "POST", "/clock/advance", {"ms": ms}))["code"] == "0"
