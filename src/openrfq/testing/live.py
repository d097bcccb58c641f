"""A venue served on a real port in the test's own event loop: uvicorn and the venue's LP bots as ``openrfq serve``
runs them (``serving.running``), for WebSocket clients and real HTTP::

    async with live_venue(config, tmp_path) as live:
        ws = await live.logged_in("MAKER1", "rfqs")
        async with live.rest("TAKER1") as taker:
            await taker.create_rfq(["MAKER1"], [Leg("BTC-USDT", "1", "buy")])
        print(await receive(ws))

On a ``ManualClock`` (``clock=``), venue time moves only when the test moves it:
``await live.app.services.time.advance_to(ms)`` returns once every timer due on the way has fired.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from openrfq.asgi import VenueApp
from openrfq.client import OpenRfqClient
from openrfq.config import Config
from openrfq.domain.clock import Clock
from openrfq.limits import EdgeLimits
from openrfq.runtime import build_app
from openrfq.serving import Running, running
from openrfq.testing import ws
from openrfq.testing.accounts import Account, find_account, first_keys
from openrfq.testing.party import Party
from openrfq.tls import local_certificate


@dataclass
class LiveVenue:
    app: VenueApp
    running: Running  # the server, its port and its LP bots (``running.bots``)
    config: Config
    ca_file: Path | None = None  # served over TLS: the local CA that signed its certificate

    @property
    def port(self) -> int:
        return self.running.port

    @property
    def url(self) -> str:
        return self.running.url()

    @property
    def ws_url(self) -> str:
        return self.running.ws_url()

    @property
    def accounts(self) -> dict[str, Account]:
        """Each account by trader code, with its first API key."""
        return first_keys(self.config)

    def account(self, name: str) -> Account:
        """By trader code (the account's first key) or by api_key."""
        return find_account(self.config, name)

    def tls(self) -> ssl.SSLContext | None:
        """What a client trusts to reach this venue over TLS (None: plain HTTP)."""
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None

    def now_ms(self) -> int:
        """The clock the venue checks request and login timestamps against, in ms."""
        return self.app.services.auth_clock.now_ms()

    def party(self, name: str) -> Party:
        """Signed raw requests as ``name`` (trader code or api_key), on a client of its own: ``async with``."""
        client = httpx.AsyncClient(base_url=self.url, timeout=10, verify=self.tls() or True)
        return Party(client, self.account(name), self.now_ms, owns_client=True)

    def rest(self, name: str) -> OpenRfqClient:
        """The typed client as ``name`` (trader code or api_key), signed by the venue's clock: ``async with``."""
        key = self.account(name)
        return OpenRfqClient(
            self.url, key.api_key, key.secret_key, key.passphrase, clock_ms=self.now_ms, verify=self.tls() or True
        )

    def login_message(self, name: str, timestamp: str | None = None, **override: str) -> str:
        return ws.login_message(self.account(name), self.now_ms(), timestamp, **override)

    async def logged_in(self, name: str, *channels: str) -> ClientConnection:
        """A WebSocket logged in as ``name`` and subscribed to ``channels``; the caller closes it."""
        return await ws.logged_in(self.ws_url, self.account(name), *channels, now_ms=self.now_ms(), tls=self.tls())


@contextlib.asynccontextmanager
async def live_venue(
    config: Config,
    data_dir: Path,
    clock: Clock | None = None,
    *,
    tls: bool = False,
    limits: EdgeLimits | None = None,
    token: str | None = None,
    keepalive_clock: Clock | None = None,
    **hub: Any,
) -> AsyncIterator[LiveVenue]:
    """The venue of ``config`` on a free port of 127.0.0.1, its store in ``data_dir``, on ``clock`` (default: the
    machine's). ``tls``: HTTPS and WSS with the local CA of ``openrfq serve --tls`` (``ca_file``); ``limits``: the
    edge's timeouts and caps; ``token``: the control plane on with that bearer token; ``keepalive_clock``: what the
    WebSocket keep-alive counts in (``openrfq serve --clock virtual`` counts it in the machine's time); ``hub``:
    the WebSocket hub's settings (``idle_timeout_s``, ``queue_size``, ``ticker_interval_s``)."""
    app = build_app(config, data_dir, clock, admin_token=token, keepalive_clock=keepalive_clock)
    for name, value in hub.items():
        setattr(app.hub, name, value)
    files = local_certificate(data_dir / "tls") if tls else None
    cert, key = (str(files.cert), str(files.key)) if files else (None, None)
    async with running(app, config, certfile=cert, keyfile=key, limits=limits) as run:
        yield LiveVenue(app, run, config, files.ca if files else None)
