"""Run a venue: uvicorn serving the app, and the configured LP bots as clients of it over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from openrfq.asgi import VenueApp
from openrfq.bots.lp import LiquidityProvider, bot_tls
from openrfq.config import BotSettings, Config
from openrfq.edge import EdgeConfig
from openrfq.gcpolicy import keep_full_collections_short
from openrfq.limits import EdgeLimits
from openrfq.standby import RoleApp

log = logging.getLogger("openrfq.serving")


class ListenError(Exception):
    """The venue cannot listen where it was told to: one line, for the command to print."""


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on ``host:port``, bound as asyncio's create_server would bind them, for
    ``running(sockets=...)``: a port in use, or a host that is not this machine's, raises ListenError before
    anything else happens (uvicorn would log it, then exit from inside the event loop with a traceback)."""
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ListenError(f"cannot listen on {host}: {e.strerror}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen()  # now: Linux lets two SO_REUSEADDR sockets bind one port until one of them listens
    except OSError as e:
        for sock in sockets:
            sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ListenError(f"port {port} on {host} is in use") from None
        raise ListenError(f"cannot listen on {host} port {port}: {e.strerror}") from None
    return sockets


class VenueServer(uvicorn.Server):
    """uvicorn's server, which stops the venue's own clients (its LP bots) first once told to exit (Ctrl-C,
    SIGTERM, or the block of ``running`` ending): they close their connections while the server still serves,
    instead of losing them to its shutdown, logging a reconnect, and holding the shutdown up."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.clients: list[asyncio.Task[None]] = []

    async def on_tick(self, counter: int) -> bool:
        should_exit = await super().on_tick(counter)
        if should_exit:  # uvicorn's shutdown follows this tick
            for task in self.clients:
                task.cancel()
            await asyncio.gather(*self.clients, return_exceptions=True)
        return should_exit

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        log.info("stopped")


@dataclass
class Running:
    server: uvicorn.Server
    serving: asyncio.Task[None]
    port: int
    tls: bool
    bots: list[LiquidityProvider] = field(default_factory=list)

    def url(self, host: str = "127.0.0.1") -> str:
        return f"{'https' if self.tls else 'http'}://{_url_host(host)}:{self.port}"

    def ws_url(self, host: str = "127.0.0.1") -> str:
        return f"{'wss' if self.tls else 'ws'}://{_url_host(host)}:{self.port}/ws/v5/business"


@contextlib.asynccontextmanager
async def running(
    api: VenueApp | RoleApp,
    config: Config,
    host: str = "127.0.0.1",
    port: int = 0,
    certfile: str | None = None,
    keyfile: str | None = None,
    limits: EdgeLimits | None = None,
    sockets: list[socket.socket] | None = None,
) -> AsyncIterator[Running]:
    """Serve until the block exits or the server is told to stop (SIGINT/SIGTERM); bots start once it listens.
    ``port=0`` picks a free port (``Running.port``). ``limits``: timeouts and connection caps (openrfq.limits).
    ``sockets``: already listening on ``host:port`` (``listening_sockets``)."""
    server = VenueServer(server_config(api, host, port, certfile, keyfile, limits))
    # The venue's history lives as long as it serves: out of the cyclic GC's sight (see gcpolicy). In place before
    # the server listens: its first collection walks everything start-up made (18-38 ms here), which no request may
    # wait on (bench/README.md).
    undo_gc_policy = keep_full_collections_short(asyncio.get_running_loop())
    try:
        serving = asyncio.create_task(server.serve(sockets))
        while not server.started:
            if serving.done():
                await serving  # start-up failed (port in use, bad certificate): raise its error
                raise SystemExit(1)  # uvicorn exits quietly on some start-up errors
            await asyncio.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()[1]
        run = Running(server, serving, bound, certfile is not None)
        loopback = _loopback(host)
        tasks: list[asyncio.Task[None]] = []
        leading: list[VenueApp] = []  # the venue the bots trade on: this process's, while it leads

        def start_bots() -> None:
            run.bots = [_bot(leading[0], settings, run, loopback) for settings in config.bots]
            tasks[:] = [asyncio.create_task(bot.run(), name=f"bot-{bot.trader_code}") for bot in run.bots]

        def stop_bots() -> None:
            for task in tasks:
                task.cancel()

        def restart_bots() -> None:  # the venue's state was replaced (control plane): the bots start over from it
            stop_bots()
            start_bots()

        def lead(app: VenueApp) -> None:
            leading[:] = [app]
            app.services.on_reset.append(restart_bots)
            start_bots()

        def step_down() -> None:  # a standby runs no bots (they would trade on the leader through the balancer)
            stop_bots()
            leading.clear()

        if isinstance(api, RoleApp):
            api.on_lead.append(lead)
            api.on_step_down.append(step_down)
            if api.app is not None:
                lead(api.app)
        else:
            lead(api)
        if config.bots:  # the bots' HTTP client would log every request at info; the venue logs its own requests
            logging.getLogger("httpx").setLevel(logging.WARNING)
        server.clients = tasks  # the same list (restarts refill it): stopped first when the server is told to exit
        try:
            yield run
        finally:
            for app in leading:
                if restart_bots in app.services.on_reset:
                    app.services.on_reset.remove(restart_bots)
            if isinstance(api, RoleApp):
                api.on_lead.remove(lead)
                api.on_step_down.remove(step_down)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            server.should_exit = True
            await serving
    finally:
        undo_gc_policy()


def server_config(
    api: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    certfile: str | None = None,
    keyfile: str | None = None,
    limits: EdgeLimits | None = None,
) -> EdgeConfig:
    """uvicorn's configuration of a venue: the edge protocols (openrfq.edge) and their limits."""
    return EdgeConfig(
        api,
        limits,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        interface="asgi3",  # VenueApp.__call__ returns the handler's coroutine: it is not itself a coroutine function
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        # Per-IP rate limits count the TCP peer: a forwarded-for header must not let a client pick its IP.
        proxy_headers=False,
    )


def _bot(api: VenueApp, settings: BotSettings, run: Running, loopback: str) -> LiquidityProvider:
    account = api.services.config.account(settings.trader_code)  # the venue's config: bots' accounts in it
    key = next(k for k in account.keys if "trade" in k.permissions)
    return LiquidityProvider(
        settings,
        key,
        run.url(loopback),
        run.ws_url(loopback),
        tls=bot_tls() if run.tls else None,
        venue_time=api.services.time,  # re-quotes in venue time: a virtual clock's advance includes them
        signing_ms=api.services.auth_clock.now_ms,  # signed by the clock the venue judges them by
    )


async def serve_forever(
    api: VenueApp | RoleApp,
    config: Config,
    host: str,
    port: int,
    certfile: str | None,
    keyfile: str | None,
    limits: EdgeLimits | None = None,
    sockets: list[socket.socket] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn's handlers end ``serving``)."""
    async with running(api, config, host, port, certfile, keyfile, limits, sockets) as run:
        await asyncio.shield(run.serving)


def run_blocking(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on the event loop uvicorn would pick (uvloop when installed), as ``uvicorn.run`` does."""
    with asyncio.Runner(loop_factory=uvicorn.Config(app="").get_loop_factory()) as runner:
        runner.run(main)


def _loopback(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
