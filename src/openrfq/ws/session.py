"""One WebSocket connection: a receive loop with an idle timeout, and a sender draining a bounded queue.

Everything the server says to the client (answers and pushes) goes through the queue, so it arrives in order,
and a client that stops reading fills only its own queue: when that is full the connection is closed with
4005 and nobody else waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from openrfq.config import Account

if TYPE_CHECKING:
    from openrfq.ws.hub import Hub

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

IDLE_CLOSE = 4004  # "No data received in 30s"
BUFFER_FULL = 4005  # "Buffer is full, cannot write data"


class Session:
    def __init__(self, hub: Hub, send: Send, queue_size: int) -> None:
        self.conn_id = secrets.token_hex(4)
        self.hub = hub
        self.account: Account | None = None
        self.subs: set[tuple[str, str]] = set()  # (channel, instId or "")
        self._send = send
        self._queue: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self._close_code: int | None = None
        self._closing = asyncio.Event()

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def push(self, text: str) -> None:
        """Queue a message without waiting; a full queue closes this connection (4005)."""
        if self._close_code is not None:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.close(BUFFER_FULL)

    def close(self, code: int) -> None:
        if self._close_code is None:
            self._close_code = code
            self._closing.set()

    async def run(self, receive: Receive, idle_timeout_s: float) -> None:
        tasks = [
            asyncio.create_task(self._sender()),
            asyncio.create_task(self._receiver(receive, idle_timeout_s)),
            asyncio.create_task(self._closing.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._close_code is not None:
            # A stalled client may never read the close frame: do not wait on it for long.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._send({"type": "websocket.close", "code": self._close_code}), 1.0)

    async def _sender(self) -> None:
        while True:
            text = await self._queue.get()
            await self._send({"type": "websocket.send", "text": text})

    async def _receiver(self, receive: Receive, idle_timeout_s: float) -> None:
        while True:
            try:
                message = await asyncio.wait_for(receive(), idle_timeout_s)
            except TimeoutError:
                self.close(IDLE_CLOSE)
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", "replace")
            if text is not None:
                self.hub.handle(self, text)
