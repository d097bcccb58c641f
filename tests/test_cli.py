"""The ``openrfq`` command: a bad config stops start-up with status 2; the demo prints its keys; the environment
variables OPENRFQ_PORT, OPENRFQ_DATA_DIR and OPENRFQ_CONFIG stand in for the options."""

from __future__ import annotations

import os
import selectors
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from openrfq import __version__
from openrfq.cli import app
from openrfq.client.signing import signed_headers
from openrfq.config import ApiKey
from openrfq.runtime import DB_NAME
from openrfq.store.base import Batch
from openrfq.store.sqlite import SqliteStore
from openrfq.testing import free_port, logged_in, next_push

DEMO_KEYS = [
    ("TAKER1", "100001", "demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass"),
    ("MAKER1", "200001", "demo-maker1-key", "DEMO-MAKER1-SECRET", "Demo-maker1-pass"),
    ("MAKER2", "200002", "demo-maker2-key", "DEMO-MAKER2-SECRET", "Demo-maker2-pass"),
]
BAD_CONFIG = """
[[accounts]]
uid = "1"
trader_code = "A"

[[accounts]]
uid = "2"
trader_code = "A"
"""
GOOD_CONFIG = """
[[accounts]]
uid = "1"
trader_code = "ALONE"
  [[accounts.keys]]
  api_key = "alone-key"
  secret_key = "alone-secret"
  passphrase = "alone-pass"
"""


def _clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any OPENRFQ_* setting of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENRFQ_")}
    return {**env, **extra}


# --- invalid configurations (CliRunner: no server is started) -----------------------------------------------------


def _serve(args: list[str], env: dict[str, str] | None = None) -> Result:
    """``openrfq serve ARGS`` in process, with no OPENRFQ_CONFIG but the one given."""
    unset: dict[str, str | None] = {"OPENRFQ_CONFIG": None}
    return CliRunner().invoke(app, ["serve", *args], env={**unset, **(env or {})})


def test_an_invalid_config_exits_2_naming_file_key_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "venue.toml"
    path.write_text(BAD_CONFIG)

    result = _serve(["--config", str(path), "--data-dir", str(tmp_path / "data")])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"openrfq: invalid configuration: {path}: accounts[2].trader_code (line 8): duplicate trader code 'A'\n"
    )
    assert not (tmp_path / "data").exists()  # nothing starts on a bad config


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[[accounts]\n", "malformed TOML"),
        (b'[[accounts]]\nuid = "1"\ntrader_code = "A"\n[server]\nport = 1\n', "server: unknown key"),
        (
            (
                b'[[accounts]]\nuid = "1"\ntrader_code = "A"\n'
                b'  [[accounts.keys]]\n  api_key = "k"\n  secret_key = "s"\n'
                b'  passphrase = "p"\n  permissions = ["admin"]\n'
            ),
            "accounts[1].keys[1].permissions: unknown permission 'admin'",
        ),
        (b'[[accounts]]\nuid = "1"\ntrader_code = "Caf\xe9"\n', "line 3: not UTF-8 text"),
    ],
)
def test_invalid_configs_are_reported_without_a_traceback(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "venue.toml"
    path.write_bytes(content)

    result = _serve(["--config", str(path), "--data-dir", str(tmp_path / "data")])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"openrfq: invalid configuration: {path}: ")
    assert problem in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_config_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"

    result = _serve(["--config", str(path), "--data-dir", str(tmp_path / "data")])

    assert result.exit_code == 2
    assert result.stderr == f"openrfq: invalid configuration: {path}: cannot read: No such file or directory\n"


def test_openrfq_config_environment_variable_is_the_config(tmp_path: Path) -> None:
    path = tmp_path / "from-env.toml"
    path.write_text(BAD_CONFIG)

    result = _serve(["--data-dir", str(tmp_path / "data")], env={"OPENRFQ_CONFIG": str(path)})

    assert result.exit_code == 2
    assert f"openrfq: invalid configuration: {path}: accounts[2].trader_code" in result.stderr


def test_the_option_wins_over_the_environment_variable(tmp_path: Path) -> None:
    env_path, option_path = tmp_path / "env.toml", tmp_path / "option.toml"
    env_path.write_text(GOOD_CONFIG)
    option_path.write_text(BAD_CONFIG)

    result = _serve(
        ["--config", str(option_path), "--data-dir", str(tmp_path / "data")], env={"OPENRFQ_CONFIG": str(env_path)}
    )

    assert result.exit_code == 2 and str(option_path) in result.stderr


