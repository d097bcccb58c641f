"""Shared pieces of the benchmark suite: accounts, signing, server processes, wrk runs.

Everything here talks to servers over real sockets; nothing imports the server's internals except the seeder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = sys.executable
WRK = os.environ.get("WRK", "wrk")
SERVER_CPU = os.environ.get("BENCH_SERVER_CPU", "0")
LOADGEN_CPU = os.environ.get("BENCH_LOADGEN_CPU", "1")

TAKER = ("TAKER1", "100001", "bench-taker1-key", "bench-taker1-SECRET", "bench-taker1-pass")
MAKERS = tuple(
    (f"MAKER{i}", f"20000{i}", f"bench-maker{i}-key", f"bench-maker{i}-SECRET", f"bench-maker{i}-pass")
    for i in range(1, 5)
)

# Same instrument and sizes everywhere: a one-leg BTC-USDT spot RFQ, quoted at a fixed price.
RFQ_LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}
QUOTE_LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy", "px": "60000.5"}


def config_toml() -> str:
    """One taker and four LP makers, each with one read+trade key; rate limits off (load test)."""
    parts = ["bots = []  # no WAGMI bot: the load generator is the only client\n"]
    for code, uid, key, secret, passphrase in (TAKER, *MAKERS):
        parts.append(
            f"""[[accounts]]
uid = "{uid}"
trader_code = "{code}"
trader_name = "{code} bench"
type = "{"" if code.startswith("TAKER") else "LP"}"
  [[accounts.keys]]
  api_key = "{key}"
  secret_key = "{secret}"
  passphrase = "{passphrase}"
  permissions = ["read", "trade"]
