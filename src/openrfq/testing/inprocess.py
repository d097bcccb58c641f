"""A venue in the test's own process and event loop: the ASGI app called through httpx, no socket, no server.

Time is a ``ManualClock`` the test moves itself (``venue.clock.advance(ms)``), so expiries, rate-limit windows
and timestamps are exact::

    async with open_venue(config, tmp_path, ManualClock(START_MS)) as venue:
        taker = venue.party("TAKER1")
        answer = await taker.post("/api/v5/rfq/create-rfq", {...})
        venue.clock.advance(120_000)
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from openrfq.asgi import VenueApp
from openrfq.client import OpenRfqClient
from openrfq.config import Config
from openrfq.control.api import PREFIX
from openrfq.domain.clock import ManualClock
from openrfq.runtime import build_app
from openrfq.testing.accounts import Account, find_account, first_keys
from openrfq.testing.party import Party

BASE_URL = "http://openrfq.test"


def asgi_transport(app: VenueApp, client_ip: str = "127.0.0.1") -> httpx.AsyncBaseTransport:
    """httpx's transport to ``app`` in process, its requests coming from ``client_ip`` (per-IP limits count it)."""

    async def call(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        await app(dict(scope), receive, send)  # httpx types the scope a MutableMapping; ASGI's (and ours) is a dict

    return httpx.ASGITransport(app=call, client=(client_ip, 50000))


def asgi_client(app: VenueApp, client_ip: str = "127.0.0.1") -> httpx.AsyncClient:
    """An httpx client of ``app`` in process, from ``client_ip``; the caller closes it."""
    return httpx.AsyncClient(transport=asgi_transport(app, client_ip), base_url=BASE_URL)


@dataclass
class InProcessVenue:
    app: VenueApp
    clock: ManualClock
    client: httpx.AsyncClient
    config: Config
    data_dir: Path
    token: str | None = None  # the control plane's bearer token; None: the control plane is off

    url = BASE_URL

    @property
    def accounts(self) -> dict[str, Account]:
        """Each account by trader code, with its first API key."""
        return first_keys(self.config)

    def account(self, name: str) -> Account:
        """By trader code (the account's first key) or by api_key."""
        return find_account(self.config, name)

    def party(self, name: str) -> Party:
        """A trader code or api_key's signed requests, on this venue's client (signed by its clock)."""
        return Party(self.client, self.account(name), self.app.services.auth_clock.now_ms)

    def rest(self, name: str) -> OpenRfqClient:
        """The typed client as ``name`` (trader code or api_key), in process: ``async with``."""
        key = self.account(name)
        return OpenRfqClient(
            self.url,
            key.api_key,
            key.secret_key,
            key.passphrase,
            clock_ms=self.app.services.auth_clock.now_ms,
            transport=asgi_transport(self.app),
        )

    async def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """A call to the control plane: ``await venue.control("POST", "/clock/advance", {"ms": 1000})``."""
        if self.token is None:
            raise RuntimeError("the control plane is off: open_venue(..., control=True) turns it on")
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.client.request(method, PREFIX + path, json=body, headers=headers)


@contextlib.asynccontextmanager
async def open_venue(
    config: Config, data_dir: Path, clock: ManualClock | None = None, *, control: bool = False
) -> AsyncIterator[InProcessVenue]:
    """The venue of ``config`` on ``data_dir`` (its SQLite store), on ``clock`` (default: a ManualClock at the
    machine's now); ``control``: the control plane on, with a token of its own (``venue.token``)."""
    clock = clock or ManualClock(int(time.time() * 1000))
    token = secrets.token_urlsafe(16) if control else None
    app = build_app(config, data_dir, clock, admin_token=token)
    try:
        async with asgi_client(app) as client:
            yield InProcessVenue(app, clock, client, config, data_dir, token)
    finally:
        await app.services.committer.close()
