"""ccxt's okx exchange, with only ``urls['api']['rest']`` changed, against a real ``openrfq serve`` process: its
implicit API (the block-trading endpoints) and its unified one (markets, currencies, balances)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from openrfq.testing import ServerVenue


@pytest.fixture
def exchanges(server: ServerVenue) -> Iterator[dict[str, ccxt.okx]]:
    made = {}
    for name in ("TAKER1", "MAKER1", "MAKER2"):
        key = server.account(name)
        exchange = ccxt.okx({"apiKey": key.api_key, "secret": key.secret_key, "password": key.passphrase})
        exchange.urls["api"]["rest"] = server.url
        made[name] = exchange
    yield made
    for exchange in made.values():
        exchange.session.close()


def _rfq(taker: ccxt.okx) -> dict[str, Any]:
    answer = taker.privatePostRfqCreateRfq(
        {"counterparties": ["MAKER1", "MAKER2"], "legs": [{"instId": "ETH-USDT", "sz": "2", "side": "sell"}]}
    )
    assert answer["code"] == "0", answer
    data: dict[str, Any] = answer["data"][0]
    return data


def _quote(maker: ccxt.okx, rfq_id: str, cl_quote_id: str) -> dict[str, Any]:
    answer = maker.privatePostRfqCreateQuote(
        {
            "rfqId": rfq_id,
            "clQuoteId": cl_quote_id,
            "quoteSide": "buy",
            "legs": [{"instId": "ETH-USDT", "sz": "2", "side": "sell", "px": "3000.01"}],
        }
    )
    assert answer["code"] == "0", answer
    data: dict[str, Any] = answer["data"][0]
    return data


def test_quote_lifecycle_through_ccxt(exchanges: dict[str, ccxt.okx]) -> None:
    taker, maker = exchanges["TAKER1"], exchanges["MAKER1"]
    rfq = _rfq(taker)
    quote = _quote(maker, rfq["rfqId"], "ccxtQ1")

    canceled = maker.privatePostRfqCancelQuote({"clQuoteId": "ccxtQ1", "rfqId": rfq["rfqId"]})

    assert canceled == {
        "code": "0",
        "msg": "",
        "data": [{"quoteId": quote["quoteId"], "clQuoteId": "ccxtQ1", "sCode": "0", "sMsg": ""}],
    }
    listed = taker.privateGetRfqQuotes({"rfqId": rfq["rfqId"]})
    assert [(q["quoteId"], q["state"], q["clQuoteId"]) for q in listed["data"]] == [(quote["quoteId"], "canceled", "")]


def test_a_replaced_quote_cannot_be_canceled(exchanges: dict[str, ccxt.okx]) -> None:
    taker, maker = exchanges["TAKER1"], exchanges["MAKER2"]
    rfq = _rfq(taker)
    first = _quote(maker, rfq["rfqId"], "first")
    _quote(maker, rfq["rfqId"], "second")

    # ccxt turns a failed item into an exception carrying OKX's body.
    with pytest.raises(ccxt.ExchangeError, match="70400"):
        maker.privatePostRfqCancelQuote({"quoteId": first["quoteId"]})


def test_counterparties_and_rfqs_through_ccxt(exchanges: dict[str, ccxt.okx]) -> None:
    taker = exchanges["TAKER1"]
    rfq = _rfq(taker)

    parties = taker.privateGetRfqCounterparties()
    rfqs = taker.privateGetRfqRfqs({"rfqId": rfq["rfqId"]})

    assert {p["traderCode"] for p in parties["data"]} == {"MAKER1", "MAKER2", "MAKER3", "TAKER2"}
    assert rfqs["data"][0]["state"] == "active"
    assert rfqs["data"][0]["legs"][0]["sz"] == "2"


def test_auth_errors_become_ccxt_exceptions(server: ServerVenue) -> None:
    key = server.account("MAKER1")
    exchange = ccxt.okx({"apiKey": key.api_key, "secret": "not-the-secret", "password": key.passphrase})
    exchange.urls["api"]["rest"] = server.url
    try:
        with pytest.raises(ccxt.AuthenticationError, match="50113"):
            exchange.privateGetRfqCounterparties()
    finally:
        exchange.session.close()


def test_execute_and_trades_through_ccxt(exchanges: dict[str, ccxt.okx]) -> None:
    taker, maker = exchanges["TAKER1"], exchanges["MAKER1"]
    rfq = _rfq(taker)
    quote = _quote(maker, rfq["rfqId"], "ccxtFill")

    executed = taker.privatePostRfqExecuteQuote({"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})
    listed = maker.privateGetRfqTrades({"rfqId": rfq["rfqId"]})

    assert executed["code"] == "0"
    # quoteSide buy on a sell leg: the maker sells 2 ETH, so the taker buys and pays 5 bp of 2 ETH in ETH.
    assert [(leg["side"], leg["fee"], leg["feeCcy"]) for leg in executed["data"][0]["legs"]] == [
        ("buy", "-0.001", "ETH")
    ]
    assert listed["data"][0]["blockTdId"] == executed["data"][0]["blockTdId"]
    assert listed["data"][0]["clQuoteId"] == "ccxtFill"
    with pytest.raises(ccxt.ExchangeError, match="70504"):
        taker.privatePostRfqExecuteQuote({"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})
    blocks = taker.publicGetPublicBlockTrades({"instId": "ETH-USDT"})
    assert blocks["data"][0]["tradeId"] == executed["data"][0]["legs"][0]["tradeId"]


@pytest.mark.parametrize(
    ("name", "sandbox", "refused"),
    [("demo", True, False), ("live", False, False), ("demo", False, True), ("live", True, True)],
)
def test_sandbox_mode_must_match_the_keys_environment(
    server: ServerVenue, name: str, sandbox: bool, refused: bool
) -> None:
    # ccxt's sandbox mode sends x-simulated-trading: 1; outside it, no such header.
    key = server.account(f"{name}-key")
    exchange = ccxt.okx({"apiKey": key.api_key, "secret": key.secret_key, "password": key.passphrase})
    exchange.set_sandbox_mode(sandbox)
    exchange.urls["api"]["rest"] = server.url
    try:
        if refused:
            with pytest.raises(ccxt.AuthenticationError, match="50101"):
                exchange.privateGetRfqCounterparties()
        else:
            assert exchange.privateGetRfqCounterparties()["code"] == "0"
    finally:
        exchange.session.close()


def test_unified_load_markets_with_keys_loads_the_catalogue_and_its_currencies(exchanges: dict[str, ccxt.okx]) -> None:
    # With API keys, load_markets() first calls GET /api/v5/asset/currencies (fetch_currencies), then
    # GET /api/v5/public/instruments for spot, futures, swaps and the options of BTC-USD and ETH-USD.
    exchange = exchanges["TAKER1"]

    markets = exchange.load_markets()

    assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "BTC/USD:BTC"} <= set(markets)
    assert markets["BTC/USDT"]["id"] == "BTC-USDT" and markets["BTC/USDT"]["precision"]["price"] == 0.1
    options = [m for m in markets.values() if m["option"]]
    assert options and all(m["base"] == "BTC" and m["settle"] == "BTC" for m in options)
    assert {"BTC", "ETH", "USDT"} <= set(exchange.currencies)
    btc = exchange.currencies["BTC"]
    assert (btc["id"], btc["name"], btc["type"], btc["deposit"], btc["withdraw"]) == (
        "BTC",
        "Bitcoin",
        "crypto",
        False,
        False,
    )


def test_unified_fetch_markets_and_fetch_currencies(exchanges: dict[str, ccxt.okx]) -> None:
    exchange = exchanges["MAKER1"]

    markets = exchange.fetch_markets()
    currencies = exchange.fetch_currencies()

    assert len({m["id"] for m in markets}) == len(markets) > 10
    assert {m["type"] for m in markets} == {"spot", "future", "swap", "option"}
    assert sorted(currencies) == ["BTC", "ETH", "USDT"]
    assert currencies["USDT"]["networks"]["ERC20"]["id"] == "USDT-ERC20"


def test_unified_fetch_balance_is_empty(exchanges: dict[str, ccxt.okx]) -> None:
    exchange = exchanges["TAKER1"]

    trading = exchange.fetch_balance()
    funding = exchange.fetch_balance({"type": "funding"})

    assert (trading["total"], trading["free"], funding["total"]) == ({}, {}, {})
    assert trading["info"]["data"][0]["totalEq"] == "0" and trading["info"]["data"][0]["details"] == []
    assert funding["info"] == {"code": "0", "msg": "", "data": []}


async def test_async_support_loads_markets_and_currencies(server: ServerVenue) -> None:
    key = server.account("TAKER2")
    exchange = ccxt_async.okx({"apiKey": key.api_key, "secret": key.secret_key, "password": key.passphrase})
    exchange.urls["api"]["rest"] = server.url
    try:
        markets = await exchange.load_markets()
        currencies = await exchange.fetch_currencies()
        fetched = await exchange.fetch_markets()
    finally:
        await exchange.close()

    assert "BTC/USDT" in markets and sorted(currencies) == ["BTC", "ETH", "USDT"]
    assert {m["symbol"] for m in fetched} == set(markets)
