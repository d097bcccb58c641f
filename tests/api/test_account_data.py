"""The read-only account data ccxt's unified API loads: GET /api/v5/asset/currencies, /api/v5/asset/balances and
/api/v5/account/balance (compatibility.md, "Account data for ccxt"). The venue moves no funds: the currencies are
its catalogue's, the balances empty; field names and string numbers are OKX's."""

from __future__ import annotations

import pytest

from openrfq.testing import InProcessVenue, Party

CURRENCIES = "/api/v5/asset/currencies"
BALANCES = "/api/v5/asset/balances"
BALANCE = "/api/v5/account/balance"


def _currency(ccy: str, name: str, chain: str) -> dict[str, object]:
    zero = "0"
    return {
        "ccy": ccy,
        "name": name,
        "logoLink": "",
        "chain": chain,
        "ctAddr": "",
        "canDep": False,
        "canWd": False,
        "canInternal": False,
        "depEstOpenTime": "",
        "wdEstOpenTime": "",
        "minDep": zero,
        "minWd": zero,
        "minInternal": zero,
        "maxWd": zero,
        "wdTickSz": "8",
        "wdQuota": zero,
        "usedWdQuota": zero,
        "fee": zero,
        "minFee": zero,
        "maxFee": zero,
        "minFeeForCtAddr": zero,
        "maxFeeForCtAddr": zero,
        "burningFeeRate": "",
        "mainNet": True,
        "needTag": False,
        "minDepArrivalConfirm": zero,
        "minWdUnlockConfirm": zero,
        "depQuotaFixed": "",
        "usedDepQuotaFixed": "",
        "depQuoteDailyLayer2": "",
    }


async def test_currencies_are_those_of_the_catalogue_in_okx_fields(taker: Party) -> None:
    response = await taker.request("GET", CURRENCIES)

    assert response.status_code == 200
    assert response.json() == {
        "code": "0",
        "msg": "",
        "data": [
            _currency("BTC", "Bitcoin", "BTC-Bitcoin"),
            _currency("ETH", "Ethereum", "ETH-ERC20"),
            _currency("USDT", "Tether", "USDT-ERC20"),
        ],
    }
    assert list(response.json()["data"][0]) == list(_currency("BTC", "", ""))  # OKX's field order


@pytest.mark.parametrize(("ccy", "listed"), [("BTC", ["BTC"]), ("USDT,BTC", ["BTC", "USDT"]), ("DOGE", [])])
async def test_currencies_filtered_by_ccy(taker: Party, ccy: str, listed: list[str]) -> None:
    answer = await taker.get(CURRENCIES, ccy=ccy)

    assert [c["ccy"] for c in answer["data"]] == listed


async def test_balances_are_empty(venue: InProcessVenue, taker: Party) -> None:
    funding = await taker.get(BALANCES)
    trading = await taker.get(BALANCE)

    assert funding == {"code": "0", "msg": "", "data": []}
    zero = "0"
    assert trading == {
        "code": "0",
        "msg": "",
        "data": [
            {
                "adjEq": zero,
                "availEq": zero,
                "borrowFroz": zero,
                "delta": zero,
                "deltaLever": "",
                "deltaNeutralStatus": zero,
                "details": [],
                "imr": zero,
                "isoEq": zero,
                "mgnRatio": "",
                "mmr": zero,
                "notionalUsd": zero,
                "notionalUsdForBorrow": zero,
                "notionalUsdForFutures": zero,
                "notionalUsdForOption": zero,
                "notionalUsdForSwap": zero,
                "ordFroz": zero,
                "totalEq": zero,
                "uTime": str(venue.clock.now_ms()),
                "upl": zero,
            }
        ],
    }


@pytest.mark.parametrize("path", [CURRENCIES, BALANCES, BALANCE])
async def test_account_data_needs_a_key_and_read_permission_only(venue: InProcessVenue, path: str) -> None:
    anonymous = await venue.client.get(path)
    read_only = await venue.party("taker1ro-key").get(path)

    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "50103"
    assert read_only["code"] == "0"
