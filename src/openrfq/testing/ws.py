"""The business WebSocket as a test speaks it: a login message, a logged-in and subscribed connection, the next
message decoded, the next push of a channel."""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from openrfq.client.signing import Credentials, login_sign
from openrfq.testing.party import wall_ms


def login_message(key: Credentials, now_ms: int | None = None, timestamp: str | None = None, **override: str) -> str:
    """A ``login`` op for ``key``, signed at ``now_ms`` (default: the machine's now) or at the ``timestamp`` text
    given; ``override`` replaces fields of the arg as sent (``sign="..."``: a forged one)."""
    ts = timestamp if timestamp is not None else str((wall_ms() if now_ms is None else now_ms) // 1000)
    arg = {"apiKey": key.api_key, "passphrase": key.passphrase, "timestamp": ts, "sign": login_sign(key.secret_key, ts)}
    arg.update(override)
    return json.dumps({"op": "login", "args": [arg]})


async def receive(ws: ClientConnection, timeout: float = 2.0) -> dict[str, Any]:
    """The next message, decoded; TimeoutError when none arrives within ``timeout`` seconds."""
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def next_push(ws: ClientConnection, channel: str, timeout: float = 2.0, **fields: str) -> dict[str, Any]:
    """The next push on ``channel`` whose first item has ``fields`` (``rfqId="7"``), the messages before it (a
    ``pong`` included) read and dropped; TimeoutError when none arrives within ``timeout`` seconds in all."""
    async with asyncio.timeout(timeout):
        while True:
            text = await ws.recv()
            if text == "pong":
                continue
            message: dict[str, Any] = json.loads(text)
            if message.get("arg", {}).get("channel") != channel or not message.get("data"):
                continue
            if all(message["data"][0].get(k) == v for k, v in fields.items()):
                return message


async def logged_in(
    ws_url: str, key: Credentials, *channels: str, now_ms: int | None = None, tls: ssl.SSLContext | None = None
) -> ClientConnection:
    """A connection logged in as ``key`` and subscribed to ``channels`` (private ones need no args); the caller
    closes it."""
    ws = await connect(ws_url, ssl=tls)
    await ws.send(login_message(key, now_ms))
    answer = await receive(ws)
    if answer.get("event") != "login":
        await ws.close()
        raise ConnectionError(f"login with {key.api_key} refused: {answer}")
    if channels:
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": c} for c in channels]}))
        for _ in channels:
            answer = await receive(ws)
            if answer.get("event") != "subscribe":
                await ws.close()
                raise ConnectionError(f"subscribe with {key.api_key} refused: {answer}")
    return ws
