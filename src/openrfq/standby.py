"""A venue on PostgreSQL, leader or standby: ``openrfq serve --store postgresql://...``.

Several processes may serve one store; the one holding its lease (store/lease.py) leads and is the venue. The
others are standbys: they listen on their ports and answer every request with OKX's 503 / 50001 ("Service
temporarily unavailable"), ``GET /openrfq/v1/health`` included (503, ``role: standby``: a load balancer's health
check then routes to the leader alone), and refuse WebSocket handshakes. A standby asks for the lease every
``POLL_S``; once it has it, it loads the live state from the store, fires the timers that came due meanwhile
(venue.advance, as at any start) and serves.

A leader that loses the store steps down: the moment a commit fails (the database is gone, or the fence says
another process leads), the committer refuses every request from then on (503/50001), and here the venue is
dropped (its WebSocket sessions closed, 1012 "service restart") and the process goes back to standing by. The
lease's own connection is checked every ``CHECK_S`` too, so a leader idle when it lost the lease finds out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from openrfq.api import codec
from openrfq.api.app import OkxApi
from openrfq.asgi import VenueApp
from openrfq.control.api import PREFIX
from openrfq.domain import errors
from openrfq.store import pgopen
from openrfq.store.base import Store, StoreError
from openrfq.store.lease import Lease

log = logging.getLogger("openrfq.standby")

POLL_S = 0.2  # a standby asks for the lease this often: it leads within POLL_S of the lock's release
CHECK_S = 0.5  # a leader checks its lease's connection this often
RETRY_S = 1.0  # after the store could not be reached
SERVICE_RESTART = 1012  # the WebSocket close code sessions of a leader that steps down get
HEALTH = PREFIX + "/health"
_UNAVAILABLE = errors.ServiceUnavailable()

Build = Callable[[Store], VenueApp]


class RoleApp:
    """The ASGI app of a process on a PostgreSQL store: its venue while it leads, a standby's answers otherwise.

    ``build`` makes the venue from the store once this process has the lease (blocking: it loads the state; run
    on a thread). ``on_lead`` is told each venue this process starts leading with, ``on_step_down`` when it
    stops (the LP bots run only on the leader)."""

    def __init__(self, url: str, build: Build, leader: VenueApp | None = None, lease: Lease | None = None) -> None:
        """``leader``: the venue, built already on the store whose lease this process holds (``openrfq serve``
        found the store free); else ``lease``, if any: the store's lease, not acquired."""
        self.url = url
        self._build = build
        self._lease = lease
        self._starting = leader
        self.app: VenueApp | None = None
        self.on_lead: list[Callable[[VenueApp], None]] = []
        self.on_step_down: list[Callable[[], None]] = []
        self._watch: asyncio.Task[None] | None = None
        self._stepping_down: asyncio.Task[None] | None = None
        self._body = codec.error(_UNAVAILABLE)
        unavailable = {"code": _UNAVAILABLE.code, "msg": _UNAVAILABLE.msg}
        self._health = codec.encode({**unavailable, "data": [{"role": "standby"}]})

    @property
    def leader(self) -> VenueApp | None:
        """The venue while this process leads (or, before it serves, is about to)."""
        return self.app or self._starting

    @property
    def role(self) -> str:
        return "leader" if self.app is not None else "standby"

    def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Awaitable[None]:
        app = self.app
        if scope["type"] == "lifespan":
            return self._lifespan(receive, send)
        if app is not None:
            return app(scope, receive, send)
        if scope["type"] == "websocket":
            return self._refuse(scope, receive, send)
        return self._standby(scope, send)

    def direct(self, path: str) -> OkxApi | None:
        """While leading, the venue's REST API for openrfq's HTTP protocol (VenueApp.direct); a standby's answers
        go through ``__call__``."""
        app = self.app
        return app.direct(path) if app is not None else None

    async def _standby(self, scope: dict[str, Any], send: Any) -> None:
        body = self._health if scope["path"] == HEALTH else self._body
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _refuse(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A WebSocket handshake gets what a REST request gets (503, 50001) where the server can answer it over
        HTTP (uvicorn's ``websocket.http.response`` extension); else a plain refusal (403). The client reconnects,
        through the load balancer, to the leader."""
        await receive()  # websocket.connect
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1013})
            return
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(self._body))]
        await send({"type": "websocket.http.response.start", "status": 503, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": self._body})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._starting is not None:
                    app, self._starting = self._starting, None
                    await self._lead(app)
                else:
                    await self._try_lead()  # a free store: lead before the first request
                self._watch = asyncio.create_task(self._run(), name="openrfq-role")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close_lease(self) -> None:
        """The lease of a standby that never started serving, closed."""
        if self._lease is not None:
            self._lease.close()
            self._lease = None

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        if self._stepping_down is not None:
            await asyncio.gather(self._stepping_down, return_exceptions=True)
        app, self.app = self.app, None
        if app is not None:
            for callback in self.on_step_down:
                callback()
            try:
                await app.stop()
            except errors.OkxError:  # its store had failed: closed all the same
                pass
        if self._lease is not None:
            await asyncio.to_thread(self._lease.close)
            self._lease = None

    async def _run(self) -> None:
        while True:
            if self.app is None:
                await asyncio.sleep(POLL_S)
                await self._try_lead()
                continue
            await asyncio.sleep(CHECK_S)
            app = self.app
            store = app.services.committer.store if app is not None else None
            lease: Lease | None = getattr(store, "lease", None)
            if lease is None:
                continue
            try:
                await asyncio.to_thread(lease.check)
            except StoreError as e:
                self.step_down(e)

    async def _try_lead(self) -> None:
        """Lead if the lease is free: load the venue from the store and start it."""
        try:
            if self._lease is None:
                self._lease = await _unless_cancelled(pgopen.lease, self.url, undo=lambda lease: lease.close())
            epoch = await asyncio.to_thread(self._lease.acquire)
        except Exception as e:  # noqa: BLE001 (the store is unreachable: stand by, ask again later)
            log.warning("standby: the store cannot be reached (%s); asking again in %s s", e, RETRY_S)
            await self._forget_lease()
            await asyncio.sleep(RETRY_S)
            return
        if epoch is None:
            return
        lease, self._lease = self._lease, None
        try:
            app = await _unless_cancelled(self._leader, lease, undo=_close_store, failed=lease.close)
        except Exception as e:  # noqa: BLE001 (the store failed while loading: stand by again)
            log.error("could not take over: %s", e)
            await asyncio.to_thread(lease.close)
            return
        await self._lead(app)

    async def _lead(self, app: VenueApp) -> None:
        try:
            await app.start()
        except errors.OkxError as e:  # its first commit failed: stand by again
            log.error("could not take over: %s", e)
            await _stop(app)
            return
        app.services.committer.on_failure = self.step_down
        self.app = app
        log.warning("leading the store %s", pgopen.shown(self.url))
        for callback in self.on_lead:
            callback(app)

    def _leader(self, lease: Lease) -> VenueApp:
        from openrfq.store.postgres import PostgresStore

        return self._build(PostgresStore(lease))

    async def _forget_lease(self) -> None:
        if self._lease is not None:
            lease, self._lease = self._lease, None
            await asyncio.to_thread(lease.close)

    def step_down(self, reason: BaseException) -> None:
        """Stop leading at once (on the loop): requests are answered as a standby's from now on."""
        app, self.app = self.app, None
        if app is None:
            return
        log.error("stepping down: %s", reason)
        for session in list(app.hub.sessions):
            session.close(SERVICE_RESTART)
        for callback in self.on_step_down:
            callback()
        self._stepping_down = asyncio.get_running_loop().create_task(_stop(app))


T = TypeVar("T")
A = TypeVar("A")


async def _unless_cancelled(
    work: Callable[[A], T], arg: A, undo: Callable[[T], None], failed: Callable[[], None] | None = None
) -> T:
    """``work(arg)`` on a thread. If the caller is cancelled meanwhile (the process stops), the thread still
    finishes: what it opened is closed then (``undo`` its result; ``failed``, if it raised), not left to the GC."""
    done = asyncio.ensure_future(asyncio.to_thread(work, arg))
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:

        def tidy(finished: asyncio.Future[T]) -> None:
            if finished.cancelled() or finished.exception() is not None:
                if failed is not None:
                    failed()
            else:
                undo(finished.result())

        done.add_done_callback(tidy)
        raise


def _close_store(app: VenueApp) -> None:
    app.services.committer.store.close()


async def _stop(app: VenueApp) -> None:
    try:
        await app.stop()
    except errors.OkxError:  # its store had failed: closed all the same
        pass
    except Exception:
        log.exception("closing the store after stepping down")
