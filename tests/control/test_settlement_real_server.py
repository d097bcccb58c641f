"""Asynchronous settlement and its fault through python-okx and ccxt against a real ``openrfq serve`` on a virtual
clock: an execution pends until the settlement's venue time has passed, a ``settle_fail`` rule fails it (70509 on
the trade, both parties' RFQ and quote ``failed``), and the next one settles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ccxt
import okx.BlockTrading as BlockTrading
import pytest

from openrfq.config.loader import DEMO_CONFIG_TOML
from openrfq.testing import ServerVenue

LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}
EXECUTE = "/api/v5/rfq/execute-quote"


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerVenue]:
    config = tmp_path_factory.mktemp("settling") / "venue.toml"
    config.write_text(DEMO_CONFIG_TOML + "\n[execution]\nsettlement_ms = 2000\n\n[rate_limits]\nenabled = false\n")
    served = ServerVenue(config).start()
    yield served
    served.close()


@pytest.fixture
def fresh(venue: ServerVenue) -> ServerVenue:
    venue.reset()
    venue.clear_faults()
    return venue


def _okx(venue: ServerVenue, code: str) -> BlockTrading.BlockTradingAPI:
    key = venue.accounts[code]
    return BlockTrading.BlockTradingAPI(key.api_key, key.secret_key, key.passphrase, False, "1", domain=venue.url)


def _ccxt(venue: ServerVenue, code: str) -> Any:
    key = venue.accounts[code]
    exchange = ccxt.okx({"apiKey": key.api_key, "secret": key.secret_key, "password": key.passphrase})
    exchange.urls["api"]["rest"] = venue.url
    return exchange


def _executed(taker: Any, maker: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    rfq = taker.create_rfq(counterparties=["MAKER1"], legs=[LEG])["data"][0]
    quote = maker.create_quote(rfqId=rfq["rfqId"], quoteSide="sell", legs=[{**LEG, "px": "50000"}])["data"][0]
    trade = taker.execute_quote(rfqId=rfq["rfqId"], quoteId=quote["quoteId"])
    assert trade["code"] == "0", trade
    return rfq, quote, trade["data"][0]


def test_an_execution_pends_until_its_settlement_then_fills(fresh: ServerVenue) -> None:
    with _okx(fresh, "TAKER1") as taker, _okx(fresh, "MAKER1") as maker:
        rfq, quote, _ = _executed(taker, maker)
        pending = (taker.get_rfqs(rfqId=rfq["rfqId"])["data"][0]["state"], maker.get_quotes(quoteId=quote["quoteId"]))
        again = taker.execute_quote(rfqId=rfq["rfqId"], quoteId=quote["quoteId"])

        fresh.advance(2)
        (trade,) = taker.get_trades(rfqId=rfq["rfqId"])["data"]

        assert pending[0] == "pending_fill" and pending[1]["data"][0]["state"] == "pending_fill"
        assert again["code"] == "70511"
        assert taker.get_rfqs(rfqId=rfq["rfqId"])["data"][0]["state"] == "filled"
        assert (trade["isSuccessful"], trade["errorCode"]) == (True, "")


def test_a_settle_fail_rule_fails_one_execution_and_the_next_settles(fresh: ServerVenue) -> None:
    fresh.fault(path=EXECUTE, action="settle_fail", code="70509", count=1)

    with _okx(fresh, "TAKER1") as taker, _okx(fresh, "MAKER1") as maker:
        failing_rfq, failing_quote, _ = _executed(taker, maker)
        filling_rfq, _, _ = _executed(taker, maker)
        fresh.advance(2)
        # python-okx's get_trades has no isSuccessful: ccxt's implicit method asks for the failed ones.
        exchange = _ccxt(fresh, "TAKER1")
        (failed,) = exchange.privateGetRfqTrades({"rfqId": failing_rfq["rfqId"], "isSuccessful": "false"})["data"]
        (filled,) = taker.get_trades(rfqId=filling_rfq["rfqId"])["data"]
        unsuccessful_only = exchange.privateGetRfqTrades({"rfqId": filling_rfq["rfqId"], "isSuccessful": "false"})

        assert taker.get_rfqs(rfqId=failing_rfq["rfqId"])["data"][0]["state"] == "failed"
        assert maker.get_quotes(quoteId=failing_quote["quoteId"])["data"][0]["state"] == "failed"
        assert (failed["isSuccessful"], failed["errorCode"]) == (False, "70509")
        assert (filled["isSuccessful"], filled["errorCode"]) == (True, "")
        assert unsuccessful_only["data"] == []  # Get trades lists the filled by default, the failed when asked
