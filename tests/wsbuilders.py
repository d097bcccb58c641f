"""A live venue for WebSocket tests: uvicorn serving the real app in the test's own event loop, on a free port,
with signed REST (openrfq.client) and WebSocket clients that log in as OKX's do."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
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
from serverproc import free_port


@dataclass
class Live:
    app: VenueApp
    port: int
    config: Config

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v5/business"

    def rest(self, name: str) -> OpenRfqClient:
        return OpenRfqClient(self.url, f"{name}-key", f"{name}-SECRET", f"{name}-pass")


async def live_venue(
    tmp_path: Path, config: Config | None = None, clock: Clock | None = None, **hub: Any
) -> AsyncIterator[Live]:
    app = build_app(config or make_config(), tmp_path, clock)
    for name, value in hub.items():
        setattr(app.hub, name, value)
    port = free_port()
    server = uvicorn.Server(server_config(app, port=port))  # the venue's own uvicorn set-up (openrfq.edge)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield Live(app, port, config or make_config())
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
