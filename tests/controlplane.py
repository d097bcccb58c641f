"""The control plane in in-process tests: a venue with its token, and a way to call /openrfq/v1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from builders import Venue, make_config
from openrfq.domain.clock import ManualClock
from openrfq.runtime import build_app

TOKEN = "t0ken"


async def controlled_venue(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Venue]:
    app = build_app(make_config(), tmp_path, clock, admin_token=TOKEN)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://openrfq.test") as client:
        yield Venue(app, clock, client, make_config(), tmp_path)
    await app.services.committer.close()


async def control(venue: Venue, method: str, path: str, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return await venue.client.request(method, "/openrfq/v1" + path, json=body, headers=headers)
