"""``openrfq demo`` on a fresh install: runs the whole script, exits 0, and leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from openrfq import demo as demo_module
from openrfq.client import ApiError, Execution, Leg, OpenRfqClient, Quote, QuoteLeg, Rfq, RfqLeg, Trade, TradeLeg
from openrfq.demo import Board, Taker
from test_cli import _read_until


def test_the_demo_runs_to_completion_and_leaves_nothing_running(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80", "LINES": "24", "TMPDIR": str(tmp_path)}
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
    url = re.search(r"venue on (http://127\.0\.0\.1:\d+), LP bots WAGMI and NGMI\ndata: (\S+) ", out)
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
    assert out.count("Block trades") == 1
    assert max(len(line) for line in out.splitlines() if not line.startswith("data: ")) <= 80
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


TRADE = Execution(c_time=1, rfq_id="1", quote_id="5", block_td_id="1", m_trader_code="WAGMI", legs=[])


class _Refusing(OpenRfqClient):
    """execute-quote answers: the quote was just replaced (70505), then the rate limit (50011), then a trade."""

    def __init__(self) -> None:  # no connection: execute_quote is all the taker calls here
        self.answers: list[ApiError | Execution] = [
            ApiError("70505", "quote not active", 200),
            ApiError("50011", "Too Many Requests", 429),
        ]
        self.calls = 0

    async def execute_quote(self, rfq_id: str, quote_id: str, legs: Sequence[Leg] = ()) -> Execution:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else TRADE
        if isinstance(answer, ApiError):
            raise answer
        return answer


async def test_the_demo_taker_waits_out_the_execute_limit_after_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("openrfq.demo.asyncio.sleep", sleep)
    taker = object.__new__(Taker)
    taker.board = Board()
    leg = QuoteLeg(inst_id="BTC-USDT", sz=Decimal("1"), side="buy", px=Decimal("60000"))
    taker.board.quotes["5"] = Quote(
        quote_id="5", rfq_id="1", state="active", quote_side="sell", c_time=1, u_time=1, valid_until=2, legs=[leg]
    )
    taker.rest = refusing = _Refusing()

    assert await taker._execute_best("1") is TRADE
    assert refusing.calls == 3
    assert slept == [0.05, 1.5]  # a replaced quote is retried at once; the limit's window is waited out


# --- what the demo draws, at 80x24 -----------------------------------------------------------------------------

CALL_LOW, CALL_HIGH = "BTC-USD-261204-50000-C", "BTC-USD-261204-60000-C"


def _final_board() -> Board:
    """The board as the demo's script leaves it: three RFQs, ten quotes (four replaced), two trades."""
    board = Board()
    structures = {
        "1": ("spot", "filled", [("BTC-USDT", "0.5", "buy")]),
        "2": ("swap", "canceled", [("BTC-USDT-SWAP", "20", "sell")]),
        "3": ("option call spread", "filled", [(CALL_LOW, "1", "buy"), (CALL_HIGH, "1", "sell")]),
    }
    for rfq_id, (name, state, legs) in structures.items():
        board.names[rfq_id] = name
        board.apply(
            Rfq(
                c_time=1,
                u_time=2,
                state=state,
                counterparties=["WAGMI", "NGMI"],
                valid_until=3,
                rfq_id=rfq_id,
                legs=[RfqLeg(inst_id=i, sz=Decimal(sz), side=side) for i, sz, side in legs],
            )
        )
    prices = {"1": ["50040"], "2": ["49960"], "3": ["0.0235", "0.0005"]}
    states = ["canceled", "canceled", "canceled", "canceled", "canceled", "canceled"]
    states += ["filled", "canceled", "filled", "canceled"]
    for n, (rfq_id, state) in enumerate(zip(["1", "1", "2", "2", "3", "3", "1", "1", "3", "3"], states), 1):
        quote_legs = [
            QuoteLeg(inst_id=i, sz=Decimal(sz), side=side, px=Decimal(px))
            for (i, sz, side), px in zip(structures[rfq_id][2], prices[rfq_id])
        ]
        board.apply(
            Quote(
                quote_id=str(n),
                rfq_id=rfq_id,
                state=state,
                trader_code="WAGMI" if n % 2 else "NGMI",
                quote_side="sell",
                c_time=1,
                u_time=2,
                valid_until=3,
                legs=quote_legs,
            )
        )
    board.replaced |= {"1", "2", "5", "6"}
    for block_td_id, rfq_id in (("1", "3"), ("2", "1")):
        board.apply(
            Trade(
                c_time=4,
                rfq_id=rfq_id,
                quote_id="9" if rfq_id == "3" else "7",
                block_td_id=block_td_id,
                m_trader_code="WAGMI",
                legs=[
                    TradeLeg(
                        inst_id=i, sz=Decimal(sz), side=side, px=Decimal(px), fee=Decimal("-0.00025"), trade_id="1"
                    )
                    for (i, sz, side), px in zip(structures[rfq_id][2], prices[rfq_id])
                ],
            )
        )
    board.steps = [f"16:54:{n:02}  step {n}" for n in range(10)]
    return board


def test_the_final_output_fits_80_columns_and_shows_each_table_once() -> None:
    console = Console(width=80, height=24, record=True, color_system=None)

    console.print(demo_module.final_output(_final_board()))

    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count("Block trades") == 1 and text.count("Summary") == 1
    assert "RFQs (as TAKER1 sees them)" not in text and "Quotes" not in text  # the live board is gone
    assert all(f"step {n}" in text for n in range(10))  # the whole script


def test_the_live_board_fits_an_80x24_terminal_trades_included() -> None:
    console = Console(width=80, height=24, record=True, color_system=None)

    console.print(_final_board().render(console))

    lines = console.export_text().splitlines()
    assert len(lines) < 24 and max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    for title in ("taker script", "RFQs (as TAKER1 sees them)", "Quotes", "Block trades"):
        assert title in text
    assert "step 9" in text and "@ 50040" in text  # the newest step and the last trade


def test_a_taller_terminal_shows_more_of_the_board() -> None:
    small, tall = (Console(width=80, height=h, record=True, color_system=None) for h in (24, 60))
    board = _final_board()

    small.print(board.render(small))
    tall.print(board.render(tall))

    small_text, tall_text = small.export_text(), tall.export_text()
    assert len(tall_text.splitlines()) > len(small_text.splitlines())
    assert "step 2" in tall_text and "step 2" not in small_text  # eight steps, not two
    assert all(f"\n{n} " in tall_text for n in range(1, 11))  # every quote
