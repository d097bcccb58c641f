"""python-okx, unchanged but for its domain, against a real ``openrfq serve`` process: the quote lifecycle
and Cancel Quote exactly as OKX's document shows it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import okx.BlockTrading as BlockTrading
import okx.MarketData as MarketData
import okx.PublicData as PublicData
import pytest

from openrfq.testing import ServerVenue

_OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    # python-okx's clients are httpx.Client subclasses that never close their connections themselves.
    yield
    while _OPEN:
        _OPEN.pop().close()


def _api(server: ServerVenue, name: str, secret: str | None = None) -> BlockTrading.BlockTradingAPI:
    key = server.account(name)
    api = BlockTrading.BlockTradingAPI(
        key.api_key, secret or key.secret_key, key.passphrase, False, "1", domain=server.url
    )
    _OPEN.append(api)
    return api


def _rfq_and_quote(server: ServerVenue, cl_quote_id: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    taker, maker = _api(server, "TAKER1"), _api(server, "MAKER1")
    rfq = taker.create_rfq(
        counterparties=["MAKER1", "MAKER2"],
        legs=[{"instId": "BTC-USDT", "sz": "0.5", "side": "buy"}],
    )
    assert rfq["code"] == "0", rfq
    rfq_id = rfq["data"][0]["rfqId"]
    quote = maker.create_quote(
        rfqId=rfq_id,
        clQuoteId=cl_quote_id,
        quoteSide="sell",
        legs=[{"instId": "BTC-USDT", "sz": "0.5", "side": "buy", "px": "60000.5"}],
        expiresIn="60",
    )
    assert quote["code"] == "0", quote
    return rfq["data"][0], quote["data"][0]


def test_counterparties_lists_the_other_accounts(server: ServerVenue) -> None:
    answer = _api(server, "TAKER1").counterparties()

    assert answer["code"] == "0"
    assert {c["traderCode"] for c in answer["data"]} == {"MAKER1", "MAKER2", "MAKER3", "TAKER2"}
    assert set(answer["data"][0]) == {"traderName", "traderCode", "type"}


def test_the_seed_example_cancels_a_quote_by_quote_id(server: ServerVenue) -> None:
    _, quote = _rfq_and_quote(server, cl_quote_id="Bond007")
    maker = _api(server, "MAKER1")

    result = maker.cancel_quote(quoteId=quote["quoteId"], clQuoteId="Bond007")

    assert result == {
        "code": "0",
        "msg": "",
        "data": [{"quoteId": quote["quoteId"], "clQuoteId": "Bond007", "sCode": "0", "sMsg": ""}],
    }
    listed = maker.get_quotes(quoteId=quote["quoteId"])
    assert listed["data"][0]["state"] == "canceled"


def test_cancel_quote_by_cl_quote_id_alone(server: ServerVenue) -> None:
    _, quote = _rfq_and_quote(server, cl_quote_id="byClient1")

    result = _api(server, "MAKER1").cancel_quote(clQuoteId="byClient1")

    assert result["code"] == "0"
    assert result["data"][0] == {"quoteId": quote["quoteId"], "clQuoteId": "byClient1", "sCode": "0", "sMsg": ""}


def test_cancel_quote_twice_reports_70400(server: ServerVenue) -> None:
    _, quote = _rfq_and_quote(server)
    maker = _api(server, "MAKER1")
    maker.cancel_quote(quoteId=quote["quoteId"])

    again = maker.cancel_quote(quoteId=quote["quoteId"])

    assert again["code"] == "1"
    assert again["msg"] == "Operation failed."
    assert again["data"][0]["sCode"] == "70400"


def test_taker_sees_the_quote_without_its_client_id(server: ServerVenue) -> None:
    rfq, quote = _rfq_and_quote(server, cl_quote_id="secretCl")

    seen = _api(server, "TAKER1").get_quotes(rfqId=rfq["rfqId"])

    assert seen["code"] == "0"
    assert [q["quoteId"] for q in seen["data"]] == [quote["quoteId"]]
    assert seen["data"][0]["clQuoteId"] == ""
    assert seen["data"][0]["legs"][0]["px"] == "60000.5"


def test_rfqs_listed_and_canceled(server: ServerVenue) -> None:
    rfq, _ = _rfq_and_quote(server)
    taker = _api(server, "TAKER1")

    canceled = taker.cancel_rfq(rfqId=rfq["rfqId"])

    assert canceled["code"] == "0"
    assert canceled["data"][0]["sCode"] == "0"
    listed = taker.get_rfqs(rfqId=rfq["rfqId"])
    assert listed["data"][0]["state"] == "canceled"
    quotes = _api(server, "MAKER1").get_quotes(rfqId=rfq["rfqId"])
    assert quotes["data"][0]["state"] == "canceled"


def test_bad_signature_is_refused(server: ServerVenue) -> None:
    answer = _api(server, "MAKER1", secret="wrong-secret").counterparties()

    assert answer == {"code": "50113", "msg": "Invalid signature.", "data": []}


def test_public_instruments_through_public_data_api(server: ServerVenue) -> None:
    public = PublicData.PublicAPI(flag="1", domain=server.url)
    _OPEN.append(public)

    answer = public.get_instruments(instType="SPOT", instId="BTC-USDT")

    assert answer["code"] == "0"
    (btc,) = answer["data"]
    assert (btc["tickSz"], btc["lotSz"], btc["minSz"]) == ("0.1", "0.00000001", "0.00001")


def test_execute_and_trades_through_python_okx(server: ServerVenue) -> None:
    rfq, quote = _rfq_and_quote(server, cl_quote_id="toFill")
    taker, maker, other = _api(server, "TAKER1"), _api(server, "MAKER1"), _api(server, "MAKER2")

    executed = taker.execute_quote(rfqId=rfq["rfqId"], quoteId=quote["quoteId"])

    assert executed["code"] == "0", executed
    trade = executed["data"][0]
    # quoteSide sell: the taker trades the leg in its own side (buy) and pays 5 bp of 0.5 BTC in BTC.
    assert trade["legs"] == [
        {
            "instId": "BTC-USDT",
            "px": "60000.5",
            "sz": "0.5",
            "side": "buy",
            "fee": "-0.00025",
            "feeCcy": "BTC",
            "tradeId": trade["legs"][0]["tradeId"],
        }
    ]
    listed = maker.get_trades(rfqId=rfq["rfqId"])
    assert listed["data"][0]["clQuoteId"] == "toFill"
    assert listed["data"][0]["legs"][0]["fee"] == "-6.00005"  # the maker sold: 2 bp of 30000.25 USDT
    assert other.get_rfqs(rfqId=rfq["rfqId"])["data"][0]["state"] == "traded_away"
    again = taker.execute_quote(rfqId=rfq["rfqId"], quoteId=quote["quoteId"])
    assert again == {"code": "70504", "msg": "Execution failed as the RFQ status is filled.", "data": []}


def test_market_api_block_trades_and_tickers(server: ServerVenue) -> None:
    # MarketAPI.get_block_trades calls GET /api/v5/market/block-trades, OKX's legacy path of public block trades;
    # get_block_tickers sends uly and instFamily.
    rfq, quote = _rfq_and_quote(server)
    executed = _api(server, "TAKER1").execute_quote(rfqId=rfq["rfqId"], quoteId=quote["quoteId"])
    market = MarketData.MarketAPI(flag="1", domain=server.url)
    _OPEN.append(market)

    trades = market.get_block_trades(instId="BTC-USDT")
    tickers = market.get_block_tickers(instType="SWAP", uly="BTC-USD")
    margin = market.get_block_tickers(instType="MARGIN")

    assert trades["code"] == "0"
    assert executed["data"][0]["legs"][0]["tradeId"] in [t["tradeId"] for t in trades["data"]]
    assert [t["instId"] for t in tickers["data"]] == ["BTC-USD-SWAP"]
    assert margin == {"code": "51000", "msg": "Parameter instType error", "data": []}


def test_batch_and_mass_cancels_through_python_okx(server: ServerVenue) -> None:
    taker, maker = _api(server, "TAKER1"), _api(server, "MAKER1")
    _, first = _rfq_and_quote(server, cl_quote_id="batchA")
    _, second = _rfq_and_quote(server, cl_quote_id="batchB")

    batch = maker.cancel_batch_quotes(quoteIds=[first["quoteId"], "999999"])

    assert batch["code"] == "2"
    assert batch["msg"] == "Bulk operation partially succeeded."
    assert [item["sCode"] for item in batch["data"]] == ["0", "70001"]
    assert maker.cancel_all_quotes()["code"] == "0"
    assert maker.get_quotes(quoteId=second["quoteId"])["data"][0]["state"] == "canceled"
    assert maker.cancel_all_quotes()["code"] == "70409"
    assert taker.cancel_all_rfqs()["code"] == "0"
    assert taker.cancel_all_rfqs()["code"] == "70207"
    public = taker.get_public_trades(limit="1")
    assert public["code"] == "0"


@pytest.mark.parametrize(
    ("name", "flag", "code"), [("demo", "1", "0"), ("live", "0", "0"), ("demo", "0", "50101"), ("live", "1", "50101")]
)
def test_the_flag_must_match_the_keys_environment(server: ServerVenue, name: str, flag: str, code: str) -> None:
    # python-okx sends x-simulated-trading: <flag> ("1" demo, "0" live) on every request.
    key = server.account(f"{name}-key")
    api = BlockTrading.BlockTradingAPI(key.api_key, key.secret_key, key.passphrase, False, flag, domain=server.url)
    _OPEN.append(api)

    answer = api.counterparties()

    assert answer["code"] == code
    if code == "50101":
        assert answer == {"code": "50101", "msg": "APIKey does not match current environment.", "data": []}