def test_version() -> None:
    result = CliRunner().invoke(app, ["version"])

    assert (result.exit_code, result.stdout) == (0, f"{__version__}\n")


def test_invalid_config_through_python_m_openrfq(tmp_path: Path) -> None:
    path = tmp_path / "venue.toml"
    path.write_text(BAD_CONFIG)

    done = subprocess.run(
        [sys.executable, "-m", "openrfq", "serve", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        check=False,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env=_clean_env(OPENRFQ_CONFIG=str(path)),
    )

    assert done.returncode == 2
    assert (
        done.stderr
        == f"openrfq: invalid configuration: {path}: accounts[2].trader_code (line 8): duplicate trader code 'A'\n"
    )
    assert done.stdout == ""


# --- a real server ------------------------------------------------------------------------------------------------


@contextmanager
def _server(tmp_path: Path, args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m openrfq serve ARGS`` with stdout piped; always terminated, waited for and its files closed."""
    with open(tmp_path / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "openrfq", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=tmp_path,
            env=env,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


def _read_until(process: subprocess.Popen[bytes], needle: str, log: Path, timeout_s: float = 20.0) -> str:
    """Stdout up to and including ``needle``; fails if it does not come within ``timeout_s`` or the process ends."""
    assert process.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while needle.encode() not in seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {needle!r} within {timeout_s}s; stdout: {seen!r}; stderr: {log.read_text()}")
            if selector.select(remaining):
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"exited {process.wait()}; stdout: {seen!r}; stderr: {log.read_text()}")
                seen += chunk
    return seen.decode()


def _drain(process: subprocess.Popen[bytes]) -> str:
    """What the process has written to stdout and nobody has read yet."""
    assert process.stdout is not None
    seen = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while selector.select(0.1):
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode()


def _wait_for_time(port: int, timeout_s: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=1) as client:
        while True:
            try:
                return client.get(f"http://127.0.0.1:{port}/api/v5/public/time")
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def test_the_demo_prints_its_keys_on_start_up(tmp_path: Path) -> None:
    port, data_dir = free_port(), tmp_path / "data"

    with _server(tmp_path, ["--port", str(port), "--data-dir", str(data_dir)], _clean_env()) as process:
        banner = _read_until(process, "Demo-maker2-pass", tmp_path / "stderr.log")
        answer = _wait_for_time(port)
        banner += _drain(process)

    lines = banner.splitlines()
    assert len(lines) == 8
    assert lines[0] == f"openrfq {__version__} on http://127.0.0.1:{port}  (data: {data_dir / DB_NAME})"
    assert lines[1] == f"WebSocket: ws://127.0.0.1:{port}/ws/v5/business"
    assert lines[2] == "loaded 0 RFQs, 0 quotes; config: <built-in demo>"
    assert lines[3] == "demo accounts (pass --config FILE for your own):"
    assert (
        lines[7] == "LP bot WAGMI: quotes every RFQ sent to it (spread bps: FUTURES 15, OPTION 300, SPOT 10, SWAP 10)"
    )
    for line, (code, uid, key, secret, passphrase) in zip(lines[4:7], DEMO_KEYS, strict=True):
        assert line.split() == [
            code,
            f"uid={uid}",
            f"api_key={key}",
            f"secret_key={secret}",
            f"passphrase={passphrase}",
            "permissions=read,trade",
        ]
    assert answer.status_code == 200 and answer.json()["code"] == "0"
    assert (data_dir / DB_NAME).exists()


async def test_serve_runs_the_wagmi_bot_so_a_taker_alone_can_trade(tmp_path: Path) -> None:
    port = free_port()
    taker = ApiKey("demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass")

    def call(client: httpx.Client, method: str, path: str, body: str = "") -> dict[str, Any]:
        headers = signed_headers(taker, method, path, body, int(time.time() * 1000))
        answer: dict[str, Any] = client.request(method, path, content=body, headers=headers).json()
        assert answer["code"] == "0", answer
        return answer

    with _server(tmp_path, ["--port", str(port), "--data-dir", str(tmp_path / "data")], _clean_env()):
        _wait_for_time(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            body = '{"counterparties":["WAGMI"],"legs":[{"instId":"BTC-USDT","sz":"1","side":"buy"}]}'
            async with await logged_in(f"ws://127.0.0.1:{port}/ws/v5/business", taker, "quotes") as ws:
                rfq_id = call(client, "POST", "/api/v5/rfq/create-rfq", body)["data"][0]["rfqId"]
                await next_push(ws, "quotes", 10, rfqId=rfq_id)  # the bot quotes once logged in, an RFQ sent before too
            (quote,) = call(client, "GET", f"/api/v5/rfq/quotes?rfqId={rfq_id}")["data"]
            trade = call(
                client, "POST", "/api/v5/rfq/execute-quote", f'{{"rfqId":"{rfq_id}","quoteId":"{quote["quoteId"]}"}}'
            )

    assert (quote["traderCode"], quote["quoteSide"], quote["legs"][0]["px"]) == ("WAGMI", "sell", "50050")
    assert trade["data"][0]["mTraderCode"] == "WAGMI"


def test_port_data_dir_and_config_come_from_the_environment(tmp_path: Path) -> None:
    port, data_dir, config = free_port(), tmp_path / "env-data", tmp_path / "venue.toml"
    config.write_text(GOOD_CONFIG)
    env = _clean_env(OPENRFQ_PORT=str(port), OPENRFQ_DATA_DIR=str(data_dir), OPENRFQ_CONFIG=str(config))

    with _server(tmp_path, [], env) as process:
        banner = _read_until(process, f"config: {config}\n", tmp_path / "stderr.log")
        started = time.time() * 1000
        answer = _wait_for_time(port)
        banner += _drain(process)  # the whole banner is out before the server answers

    assert banner.splitlines()[0] == f"openrfq {__version__} on http://127.0.0.1:{port}  (data: {data_dir / DB_NAME})"
    assert answer.status_code == 200
    (row,) = answer.json()["data"]
    assert started - 60_000 < int(row["ts"]) < time.time() * 1000 + 60_000
    assert (data_dir / DB_NAME).exists()
    assert not (tmp_path / "openrfq-data").exists()  # the default data dir was not used
    # A config of one's own prints no keys.
    assert "alone-secret" not in banner and "demo accounts" not in banner


# --- the data directory: one server at a time, a damaged store refused ------------------------------------------------


NOT_AN_RFQ = b"\x93\x01\x02\x03"  # msgpack, but an array where an RFQ is a map


def _damaged(data: Path, damage: str) -> Path:
    """A data directory whose store was written, then damaged."""
    db = data / DB_NAME
    store = SqliteStore(db)
    store.write(Batch(rfqs=[(1, NOT_AN_RFQ)] if damage == "row" else []))
    store.close()
    if damage == "empty":
        db.write_bytes(b"")
    elif damage == "not sqlite":
        db.write_bytes(b"ts,rfqId\n" * 500)
    elif damage == "table":
        with closing(sqlite3.connect(db)) as conn:
            conn.execute("DROP TABLE quotes")
    return db


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("empty", "is damaged: it has none of openrfq's tables"),
        ("not sqlite", "cannot be opened: file is not a database"),
        ("table", "is damaged: table quotes is missing"),
        ("row", "is damaged: table rfqs, row 1 does not decode (Expected `object`, got `array`)"),
    ],
)
def test_a_damaged_store_stops_serve_with_one_line_and_status_1(tmp_path: Path, damage: str, problem: str) -> None:
    db = _damaged(tmp_path / "data", damage)
    before = db.read_bytes()

    result = _serve(["--data-dir", str(tmp_path / "data"), "--port", str(free_port())])

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"openrfq: database {db} {problem}\n"
    assert db.read_bytes() == before  # left as it was found, for recovery


def test_a_damaged_store_stops_a_real_serve_without_a_traceback(tmp_path: Path) -> None:
    db = _damaged(tmp_path / "data", "table")

    done = subprocess.run(
        [sys.executable, "-m", "openrfq", "serve", "--data-dir", str(tmp_path / "data"), "--port", str(free_port())],
        capture_output=True,
        check=False,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env=_clean_env(),
    )

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"openrfq: database {db} is damaged: table quotes is missing\n"


def test_a_second_server_on_the_default_data_directory_exits_1_naming_the_first(tmp_path: Path) -> None:
    port = free_port()
    with _server(tmp_path, ["--port", str(port)], _clean_env()) as first:  # ./openrfq-data, in tmp_path
        _read_until(first, "LP bot WAGMI", tmp_path / "stderr.log")
        second = subprocess.run(
            [sys.executable, "-m", "openrfq", "serve", "--port", str(free_port())],
            capture_output=True,
            check=False,
            text=True,
            timeout=30,
            cwd=tmp_path,
            env=_clean_env(),
        )
        answer = _wait_for_time(port)  # the first serves on

    assert (second.returncode, second.stdout) == (1, "")  # no banner, no keys
    data = (tmp_path / "openrfq-data").resolve()
    assert second.stderr == f"openrfq: data directory {data} is in use by another openrfq process (pid {first.pid})\n"
    assert answer.status_code == 200
