"""What a user of ``openrfq serve`` sees when it starts and stops: a port in use is one line before anything else,
a config's instrument without an index price is named at start, and Ctrl-C stops the venue (TLS and its LP bot
included) at once, with one log line."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from openrfq.client.signing import Key, signed_headers
from openrfq.config import parse_config
from openrfq.limits import CLOSE_TIMEOUT_S
from openrfq.runtime import build_app
from openrfq.testing import free_port, logged_in, next_push

TAKER = Key("demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENRFQ_")} | {"PYTHONUNBUFFERED": "1"}


def test_a_port_in_use_is_one_line_before_anything_else_and_status_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "openrfq", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            cwd=tmp_path,
            env=_env(),
        )

    assert (done.returncode, done.stdout) == (1, "")  # no banner, no keys
    assert done.stderr == f"openrfq: port {port} on 127.0.0.1 is in use\n"


def test_an_instrument_without_an_index_price_is_named_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = parse_config(
        """
        [[accounts]]
        uid = "100001"
        trader_code = "TAKER1"

        [instruments]
          [[instruments.list]]
          instType = "SPOT"
          instId = "SOL-USDT"
          tickSz = "0.01"
          lotSz = "0.0001"
          minSz = "0.01"
        """
        + "".join(
            f"""
          [[instruments.list]]
          instType = "SPOT"
          instId = "{coin}-USDC"
          tickSz = "0.01"
          lotSz = "0.0001"
          minSz = "0.01"
        """
            for coin in ("DOGE", "SOL")
        ),
        "venue.toml",
    )

    with caplog.at_level(logging.WARNING, logger="openrfq.runtime"):
        app = build_app(config, tmp_path)
    app.services.committer.store.close()

    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "openrfq.runtime",
            "WARNING",
            "no index price for SOL-USDT, SOL-USDC: [prices.index] has no SOL, so there is no mark price and the LP "
            "bots never quote them",
        ),
        (
            "openrfq.runtime",
            "WARNING",
            "no index price for DOGE-USDC: [prices.index] has no DOGE, so there is no mark price and the LP bots "
            "never quote it",
        ),
    ]


def test_the_default_instruments_all_have_index_prices(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = parse_config('[[accounts]]\nuid = "1"\ntrader_code = "A"\n', "venue.toml")

    with caplog.at_level(logging.WARNING, logger="openrfq.runtime"):
        app = build_app(config, tmp_path)
    app.services.committer.store.close()

    assert caplog.records == []


async def test_ctrl_c_stops_a_tls_venue_and_its_lp_bot_at_once_with_one_clean_line(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "data"
    stderr_path = tmp_path / "stderr.log"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "openrfq", "serve", "--tls", "--port", str(port), "--data-dir", str(data)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=tmp_path,
            env=_env(),
        )
    try:
        url = f"https://127.0.0.1:{port}"
        verify = _wait_for_tls(process, url, data / "tls" / "ca.pem", stderr_path)
        # The default WAGMI bot quotes an RFQ: it is connected and has used its REST connection, and this
        # client keeps an idle keep-alive TLS connection open across the stop.
        with httpx.Client(base_url=url, verify=verify, timeout=5) as client:
            body = '{"counterparties":["WAGMI"],"legs":[{"instId":"BTC-USDT","sz":"1","side":"buy"}]}'
            async with await logged_in(f"wss://127.0.0.1:{port}/ws/v5/business", TAKER, "quotes", tls=verify) as ws:
                rfq = _signed(client, "POST", "/api/v5/rfq/create-rfq", body)["data"][0]
                await next_push(ws, "quotes", 20, rfqId=rfq["rfqId"])

            started = time.monotonic()
            process.send_signal(signal.SIGINT)
            status = process.wait(timeout=30)
            took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    lines = stderr_path.read_text().splitlines()
    assert status == 0
    # Before, the bot's connections lost to the shutdown and idle TLS connections held it up 5 to 30 s.
    assert took < CLOSE_TIMEOUT_S - 1, f"stopping took {took:.1f} s"
    assert [line for line in lines if "reconnect" in line or "Traceback" in line or "lost" in line] == []
    assert [json.loads(line)["level"] for line in lines if line.startswith("{")] == ["info"] * len(lines)
    assert json.loads(lines[-1])["msg"] == "stopped"
    assert sum(1 for line in lines if '"stopped"' in line) == 1


def _wait_for_tls(process: subprocess.Popen[bytes], url: str, ca: Path, log: Path) -> ssl.SSLContext:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        if ca.exists():
            verify = ssl.create_default_context(cafile=ca)
            try:
                if httpx.get(url + "/api/v5/public/time", verify=verify, timeout=1).status_code == 200:
                    return verify
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"no TLS venue at {url}: {log.read_text()}")


def _signed(client: httpx.Client, method: str, path: str, body: str = "") -> dict[str, Any]:
    headers = signed_headers(TAKER, method, path, body, int(time.time() * 1000))
    answer: dict[str, Any] = client.request(method, path, content=body, headers=headers).json()
    assert answer["code"] == "0", answer
    return answer
