"""What the edge's two protocols share: the table of open connections (per-IP and total caps), the answers that
end a connection (the refusals), closing without waiting forever for a client that stopped reading, and the
WebSocket protocol a connection is upgraded to (``EdgeWebSocketProtocol``).

``EdgeWebSocketProtocol`` (uvicorn's, subclassed) aborts a connection whose close cannot be sent promptly (its
client stopped reading) instead of waiting forever, and releases the connection's place in the caps when it
ends. Message sizes: ``ws_max_size`` (``WS_MAX_FRAME``) here, ``WS_MAX_MESSAGE`` in the session.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from openrfq.limits import CLOSE_TIMEOUT_S, MAX_HEAD, MAX_HEADER_LINE, MAX_REQUEST_LINE

log = logging.getLogger("openrfq.edge")

_REASONS = {
    408: b"Request Timeout",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


def _response(status: int) -> bytes:
    """A complete response that ends the connection, with an envelope like the app's 404."""
    reason = _REASONS[status]
    body = b'{"code":"%d","msg":"%s","data":[]}' % (status, reason)
    return b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s" % (
        status,
        reason,
        len(body),
        body,
    )


REFUSALS = {status: _response(status) for status in _REASONS}


class ConnectionTable:
    """Open connections per client IP and in all; one per server, shared by its protocol instances."""

    __slots__ = ("_refused_logged_at", "by_ip", "count", "limit", "per_ip", "refused")

    def __init__(self, limit: int, per_ip: int) -> None:
        self.limit, self.per_ip = limit, per_ip
        self.count = 0
        self.by_ip: dict[str, int] = {}
        self.refused = 0  # since the process started
        self._refused_logged_at = 0.0

    def admit(self, ip: str) -> bool:
        held = self.by_ip.get(ip, 0)
        if held >= self.per_ip or self.count >= self.limit:
            self._refuse(ip, held)
            return False
        self.by_ip[ip] = held + 1
        self.count += 1
        return True

    def release(self, ip: str) -> None:
        held = self.by_ip[ip] - 1
        if held:
            self.by_ip[ip] = held
        else:
            del self.by_ip[ip]
        self.count -= 1

    def _refuse(self, ip: str, held: int) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self._refused_logged_at >= 10.0:  # a flood of connections must not become a flood of log lines
            self._refused_logged_at = now
            cap = "per-IP" if held >= self.per_ip else "total"
            log.warning(
                "connection refused: %s cap reached",
                cap,
                extra={"ip": ip, "connections": self.count, "ipConnections": held, "refused": self.refused},
            )


def raise_fd_limit() -> int:
    """Raise the soft limit on open files to the hard one (as far as the system lets us); return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # a container may forbid it: the caps follow the limit we have
            pass
    return int(soft)


def close_then_abort(transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
    """Close gracefully (what was written still goes out), and drop the connection if that takes too long."""
    transport.close()
    loop.call_later(CLOSE_TIMEOUT_S, transport.abort)  # a no-op once the transport has closed


def head_refusal(url: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """The status a request head over a size limit is refused with (414, 431), or 0."""
    if len(url) > MAX_REQUEST_LINE:
        return 414
    total = len(url)
    for name, value in headers:
        size = len(name) + len(value) + 4  # ": " and CRLF
        if size > MAX_HEADER_LINE:
            return 431
        total += size
    return 431 if total > MAX_HEAD else 0


def is_websocket(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a head asks for a WebSocket (``connection: upgrade``, ``upgrade: websocket``)."""
    connection: list[bytes] = []
    kind = b""
    for name, value in headers:
        if name == b"connection":
            connection = [token.strip().lower() for token in value.split(b",")]
        elif name == b"upgrade":
            kind = value.lower()
    return b"upgrade" in connection and kind == b"websocket"


def upgrade(
    config: uvicorn.Config,
    server_state: ServerState,
    app_state: dict[str, Any],
    transport: Any,
    head: bytes,
    ip: str,
    table: ConnectionTable,
) -> None:
    """Hand an HTTP connection to the WebSocket protocol, its handshake's ``head`` as read; its place in the caps
    (``ip``) goes with it."""
    protocol = config.ws_protocol_class(config=config, server_state=server_state, app_state=app_state)  # type: ignore[call-arg, misc]
    protocol.connection_made(transport)
    protocol.data_received(head)
    transport.set_protocol(protocol)
    if isinstance(protocol, EdgeWebSocketProtocol):
        protocol.counted_ip = ip
    else:  # not ours: nobody else would release it
        table.release(ip)


class EdgeWebSocketProtocol(WebSocketsSansIOProtocol):
    """A connection upgraded by ``http1.HttpProtocol``: counted in the caps until it ends, never left half-closed."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._table: ConnectionTable = config.connection_table  # type: ignore[attr-defined]  # an EdgeConfig
        self.close_timeout = CLOSE_TIMEOUT_S
        self.counted_ip: str | None = None  # set by the HTTP protocol that admitted the connection and upgraded it

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.counted_ip is not None:
            self._table.release(self.counted_ip)
            self.counted_ip = None

    async def send(self, message: Any) -> None:
        if (
            message["type"] == "websocket.close"
            and self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and not self.writable.is_set()
        ):
            # The client stopped reading: its close frame would wait behind everything it has not read, and
            # uvicorn's send would wait for that first. Drop the connection now.
            self.close_sent = True
            self.queue.put_nowait({"type": "websocket.disconnect", "code": message.get("code", 1000)})
            self.transport.abort()
            return
        await super().send(message)
        if message["type"] == "websocket.close" and self.close_timer is not None:
            # uvicorn's timer for the client's answer to our close frame calls transport.close(), which waits for
            # the send buffer to drain: abort instead.
            self.close_timer.cancel()
            self.close_timer = self.loop.call_later(self.close_timeout, self.transport.abort)

    async def run_asgi(self) -> None:
        await super().run_asgi()
        if not self.disconnected:  # uvicorn closed the transport: make sure that ends, drained or not
            self.loop.call_later(self.close_timeout, self.transport.abort)

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self.loop.call_later(self.close_timeout, self.transport.abort)

    def shutdown(self) -> None:
        super().shutdown()
        self.loop.call_later(self.close_timeout, self.transport.abort)
