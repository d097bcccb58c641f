"""One WebSocket connection: a receive loop with an idle timeout, and a sender draining a bounded queue.

Everything the server says to the client (answers and pushes) goes through the queue, so it arrives in order,
and a client that stops reading fills only its own queue: when that is full the connection is closed with
4005 and nobody else waits.

Idle is OKX's rule (websocket-overview.md): a connection breaks when nothing was subscribed or nothing was
pushed for 30 s. Traffic either way counts: a message from the client (its ``ping`` too) or one queued for it
(an answer, a push), so a client that never pings stays connected while its subscriptions push.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from openrfq.config import Account
from openrfq.domain import errors
from openrfq.limits import WS_MAX_MESSAGE, WS_REQUESTS_PER_HOUR
from openrfq.venue_time import Timer, VenueTime
from openrfq.ws import protocol

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
OnText = Callable[["Session", str], None]  # what to do with each message the client sends

# OKX's close codes, with their reason texts (error-codes.md, "Close Frame").
MESSAGE_TOO_BIG = 1009
IDLE_CLOSE = 4004
BUFFER_FULL = 4005
TOO_MANY_CHANNELS = 4008
CLOSE_REASONS = {
    MESSAGE_TOO_BIG: "Request message exceeds the maximum frame length",
    IDLE_CLOSE: "No data received in 30s",
    BUFFER_FULL: "Buffer is full, cannot write data",
    TOO_MANY_CHANNELS: "The number of subscribed channels exceeds the maximum limit.",
}
# The close frame of a client that still reads goes out at once; one that does not read will never take it (the
# edge protocol then drops the connection without waiting).
CLOSE_SEND_TIMEOUT_S = 1.0


class Session:
    def __init__(self, on_text: OnText, send: Send, queue_size: int, time: VenueTime, ip: str = "") -> None:
        self.conn_id = secrets.token_hex(4)
        self._on_text = on_text
        self._time = time
        self.ip = ip  # the TCP peer: failed logins are counted per IP
        self.account: Account | None = None
        self.subs: set[tuple[str, str]] = set()  # (channel, instId or "")
        # Venue times (ms) of this connection's recent login/subscribe/unsubscribe requests (OKX: 480 an hour).
        self.requests: deque[int] = deque(maxlen=WS_REQUESTS_PER_HOUR)
        self._send = send
        # None in the queue: close (with _close_after) once the messages queued before it are sent.
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(queue_size)
        self._close_code: int | None = None
        self._close_after: int | None = None
        self._closing = asyncio.Event()
        self._last_traffic = 0  # venue time (ms) of the last message either way
        self._idle_timeout_ms = 0
        self._idle_timer: Timer | None = None

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    @property
    def ending(self) -> bool:
        """Closed or about to close: nothing more is read from the client or queued for it."""
        return self._close_code is not None or self._close_after is not None

    def push(self, text: str) -> None:
        """Queue a message without waiting; a full queue closes this connection (4005)."""
        if self.ending:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.close(BUFFER_FULL)
            return
        self._last_traffic = self._time.now_ms()

    def close(self, code: int) -> None:
        """Close now: what is still queued is not sent."""
        if self._close_code is None:
            self._close_code = code
            self._closing.set()

    def close_after_sent(self, code: int) -> None:
        """Close once what is queued (an error event saying why) has been sent."""
        if self.ending:
            return
        self._close_after = code
        try:
            self._queue.put_nowait(None)
        except asyncio.QueueFull:
            self.close(BUFFER_FULL)

    async def run(self, receive: Receive, idle_timeout_ms: int) -> None:
        self._idle_timeout_ms = idle_timeout_ms
        self._last_traffic = self._time.now_ms()
        self._idle_timer = self._time.call_at(self._last_traffic + idle_timeout_ms, self._check_idle)
        tasks = [
            asyncio.create_task(self._sender()),
            asyncio.create_task(self._receiver(receive)),
            asyncio.create_task(self._closing.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._idle_timer.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        code = self._close_code
        if code is not None:
            with contextlib.suppress(Exception):
                close = {"type": "websocket.close", "code": code, "reason": CLOSE_REASONS.get(code, "")}
                await asyncio.wait_for(self._send(close), CLOSE_SEND_TIMEOUT_S)

    def _check_idle(self) -> None:
        """The idle timer: one per idle period, not one per message."""
        due = self._last_traffic + self._idle_timeout_ms
        if self._time.now_ms() >= due:
            self.close(IDLE_CLOSE)
        else:
            self._idle_timer = self._time.call_at(due, self._check_idle)

    async def _sender(self) -> None:
        while True:
            text = await self._queue.get()
            if text is None:
                self.close(self._close_after or BUFFER_FULL)
                return
            await self._send({"type": "websocket.send", "text": text})

    async def _receiver(self, receive: Receive) -> None:
        # receive() is awaited bare, the idle timeout kept by a timer: on Python 3.11, asyncio.wait_for(receive())
        # swallows the task's cancellation when a message arrives at the same moment, so a client that keeps
        # sending kept this loop (and the connection) alive after it was closed.
        while not self.ending:
            message = await receive()
            self._last_traffic = self._time.now_ms()
            if message["type"] == "websocket.disconnect":
                return
            text: str | None = message.get("text")
            if text is None:
                data = message.get("bytes")
                if data is None:
                    continue
                if len(data) > WS_MAX_MESSAGE:
                    self._too_big()
                    return
                text = data.decode("utf-8", "replace")
            elif len(text) > WS_MAX_MESSAGE // 4 and len(text.encode()) > WS_MAX_MESSAGE:  # bytes, not characters
                self._too_big()
                return
            self._on_text(self, text)
            if self._queue.qsize():
                # Let the sender take the answers out before the next request: receive() returns at once while
                # messages wait in uvicorn's queue, and a burst of subscribes (100 answers each) would otherwise
                # fill the queue of a client that reads fine.
                await asyncio.sleep(0)

    def _too_big(self) -> None:
        self.push(protocol.error_event(errors.InvalidRequest(), self.conn_id))
        self.close_after_sent(MESSAGE_TOO_BIG)
