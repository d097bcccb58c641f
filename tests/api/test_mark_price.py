"""GET /api/v5/public/mark-price, the [prices] config section, and the marks block trades record."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from openrfq.config import ConfigError, PriceSettings, parse_config
from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, open_venue
from samples import create_quote, create_rfq, make_config

ACCOUNTS = """
[[accounts]]
uid = "1"
trader_code = "A"
"""


async def test_mark_price_for_swaps(venue: InProcessVenue) -> None:
    answer = (
        await venue.client.get("/api/v5/public/mark-price", params={"instType": "SWAP", "instId": "BTC-USDT-SWAP"})
    ).json()

    assert answer == {
        "code": "0",
        "msg": "",
        "data": [{"instType": "SWAP", "instId": "BTC-USDT-SWAP", "markPx": "50000", "ts": str(venue.clock.now_ms())}],
    }


async def test_mark_price_filters_by_family_and_serves_spot_pairs_as_margin(venue: InProcessVenue) -> None:
    options = (
        await venue.client.get("/api/v5/public/mark-price", params={"instType": "OPTION", "instFamily": "BTC-USD"})
    ).json()
    margin = (await venue.client.get("/api/v5/public/mark-price", params={"instType": "MARGIN"})).json()

    assert options["data"] and all(row["instId"].startswith("BTC-USD-") for row in options["data"])
    assert {row["instId"] for row in margin["data"]} == {"BTC-USDT", "ETH-USDT"}


@pytest.mark.parametrize(
    ("params", "code"), [({}, "50014"), ({"instType": "SPOT"}, "51000"), ({"instType": "X"}, "51000")]
)
async def test_mark_price_bad_input(venue: InProcessVenue, params: dict[str, str], code: str) -> None:
    assert (await venue.client.get("/api/v5/public/mark-price", params=params)).json()["code"] == code


async def test_block_trades_record_mark_and_index(tmp_path: Path, clock: ManualClock) -> None:
    config = replace(make_config(), prices=PriceSettings(index={"BTC": Decimal("61000"), "ETH": Decimal("3000")}))
    async with open_venue(config, tmp_path, clock) as venue:
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        leg = {"instId": "BTC-USDT-SWAP", "sz": "1", "side": "buy"}
        rfq = await create_rfq(taker, legs=[leg])
        quote = await create_quote(maker, rfq["rfqId"], legs=[{**leg, "px": "61010"}])
        await taker.post("/api/v5/rfq/execute-quote", {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

        (row,) = (await venue.client.get("/api/v5/public/block-trades", params={"instId": "BTC-USDT-SWAP"})).json()[
            "data"
        ]

        assert (row["markPx"], row["idxPx"], row["px"]) == ("61000", "61000", "61010")


def test_prices_section_parses(tmp_path: Path) -> None:
    (tmp_path / "btc.csv").write_text("offset_ms,coin,price\n0,BTC,100\n1000,BTC,101\n")
    text = ACCOUNTS + '[prices]\nsource = "replay"\nfile = "btc.csv"\nvolatility = 0.8\n[prices.index]\nSOL = "150"\n'
    (tmp_path / "venue.toml").write_text(text)

    from openrfq.config import load_config

    prices = load_config(tmp_path / "venue.toml").prices

    assert prices.source == "replay"
    assert prices.replay_rows == ((0, "BTC", Decimal("100")), (1000, "BTC", Decimal("101")))
    assert prices.index["SOL"] == Decimal("150") and prices.index["BTC"] == Decimal("50000")
    assert prices.volatility == 0.8


@pytest.mark.parametrize(
    ("section", "where"),
    [
        ('source = "oracle"', "prices.source"),
        ('[prices.index]\nBTC = "-1"', "prices.index.BTC"),
        ("volatility = 0", "prices.volatility"),
        ('source = "replay"\nfile = "missing.csv"', "prices.file"),
        ("step_ms = 0", "prices.step_ms"),
    ],
)
def test_bad_prices_section_names_the_key(tmp_path: Path, section: str, where: str) -> None:
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        parse_config(ACCOUNTS + "[prices]\n" + section + "\n", "venue.toml", base_dir=tmp_path)


async def test_option_block_trades_carry_fill_vol_and_forward(taker_option_trade: dict[str, str]) -> None:
    assert taker_option_trade["fillVol"] == "0.5"
    assert taker_option_trade["fwdPx"] == taker_option_trade["idxPx"] == "50000"
    assert taker_option_trade["markPx"] not in ("", "0")


@pytest.fixture
async def taker_option_trade(venue: InProcessVenue) -> dict[str, str]:
    taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
    leg = {"instId": "BTC-USD-251114-100000-C", "sz": "1", "side": "buy"}
    rfq = await create_rfq(taker, legs=[leg])
    quote = await create_quote(maker, rfq["rfqId"], legs=[{**leg, "px": "0.001"}])
    await taker.post("/api/v5/rfq/execute-quote", {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})
    answer = await venue.client.get("/api/v5/public/block-trades", params={"instId": leg["instId"]})
    row: dict[str, str] = answer.json()["data"][0]
    return row
