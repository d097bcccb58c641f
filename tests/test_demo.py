"""``openrfq demo`` on a fresh install: runs the whole script, exits 0, and leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from openrfq import demo as demo_module
from openrfq.client import ApiError, Quote, QuoteLeg
from openrfq.demo import Board, Taker
from test_cli import _read_until


def test_the_demo_runs_to_completion_and_leaves_nothing_running(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "160", "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "openrfq", "demo", "--pace", "0"],
        check=False,
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=tmp_path,
    )
    out = done.stdout

    assert done.returncode == 0, out + done.stderr
    url = re.search(r"venue on (http://127\.0\.0\.1:\d+) \(data in (\S+)\)", out)
    assert url is not None, out
    summary = out[out.index("Summary") :]
    rows = {
        m[0]: m[1:]
        for m in re.findall(r"│ (\d+)\s+│ (spot|swap|option call)\s.*?│ (\w+)\s+│ (\d+)\s+│ (\d+)\s+│", summary)
    }
    assert rows["1"][:2] == ("spot", "filled") and rows["3"][:2] == ("option call", "filled")
    assert rows["2"][:2] == ("swap", "canceled")
    assert all(int(quotes) >= 2 for _, _, quotes, _ in rows.values()), rows  # both bots quoted each RFQ
    assert sum(int(replaced) for *_, replaced in rows.values()) >= 1  # a bot replaced a quote
    assert "Block trades" in summary and summary.count("WAGMI") + summary.count("NGMI") >= 2
    assert "demo failed" not in out
    # Nothing left: the venue is down and its temporary directory is gone.
    with pytest.raises(httpx.TransportError):
        httpx.get(url[1] + "/api/v5/public/time", timeout=1)
    assert not Path(url[2]).exists()
    assert list(tmp_path.iterdir()) == []


def test_keep_leaves_the_venue_running_until_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "160", "TMPDIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "openrfq", "demo", "--pace", "0", "--keep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    try:
        out = _read_until(process, "okx.privateGetRfqQuotes()", tmp_path / "none.log", timeout_s=60)
        url = re.search(r"REST\s+(http://127\.0\.0\.1:\d+)", out)
        assert url is not None, out
        assert "api_key=demo-taker1-key  secret_key=DEMO-TAKER1-SECRET  passphrase=Demo-taker1-pass" in out
        assert f'domain="{url[1]}"' in out and f'okx.urls["api"]["rest"] = "{url[1]}"' in out
        assert httpx.get(url[1] + "/api/v5/public/time", timeout=2).json()["code"] == "0"
        token = re.search(r"token (\S+)", out)
        assert token is not None, out
        clock = httpx.get(url[1] + "/openrfq/v1/clock", headers={"Authorization": f"Bearer {token[1]}"}, timeout=2)
        assert clock.json()["data"][0]["mode"] == "real"  # the kept venue's control plane answers its token
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()
    assert list(tmp_path.iterdir()) == []


class _Refusing:
    """execute-quote answers: the quote was just replaced (70505), then the rate limit (50011), then a trade."""

    def __init__(self) -> None:
        self.answers: list[object] = [
            ApiError("70505", "quote not active", 200),
            ApiError("50011", "Too Many Requests", 429),
        ]
        self.calls = 0

    async def execute_quote(self, rfq_id: str, quote_id: str) -> object:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else "trade"
        if isinstance(answer, ApiError):
            raise answer
        return answer


async def test_the_demo_taker_waits_out_the_execute_limit_after_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(demo_module.asyncio, "sleep", sleep)
    taker = object.__new__(Taker)
    taker.board = Board()
    leg = QuoteLeg(inst_id="BTC-USDT", sz=Decimal("1"), side="buy", px=Decimal("60000"))
    taker.board.quotes["5"] = Quote(
        quote_id="5", rfq_id="1", state="active", quote_side="sell", c_time=1, u_time=1, valid_until=2, legs=[leg]
    )
    taker.rest = _Refusing()  # type: ignore[assignment]

    assert await taker._execute_best("1") == "trade"
    assert taker.rest.calls == 3
    assert slept == [0.05, 1.5]  # a replaced quote is retried at once; the limit's window is waited out
