"""The HTTP and WebSocket edge: uvicorn's protocols with the limits of ``openrfq.limits`` enforced.

uvicorn reads a request head whole before anyone can look at it (httptools joins a header's pieces as they come:
a 64 MB header costs seconds of one core), closes idle connections only after a first response, accepts every
connection until the process runs out of file descriptors, and closes a connection by waiting for its send
buffer to drain, which never happens if the client stopped reading. The two protocol classes here fix that
where the bytes arrive, so that the app never sees what the limits refuse:

- ``EdgeHttpProtocol`` counts the bytes of a request head as they arrive and refuses one over ``MAX_HEAD``
  (431) as soon as they have arrived; checks the request line and each header line once the head is complete
  (414, 431); closes a connection that sends nothing for ``keep_alive_s`` (from its start or its last
  response) or takes over ``request_timeout_s`` to send a request (408); admits a connection only within the
  per-IP and total caps (others get a 503 and are closed at once); and drops a connection whose responses go
  unread for ``WRITE_TIMEOUT_S``.
- ``EdgeWebSocketProtocol`` (a connection upgraded by the former) aborts a connection whose close cannot be sent
  promptly (its client stopped reading) instead of waiting forever, and releases the connection's place in the
  caps when it ends. Message sizes: ``ws_max_size`` (``WS_MAX_FRAME``) here, ``WS_MAX_MESSAGE`` in the session.

This module is not compiled by mypyc (it subclasses uvicorn's classes); the hot path's additions are integer
counts and flags, no allocation per chunk, and a timer only for a request that does not arrive in one piece.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from openrfq.faults import DROP_EXTENSION
from openrfq.limits import (
    CLOSE_TIMEOUT_S,
    FD_RESERVE,
    MAX_HEAD,
    MAX_HEADER_LINE,
    MAX_REQUEST_LINE,
    WRITE_TIMEOUT_S,
    WS_MAX_FRAME,
    EdgeLimits,
)

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


_RESPONSES = {status: _response(status) for status in _REASONS}


class _HeadRefused(Exception):
    """Raised in a parser callback to stop parsing a head the limits refuse (httptools wraps it)."""


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


class EdgeConfig(uvicorn.Config):
    """uvicorn's configuration with the edge protocols, the WebSocket frame cap and this server's caps. Making
    one raises the process's soft limit on open files to the hard limit (the total cap is kept below it)."""

    def __init__(self, app: Any, limits: EdgeLimits | None = None, **kwargs: Any) -> None:
        super().__init__(app, http=EdgeHttpProtocol, ws=EdgeWebSocketProtocol, ws_max_size=WS_MAX_FRAME, **kwargs)
        self.limits = limits or EdgeLimits()
        fd_limit = raise_fd_limit()
        cap = min(self.limits.max_connections, max(fd_limit - FD_RESERVE, 1))
        self.connection_table = ConnectionTable(cap, self.limits.max_connections_per_ip)


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


