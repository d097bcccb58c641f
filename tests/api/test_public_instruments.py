"""GET /api/v5/public/instruments: OKX's parameters, errors and every response field; the [instruments] config."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from openrfq.config import parse_config
from openrfq.domain.clock import ManualClock
from openrfq.instruments.catalogue import expiries
from openrfq.testing import InProcessVenue, open_venue
from samples import TODAY, create_rfq

PATH = "/api/v5/public/instruments"

# OKX's response table, in its order.
OKX_FIELDS = [
    "instType", "instId", "uly", "instFamily", "category", "baseCcy", "quoteCcy", "settleCcy", "ctVal", "ctMult",
    "ctValCcy", "optType", "stk", "listTime", "auctionEndTime", "contTdSwTime", "preMktSwTime", "openType",
    "expTime", "lever", "tickSz", "lotSz", "minSz", "ctType", "alias", "state", "ruleType", "maxLmtSz", "maxMktSz",
    "maxLmtAmt", "maxMktAmt", "maxTwapSz", "maxIcebergSz", "maxTriggerSz", "maxStopSz", "futureSettlement",
    "tradeQuoteCcyList", "instIdCode",
]  # fmt: skip
NUMERIC = {
    "category", "ctVal", "ctMult", "stk", "listTime", "auctionEndTime", "contTdSwTime", "preMktSwTime", "expTime",
    "lever", "tickSz", "lotSz", "minSz", "maxLmtSz", "maxMktSz", "maxLmtAmt", "maxMktAmt", "maxTwapSz",
    "maxIcebergSz", "maxTriggerSz", "maxStopSz",
}  # fmt: skip
PLAIN_NUMBER = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")  # as OKX writes: no exponent, no trailing zeros
UTC = datetime.UTC


def _ms(day: datetime.date, hour: int = 8) -> int:
    return int(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp() * 1000)


async def _get(client: httpx.AsyncClient, **params: str) -> tuple[int, dict[str, Any]]:
    response = await client.get(PATH, params=params)
    answer: dict[str, Any] = response.json()
    return response.status_code, answer


async def _ids(client: httpx.AsyncClient, **params: str) -> list[str]:
    status, answer = await _get(client, **params)
    assert (status, answer["code"], answer["msg"]) == (200, "0", ""), answer
    return [row["instId"] for row in answer["data"]]


# --- parameters and errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"instType": ""}, {"instId": "BTC-USDT"}])
async def test_inst_type_is_required(venue: InProcessVenue, params: dict[str, str]) -> None:
    assert await _get(venue.client, **params) == (
        400,
        {"code": "50014", "msg": "Parameter instType can not be empty.", "data": []},
    )


@pytest.mark.parametrize("inst_type", ["FOREX", "spot", "Swap", "OPTIONS"])
async def test_an_unknown_inst_type_is_a_parameter_error(venue: InProcessVenue, inst_type: str) -> None:
    assert await _get(venue.client, instType=inst_type) == (
        400,
        {"code": "51000", "msg": "Parameter instType error", "data": []},
    )


async def test_options_need_an_instrument_family_or_underlying(venue: InProcessVenue) -> None:
    assert await _get(venue.client, instType="OPTION") == (
        400,
        {"code": "50015", "msg": "Either parameter uly or instFamily is required", "data": []},
    )
    assert await _get(venue.client, instType="OPTION", instId="BTC-USD-251114-50000-C") == (
        400,
        {"code": "50015", "msg": "Either parameter uly or instFamily is required", "data": []},
    )


async def test_public_endpoint_needs_no_signature(venue: InProcessVenue) -> None:
    response = await venue.client.get(PATH, params={"instType": "SPOT"}, headers={"OK-ACCESS-KEY": "nobody"})

    assert response.status_code == 200 and response.json()["code"] == "0"


# --- filters -------------------------------------------------------------------------------------------------------


async def test_each_type_lists_its_instruments(venue: InProcessVenue) -> None:
    dates = expiries(TODAY)
    futures = [f"BTC-USD-{dates[alias]:%y%m%d}" for alias in ("this_week", "next_week", "quarter", "next_quarter")]

    assert await _ids(venue.client, instType="SPOT") == ["BTC-USDT", "ETH-USDT"]
    assert await _ids(venue.client, instType="SWAP") == ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "BTC-USD-SWAP"]
    assert (
        await _ids(venue.client, instType="FUTURES")
        == futures
        == ["BTC-USD-251114", "BTC-USD-251121", "BTC-USD-251226", "BTC-USD-260327"]
    )
    options = await _ids(venue.client, instType="OPTION", instFamily="BTC-USD")
    assert len(options) == len(set(options)) == 66
    assert {o.rsplit("-", 2)[0] for o in options} == {"BTC-USD-251114", "BTC-USD-251121", "BTC-USD-251226"}


async def test_inst_id_filters_within_the_type(venue: InProcessVenue) -> None:
    assert await _ids(venue.client, instType="SPOT", instId="ETH-USDT") == ["ETH-USDT"]
    assert await _ids(venue.client, instType="SWAP", instId="BTC-USD-SWAP") == ["BTC-USD-SWAP"]
    assert await _ids(venue.client, instType="FUTURES", instId="BTC-USD-251226") == ["BTC-USD-251226"]
    assert await _ids(venue.client, instType="OPTION", instFamily="BTC-USD", instId="BTC-USD-251121-70000-P") == [
        "BTC-USD-251121-70000-P"
    ]
    # An instrument of another type, or none at all, is not listed.
    assert await _ids(venue.client, instType="SWAP", instId="BTC-USDT") == []
    assert await _ids(venue.client, instType="SPOT", instId="DOGE-USDT") == []


async def test_inst_family_and_uly_filter_derivatives(venue: InProcessVenue) -> None:
    assert await _ids(venue.client, instType="SWAP", instFamily="BTC-USD") == ["BTC-USD-SWAP"]
    assert await _ids(venue.client, instType="SWAP", uly="BTC-USDT") == ["BTC-USDT-SWAP"]
    assert await _ids(venue.client, instType="SWAP", instFamily="ETH-USDT", instId="BTC-USDT-SWAP") == []
    assert await _ids(venue.client, instType="FUTURES", instFamily="BTC-USDT") == []
    assert await _ids(venue.client, instType="OPTION", instFamily="ETH-USD") == []
    by_uly = await _ids(venue.client, instType="OPTION", uly="BTC-USD")
    assert by_uly == await _ids(venue.client, instType="OPTION", instFamily="BTC-USD") and len(by_uly) == 66


# --- the fields ----------------------------------------------------------------------------------------------------


async def _rows(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    rows = []
    for params in (
        {"instType": "SPOT"},
        {"instType": "SWAP"},
        {"instType": "FUTURES"},
        {"instType": "OPTION", "instFamily": "BTC-USD"},
    ):
        _, answer = await _get(client, **params)
        rows += answer["data"]
    return rows


async def test_every_okx_field_in_okx_order_numbers_as_strings(venue: InProcessVenue) -> None:
    rows = await _rows(venue.client)

    assert len(rows) == 2 + 3 + 4 + 66
    for row in rows:
        assert list(row) == OKX_FIELDS, row["instId"]
        for name in NUMERIC:
            value = row[name]
            assert isinstance(value, str) and (value == "" or PLAIN_NUMBER.fullmatch(value)), (
                row["instId"],
                name,
                value,
            )
        for name in set(OKX_FIELDS) - NUMERIC - {"futureSettlement", "tradeQuoteCcyList", "instIdCode"}:
            assert isinstance(row[name], str), (row["instId"], name)
        assert row["futureSettlement"] is False
        assert isinstance(row["tradeQuoteCcyList"], list) and all(isinstance(c, str) for c in row["tradeQuoteCcyList"])
        assert isinstance(row["instIdCode"], int) and not isinstance(row["instIdCode"], bool)
    assert len({row["instIdCode"] for row in rows}) == len(rows)


async def test_inst_id_codes_are_stable(venue: InProcessVenue, tmp_path: Path, clock: ManualClock) -> None:
    first = {row["instId"]: row["instIdCode"] for row in await _rows(venue.client)}
    config = parse_config(ACCOUNTS, "venue.toml", TODAY)
    async with open_venue(config, tmp_path / "other", clock) as other:
        second = {row["instId"]: row["instIdCode"] for row in await _rows(other.client)}

    assert first == second


def _common(row: dict[str, Any]) -> dict[str, Any]:
    """The fields every default instrument shares."""
    return {
        "category": "1",
        "auctionEndTime": "",
        "contTdSwTime": "",
        "preMktSwTime": "",
        "openType": "",
        "state": "live",
        "ruleType": "normal",
        "maxLmtSz": "1000000",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxTwapSz": "1000000",
        "maxIcebergSz": "1000000",
        "maxTriggerSz": "1000000",
        "maxStopSz": "1000000",
        "futureSettlement": False,
        "instIdCode": row["instIdCode"],
    }


async def test_spot_fields(venue: InProcessVenue) -> None:
    _, answer = await _get(venue.client, instType="SPOT")
    btc, eth = answer["data"]

    assert btc == {
        **_common(btc),
        "instType": "SPOT",
        "instId": "BTC-USDT",
        "uly": "",
        "instFamily": "",
        "baseCcy": "BTC",
        "quoteCcy": "USDT",
        "settleCcy": "",
        "ctVal": "",
        "ctMult": "",
        "ctValCcy": "",
        "optType": "",
        "stk": "",
        "listTime": "1548133413000",
        "expTime": "",
        "lever": "",
        "tickSz": "0.1",
        "lotSz": "0.00000001",
        "minSz": "0.00001",
        "ctType": "",
        "alias": "",
        "maxMktAmt": "1000000",
        "tradeQuoteCcyList": ["USDT"],
    }
    assert (eth["tickSz"], eth["lotSz"], eth["minSz"], eth["baseCcy"]) == ("0.01", "0.000001", "0.0001", "ETH")


async def test_swap_fields(venue: InProcessVenue) -> None:
    _, answer = await _get(venue.client, instType="SWAP")
    linear, eth, inverse = answer["data"]

    assert linear == {
        **_common(linear),
        "instType": "SWAP",
        "instId": "BTC-USDT-SWAP",
        "uly": "BTC-USDT",
        "instFamily": "BTC-USDT",
        "baseCcy": "",
        "quoteCcy": "",
        "settleCcy": "USDT",
        "ctVal": "0.01",
        "ctMult": "1",
        "ctValCcy": "BTC",
        "optType": "",
        "stk": "",
        "listTime": "1548133413000",
        "expTime": "",
        "lever": "100",
        "tickSz": "0.1",
        "lotSz": "0.01",
        "minSz": "0.01",
        "ctType": "linear",
        "alias": "",
        "maxMktAmt": "",
        "tradeQuoteCcyList": [],
    }
    assert (eth["instId"], eth["ctVal"], eth["ctValCcy"], eth["settleCcy"]) == ("ETH-USDT-SWAP", "0.1", "ETH", "USDT")
    assert (inverse["instId"], inverse["ctVal"], inverse["ctValCcy"], inverse["settleCcy"], inverse["ctType"]) == (
        "BTC-USD-SWAP",
        "100",
        "USD",
        "BTC",
        "inverse",
    )
    assert (inverse["tickSz"], inverse["lotSz"], inverse["minSz"]) == ("0.1", "1", "1")


async def test_futures_fields(venue: InProcessVenue) -> None:
    _, answer = await _get(venue.client, instType="FUTURES", instId="BTC-USD-251114")
    (row,) = answer["data"]

    assert row == {
        **_common(row),
        "instType": "FUTURES",
        "instId": "BTC-USD-251114",
        "uly": "BTC-USD",
        "instFamily": "BTC-USD",
        "baseCcy": "",
        "quoteCcy": "",
        "settleCcy": "BTC",
        "ctVal": "100",
        "ctMult": "1",
        "ctValCcy": "USD",
        "optType": "",
        "stk": "",
        "listTime": str(_ms(datetime.date(2025, 11, 6))),
        "expTime": str(_ms(datetime.date(2025, 11, 14))),
        "lever": "100",
        "tickSz": "0.1",
        "lotSz": "1",
        "minSz": "1",
        "ctType": "inverse",
        "alias": "this_week",
        "maxMktAmt": "",
        "tradeQuoteCcyList": [],
    }
    _, answer = await _get(venue.client, instType="FUTURES")
    assert [(r["alias"], r["expTime"]) for r in answer["data"]] == [
        ("this_week", str(_ms(datetime.date(2025, 11, 14)))),
        ("next_week", str(_ms(datetime.date(2025, 11, 21)))),
        ("quarter", str(_ms(datetime.date(2025, 12, 26)))),
        ("next_quarter", str(_ms(datetime.date(2026, 3, 27)))),
    ]


async def test_option_fields(venue: InProcessVenue) -> None:
    _, answer = await _get(venue.client, instType="OPTION", instFamily="BTC-USD", instId="BTC-USD-251226-100000-P")
    (row,) = answer["data"]

    assert row == {
        **_common(row),
        "instType": "OPTION",
        "instId": "BTC-USD-251226-100000-P",
        "uly": "BTC-USD",
        "instFamily": "BTC-USD",
        "baseCcy": "",
        "quoteCcy": "",
        "settleCcy": "BTC",
        "ctVal": "0.01",
        "ctMult": "1",
        "ctValCcy": "BTC",
        "optType": "P",
        "stk": "100000",
        "listTime": str(_ms(datetime.date(2025, 11, 6))),
        "expTime": str(_ms(datetime.date(2025, 12, 26))),
        "lever": "",
        "tickSz": "0.0005",
        "lotSz": "1",
        "minSz": "1",
        "ctType": "",
        "alias": "",
        "maxMktAmt": "",
        "tradeQuoteCcyList": [],
    }


# --- the [instruments] config -------------------------------------------------------------------------------------

ACCOUNTS = """
[[accounts]]
uid = "100001"
trader_code = "TAKER1"
  [[accounts.keys]]
  api_key = "taker1-key"
  secret_key = "taker1-SECRET"
  passphrase = "taker1-pass"

