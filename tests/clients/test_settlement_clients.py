"""Asynchronous settlement and group RFQs through python-okx, ccxt and a raw signed client against a real
``openrfq serve`` (a virtual clock, the control plane on): pending_fill until venue time reaches the settlement,
70511 meanwhile, a settle_fail fault, isSuccessful=false, a group RFQ's accounts; and a settlement pending when
the server is killed with SIGKILL completes (or fails) as scheduled after the restart."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ccxt
import httpx
import okx.BlockTrading as BlockTrading
import pytest
from websockets.sync.client import ClientConnection, connect

from openrfq.client.signing import Key, login_sign, signed_headers
from openrfq.config.loader import DEMO_CONFIG_TOML
from openrfq.testing import ServerVenue
from samples import ccxt_okx, okx_api

SETTLEMENT_S = 0.5
EXECUTE = "/api/v5/rfq/execute-quote"
LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}
QUOTED = [{**LEG, "px": "50000"}]


def _config(tmp: Path, settlement_ms: int = int(SETTLEMENT_S * 1000)) -> Path:
    """The demo accounts, TAKER1 with two sub-accounts, no bots, no rate limits (a test reads more often than Get
    rfqs' 2 per 2 s of venue time allow), executions settling 500 ms after they are made."""
    text = DEMO_CONFIG_TOML.replace(
        'trader_name = "Demo Taker"\n', 'trader_name = "Demo Taker"\nsub_accounts = ["alpha-1", "alpha-2"]\n'
    )
    path = tmp / "settling.toml"
    settling = f"[execution]\nsettlement_ms = {settlement_ms}\n"
    path.write_text(f"bots = []\n{text}\n[rate_limits]\nenabled = false\n\n{settling}")
    return path


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerVenue]:
    served = ServerVenue(_config(tmp_path_factory.mktemp("settling"))).start()
    yield served
    served.close()


@pytest.fixture
def fresh(venue: ServerVenue) -> ServerVenue:
    venue.reset()
    venue.clear_faults()
    return venue