"""
        )
    parts.append("[rate_limits]\nenabled = false\n")
    return "\n".join(parts)


def iso_ms(now_ms: int) -> str:
    moment = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now_ms % 1000:03d}Z"


def sign(secret: str, prehash: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()


def signed_headers(account: tuple[str, ...], method: str, target: str, body: str, ts: str) -> dict[str, str]:
    _, _, key, secret, passphrase = account
    return {
        "OK-ACCESS-KEY": key,
        "OK-ACCESS-SIGN": sign(secret, ts + method + target + body),
        "OK-ACCESS-TIMESTAMP": ts,
        "OK-ACCESS-PASSPHRASE": passphrase,
        "Content-Type": "application/json",
    }


def raw_request(host: str, account: tuple[str, ...], method: str, target: str, body: str, ts: str) -> bytes:
    """One complete HTTP/1.1 request, signed, exactly as wrk will write it on the socket."""
    headers = signed_headers(account, method, target, body, ts)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    data = body.encode()
    if method != "GET":
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def call(port: int, account: tuple[str, ...] | None, method: str, target: str, body: Any = None) -> dict[str, Any]:
    """One signed request (or an unsigned one with account None); the decoded envelope."""
    text = "" if body is None else json.dumps(body, separators=(",", ":"))
    headers = signed_headers(account, method, target, text, iso_ms(int(time.time() * 1000))) if account else {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, target, body=text.encode() if text else None, headers=headers)
        answer: dict[str, Any] = json.loads(conn.getresponse().read())
        return answer
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Server:
    """A server subprocess pinned to SERVER_CPU; ``ready_s`` is spawn-to-first-200 on /api/v5/public/time."""

    name: str
    argv: list[str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    ready_s: float = 0.0
    env: dict[str, str] = field(default_factory=dict)

    def start(self, timeout_s: float = 120.0) -> None:
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", SERVER_CPU, *self.argv],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
                start_new_session=True,
            )
        while time.monotonic() - started < timeout_s:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/api/v5/public/time")
                if conn.getresponse().status == 200:
                    self.ready_s = time.monotonic() - started
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout_s} s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid  # taskset execs the server: same pid

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def openrfq_server(data_dir: Path, config: Path, log_path: Path, log_level: str = "info") -> Server:
    """``openrfq serve`` as a user runs it."""
    port = free_port()
    launcher = [PYTHON, "-m", "openrfq"]
    argv = [
        *launcher,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--config",
        str(config),
        "--log-level",
        log_level,
    ]
    return Server("openrfq", argv, port, log_path)


def floor_server(log_path: Path) -> Server:
    port = free_port()
    argv = [
        PYTHON,
        "-m",
        "uvicorn",
        "floor_app:app",
        "--app-dir",
        str(BENCH),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--lifespan",
        "off",
        "--no-proxy-headers",  # as `openrfq serve` runs uvicorn: no proxy-headers middleware
    ]
    return Server("floor", argv, port, log_path)


def protocol_floor_server(log_path: Path) -> Server:
    """The floor without ASGI (floor_protocol.py): an asyncio Protocol with httptools on uvloop."""
    port = free_port()
    return Server("floor-protocol", [PYTHON, str(BENCH / "floor_protocol.py"), str(port)], port, log_path)


def rsgi_floor_server(log_path: Path) -> Server:
    """The floor on granian's RSGI (floor_rsgi.py): one worker process (a child of the one started, counted in
    its CPU) with one runtime thread, all on the server's core as every server here."""
    port = free_port()
    argv = [PYTHON, "-m", "granian", "--interface", "rsgi", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", "1", "--runtime-threads", "1", "--blocking-threads", "1", "--loop", "uvloop"]
    argv += ["--http", "1", "--no-ws", "--no-access-log", "--log-level", "warning", "--backlog", "2048"]
    server = Server("floor-rsgi", [*argv, "floor_rsgi:app"], port, log_path)
    server.env = {"PYTHONPATH": os.pathsep.join(filter(None, (str(BENCH), os.environ.get("PYTHONPATH"))))}
    return server


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    bad: int  # answers that were not HTTP 200 with code "0"
    non2xx: int
    server_cpu: float = 0.0  # server CPU time / wall time over the run (1.0 = its core saturated)

    def row(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "requests": self.requests,
            "bad": self.bad + self.non2xx + self.socket_errors,
            "server_cpu": round(self.server_cpu, 2),
        }


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) and of its children (a server's worker processes), in
    seconds."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run_wrk(
    port: int,
    script: Path,
    reqdir: Path,
    connections: int,
    duration_s: int,
    extra: list[str] | None = None,
    log: Path | None = None,
    server_pid: int | None = None,
) -> WrkResult:
    """wrk pinned to LOADGEN_CPU, one thread per connection (each thread's Lua state is one connection's)."""
    argv = [
        "taskset",
        "-c",
        LOADGEN_CPU,
        WRK,
        "-t",
        str(connections),
        "-c",
        str(connections),
        "-d",
        f"{duration_s}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        str(reqdir),
        *(extra or []),
    ]
    cpu0 = cpu_seconds(server_pid) if server_pid else 0.0
    wall0 = time.monotonic()
    out = subprocess.run(argv, check=False, capture_output=True, text=True, cwd=BENCH, timeout=duration_s + 60)
    server_cpu = (cpu_seconds(server_pid) - cpu0) / (time.monotonic() - wall0) if server_pid else 0.0
    if log is not None:
        log.write_text(" ".join(argv) + "\n\n" + out.stdout + out.stderr)
    summary = None
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            summary = json.loads(line[len("BENCH_JSON ") :])
    if summary is None:
        raise RuntimeError(f"wrk gave no summary:\n{out.stdout}\n{out.stderr}")
    duration = summary["duration_us"] / 1e6
    return WrkResult(
        requests=summary["requests"],
        duration_s=duration,
        rps=summary["requests"] / duration,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        socket_errors=summary["connect"] + summary["read"] + summary["write"] + summary["timeout"],
        bad=summary["bad"],
        non2xx=summary["status"],
        server_cpu=server_cpu,
    )
