"""Testing against openrfq: a venue started three ways, the accounts it runs, and signed raw OKX requests.

- ``open_venue`` -> ``InProcessVenue``: the ASGI app called in the test's own event loop through httpx, on a
  ``ManualClock`` the test moves (no socket: the fastest, and exact in time);
- ``live_venue`` -> ``LiveVenue``: the same app served by uvicorn on a free port in the test's event loop, with
  its LP bots (WebSocket clients, real HTTP, TLS);
- ``ServerVenue``: a real ``openrfq serve`` subprocess with a virtual clock and the control plane (restart,
  kill -9, TLS, rate limits on or off, your config).

Each finds its accounts by trader code or api_key (``account``, an ``Account``: one API key) and signs requests
as one of them (``party`` -> ``Party``). ``ws`` has the WebSocket's login, a logged-in connection, the next message.

Installing openrfq registers the pytest plugin ``openrfq.testing.plugin`` (fixtures ``openrfq`` and
``openrfq_venue``, a ``ServerVenue``). README.md, "Testing your bot", has an example.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openrfq.testing.accounts import Account
    from openrfq.testing.inprocess import InProcessVenue, asgi_client, asgi_transport, open_venue
    from openrfq.testing.live import LiveVenue, live_venue
    from openrfq.testing.party import Party, wall_ms
    from openrfq.testing.server import ServerVenue, VenueError, free_port
    from openrfq.testing.ws import logged_in, login_message, next_push, receive

# Imported when first asked for: the pytest plugin, loaded in every session of a project that installs openrfq,
# needs only ServerVenue, not the in-process venue (the whole server) nor uvicorn.
_MODULES = {
    "Account": "accounts",
    "InProcessVenue": "inprocess",
    "asgi_client": "inprocess",
    "asgi_transport": "inprocess",
    "open_venue": "inprocess",
    "LiveVenue": "live",
    "live_venue": "live",
    "Party": "party",
    "wall_ms": "party",
    "ServerVenue": "server",
    "VenueError": "server",
    "free_port": "server",
    "logged_in": "ws",
    "login_message": "ws",
    "next_push": "ws",
    "receive": "ws",
}
__all__ = [
    "Account",
    "InProcessVenue",
    "LiveVenue",
    "Party",
    "ServerVenue",
    "VenueError",
    "asgi_client",
    "asgi_transport",
    "free_port",
    "live_venue",
    "logged_in",
    "login_message",
    "next_push",
    "open_venue",
    "receive",
    "wall_ms",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'openrfq.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"openrfq.testing.{_MODULES[name]}"), name)
