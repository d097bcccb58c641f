"""The control plane through real clients (python-okx, ccxt, a WebSocket client) against a real ``openrfq serve``:
venue time, faults, reset, snapshots surviving kill -9, the same scenario giving the same bytes, the export."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ccxt
import httpx
import okx.BlockTrading as BlockTrading
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from openrfq.client.signing import login_sign
from openrfq.config.loader import DEMO_CONFIG_TOML
from openrfq.testing import ServerVenue
from samples import ccxt_okx, okx_api

LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}


@pytest.fixture(scope="module")
def venue() -> Iterator[ServerVenue]:
    served = ServerVenue().start()
    yield served
    served.close()


@pytest.fixture
def fresh(venue: ServerVenue) -> ServerVenue:
    venue.reset()
    venue.clear_faults()
    return venue


def _login(ws: ClientConnection, venue: ServerVenue, code: str) -> dict[str, Any]:
    key = venue.accounts[code]
    ts = str(int(time.time()))
    arg = {"apiKey": key.api_key, "passphrase": key.passphrase, "timestamp": ts, "sign": login_sign(key.secret_key, ts)}
    ws.send(json.dumps({"op": "login", "args": [arg]}))
    answer: dict[str, Any] = json.loads(ws.recv(timeout=5))
    return answer


@contextlib.contextmanager
def _ws(venue: ServerVenue, code: str, *channels: str) -> Iterator[ClientConnection]:
    with connect(venue.ws_url) as ws:
        assert _login(ws, venue, code)["event"] == "login"
        for channel in channels:
            ws.send(json.dumps({"op": "subscribe", "args": [{"channel": channel}]}))
            assert json.loads(ws.recv(timeout=5))["event"] == "subscribe"
        yield ws


def test_a_quote_expires_in_venue_time_and_its_pushes_arrive_before_the_advance_answers(fresh: ServerVenue) -> None:
    with okx_api(fresh, "TAKER1") as taker, okx_api(fresh, "MAKER1") as maker, _ws(fresh, "MAKER1", "quotes") as ws:
        rfq = taker.create_rfq(counterparties=["MAKER1"], legs=[LEG])["data"][0]
        quote = maker.create_quote(rfqId=rfq["rfqId"], quoteSide="sell", expiresIn="10", legs=[{**LEG, "px": "50000"}])[
            "data"
        ][0]
        assert json.loads(ws.recv(timeout=5))["data"][0]["state"] == "active"
        started = time.monotonic()

        fresh.advance(10)

        assert time.monotonic() - started < 5  # ten seconds of venue time, no waiting for them
        pushed = json.loads(ws.recv(timeout=5))["data"][0]
        assert (pushed["quoteId"], pushed["state"], pushed["uTime"]) == (
            quote["quoteId"],
            "expired",
            quote["validUntil"],
        )
        assert maker.get_quotes(quoteId=quote["quoteId"])["data"][0]["state"] == "expired"


def test_ccxt_meets_an_injected_50001_then_is_served(fresh: ServerVenue) -> None:
    fresh.fault(path="/api/v5/rfq/create-rfq", action="error", code="50001", count=1)
    exchange = ccxt_okx(fresh, "TAKER1")
    body = {"counterparties": ["MAKER1"], "legs": [LEG]}

    with pytest.raises(ccxt.BaseError) as refused:
        exchange.privatePostRfqCreateRfq(body)
    served = exchange.privatePostRfqCreateRfq(body)

    assert "50001" in str(refused.value)
    assert served["code"] == "0" and served["data"][0]["rfqId"] == "1"  # the refused one was not applied


def test_a_drop_closes_the_connection_unanswered(fresh: ServerVenue) -> None:
    fresh.fault(path="/api/v5/rfq/create-rfq", action="drop", count=1)

    with okx_api(fresh, "TAKER1") as taker:
        with pytest.raises(httpx.RemoteProtocolError):
            taker.create_rfq(counterparties=["MAKER1"], legs=[LEG])
        rfqs = taker.get_rfqs()["data"]

    assert rfqs == []


def test_a_delay_answers_later(fresh: ServerVenue) -> None:
    fresh.fault(path="/api/v5/rfq/rfqs", action="delay", ms=400, count=1)

    with okx_api(fresh, "TAKER1") as taker:
        started = time.monotonic()
        answer = taker.get_rfqs()

    assert answer["code"] == "0"
    assert time.monotonic() - started >= 0.4


def test_a_skewed_clock_is_50102_on_rest_and_60006_on_the_websocket(fresh: ServerVenue) -> None:
    fresh.fault(path="/api/v5/rfq/rfqs", action="skew", ms=-40_000, account="TAKER1")
    fresh.fault(path="ws", action="skew", ms=-40_000, account="MAKER1")

    with pytest.raises(ccxt.InvalidNonce) as refused:  # ccxt's name for OKX's 50102
        ccxt_okx(fresh, "TAKER1").privateGetRfqRfqs()
    with connect(fresh.ws_url) as ws:
        login = _login(ws, fresh, "MAKER1")

    assert '"code":"50102"' in str(refused.value)
    assert (login["event"], login["code"]) == ("error", "60006")


def test_a_ws_close_rule_closes_the_accounts_sessions(fresh: ServerVenue) -> None:
    with _ws(fresh, "MAKER1", "rfqs") as mine, _ws(fresh, "MAKER2", "rfqs") as theirs:
        fresh.fault(path="ws", action="close", code="4004", account="MAKER1", count=1)
        with pytest.raises(ConnectionClosed) as closed:
            mine.recv(timeout=5)
        theirs.send("ping")

        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4004
        assert theirs.recv(timeout=5) == "pong"


def test_a_ws_delay_rule_delays_the_accounts_pushes_only(fresh: ServerVenue) -> None:
    fresh.fault(path="ws", action="delay", ms=600, account="MAKER1")

    with (
        _ws(fresh, "MAKER1", "rfqs") as slow,
        _ws(fresh, "MAKER2", "rfqs") as prompt,
        okx_api(fresh, "TAKER1") as taker,
    ):
        started = time.monotonic()
        rfq = taker.create_rfq(counterparties=["MAKER1", "MAKER2"], legs=[LEG])["data"][0]
        on_time = json.loads(prompt.recv(timeout=5))["data"][0]
        with pytest.raises(TimeoutError):
            slow.recv(timeout=0.2)  # a slow network: wall time, whatever the venue's clock
        late = json.loads(slow.recv(timeout=5))["data"][0]

        assert on_time["rfqId"] == late["rfqId"] == rfq["rfqId"]
        assert time.monotonic() - started >= 0.6


def test_a_reset_keeps_websocket_sessions_open_and_logged_in(fresh: ServerVenue) -> None:
    with _ws(fresh, "MAKER1", "rfqs") as ws, okx_api(fresh, "TAKER1") as taker:
        fresh.reset()
        rfq = taker.create_rfq(counterparties=["MAKER1"], legs=[LEG])["data"][0]
        pushed = json.loads(ws.recv(timeout=5))

    assert rfq["rfqId"] == "1"
    assert pushed["data"][0]["rfqId"] == "1"


def test_a_restore_survives_a_kill_9_right_after_it(tmp_path: Path) -> None:
    venue = ServerVenue(data_dir=tmp_path / "data").start()
    try:
        with okx_api(venue, "TAKER1") as taker:
            taker.create_rfq(counterparties=["MAKER1"], legs=[LEG])
            venue.snapshot("one")
            at = venue.now_ms()
            taker.create_rfq(counterparties=["MAKER1"], legs=[LEG])
            venue.advance(60)
            venue.restore("one")
            venue.kill9()
            venue.start()
            rfqs = taker.get_rfqs()["data"]

        assert [r["rfqId"] for r in rfqs] == ["1"]
        assert venue.now_ms() == at
    finally:
        venue.close()


def _scenario(venue: ServerVenue) -> list[str]:
    """A whole lifecycle; every REST answer and every push, as bytes."""
    seen: list[str] = []
    with (
        okx_api(venue, "TAKER1") as taker,
        okx_api(venue, "MAKER1") as maker,
        _ws(venue, "MAKER1", "rfqs", "quotes") as ws,
    ):
        rfq = taker.create_rfq(counterparties=["MAKER1", "MAKER2"], legs=[LEG], clRfqId="r1")
        seen.append(json.dumps(rfq))
        quote = maker.create_quote(rfqId="1", quoteSide="sell", legs=[{**LEG, "px": "50000"}], expiresIn="30")
        seen.append(json.dumps(quote))
        venue.advance(30)
        seen.append(json.dumps(maker.get_quotes()))
        seen.append(json.dumps(taker.execute_quote(rfqId="1", quoteId="1")))
        venue.advance(120)
        seen.append(json.dumps(taker.get_rfqs()))
        while True:
            try:
                seen.append(str(ws.recv(timeout=0.5, decode=True)))
            except TimeoutError:
                break
    return seen


def test_the_same_scenario_gives_the_same_bytes_twice(fresh: ServerVenue) -> None:
    fresh.snapshot("start")  # a restore puts venue time back too: both runs start at the same moment
    first = _scenario(fresh)
    fresh.restore("start")
    second = _scenario(fresh)

    assert len(first) > 6
    assert first == second


def test_export_writes_the_history_as_json_lines(fresh: ServerVenue) -> None:
    with okx_api(fresh, "TAKER1") as taker:
        taker.create_rfq(counterparties=["MAKER1"], legs=[LEG])
        taker.cancel_rfq(rfqId="1")

    out = subprocess.run(
        [sys.executable, "-m", "openrfq", "export", "--data-dir", str(fresh.data_dir)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.splitlines()

    lines = [json.loads(line) for line in out]
    assert [(line["change"], line["state"]) for line in lines] == [("rfq", "active"), ("rfq", "canceled")]
    assert int(lines[0]["ts"]) <= int(lines[1]["ts"])


def test_openrfq_admin_drives_the_control_plane(fresh: ServerVenue) -> None:
    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        assert fresh.token is not None  # the control plane is on
        env = {**os.environ, "OPENRFQ_URL": fresh.url, "OPENRFQ_ADMIN_TOKEN": fresh.token}
        return subprocess.run(
            [sys.executable, "-m", "openrfq", "admin", *args], capture_output=True, text=True, env=env
        )

    before = fresh.now_ms()
    advanced = admin("advance", "1500")
    refused = admin("restore", "nothing")

    assert advanced.returncode == 0 and json.loads(advanced.stdout) == [{"ts": str(before + 1500)}]
    assert refused.returncode == 1 and "90002" in refused.stderr


def _quoted(api: BlockTrading.BlockTradingAPI, rfq_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        quotes: list[dict[str, Any]] = api.get_quotes(rfqId=rfq_id)["data"]
        if quotes:
            return quotes
        time.sleep(0.05)
    return []


def test_the_lp_bot_starts_over_after_a_reset(tmp_path: Path) -> None:
    config = tmp_path / "venue.toml"
    config.write_text(DEMO_CONFIG_TOML + '\n[[bots]]\ntrader_code = "WAGMI"\n\n[rate_limits]\nenabled = false\n')
    venue = ServerVenue(config).start()
    try:
        with okx_api(venue, "TAKER1") as taker:
            first = taker.create_rfq(counterparties=["WAGMI"], legs=[LEG])["data"][0]
            before = _quoted(taker, first["rfqId"])
            venue.reset()
            again = taker.create_rfq(counterparties=["WAGMI"], legs=[LEG])["data"][0]
            after = _quoted(taker, again["rfqId"])
    finally:
        venue.close()

    assert first["rfqId"] == again["rfqId"] == "1"  # the same id, a new RFQ: the bot must not mistake it
    assert [q["traderCode"] for q in before] == [q["traderCode"] for q in after] == ["WAGMI"]
