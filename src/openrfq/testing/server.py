"""A real ``openrfq serve`` in a subprocess, on a free 127.0.0.1 port, driven through its control plane.

By default: the demo accounts (TAKER1, MAKER1, MAKER2), no LP bots, a virtual clock starting at the machine's
now, and an admin token of its own. ``config=`` names your TOML instead (accounts, bots, instruments); the
clock and the token are set on the command line, so the file needs neither.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from openrfq.config import demo_config, load_config
from openrfq.config.loader import DEMO_CONFIG_TOML


@dataclass(frozen=True, slots=True)
class Account:
    """One API key of an account, as an OKX client is given it."""

    code: str  # trader code
    uid: str
    api_key: str
    secret_key: str
    passphrase: str


class VenueError(Exception):
    """The venue did not start, or refused a control-plane call (its message says why)."""


class ServerVenue:
    def __init__(
        self, config: Path | None = None, data_dir: Path | None = None, *, start_ms: int | None = None
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="openrfq-")
        work = Path(self._tmp.name)
        if config is None:
            config = work / "venue.toml"
            config.write_text("bots = []  # no LP bots: the test's own makers quote\n" + DEMO_CONFIG_TOML)
        self.config_path = config
        self.data_dir = data_dir or work / "data"
        self.token = secrets.token_urlsafe(24)
        self.port = _free_port()
        self.start_ms = start_ms
        loaded = load_config(config) if config is not None else demo_config()
        self.accounts = {
            a.trader_code: Account(a.trader_code, a.uid, k.api_key, k.secret_key, k.passphrase)
            for a in loaded.accounts
            for k in a.keys[:1]
        }
        self._process: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(base_url=self.url, timeout=60)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v5/business"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / "openrfq.log"

    def start(self, timeout_s: float = 30.0) -> ServerVenue:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENRFQ_ADMIN_TOKEN": self.token, "OPENRFQ_CLOCK": "virtual"}
        config = self.config_path
        if self.start_ms is not None:  # a [clock] start of our own, over the user's file
            config = self.data_dir.parent / "with-start.toml"
            iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.start_ms / 1000)) + "Z"
            config.write_text(self.config_path.read_text() + f'\n[clock]\nstart = "{iso}"\n')
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            command = [sys.executable, "-m", "openrfq", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            command += ["--data-dir", str(self.data_dir), "--config", str(config)]
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise VenueError(f"openrfq serve exited:\n{self.log_path.read_text()}")
            try:
                if self._http.get("/openrfq/v1/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise VenueError(f"openrfq serve did not become ready in {timeout_s} s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def kill9(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None

    def close(self) -> None:
        self.stop()
        self._http.close()
        self._tmp.cleanup()

    # --- the control plane ---------------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One call to /openrfq/v1: its data, or VenueError with the venue's message."""
        response = self._http.request(
            method, "/openrfq/v1" + path, json=body, headers={"Authorization": f"Bearer {self.token}"}
        )
        answer = response.json()
        if answer.get("code") != "0":
            raise VenueError(f"{method} /openrfq/v1{path}: {answer.get('code')} {answer.get('msg')}")
        data: list[dict[str, Any]] = answer["data"]
        return data

    def now_ms(self) -> int:
        return int(self.control("GET", "/clock")[0]["ts"])

    def advance(self, seconds: float) -> int:
        """Move venue time forward, every timer due on the way fired (expiries, re-quotes, pushes); the new ms."""
        return int(self.control("POST", "/clock/advance", {"ms": round(seconds * 1000)})[0]["ts"])

    def reset(self) -> None:
        self.control("POST", "/reset")

    def snapshot(self, name: str) -> None:
        self.control("POST", "/snapshots", {"name": name})

    def restore(self, name: str) -> None:
        self.control("POST", "/snapshots/" + name + "/restore")

    def fault(self, **rule: Any) -> str:
        """Add a fault rule (README.md, "Faults"): ``fault(path="/api/v5/rfq/create-rfq", action="error",
        code="50001", count=1)``; its faultId."""
        return str(self.control("POST", "/faults", rule)[0]["faultId"])

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
