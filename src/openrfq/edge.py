"""The HTTP and WebSocket edge: the venue's uvicorn configuration, with openrfq's HTTP/1.1 protocol
(openrfq.http1) and the limits of ``openrfq.limits`` enforced where the bytes arrive, so that the app never sees
what the limits refuse.

uvicorn's own HTTP protocol reads a request head whole before anyone can look at it (httptools joins a header's
pieces as they come: a 64 MB header costs seconds of one core), closes idle connections only after a first
response, accepts every connection until the process runs out of file descriptors, closes a connection by
waiting for its send buffer to drain (which never happens if the client stopped reading), and builds an ASGI
scope, messages and a task for every request. ``HttpProtocol`` does none of that (openrfq.http1 says what it
does instead); uvicorn keeps the listening sockets, the lifespan, signals and shutdown, and the WebSocket
protocol (``connections.EdgeWebSocketProtocol``).
"""

from __future__ import annotations

from typing import Any

import uvicorn

from openrfq.connections import ConnectionTable, EdgeWebSocketProtocol, raise_fd_limit
from openrfq.http1 import HttpProtocol
from openrfq.limits import FD_RESERVE, WS_MAX_FRAME, EdgeLimits


class EdgeConfig(uvicorn.Config):
    """uvicorn's configuration with the edge protocols, the WebSocket frame cap and this server's caps. Making
    one raises the process's soft limit on open files to the hard limit (the total cap is kept below it)."""

    def __init__(self, app: Any, limits: EdgeLimits | None = None, **kwargs: Any) -> None:
        http: Any = HttpProtocol  # an asyncio protocol by its methods, not by its base (openrfq.http1)
        super().__init__(app, http=http, ws=EdgeWebSocketProtocol, ws_max_size=WS_MAX_FRAME, **kwargs)
        self.limits = limits or EdgeLimits()
        fd_limit = raise_fd_limit()
        cap = min(self.limits.max_connections, max(fd_limit - FD_RESERVE, 1))
        self.connection_table = ConnectionTable(cap, self.limits.max_connections_per_ip)