def _signed(venue: ServerVenue, code: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
    """A raw signed request, as any OKX client makes it."""
    account = venue.accounts[code]
    text = "" if body is None else json.dumps(body)
    key = Key(account.api_key, account.secret_key, account.passphrase)
    headers = signed_headers(key, method, path, text, int(time.time() * 1000))
    answer: dict[str, Any] = httpx.request(method, venue.url + path, content=text, headers=headers).json()
    return answer


def _quoted(taker: BlockTrading.BlockTradingAPI, maker: BlockTrading.BlockTradingAPI) -> tuple[str, str]:
    rfq = taker.create_rfq(counterparties=["MAKER1"], legs=[LEG])["data"][0]
    quote = maker.create_quote(rfqId=rfq["rfqId"], quoteSide="sell", legs=QUOTED)["data"][0]
    return rfq["rfqId"], quote["quoteId"]


def test_python_okx_sees_pending_fill_until_the_settlement_then_filled(fresh: ServerVenue) -> None:
    with okx_api(fresh, "TAKER1") as taker, okx_api(fresh, "MAKER1") as maker:
        rfq_id, quote_id = _quoted(taker, maker)

        executed = taker.execute_quote(rfqId=rfq_id, quoteId=quote_id)
        again = taker.execute_quote(rfqId=rfq_id, quoteId=quote_id)
        pending = (taker.get_rfqs(rfqId=rfq_id)["data"][0]["state"], maker.get_quotes(quoteId=quote_id)["data"][0])
        listed_early = taker.get_trades()["data"]
        fresh.advance(SETTLEMENT_S)
        settled = taker.get_rfqs(rfqId=rfq_id)["data"][0]
        (trade,) = taker.get_trades()["data"]

    assert (executed["code"], executed["data"][0]["blockTdId"]) == ("0", "1")
    assert (again["code"], again["msg"]) == ("70511", "Execution is being processed")
    assert (pending[0], pending[1]["state"], listed_early) == ("pending_fill", "pending_fill", [])
    assert (settled["state"], int(settled["uTime"]) - int(settled["cTime"])) == ("filled", 500)
    assert (trade["blockTdId"], trade["isSuccessful"], trade["errorCode"]) == ("1", True, "")


def test_ccxt_lists_a_failed_settlement_with_is_successful_false(fresh: ServerVenue) -> None:
    fresh.fault(path=EXECUTE, action="settle_fail", code="70509", count=1)
    taker, maker = ccxt_okx(fresh, "TAKER1"), ccxt_okx(fresh, "MAKER1")
    rfq = taker.privatePostRfqCreateRfq({"counterparties": ["MAKER1"], "legs": [LEG]})["data"][0]
    quote = maker.privatePostRfqCreateQuote({"rfqId": rfq["rfqId"], "quoteSide": "sell", "legs": QUOTED})["data"][0]
    taker.privatePostRfqExecuteQuote({"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    fresh.advance(SETTLEMENT_S)

    assert taker.privateGetRfqRfqs({"rfqId": rfq["rfqId"]})["data"][0]["state"] == "failed"
    assert maker.privateGetRfqQuotes({"quoteId": quote["quoteId"]})["data"][0]["state"] == "failed"
    assert taker.privateGetRfqTrades()["data"] == []
    (failed,) = taker.privateGetRfqTrades({"isSuccessful": "false"})["data"]
    assert (failed["blockTdId"], failed["isSuccessful"], failed["errorCode"]) == ("1", False, "70509")
    (seen_by_maker,) = maker.privateGetRfqTrades({"isSuccessful": False})["data"]
    assert seen_by_maker["errorCode"] == "70509"
    for exchange in (taker, maker):
        exchange.session.close()


def test_a_group_rfq_through_ccxt_and_a_raw_client_one_account_failing(fresh: ServerVenue) -> None:
    fresh.fault(path=EXECUTE, action="settle_fail", count=1)  # the first account's execution fails
    taker, maker = ccxt_okx(fresh, "TAKER1"), ccxt_okx(fresh, "MAKER1")
    alloc = [
        {"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "0.25"}]},
        {"acct": "alpha-2", "legs": [{"instId": "BTC-USDT", "sz": "0.75"}]},
    ]
    rfq = taker.privatePostRfqCreateRfq({"counterparties": ["MAKER1"], "legs": [LEG], "acctAlloc": alloc})["data"][0]
    seen_by_maker = _signed(fresh, "MAKER1", "GET", "/api/v5/rfq/rfqs")["data"][0]
    quote = maker.privatePostRfqCreateQuote({"rfqId": rfq["rfqId"], "quoteSide": "sell", "legs": QUOTED})["data"][0]
    executed = _signed(fresh, "TAKER1", "POST", EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    fresh.advance(SETTLEMENT_S)

    assert (rfq["groupId"], rfq["allowPartialExecution"], [a["acct"] for a in rfq["acctAlloc"]]) == (
        "1",
        True,
        ["0", "alpha-2"],
    )
    assert (seen_by_maker["groupId"], seen_by_maker["acctAlloc"]) == ("1", [])
    assert executed["data"][0]["blockTdId"] == "" and [a["blockTdId"] for a in executed["data"][0]["acctAlloc"]] == [
        "1",
        "2",
    ]
    (trade,) = _signed(fresh, "TAKER1", "GET", "/api/v5/rfq/trades")["data"]
    assert (trade["isSuccessful"], trade["legs"][0]["sz"], trade["legs"][0]["tradeId"]) == (True, "0.75", "")
    assert [(a["acct"], a["errorCode"], a["legs"][0]["sz"]) for a in trade["acctAlloc"]] == [
        ("0", "70509", "0"),
        ("alpha-2", "0", "0.75"),
    ]
    assert [a["acct"] for a in maker.privateGetRfqTrades()["data"][0]["acctAlloc"]] == ["", ""]
    with pytest.raises(ccxt.ExchangeError, match="70517"):  # ccxt raises OKX's refusal
        taker.privatePostRfqCreateRfq(
            {"counterparties": ["MAKER1"], "legs": [LEG], "acctAlloc": [{**alloc[0], "acct": "beta-1"}]}
        )
    for exchange in (taker, maker):
        exchange.session.close()


def test_settlements_pending_at_a_kill_9_complete_as_scheduled_after_the_restart(tmp_path: Path) -> None:
    venue = ServerVenue(_config(tmp_path)).start()
    try:
        venue.advance(0)  # venue time is stored: the restarted venue resumes there (README, "Venue time")
        venue.fault(path=EXECUTE, action="settle_fail", count=1)
        with okx_api(venue, "TAKER1") as taker, okx_api(venue, "MAKER1") as maker:
            failing = _quoted(taker, maker)
            filling = _quoted(taker, maker)
            for rfq_id, quote_id in (failing, filling):
                assert taker.execute_quote(rfqId=rfq_id, quoteId=quote_id)["code"] == "0"
            executed_at = venue.now_ms()

        venue.kill9()
        venue.start()

        with okx_api(venue, "TAKER1") as taker:
            states_after_restart = [taker.get_rfqs(rfqId=r)["data"][0]["state"] for r, _ in (failing, filling)]
            venue.advance(SETTLEMENT_S)
            states_settled = [taker.get_rfqs(rfqId=r)["data"][0] for r, _ in (failing, filling)]
            ccxt_taker = ccxt_okx(venue, "TAKER1")
            failed = ccxt_taker.privateGetRfqTrades({"isSuccessful": "false"})["data"]
            ccxt_taker.session.close()
    finally:
        venue.close()

    assert states_after_restart == ["pending_fill", "pending_fill"]
    assert [(r["state"], int(r["uTime"])) for r in states_settled] == [
        ("failed", executed_at + 500),
        ("filled", executed_at + 500),
    ]
    assert [(t["rfqId"], t["errorCode"]) for t in failed] == [(failing[0], "70509")]


@contextlib.contextmanager
def _ws(venue: ServerVenue, code: str, *channels: str) -> Iterator[ClientConnection]:
    key = venue.accounts[code]
    ts = str(int(time.time()))
    login = {
        "apiKey": key.api_key,
        "passphrase": key.passphrase,
        "timestamp": ts,
        "sign": login_sign(key.secret_key, ts),
    }
    with connect(venue.ws_url) as ws:
        ws.send(json.dumps({"op": "login", "args": [login]}))
        assert json.loads(ws.recv(timeout=5))["event"] == "login"
        ws.send(json.dumps({"op": "subscribe", "args": [{"channel": c} for c in channels]}))
        for _ in channels:
            assert json.loads(ws.recv(timeout=5))["event"] == "subscribe"
        yield ws


def _pushes(ws: ClientConnection, count: int) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    while len(found) < count:
        message = json.loads(ws.recv(timeout=5))
        if "data" in message:
            found.append((message["arg"]["channel"], message["data"][0]))
    return found


def test_a_maker_is_pushed_the_failure_not_the_pending_state(fresh: ServerVenue) -> None:
    fresh.fault(path=EXECUTE, action="settle_fail", code="70509")
    with _ws(fresh, "MAKER1", "rfqs", "quotes", "struc-block-trades") as ws:
        with okx_api(fresh, "TAKER1") as taker, okx_api(fresh, "MAKER1") as maker:
            rfq_id, quote_id = _quoted(taker, maker)
            created = _pushes(ws, 2)
            taker.execute_quote(rfqId=rfq_id, quoteId=quote_id)
            with pytest.raises(TimeoutError):
                ws.recv(timeout=0.3)  # pending_fill is not pushed

            fresh.advance(SETTLEMENT_S)
            settled = _pushes(ws, 3)

    assert [(channel, item["state"]) for channel, item in created] == [("rfqs", "active"), ("quotes", "active")]
    assert [(channel, item.get("state")) for channel, item in settled] == [
        ("quotes", "failed"),
        ("rfqs", "failed"),
        ("struc-block-trades", None),
    ]
    assert (settled[2][1]["isSuccessful"], settled[2][1]["errorCode"]) == (False, "70509")


def test_expiry_passing_while_settling_ends_nothing(tmp_path: Path) -> None:
    venue = ServerVenue(_config(tmp_path, settlement_ms=300_000)).start()
    try:
        with okx_api(venue, "TAKER1") as taker, okx_api(venue, "MAKER1") as maker:
            rfq_id, quote_id = _quoted(taker, maker)
            taker.execute_quote(rfqId=rfq_id, quoteId=quote_id)
            venue.advance(200)  # past the quote's 60 s and the RFQ's 120 s
            during = (taker.get_rfqs(rfqId=rfq_id)["data"][0]["state"], maker.get_quotes()["data"][0]["state"])
            venue.advance(100)
            after = (taker.get_rfqs(rfqId=rfq_id)["data"][0]["state"], maker.get_quotes()["data"][0]["state"])
    finally:
        venue.close()

    assert (during, after) == (("pending_fill", "pending_fill"), ("filled", "filled"))


@pytest.mark.parametrize(
    ("alloc", "code"),
    [
        ([{"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "0.5"}]}], "70514"),
        ([{"acct": str(n), "legs": [{"instId": "BTC-USDT", "sz": "0.1"}]} for n in range(11)], "70516"),
        ([{"acct": "alpha-3", "legs": [{"instId": "BTC-USDT", "sz": "1"}]}], "70517"),
        ([{"acct": "alpha-1", "legs": [{"instId": "BTC-USDT", "sz": "0.5"}]}] * 2, "70518"),
    ],
)
def test_python_okx_clients_are_told_each_allocation_error(
    fresh: ServerVenue, alloc: list[dict[str, Any]], code: str
) -> None:
    with okx_api(fresh, "TAKER1") as taker:
        # python-okx's create_rfq has no acctAlloc: its signed request is sent with the parameter added.
        params = {"counterparties": ["MAKER1"], "legs": [LEG], "acctAlloc": alloc}
        answer = taker._request_with_params("POST", "/api/v5/rfq/create-rfq", params)

        assert (answer["code"], taker.get_rfqs()["data"]) == (code, [])


def test_python_okx_sees_70515_for_unequal_ratios(fresh: ServerVenue) -> None:
    legs = [LEG, {"instId": "ETH-USDT", "sz": "10", "side": "sell"}]
    alloc = [
        {"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "0.5"}, {"instId": "ETH-USDT", "sz": "4"}]},
        {"acct": "alpha-1", "legs": [{"instId": "BTC-USDT", "sz": "0.5"}, {"instId": "ETH-USDT", "sz": "6"}]},
    ]
    with okx_api(fresh, "TAKER1") as taker:
        answer = taker._request_with_params(
            "POST", "/api/v5/rfq/create-rfq", {"counterparties": ["MAKER1"], "legs": legs, "acctAlloc": alloc}
        )

    assert answer["code"] == "70515"
