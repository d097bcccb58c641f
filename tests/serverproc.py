"""A real ``openrfq serve`` subprocess for client and reliability tests: start, wait ready, kill -9, restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from openrfq.client.signing import Key, signed_headers

# The accounts the subprocess serves; rate limits off unless a test asks for them.
CONFIG_TOML = """
bots = []   # no WAGMI bot: the tests' own makers quote

[[accounts]]
uid = "100001"
trader_code = "TAKER1"
trader_name = "Alpha Capital"
type = ""
  [[accounts.keys]]
  api_key = "taker1-key"
  secret_key = "taker1-SECRET"
  passphrase = "taker1-pass"
  permissions = ["read", "trade"]

[[accounts]]
uid = "100002"
trader_code = "TAKER2"
trader_name = "Beta Fund"
type = ""
  [[accounts.keys]]
  api_key = "taker2-key"
  secret_key = "taker2-SECRET"
  passphrase = "taker2-pass"
  permissions = ["read", "trade"]
  [[accounts.keys]]     # a key of OKX's demo trading: x-simulated-trading: 1 required
  api_key = "demo-key"
  secret_key = "demo-SECRET"
  passphrase = "demo-pass"
  environment = "demo"
  [[accounts.keys]]     # a live key: x-simulated-trading: 1 refused
  api_key = "live-key"
  secret_key = "live-SECRET"
  passphrase = "live-pass"
  environment = "live"

[[accounts]]
uid = "200001"
trader_code = "MAKER1"
trader_name = "Maker One"
type = "LP"
  [[accounts.keys]]
  api_key = "maker1-key"
  secret_key = "maker1-SECRET"
  passphrase = "maker1-pass"
  permissions = ["read", "trade"]

[[accounts]]
uid = "200002"
trader_code = "MAKER2"
trader_name = "Maker Two"
type = "LP"
  [[accounts.keys]]
  api_key = "maker2-key"
  secret_key = "maker2-SECRET"
  passphrase = "maker2-pass"
  permissions = ["read", "trade"]

[rate_limits]
enabled = {rate_limits}
"""

KEYS = {
    name: (f"{name}-key", f"{name}-SECRET", f"{name}-pass")
    for name in ("taker1", "taker2", "maker1", "maker2", "demo", "live")  # demo, live: more keys of TAKER2
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    data_dir: Path
    config_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    tls: bool = False

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://127.0.0.1:{self.port}/ws/v5/business"

    @property
    def ca_file(self) -> Path:
        """The local CA that ``serve --tls`` writes and clients trust through SSL_CERT_FILE."""
        return self.data_dir / "tls" / "ca.pem"

    def start(self, timeout_s: float = 20.0) -> None:
        with open(self.data_dir / "server.log", "ab") as log:
            self.process = self._spawn(log)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"openrfq serve exited: {(self.data_dir / 'server.log').read_text()}")
            try:
                if httpx.get(self.url + "/api/v5/public/time", timeout=0.5, verify=self._verify()).status_code == 200:
                    return
            except (httpx.HTTPError, OSError):
                time.sleep(0.05)
        raise RuntimeError("openrfq serve did not become ready")

    def _verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=self.ca_file) if self.tls else True

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openrfq",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--config",
                str(self.config_path),
                *(["--tls"] if self.tls else []),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def kill9(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def make_server(tmp_path: Path, rate_limits: bool = False, tls: bool = False) -> ServerProcess:
    config_path = tmp_path / "openrfq.toml"
    config_path.write_text(CONFIG_TOML.replace("{rate_limits}", "true" if rate_limits else "false"))
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    return ServerProcess(data_dir=data_dir, config_path=config_path, tls=tls)


@dataclass
class SignedClient:
    """A minimal signed OKX client for one API key of the server's config (sync, thread-safe per instance)."""

    server: ServerProcess
    name: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        key, secret, passphrase = KEYS[self.name]
        text = "" if body is None else json.dumps(body)
        headers = signed_headers(Key(key, secret, passphrase), method, path, text, int(time.time() * 1000))
        response = self.http.request(method, self.server.url + path, content=text.encode(), headers=headers)
        answer: dict[str, Any] = response.json()
        return answer

    def post(self, path: str, body: Any) -> dict[str, Any]:
        return self.request("POST", path, body)

    def get(self, path: str) -> dict[str, Any]:
        return self.request("GET", path)

    def close(self) -> None:
        self.http.close()