def _close_then_abort(transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
    """Close gracefully (what was written still goes out), and drop the connection if that takes too long."""
    transport.close()
    loop.call_later(CLOSE_TIMEOUT_S, transport.abort)  # a no-op once the transport has closed


class EdgeHttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(config, EdgeConfig), "EdgeHttpProtocol needs an EdgeConfig"
        self._table = config.connection_table
        self._request_timeout_s = config.limits.request_timeout_s
        self.timeout_keep_alive = config.limits.keep_alive_s  # type: ignore[assignment]  # uvicorn's timer, a float
        self._ip: str | None = None  # the IP this connection is counted under, until it ends or is upgraded
        # The head of the next request: True from the connection's start or the end of a request until the end
        # of the next head. While it is, every chunk that arrives is counted in _head_bytes (whole: it is an
        # upper bound of the head's size when the head began at or after the chunk's start, see _head_exact).
        self._head_open = True
        self._head_bytes = 0
        self._head_exact = True
        self._refusal = 0  # the status a parser callback refused the head with
        self._deadline: asyncio.TimerHandle | None = None  # request timeout, armed for a request in pieces only
        self._write_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ip = self.client[0] if self.client else ""
        if not self._table.admit(ip):
            transport.write(_RESPONSES[503])
            _close_then_abort(transport, self.loop)
            return
        self._ip = ip
        # uvicorn arms its keep-alive timer only after a response: a connection that never sends is closed too.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        if self._ip is not None:
            self._table.release(self._ip)
            self._ip = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's data_received (0.54), with the head's bytes counted and a refused head answered.
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        if self._head_open:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._refusal:
                self._refuse(self._refusal)
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._head_open and self._head_bytes == 0:
            return  # the usual case: the chunk ended with a complete request
        self._incomplete()

    def _incomplete(self) -> None:
        """The chunk ended inside a request: its head so far within bounds, and the request timer running."""
        if self.transport.is_closing():
            return
        if self._head_open and self._head_bytes > MAX_HEAD:
            self._refuse(431)
        elif self._deadline is None:
            self._deadline = self.loop.call_later(self._request_timeout_s, self._request_timed_out)

    def on_message_begin(self) -> None:
        # Nothing counted since the last request ended: this head began inside the chunk that ended it, and
        # _head_bytes is no bound of its size.
        self._head_exact = self._head_bytes > 0
        HttpToolsProtocol.on_message_begin(self)  # not super(): a super object per call costs on the hot path

    def on_headers_complete(self) -> None:
        self._head_open = False
        if self._head_bytes > MAX_HEADER_LINE or not self._head_exact:
            self._check_head()
        # The control plane's "drop" fault closes the connection without an answer (ASGI has no word for it).
        self.scope["extensions"] = {DROP_EXTENSION: {"abort": self.transport.abort}}
        HttpToolsProtocol.on_headers_complete(self)

    def _check_head(self) -> None:
        """The exact sizes of a head that may be over a limit (the rare case: small heads skip this)."""
        status = 0
        if len(self.url) > MAX_REQUEST_LINE:
            status = 414
        else:
            total = len(self.url)
            for name, value in self.headers:
                size = len(name) + len(value) + 4  # ": " and CRLF
                if size > MAX_HEADER_LINE:
                    status = 431
                    break
                total += size
            if total > MAX_HEAD:
                status = 431
        if status:
            self._refusal = status
            raise _HeadRefused

    def on_message_complete(self) -> None:
        self._head_open = True
        self._head_bytes = 0
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        HttpToolsProtocol.on_message_complete(self)

    def handle_websocket_upgrade(self) -> None:
        self._cancel_timers()
        ip, self._ip = self._ip, None  # the WebSocket protocol releases it when the connection ends
        if ip is None:  # refused at connection_made: already closing
            return
        super().handle_websocket_upgrade()
        protocol = self.transport.get_protocol()
        if isinstance(protocol, EdgeWebSocketProtocol):
            protocol.counted_ip = ip
        else:  # not ours (uvicorn refused the upgrade?): nobody else would release it
            self._table.release(ip)

    def _request_timed_out(self) -> None:
        self._deadline = None
        # In a head: the current cycle (if any) is an earlier request's. In a body: it is this request's.
        self._refuse(408, this_request=not self._head_open)

    def _refuse(self, status: int, this_request: bool = False) -> None:
        """Answer ``status`` and close. If an earlier request's response is still to come (pipelining), or this
        request's has begun, only close: a response cannot be put before or into another."""
        cycle = self.cycle
        if this_request:
            answer = cycle is None or not cycle.response_started
        else:
            answer = not self.pipeline and (cycle is None or cycle.response_complete)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's later sends are dropped; a receive() learns of the disconnect
            cycle.message_event.set()
        if answer and not self.transport.is_closing():
            self.transport.write(_RESPONSES[status])
        _close_then_abort(self.transport, self.loop)

    def timeout_keep_alive_handler(self) -> None:
        if not self.transport.is_closing():
            _close_then_abort(self.transport, self.loop)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(WRITE_TIMEOUT_S, self.transport.abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def shutdown(self) -> None:
        if (self.cycle is None or self.cycle.response_complete) and self.transport.get_extra_info("sslcontext"):
            # An idle TLS connection: its close would wait for the client to answer our close_notify, which an
            # idle client (a pooled keep-alive connection) does not read. Nothing is left to send: drop it now.
            self.transport.abort()
            return
        super().shutdown()
        self.loop.call_later(CLOSE_TIMEOUT_S, self.transport.abort)

    def _cancel_timers(self) -> None:
        for timer in (self._deadline, self._write_timer, self.timeout_keep_alive_task):
            if timer is not None:
                timer.cancel()
        self._deadline = self._write_timer = self.timeout_keep_alive_task = None


class EdgeWebSocketProtocol(WebSocketsSansIOProtocol):
    """A connection upgraded by ``EdgeHttpProtocol``: counted in the caps until it ends, never left half-closed."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(config, EdgeConfig), "EdgeWebSocketProtocol needs an EdgeConfig"
        self._table = config.connection_table
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