[[accounts]]
uid = "200001"
trader_code = "MAKER1"
type = "LP"
  [[accounts.keys]]
  api_key = "maker1-key"
  secret_key = "maker1-SECRET"
  passphrase = "maker1-pass"
"""

SOL = """
  [[instruments.list]]
  instType = "SPOT"
  instId = "SOL-USDT"
  tickSz = "0.01"
  lotSz = "0.0001"
  minSz = "0.01"
  listTime = "1700000000000"
"""


async def test_replace_true_serves_only_the_listed_instrument(tmp_path: Path, clock: ManualClock) -> None:
    config = parse_config(ACCOUNTS + "\n[instruments]\nreplace = true\n" + SOL, "venue.toml", TODAY)
    async with open_venue(config, tmp_path, clock) as venue:
        spot = (await _get(venue.client, instType="SPOT"))[1]["data"]
        others = [await _ids(venue.client, instType=t) for t in ("SWAP", "FUTURES")]
        options = await _ids(venue.client, instType="OPTION", instFamily="BTC-USD")

        # The venue trades only what it lists.
        taker = venue.party("TAKER1")
        refused = await taker.post(
            "/api/v5/rfq/create-rfq",
            {"counterparties": ["MAKER1"], "legs": [{"instId": "BTC-USDT", "sz": "1", "side": "buy"}]},
        )
        accepted = await create_rfq(
            taker, counterparties=["MAKER1"], legs=[{"instId": "SOL-USDT", "sz": "2.5", "side": "buy"}]
        )

    (sol,) = spot
    assert list(sol) == OKX_FIELDS
    assert (sol["instId"], sol["baseCcy"], sol["quoteCcy"], sol["tickSz"], sol["lotSz"], sol["minSz"]) == (
        "SOL-USDT",
        "SOL",
        "USDT",
        "0.01",
        "0.0001",
        "0.01",
    )
    assert (sol["listTime"], sol["tradeQuoteCcyList"], sol["uly"], sol["expTime"]) == (
        "1700000000000",
        ["USDT"],
        "",
        "",
    )
    assert others == [[], []] and options == []
    assert (refused["code"], refused["msg"]) == ("70004", "Invalid instrument BTC-USDT")
    assert accepted["legs"][0]["instId"] == "SOL-USDT"


@pytest.mark.parametrize("replace", ["replace = false\n", ""])
async def test_replace_false_extends_the_defaults(tmp_path: Path, clock: ManualClock, replace: str) -> None:
    swap = (
        SOL.replace('"SPOT"', '"SWAP"').replace('"SOL-USDT"', '"SOL-USDT-SWAP"') + '  ctVal = "1"\n  ctValCcy = "SOL"\n'
    )
    config = parse_config(ACCOUNTS + "\n[instruments]\n" + replace + SOL + swap, "venue.toml", TODAY)
    async with open_venue(config, tmp_path, clock) as venue:
        spot = await _ids(venue.client, instType="SPOT")
        swaps = await _ids(venue.client, instType="SWAP")
        sol_family = (await _get(venue.client, instType="SWAP", instFamily="SOL-USDT"))[1]["data"]
        futures = await _ids(venue.client, instType="FUTURES")

    assert spot == ["BTC-USDT", "ETH-USDT", "SOL-USDT"]
    assert swaps == ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "BTC-USD-SWAP", "SOL-USDT-SWAP"]
    (row,) = sol_family
    assert (row["instId"], row["uly"], row["instFamily"], row["ctVal"], row["ctValCcy"]) == (
        "SOL-USDT-SWAP",
        "SOL-USDT",
        "SOL-USDT",
        "1",
        "SOL",
    )
    assert len(futures) == 4


async def test_a_listed_instrument_overrides_the_default_of_the_same_id(tmp_path: Path, clock: ManualClock) -> None:
    btc = SOL.replace('"SOL-USDT"', '"BTC-USDT"').replace('tickSz = "0.01"', 'tickSz = "0.5"')
    config = parse_config(ACCOUNTS + "\n[instruments]\n" + btc, "venue.toml", TODAY)
    async with open_venue(config, tmp_path, clock) as venue:
        spot = (await _get(venue.client, instType="SPOT"))[1]["data"]
        taker = venue.party("TAKER1")
        off_lot = await taker.post(
            "/api/v5/rfq/create-rfq",
            {"counterparties": ["MAKER1"], "legs": [{"instId": "BTC-USDT", "sz": "0.00001", "side": "buy"}]},
        )

    assert [row["instId"] for row in spot] == ["BTC-USDT", "ETH-USDT"]
    btc_row = spot[0]
    assert (btc_row["tickSz"], btc_row["lotSz"], btc_row["minSz"], btc_row["listTime"]) == (
        "0.5",
        "0.0001",
        "0.01",
        "1700000000000",
    )
    # The venue's rules follow the override: 0.00001 BTC was a lot multiple by default, not any more.
    assert (off_lot["code"], off_lot["msg"]) == ("70307", "Size should be in integral multiples of the lot size.")
