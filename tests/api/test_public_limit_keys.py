"""Public limits keyed as OKX documents them: instruments per IP + instrument type, mark price per IP + instId."""

from __future__ import annotations

from pathlib import Path

from openrfq.domain.clock import ManualClock
from openrfq.testing import open_venue
from samples import make_config


async def test_instruments_are_limited_per_ip_and_instrument_type(tmp_path: Path, clock: ManualClock) -> None:
    async with open_venue(make_config(rate_limits=True), tmp_path, clock) as venue:
        get = venue.client.get
        spot = [(await get("/api/v5/public/instruments", params={"instType": "SPOT"})).status_code for _ in range(21)]
        swap = (await get("/api/v5/public/instruments", params={"instType": "SWAP"})).status_code

        assert spot == [200] * 20 + [429]
        assert swap == 200


async def test_mark_price_is_limited_per_ip_and_instrument(tmp_path: Path, clock: ManualClock) -> None:
    async with open_venue(make_config(rate_limits=True), tmp_path, clock) as venue:
        get = venue.client.get
        params = {"instType": "SWAP", "instId": "BTC-USDT-SWAP"}
        btc = [(await get("/api/v5/public/mark-price", params=params)).json()["code"] for _ in range(11)]
        eth = (await get("/api/v5/public/mark-price", params={**params, "instId": "ETH-USDT-SWAP"})).json()["code"]

        assert btc == ["0"] * 10 + ["50011"]
        assert eth == "0"


async def test_made_up_instruments_share_one_window_and_no_memory(tmp_path: Path, clock: ManualClock) -> None:
    async with open_venue(make_config(rate_limits=True), tmp_path, clock) as venue:
        get = venue.client.get
        codes = [
            (
                await get("/api/v5/public/mark-price", params={"instType": "SWAP", "instId": f"FAKE{i}-USDT-SWAP"})
            ).status_code
            for i in range(200)
        ]
        real = await get("/api/v5/public/mark-price", params={"instType": "SWAP", "instId": "BTC-USDT-SWAP"})

        assert codes == [200] * 10 + [429] * 190
        assert real.json()["code"] == "0"
        assert len(venue.app.services.limiter) == 2  # the shared unknown window and BTC-USDT-SWAP's


async def test_idle_windows_are_dropped(tmp_path: Path, clock: ManualClock) -> None:
    async with open_venue(make_config(rate_limits=True), tmp_path, clock) as venue:
        for inst_type in ("SPOT", "SWAP", "FUTURES"):
            await venue.client.get("/api/v5/public/instruments", params={"instType": inst_type})
        assert len(venue.app.services.limiter) == 3

        clock.advance(2_001)
        await venue.client.get("/api/v5/public/time")

        assert len(venue.app.services.limiter) == 1  # public/time's own, just made
