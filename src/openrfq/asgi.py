"""The venue's ASGI entry: HTTP to the OKX REST API (or, under /openrfq/v1, to the control plane; under /ui, to
the web blotter's files), the business WebSocket to the hub (and /openrfq/v1/feed to the control plane's feed),
and the lifespan of the venue's background duties (expiries on time, block-ticker pushes).

Built by ``runtime.build_app``, which assembles the parts; none of the parts knows the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from openrfq.api.app import OkxApi
from openrfq.control.api import PREFIX, ControlApi
from openrfq.control.feed import FEED_PATH, Feed
from openrfq.domain import errors
from openrfq.services import Services
from openrfq.ui import PATH as UI_PATH
from openrfq.ui import Blotter
from openrfq.ws.hub import Hub

WS_PATH = "/ws/v5/business"
CONTROL_PREFIX = PREFIX + "/"
UI_PREFIX = UI_PATH + "/"
TICK_MS = 1000  # the engine's due timers are also checked this often, whatever is due next


class VenueApp:
    def __init__(
        self, services: Services, http: OkxApi, hub: Hub, control: ControlApi, feed: Feed | None = None
    ) -> None:
        self.services, self.http, self.hub, self.control, self.feed = services, http, hub, control, feed
        self.blotter = Blotter()
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()  # a timer was armed before the tick's next look: look now
        self._next_look_ms = 0
        services.on_reset.append(self._start_over)
        services.venue.on_timer = self._timer_armed

    def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Awaitable[None]:
        # The handler's own coroutine, not one more around it: an HTTP request is resumed several times.
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path.startswith(CONTROL_PREFIX):
                return self.control(scope, receive, send)
            if path.startswith(UI_PREFIX) or path == UI_PATH:
                return self.blotter(scope, receive, send)
            return self.http(scope, receive, send)
        if kind == "websocket":
            if scope["path"] == WS_PATH:
                return self.hub.serve(scope, receive, send)
            if scope["path"] == FEED_PATH and self.feed is not None:
                return self.feed.serve(scope, receive, send)
            return _refuse(receive, send)
        return self._lifespan(receive, send)

    def direct(self, path: str) -> OkxApi | None:
        """The REST API, for openrfq's HTTP protocol to answer a request for ``path`` straight (openrfq.http1);
        None where ``__call__`` sends the request elsewhere."""
        if path.startswith(CONTROL_PREFIX) or path.startswith(UI_PREFIX) or path == UI_PATH:
            return None
        return self.http

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def start(self) -> None:
        """Timers that came due while the server was down (or led by another process) fire now, durably, before
        the first request; then the duties start."""
        self.services.venue.advance()
        await self.services.committer.durable()
        self._start_duties()

    async def stop(self) -> None:
        """The duties stopped, everything durable, the store closed."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        await self.services.committer.close()

    def _start_duties(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._tick()), loop.create_task(self.hub.run())]

    def _start_over(self) -> None:
        """The venue's state was replaced (control plane): the duties start over, timed from the new state."""
        if self._tasks:
            for task in self._tasks:
                task.cancel()
            self._start_duties()

    def _timer_armed(self, due_ms: int) -> None:
        if due_ms < self._next_look_ms:
            self._wake.set()

    async def _tick(self) -> None:
        """Fire the engine's timers when due even when nobody is calling, and make what they did durable."""
        svc = self.services
        while True:
            now = svc.time.now_ms()
            due = svc.venue.next_timer_ms()
            self._next_look_ms = now + TICK_MS if due is None else min(max(due, now), now + TICK_MS)
            self._wake.clear()
            await svc.time.sleep_until(self._next_look_ms, self._wake)
            try:
                svc.venue.advance()
                await svc.committer.durable()
            except errors.OkxError:  # the store failed: nothing is acknowledged any more
                return


async def _refuse(receive: Any, send: Any) -> None:
    """No other WebSocket endpoint: the handshake is refused (HTTP 403)."""
    await receive()
    await send({"type": "websocket.close", "code": 1008})
