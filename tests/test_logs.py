"""State-change lines written directly (the configured handler alone) equal what logging + JsonFormatter write;
the formatter writes any record; debug logs carry no secret."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from openrfq import logs
from openrfq.client.signing import login_sign, signed_headers
from openrfq.config import ApiKey
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.events import Event, QuoteChanged, RfqChanged, TradeExecuted
from openrfq.domain.ids import BlockTradeId, QuoteId, RfqId
from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.testing import free_port


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    logs._handler = None


def _events() -> list[Event]:
    quote = Quote(QuoteId(5), RfqId(2), "M1", Side.BUY, (), 1, 2, state=QuoteState.CANCELED, reason='mmp "x"\n\\ é')
    return [
        RfqChanged(Rfq(RfqId(2), "T", ("M1",), (), 1, 2, state=RfqState.FILLED)),
        QuoteChanged(quote),
        QuoteChanged(Quote(QuoteId(6), RfqId(2), "M1", Side.SELL, (), 1, 2)),
        TradeExecuted(BlockTrade(BlockTradeId(9), RfqId(2), QuoteId(5), "T", "M1", 1)),
    ]


def _lines(text: str) -> list[dict[str, object]]:
    return [{k: v for k, v in json.loads(line).items() if k != "ts"} for line in text.splitlines()]


def _root_handler() -> logging.StreamHandler[Any]:
    """The handler ``logs.configure`` installs (it writes to stderr)."""
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    return handler


def test_direct_lines_are_what_the_formatter_writes(root_logging: None) -> None:
    direct, formatted = io.StringIO(), io.StringIO()
    logs.configure("info")
    _root_handler().stream = direct
    logs.log_state_changes(_events())  # direct: the configured handler is the only one

    handler = logging.StreamHandler(formatted)
    handler.setFormatter(logs.JsonFormatter())
    logging.getLogger().handlers[:] = [handler]  # not the configured handler: through logging
    logs.log_state_changes(_events())

    assert _lines(direct.getvalue()) == _lines(formatted.getvalue())
    assert [line.split(",", 1)[1] for line in direct.getvalue().splitlines()] == [
        line.split(",", 1)[1] for line in formatted.getvalue().splitlines()
    ]  # byte for byte after the timestamp
    assert len(direct.getvalue().splitlines()) == 4


def test_an_added_handler_or_filter_gets_every_line_through_logging(root_logging: None) -> None:
    logs.configure("info")
    configured = io.StringIO()
    _root_handler().stream = configured
    captured: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    logs.state_log.addHandler(Capture())
    try:
        logs.log_state_changes(_events())
    finally:
        logs.state_log.handlers.clear()

    assert [r.getMessage() for r in captured] == ["rfq", "quote", "quote", "trade"]
    assert len(configured.getvalue().splitlines()) == 4  # and the configured handler still got them (propagation)


def test_nothing_is_written_above_info(root_logging: None) -> None:
    logs.configure("warning")
    out = io.StringIO()
    _root_handler().stream = out
    logs.log_state_changes(_events())
    assert out.getvalue() == ""


async def test_on_the_loop_direct_lines_follow_in_one_write_in_order(root_logging: None) -> None:
    logs.configure("info")
    writes: list[str] = []

    class Stream(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

    _root_handler().stream = Stream()
    events = _events()

    logs.log_state_changes(events[:2])
    await asyncio.sleep(0)
    logs.log_state_changes(events[2:])  # another batch, before the first one's lines are written
    assert writes == []  # the answers of the batch go out first
    await asyncio.sleep(logs.FLUSH_S * 4)

    assert len(writes) == 1  # both batches' lines at once
    assert [line["msg"] for line in _lines(writes[0])] == ["rfq", "quote", "quote", "trade"]


# --- whatever a record holds, one JSON line; no secret at debug --------------------------------------------


def _format(record: logging.LogRecord) -> dict[str, object]:
    line: dict[str, object] = json.loads(logs.JsonFormatter().format(record))
    return line


def test_the_formatter_writes_values_json_cannot_hold_as_their_repr() -> None:
    class Connection:
        pass

    connection = Connection()
    record = logging.makeLogRecord({"name": "websockets.client", "msg": "> %s", "args": ("TEXT",)})
    record.websocket = weakref.proxy(connection)  # what the websockets library's records carry
    record.keys = {(1, 2): "tuple keys"}
    with socket.socket() as sock:
        record.socket = sock
        line = _format(record)

    assert line["msg"] == "> TEXT" and line["logger"] == "websockets.client"
    assert (
        "Connection" in str(line["websocket"]) and "tuple keys" in str(line["keys"]) and "socket" in str(line["socket"])
    )


def test_the_formatter_survives_a_bad_format_and_a_broken_repr() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    record = logging.makeLogRecord({"name": "x", "msg": "%s and %s", "args": ("one",)})
    record.broken = Broken()
    line = _format(record)

    assert "%s and %s" in str(line["msg"]) and line["broken"] == "<Broken>"


def test_libraries_that_log_frames_stay_at_info_when_openrfq_logs_debug(root_logging: None) -> None:
    saved = {name: logging.getLogger(name).level for name in logs.QUIET_LIBRARIES}
    try:
        logs.configure("debug")
        assert logging.getLogger("openrfq.api").isEnabledFor(logging.DEBUG)
        assert not any(logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in logs.QUIET_LIBRARIES)
        assert not logging.getLogger("websockets.client").isEnabledFor(logging.DEBUG)
        logs.configure("warning")
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _signed_request(
    client: httpx.Client, key: ApiKey, method: str, path: str, body: object, signs: list[str]
) -> dict[str, Any]:
    text = "" if body is None else json.dumps(body)
    headers = signed_headers(key, method, path, text, int(time.time() * 1000))
    signs.append(headers["OK-ACCESS-SIGN"])
    answer: dict[str, Any] = client.request(method, path, content=text.encode(), headers=headers).json()
    return answer


def test_a_debug_venue_with_its_bot_logs_no_secret_and_no_traceback(tmp_path: Path) -> None:
    port = free_port()
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    taker = ApiKey("demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass")
    signs: list[str] = []
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        # No --config: the demo accounts and the WAGMI bot (a random key per start, logging in over the WebSocket).
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openrfq",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "data"),
                "--log-level",
                "debug",
            ],
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
                _wait_ready(client, server)
                with ws_connect(f"ws://127.0.0.1:{port}/ws/v5/business") as ws:
                    ts = str(int(time.time()))
                    signs.append(login_sign(taker.secret_key, ts))
                    ws.send(
                        json.dumps(
                            {
                                "op": "login",
                                "args": [
                                    {
                                        "apiKey": taker.api_key,
                                        "passphrase": taker.passphrase,
                                        "timestamp": ts,
                                        "sign": signs[-1],
                                    }
                                ],
                            }
                        )
                    )
                    assert json.loads(ws.recv(timeout=5))["code"] == "0"
                    leg = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}
                    rfq = _signed_request(
                        client,
                        taker,
                        "POST",
                        "/api/v5/rfq/create-rfq",
                        {"counterparties": ["WAGMI"], "legs": [leg]},
                        signs,
                    )
                    rfq_id = rfq["data"][0]["rfqId"]
                    quotes: list[object] = []
                    deadline = time.monotonic() + 5
                    while not quotes and time.monotonic() < deadline:  # the bot quotes: its own signed requests
                        time.sleep(0.2)
                        quotes = _signed_request(
                            client, taker, "GET", f"/api/v5/rfq/quotes?rfqId={rfq_id}", None, signs
                        )["data"]
                    assert quotes, "the bot did not quote"
                    _signed_request(client, taker, "POST", "/api/v5/rfq/cancel-rfq", {"rfqId": rfq_id}, signs)
        finally:
            server.terminate()
            server.wait(timeout=10)

    banner, logged = out.read_text(), err.read_text()
    everything = banner + logged
    assert '"logger":"openrfq.api"' in logged and '"level":"debug"' in logged  # debug lines were written
    assert "Traceback" not in everything and "--- Logging error ---" not in everything
    # The demo accounts' keys are printed in the banner on purpose (they are public); the log must not repeat them.
    for secret in (
        taker.secret_key,
        taker.passphrase,
        "passphrase",
        '"sign"',
        "OK-ACCESS-SIGN",
        "OK-ACCESS-PASSPHRASE",
    ):
        assert secret not in logged, secret
    for sign in signs:
        assert sign not in everything
    # The bot's key, secret and passphrase: 32 hex digits each (bots.accounts._secret), never printed anywhere.
    assert not re.search(r"\b(bot-)?[0-9a-f]{32}\b", everything)
    assert all(json.loads(line) for line in logged.splitlines())  # every line is one JSON object


def _wait_ready(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert server.poll() is None, "openrfq serve exited"
        try:
            if client.get("/api/v5/public/time").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("openrfq serve did not become ready")
