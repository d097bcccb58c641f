"""Test builders: an in-process venue on a manual clock, parties that sign their requests, RFQ/quote bodies."""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import msgspec

from openrfq.asgi import VenueApp
from openrfq.client.signing import signed_headers
from openrfq.config import Account, ApiKey, Config
from openrfq.domain.clock import ManualClock
from openrfq.instruments.catalogue import default_instruments
from openrfq.runtime import build_app

START_MS = 1_763_000_000_000  # 2025-11-13, a fixed "now" for in-process tests
TODAY = datetime.date(2025, 11, 13)


def _key(name: str, permissions: tuple[str, ...] = ("read", "trade")) -> ApiKey:
    return ApiKey(
        api_key=f"{name}-key",
        secret_key=f"{name}-SECRET",
        passphrase=f"{name}-pass",
        permissions=frozenset(permissions),
    )


def make_config(rate_limits: bool = False) -> Config:
    return Config(
        accounts=(
            Account("100001", "TAKER1", "Alpha Capital", "", (_key("taker1"), _key("taker1ro", ("read",)))),
            Account("100002", "TAKER2", "Beta Fund", "", (_key("taker2"),)),
            Account("200001", "MAKER1", "Maker One", "LP", (_key("maker1"),)),
            Account("200002", "MAKER2", "Maker Two", "LP", (_key("maker2"),)),
            Account("200003", "MAKER3", "Maker Three", "", (_key("maker3"),)),
        ),
        instruments=tuple(default_instruments(TODAY)),
        rate_limits_enabled=rate_limits,
    )


@dataclass
class Party:
    """One API key holder talking to the venue: ``await maker1.post("/api/v5/rfq/create-quote", {...})``."""

    client: httpx.AsyncClient
    clock: ManualClock
    key: ApiKey
    trader_code: str

    async def request(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        target = path
        if params:
            target += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        text = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
        headers = signed_headers(self.key, method, target, text, self.clock.now_ms())
        return await self.client.request(method, target, content=text.encode(), headers=headers)

    async def post(self, path: str, body: Any = None) -> dict[str, Any]:
        response = await self.request("POST", path, body)
        result: dict[str, Any] = response.json()
        return result

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        response = await self.request("GET", path, params=params)
        result: dict[str, Any] = response.json()
        return result


@dataclass
class Venue:
    app: VenueApp
    clock: ManualClock
    client: httpx.AsyncClient
    config: Config
    data_dir: Path

    def party(self, name: str) -> Party:
        for account in self.config.accounts:
            for key in account.keys:
                if key.api_key == f"{name}-key":
                    return Party(self.client, self.clock, key, account.trader_code)
        raise KeyError(name)

    def with_key(self, name: str, **changes: str) -> Party:
        party = self.party(name)
        return replace(party, key=msgspec.structs.replace(party.key, **changes))


async def open_venue(data_dir: Path, clock: ManualClock, config: Config) -> AsyncIterator[Venue]:
    app = build_app(config, data_dir, clock)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://openrfq.test") as client:
        yield Venue(app, clock, client, config, data_dir)
    await app.services.committer.close()


SPOT_LEG = {"instId": "BTC-USDT", "sz": "1.5", "side": "buy"}
SWAP_LEG = {"instId": "BTC-USDT-SWAP", "sz": "10", "side": "sell"}


def rfq_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"counterparties": ["MAKER1", "MAKER2"], "legs": [SPOT_LEG]}
    body.update(overrides)
    return body


def quote_body(rfq_id: str, px: str = "50000.1", side: str = "buy", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "rfqId": rfq_id,
        "quoteSide": side,
        "legs": [{"instId": "BTC-USDT", "sz": "1.5", "side": "buy", "px": px}],
    }
    body.update(overrides)
    return body


async def create_rfq(taker: Party, **overrides: Any) -> dict[str, Any]:
    answer = await taker.post("/api/v5/rfq/create-rfq", rfq_body(**overrides))
    assert answer["code"] == "0", answer
    data: dict[str, Any] = answer["data"][0]
    return data


async def create_quote(maker: Party, rfq_id: str, **overrides: Any) -> dict[str, Any]:
    answer = await maker.post("/api/v5/rfq/create-quote", quote_body(rfq_id, **overrides))
    assert answer["code"] == "0", answer
    data: dict[str, Any] = answer["data"][0]
    return data
