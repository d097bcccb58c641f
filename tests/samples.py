"""The tests' data: their accounts (accounts.toml, run by every venue the tests start), the fixed today and now of
in-process venues, and sample RFQ and quote bodies. The harness itself is ``openrfq.testing``."""

from __future__ import annotations

import datetime
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import ccxt
import okx.BlockTrading as BlockTrading

from openrfq.config import Config, load_config
from openrfq.testing import Party, ServerVenue

ACCOUNTS = Path(__file__).with_name("accounts.toml")
START_MS = 1_763_000_000_000  # 2025-11-13, a fixed "now" for in-process tests
TODAY = datetime.date(2025, 11, 13)
# Every in-process venue test runs on both (conftest.py's ``store``); OPENRFQ_TEST_STORES=sqlite narrows a run
# (the suites' rerun without a history cache, tests/store/test_reads_without_cache.py).
STORES = os.environ.get("OPENRFQ_TEST_STORES", "sqlite,postgresql").split(",")


def make_config(rate_limits: bool = False) -> Config:
    """The tests' accounts and today's catalogue for TODAY; rate limits off unless asked for."""
    return replace(load_config(ACCOUNTS, TODAY), rate_limits_enabled=rate_limits)


def make_server(tmp_path: Path, rate_limits: bool = False, tls: bool = False) -> ServerVenue:
    """``openrfq serve`` on the tests' accounts as a desk runs it: the machine's clock, no control plane; not yet
    started."""
    return ServerVenue(ACCOUNTS, tmp_path / "data", clock="real", control=False, tls=tls, rate_limits=rate_limits)


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


def okx_api(venue: ServerVenue, code: str) -> BlockTrading.BlockTradingAPI:
    """python-okx's block-trading API as the venue's account ``code``, unchanged but for its domain."""
    key = venue.accounts[code]
    return BlockTrading.BlockTradingAPI(key.api_key, key.secret_key, key.passphrase, False, "1", domain=venue.url)


def ccxt_okx(venue: ServerVenue, code: str) -> Any:
    """ccxt's okx as the venue's account ``code``, unchanged but for its REST URL."""
    key = venue.accounts[code]
    exchange = ccxt.okx({"apiKey": key.api_key, "secret": key.secret_key, "password": key.passphrase})
    exchange.urls["api"]["rest"] = venue.url
    return exchange
