"""A live venue for WebSocket tests: uvicorn serving the real app in the test's own event loop, on a free port,
with signed REST (openrfq.client) and WebSocket clients that log in as OKX's do."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from builders import make_config
from openrfq.asgi import VenueApp
from openrfq.client import OpenRfqClient
from openrfq.client.signing import login_sign
from openrfq.config import Config
from openrfq.domain.clock import Clock
from openrfq.runtime import build_app
from openrfq.serving import server_config
from openrfq.tls import local_certificate
from serverproc import free_port


@dataclass
class Live:
    app: VenueApp
    port: int
    config: Config
    ca_file: Path | None = None  # served over TLS: the local CA that signed its certificate

    @property
    def url(self) -> str:
        return f"{'https' if self.ca_file else 'http'}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.ca_file else 'ws'}://127.0.0.1:{self.port}/ws/v5/business"

    def rest(self, name: str, clock_ms: Callable[[], int] | None = None) -> OpenRfqClient:
        """A signed client; ``clock_ms``: sign with the venue's (manual) clock rather than the wall clock."""
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
        return OpenRfqClient(
            self.url, f"{name}-key", f"{name}-SECRET", f"{name}-pass", clock_ms=clock_ms, verify=verify
        )


async def live_venue(
    tmp_path: Path, config: Config | None = None, clock: Clock | None = None, tls: bool = False, **hub: Any
) -> AsyncIterator[Live]:
    """``tls``: HTTPS and WSS with the local CA of ``openrfq serve --tls`` (``Live.ca_file``)."""
    app = build_app(config or make_config(), tmp_path, clock)
    for name, value in hub.items():
        setattr(app.hub, name, value)
    port = free_port()
    files = local_certificate(tmp_path / "tls") if tls else None
    cert, key = (str(files.cert), str(files.key)) if files else (None, None)
    server = uvicorn.Server(server_config(app, port=port, certfile=cert, keyfile=key))  # openrfq.edge's set-up
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield Live(app, port, config or make_config(), files.ca if files else None)
    finally:
        server.should_exit = True
        await task


def login_message(name: str, timestamp: str | None = None, **override: str) -> str:
    ts = timestamp or str(int(time.time()))
    arg = {
        "apiKey": f"{name}-key",
        "passphrase": f"{name}-pass",
        "timestamp": ts,
        "sign": login_sign(f"{name}-SECRET", ts),
    }
    arg.update(override)
    return json.dumps({"op": "login", "args": [arg]})


async def receive(ws: ClientConnection, timeout: float = 2.0) -> dict[str, Any]:
    text = await asyncio.wait_for(ws.recv(), timeout)
    message: dict[str, Any] = json.loads(text)
    return message


async def logged_in(live: Live, name: str, *channels: str) -> ClientConnection:
    ws = await connect(live.ws_url)
    await ws.send(login_message(name))
    assert (await receive(ws))["event"] == "login"
    if channels:
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": c} for c in channels]}))
        for _ in channels:
            assert (await receive(ws))["event"] == "subscribe"
    return ws
