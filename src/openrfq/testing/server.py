"""A real ``openrfq serve`` in a subprocess, on a free 127.0.0.1 port, driven through its control plane.

By default: the demo accounts (TAKER1, MAKER1, MAKER2), no LP bots, a virtual clock starting at the machine's
now, and an admin token of its own. ``config=`` names your TOML instead (accounts, bots, instruments); the
clock and the token are set on the command line, so the file needs neither.

Beyond what the pytest plugin uses: ``clock="real"`` (venue time is the machine's), ``control=False`` (no control
plane), ``tls=True`` (``openrfq serve --tls``: HTTPS and WSS with its local CA, ``ca_file``), ``rate_limits`` on or
off whatever the file says; ``stop()``, ``kill9()`` and ``start()`` again on the same data directory and port
(``clock``, ``start_ms``, ``tls`` and ``rate_limits`` are read at each start).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any, Literal

import httpx

from openrfq.config import load_config
from openrfq.config.loader import DEMO_CONFIG_TOML
from openrfq.testing.accounts import Account, find_account, first_keys
from openrfq.testing.party import Party

TLS_CA = Path("tls") / "ca.pem"  # under the data directory: the local CA ``serve --tls`` makes


class VenueError(Exception):
    """The venue did not start, or refused a control-plane call (its message says why)."""


class ServerVenue:
    def __init__(
        self,
        config: Path | None = None,
        data_dir: Path | None = None,
        *,
        start_ms: int | None = None,
        clock: Literal["virtual", "real"] = "virtual",
        control: bool = True,
        tls: bool = False,
        rate_limits: bool | None = None,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="openrfq-")
        work = Path(self._tmp.name)
        if config is None:
            config = work / "venue.toml"
            config.write_text("bots = []  # no LP bots: the test's own makers quote\n" + DEMO_CONFIG_TOML)
        self.config_path = config
        self.data_dir = data_dir or work / "data"
        self.clock, self.tls, self.rate_limits, self.start_ms = clock, tls, rate_limits, start_ms
        self.token = secrets.token_urlsafe(24) if control else None
        self.port = free_port()
        self.config = load_config(config)
        self.accounts = first_keys(self.config)
        self._process: subprocess.Popen[bytes] | None = None
        self._http: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://127.0.0.1:{self.port}/ws/v5/business"

    @property
    def ca_file(self) -> Path:
        """Over TLS: the CA to trust (``ssl.create_default_context(cafile=...)``, ``SSL_CERT_FILE``)."""
        return self.data_dir / TLS_CA

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / "openrfq.log"

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The running ``openrfq serve``; None when stopped."""
        return self._process

    def account(self, name: str) -> Account:
        """By trader code (the account's first key) or by api_key."""
        return find_account(self.config, name)

    def verify(self) -> ssl.SSLContext | bool:
        """What an httpx client passes as ``verify`` to reach this venue."""
        return ssl.create_default_context(cafile=self.ca_file) if self.tls else True

    def party(self, name: str) -> Party:
        """Signed raw requests as ``name`` (trader code or api_key), on a client of its own: ``async with``."""
        return Party(
            httpx.AsyncClient(base_url=self.url, timeout=10, verify=self.verify()), self.account(name), owns_client=True
        )

    def start(self, timeout_s: float = 30.0) -> ServerVenue:
        """Start ``openrfq serve`` (again, after stop or kill9: same data directory, same port) and wait until
        it answers."""
        if self._process is not None:
            raise VenueError(f"openrfq serve is running already (pid {self._process.pid}): stop() or kill9() it first")
        if self._http is not None:  # made for the last start (its URL, its CA)
            self._http.close()
            self._http = None
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENRFQ_CLOCK": self.clock}
        env.pop("OPENRFQ_ADMIN_TOKEN", None)
        if self.token is not None:
            env["OPENRFQ_ADMIN_TOKEN"] = self.token
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "openrfq", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir), "--config", str(self._config_file())]
        command += ["--tls"] if self.tls else []
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        # Ready: the control plane's health, or without it the server's time (a public request, counted by the
        # per-IP limit like any other).
        probe = "/openrfq/v1/health" if self.token is not None else "/api/v5/public/time"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise VenueError(f"openrfq serve exited:\n{self.log_path.read_text()}")
            try:
                if self._client().get(probe, timeout=0.5).status_code == 200:
                    return self
            except (httpx.HTTPError, OSError):  # OSError: over TLS, the CA is not written yet
                time.sleep(0.05)
        self.stop()
        raise VenueError(f"openrfq serve did not become ready in {timeout_s} s:\n{self.log_path.read_text()}")

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=60, verify=self.verify())
        return self._http

    def _config_file(self) -> Path:
        """The TOML to run: the given one, or a copy with the tables the arguments set ([clock] start,
        [rate_limits] enabled), which the given one must then leave out."""
        tables: dict[str, str] = {}
        if self.start_ms is not None:
            iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.start_ms / 1000)) + "Z"
            tables["clock"] = f'start = "{iso}"'
        if self.rate_limits is not None:
            tables["rate_limits"] = f"enabled = {'true' if self.rate_limits else 'false'}"
        if not tables:
            return self.config_path
        text = self.config_path.read_text()
        for name in set(tables) & set(tomllib.loads(text)):
            raise VenueError(f"{self.config_path} has a [{name}] table: leave it out, or leave out the argument")
        path = self.data_dir.parent / "venue-run.toml"
        path.write_text(text + "".join(f"\n[{name}]\n{line}\n" for name, line in tables.items()))
        return path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def kill9(self) -> None:
        """SIGKILL: the server dies at once, whatever it was doing."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None

    def close(self) -> None:
        self.stop()
        if self._http is not None:
            self._http.close()
        self._tmp.cleanup()

    def __enter__(self) -> ServerVenue:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the control plane ---------------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One call to /openrfq/v1: its data, or VenueError with the venue's message."""
        if self.token is None:
            raise VenueError("the control plane is off: ServerVenue(control=True) turns it on")
        response = self._client().request(
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


def free_port() -> int:
    """A TCP port of 127.0.0.1 free at the time of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
