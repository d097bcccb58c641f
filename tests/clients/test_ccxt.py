"""ccxt's okx exchange, with only ``urls['api']['rest']`` changed, against a real ``openrfq serve`` process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ccxt
import pytest

from serverproc import KEYS, ServerProcess


@pytest.fixture
def exchanges(server: ServerProcess) -> Iterator[dict[str, ccxt.okx]]:
    made = {}
    for name in ("taker1", "maker1", "maker2"):
        key, secret, passphrase = KEYS[name]
        exchange = ccxt.okx({"apiKey": key, "secret": secret, "password": passphrase})
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
    taker, maker = exchanges["taker1"], exchanges["maker1"]
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
    taker, maker = exchanges["taker1"], exchanges["maker2"]
    rfq = _rfq(taker)
    first = _quote(maker, rfq["rfqId"], "first")
    _quote(maker, rfq["rfqId"], "second")

    # ccxt turns a failed item into an exception carrying OKX's body.
    with pytest.raises(ccxt.ExchangeError, match="70400"):
        maker.privatePostRfqCancelQuote({"quoteId": first["quoteId"]})


def test_counterparties_and_rfqs_through_ccxt(exchanges: dict[str, ccxt.okx]) -> None:
    taker = exchanges["taker1"]
    rfq = _rfq(taker)

    parties = taker.privateGetRfqCounterparties()
    rfqs = taker.privateGetRfqRfqs({"rfqId": rfq["rfqId"]})

    assert {p["traderCode"] for p in parties["data"]} == {"MAKER1", "MAKER2", "TAKER2"}
    assert rfqs["data"][0]["state"] == "active"
    assert rfqs["data"][0]["legs"][0]["sz"] == "2"


def test_auth_errors_become_ccxt_exceptions(server: ServerProcess) -> None:
    key, _, passphrase = KEYS["maker1"]
    exchange = ccxt.okx({"apiKey": key, "secret": "not-the-secret", "password": passphrase})
    exchange.urls["api"]["rest"] = server.url
    try:
        with pytest.raises(ccxt.AuthenticationError, match="50113"):
            exchange.privateGetRfqCounterparties()
    finally:
        exchange.session.close()


def test_execute_and_trades_through_ccxt(exchanges: dict[str, ccxt.okx]) -> None:
    taker, maker = exchanges["taker1"], exchanges["maker1"]
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
    server: ServerProcess, name: str, sandbox: bool, refused: bool
) -> None:
    # ccxt's sandbox mode sends x-simulated-trading: 1; outside it, no such header.
    key, secret, passphrase = KEYS[name]
    exchange = ccxt.okx({"apiKey": key, "secret": secret, "password": passphrase})
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
