"""openrfq's HTTP/1.1 server protocol: httptools' parser on the event loop, the REST API answered straight from it.

A request read whole (head and body, at most ``MAX_BODY``) goes to ``OkxApi.respond`` with a reply callback: no
ASGI scope, no receive/send messages, no task per request (what uvicorn's protocol builds for each one, about
as much CPU as the rest of its floor: bench/README.md). Everything else (the control plane, the web blotter, a
standby's answers, any app that has no ``direct``) is served as ASGI (``http1_asgi.Cycle``), on the same
connection. What a connection gets either way:

- keep-alive (HTTP/1.1; not HTTP/1.0, not after ``connection: close``), pipelining (answers in order, one
  request answered at a time; reading pauses while many wait), chunked request bodies, ``Expect:
  100-continue`` (the 100 sent once the request is next), HEAD (the headers a GET would get, no body);
- the edge's limits (openrfq.limits): a head over ``MAX_HEAD`` refused (431) as soon as its bytes have arrived,
  an over-long request line (414) or header line (431), a body announced or found over ``MAX_BODY`` (413,
  unread), a connection that sends nothing for ``keep_alive_s`` closed, a request that takes over
  ``request_timeout_s`` to arrive answered 408 and closed, a client that leaves its answers unread for
  ``WRITE_TIMEOUT_S`` dropped, connections over the per-IP or total cap refused (503);
- a WebSocket upgrade handed to uvicorn's WebSocket protocol (``connections.EdgeWebSocketProtocol``);
- uvicorn's response bytes: its status lines and default headers (``date``, ``server``), lower-case names.

Compiled by mypyc, as the request path is (setup.py).
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections import deque
from collections.abc import Callable
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl
from uvicorn.server import ServerState

from openrfq.api import codec
from openrfq.api.app import MAX_BODY, OkxApi
from openrfq.api.request import DROP, Request
from openrfq.connections import REFUSALS, ConnectionTable, close_then_abort, head_refusal, is_websocket, upgrade
from openrfq.domain import errors
from openrfq.http1_asgi import Cycle, closing_answer, default_headers
from openrfq.limits import CLOSE_TIMEOUT_S, MAX_HEAD, MAX_HEADER_LINE, WRITE_TIMEOUT_S, EdgeLimits

log = logging.getLogger("openrfq.edge")

PIPELINE = 16  # requests read and waiting for their turn on one connection before reading pauses
_BAD_REQUEST = "Invalid HTTP request received."
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_METHODS = {b"GET": "GET", b"POST": "POST", b"HEAD": "HEAD"}
_TOO_LARGE = errors.BodyTooLarge(limit=MAX_BODY)


class _HeadRefused(Exception):
    """Raised in a parser callback to stop parsing a head the limits refuse (httptools wraps it)."""


class _Malformed(Exception):
    """Raised in a parser callback for a request httptools read but openrfq cannot (a 400, as a parser error is).
    Any other exception a callback raises is openrfq's fault: logged as an error (still a 400: httptools cannot go
    on after it)."""


class Message:
    """A request read whole, and how its connection answers it."""

    __slots__ = ("headers", "keep_alive", "refused", "request", "version")

    def __init__(
        self, request: Request, headers: list[tuple[bytes, bytes]], version: str, keep_alive: bool, refused: bool
    ) -> None:
        self.request = request
        self.headers = headers  # as sent, names lower-cased (an ASGI scope's)
        self.version = version  # "1.1", "1.0"
        self.keep_alive = keep_alive
        self.refused = refused  # the body is over MAX_BODY: answered 413, and the connection closed


def _target(url: bytes) -> tuple[str, bytes, bytes]:
    """A request target's path (decoded), raw path and query; _Malformed if it has no path, or none in ASCII."""
    try:
        parsed: Any = httptools.parse_url(url)  # its path (CONNECT's target) or query may be None
    except httptools.HttpParserInvalidURLError:
        raise _Malformed("an invalid target") from None
    raw_path: bytes | None = parsed.path
    if raw_path is None:
        raise _Malformed("no path")
    try:
        path = raw_path.decode("ascii")
    except UnicodeDecodeError:
        raise _Malformed("a path not in ASCII") from None
    return urllib.parse.unquote(path) if "%" in path else path, raw_path, parsed.query or b""


class HttpProtocol:
    """An asyncio protocol (not its subclass: mypyc compiles this class, and a compiled class has no Python base)."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config, self.server_state, self.app_state = config, server_state, app_state
        self.app = config.loaded_app  # ASGI: whatever is not answered straight
        # The venue's (VenueApp.direct, RoleApp.direct): the OkxApi that answers a path straight, or None.
        self._direct: Callable[[str], OkxApi | None] | None = getattr(config.app, "direct", None)
        self.loop = _loop or asyncio.get_event_loop()
        self.parser = httptools.HttpRequestParser(self)
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)  # answer the first of a pipeline
        edge: Any = config  # an EdgeConfig (openrfq.edge imports this module)
        self._table: ConnectionTable = edge.connection_table
        limits: EdgeLimits = edge.limits
        self._keep_alive_s, self._request_timeout_s = limits.keep_alive_s, limits.request_timeout_s
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport subclasses
        self.client: tuple[str, int] | None = None
        self.server: tuple[str, int | None] | None = None
        self.scheme = "http"
        self._ip: str | None = None  # the IP this connection is counted under, until it ends or is upgraded
        # The head of the next request: True from the connection's start or the end of a request until the end
        # of the next head. While it is, every chunk that arrives is counted in _head_bytes (whole: it is an
        # upper bound of the head's size when the head began at or after the chunk's start, see _head_exact).
        self._head_open, self._head_bytes, self._head_exact = True, 0, True
        self._refusal = 0  # the status a parser callback refused the head with
        # The request being read; _upgrading: a WebSocket handshake, handed over once its head is read; _expect:
        # Expect: 100-continue, not yet answered.
        self._url, self._body, self._method, self._version = b"", b"", "", "1.1"
        self._headers: list[tuple[bytes, bytes]] = []
        self._keep_alive, self._too_large, self._upgrading, self._expect = True, False, False, False
        # Requests read and not yet answered: the first is being answered while _busy (by _cycle if through ASGI).
        self._queue: deque[Message] = deque()
        self._current: Message | None = None
        self._cycle: Cycle | None = None
        self._busy = self._dispatching = self._reading_paused = self._write_paused = False
        self._closing = False  # close after the answer being given (the server is shutting down)
        self._last_answer = 0.0  # loop time of the connection's start or its last answer (keep-alive)
        self._idle_timer: asyncio.TimerHandle | None = None
        # The request timeout, armed for a request in pieces only; the write timeout, while the client is not reading.
        self._deadline: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self.reply = self._reply  # bound once: handed to every request answered straight

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.server_state.connections.add(self)  # type: ignore[arg-type]  # uvicorn lists its own protocols
        self.server = get_local_addr(transport)
        self.client = get_remote_addr(transport)
        self.scheme = "https" if is_ssl(transport) else "http"
        ip = self.client[0] if self.client else ""
        if not self._table.admit(ip):
            transport.write(REFUSALS[503])
            close_then_abort(transport, self.loop)
            return
        self._ip = ip
        self._last_answer = self.loop.time()
        self._idle_timer = self.loop.call_later(self._keep_alive_s, self._idle_check)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        self._cancel_timers()
        if self._ip is not None:
            self._table.release(self._ip)
            self._ip = None
        self._queue.clear()
        if self._cycle is not None:
            self._cycle.disconnect()
        if exc is None:
            self.transport.close()

    def eof_received(self) -> bool | None:
        return None  # the transport closes itself

    def data_received(self, data: bytes) -> None:
        if self._head_open:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._upgrading:
                self._upgrade()
            else:  # not to a WebSocket: answered as HTTP, as uvicorn does (the parser stops after the head)
                log.warning("Unsupported upgrade request.")
                if not self._head_open:
                    self.on_message_complete()
            return
        except httptools.HttpParserError as e:
            if self._refusal:
                self._refuse(self._refusal)
                return
            cause = e.__context__  # what a callback raised (httptools chains it)
            if isinstance(e, httptools.HttpParserCallbackError) and not isinstance(cause, _Malformed):
                log.error("a parser callback failed; answered %s", _BAD_REQUEST, exc_info=cause)
            else:
                log.warning(_BAD_REQUEST)
            self._bad_request()
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
            self._deadline = self.loop.call_later(self._request_timeout_s, self._refuse, 408)

    # --- httptools' callbacks ---------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        # Nothing counted since the last request ended: this head began inside the chunk that ended it, and
        # _head_bytes is no bound of its size.
        self._head_exact = self._head_bytes > 0
        self._url = b""
        self._headers = []
        self._body = b""
        self._too_large = self._upgrading = self._expect = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        self._headers.append((name, value))
        if name == b"content-length":
            self._too_large = not value.isdigit() or int(value) > MAX_BODY
        elif name == b"expect" and value.lower() == b"100-continue":
            self._expect = True

    def on_headers_complete(self) -> None:
        self._head_open = False
        if self._head_bytes > MAX_HEADER_LINE or not self._head_exact:  # may be over a limit: the exact sizes
            self._refusal = head_refusal(self._url, self._headers)
            if self._refusal:
                raise _HeadRefused
        parser = self.parser
        method = parser.get_method()
        self._method = _METHODS.get(method) or method.decode("ascii")
        if parser.should_upgrade() and is_websocket(self._headers):
            self._upgrading = True
            return
        self._version = parser.get_http_version()
        self._keep_alive = self._version != "1.0" and parser.should_keep_alive()
        if self._too_large:  # announced: refused now, the body not read
            self._read()
        elif self._expect and not self._busy and not self._queue:
            self._expect = False
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._too_large or self._upgrading:
            return
        self._body += body
        if len(self._body) > MAX_BODY:
            self._too_large, self._body = True, b""
            self._read()

    def on_message_complete(self) -> None:
        self._head_open = True
        self._head_bytes = 0
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if not (self._upgrading or self._too_large):  # a refused body was answered when it was found too large
            self._read()

    def _read(self) -> None:
        """The request read (or refused: answered 413, its body not read), in line to be answered."""
        path, raw_path, query = _target(self._url)
        headers = self._headers
        request = Request(self._method, path, raw_path, query, dict(headers), self._body, self._ip or "")
        self._queue.append(Message(request, headers, self._version, self._keep_alive, self._too_large))
        if self._busy:
            if len(self._queue) > PIPELINE:
                self._pause_reading()
        elif not self._dispatching:
            self._answer_next()

    # --- answering --------------------------------------------------------------------------------------------

    def _answer_next(self) -> None:
        """Answer the requests read, in order, one at a time: each either at once (the loop goes on) or later
        (``_answered`` comes back here)."""
        self._dispatching = True
        try:
            while self._queue and not self._busy and not self.transport.is_closing():
                message = self._current = self._queue.popleft()
                self._busy = True
                request = message.request
                if message.refused:
                    self._reply(_TOO_LARGE.http_status, codec.error(_TOO_LARGE), b"application/json")
                    continue
                api = self._direct(request.path) if self._direct is not None else None
                if api is None:
                    self._cycle = Cycle(self, message)
                    self._cycle.start(self.app)
                    continue
                try:
                    api.respond(request, self.reply)
                except Exception:  # respond answers its own errors: this is a bug, and the client gets a 500
                    log.exception("unexpected error answering %s %s", request.method, request.path[:200])
                    if self._busy and self._current is message:
                        self._reply(500, b"Internal Server Error", b"text/plain; charset=utf-8")
            if self._reading_paused and len(self._queue) <= PIPELINE // 2:
                self._resume_reading()
            if self._expect and not self._busy and not self._queue and not self._head_open:
                self._expect = False  # the request being read asked to be told to send its body: it is next
                self.transport.write(_CONTINUE)
        finally:
            self._dispatching = False

    def _reply(self, status: int, body: bytes, content_type: bytes) -> None:
        """The answer to the request being answered straight (OkxApi.respond's reply)."""
        message = self._current
        if message is None or not self._busy or self._cycle is not None:
            return  # the connection was lost meanwhile (or a second reply: ignored)
        if status == DROP:  # a fault rule: the connection closed unanswered
            self.transport.abort()
            self.answered(False)
            return
        keep_alive = message.keep_alive and not self._closing and not message.refused
        head = b"%scontent-type: %s\r\ncontent-length: %d\r\n%s\r\n" % (
            STATUS_LINE[status] + default_headers(self.server_state),
            content_type,
            len(body),
            b"" if keep_alive else b"connection: close\r\n",
        )
        if not self.transport.is_closing():
            self.transport.write(head + body if message.request.method != "HEAD" else head)
        self.answered(keep_alive)

    def answered(self, keep_alive: bool) -> None:
        """The answer being given is complete (straight, or by its ASGI cycle)."""
        self.server_state.total_requests += 1
        self._busy, self._current, self._cycle = False, None, None
        self._last_answer = self.loop.time()
        if not keep_alive:
            self._queue.clear()
            if not self.transport.is_closing():
                close_then_abort(self.transport, self.loop)
            return
        if not self._dispatching and (self._queue or self._expect):
            self._answer_next()

    # --- refusals and timeouts --------------------------------------------------------------------------------

    def _bad_request(self) -> None:
        if not self._busy and not self._queue:
            self.transport.write(closing_answer(self.server_state, 400, _BAD_REQUEST.encode()))
        close_then_abort(self.transport, self.loop)

    def _refuse(self, status: int) -> None:
        """Answer ``status`` and close. If an earlier request's answer is still to come (pipelining), only close:
        an answer cannot be put before another."""
        self._deadline = None  # a 408 is this; any other refusal closes the connection before the deadline
        if not self._busy and not self._queue and not self.transport.is_closing():
            self.transport.write(REFUSALS[status])
        close_then_abort(self.transport, self.loop)

    def _idle_check(self) -> None:
        """The keep-alive timer: one per connection, pushed on rather than re-armed for each answer."""
        self._idle_timer = None
        if self.transport.is_closing():
            return
        wait = self._keep_alive_s
        if not (self._busy or self._queue or not self._head_open or self._head_bytes):  # idle: nothing under way
            idle_for = self.loop.time() - self._last_answer
            if idle_for >= self._keep_alive_s:
                close_then_abort(self.transport, self.loop)
                return
            wait -= idle_for
        self._idle_timer = self.loop.call_later(wait, self._idle_check)

    def pause_writing(self) -> None:
        self._write_paused = True
        self._pause_reading()  # no more requests while the client is not reading the answers
        if self._cycle is not None:
            self._cycle.blocked()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(WRITE_TIMEOUT_S, self.transport.abort)

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        if len(self._queue) <= PIPELINE // 2:
            self._resume_reading()
        if self._cycle is not None:
            self._cycle.writable()

    def _pause_reading(self) -> None:
        if not self._reading_paused and not self.transport.is_closing():
            self._reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._reading_paused and not self._write_paused and not self.transport.is_closing():
            self._reading_paused = False
            self.transport.resume_reading()

    # --- the end of a connection ------------------------------------------------------------------------------

    def _upgrade(self) -> None:
        """Hand the connection to the WebSocket protocol, with the handshake's head as it was read."""
        self._cancel_timers()
        ip, self._ip = self._ip, None  # the WebSocket protocol releases it when the connection ends
        if ip is None:  # refused at connection_made: already closing
            return
        self.server_state.connections.discard(self)
        head = b"%s %s HTTP/1.1\r\n%s\r\n" % (
            self._method.encode("ascii"),
            self._url,
            b"".join(b"%s: %s\r\n" % header for header in self._headers),
        )
        upgrade(self.config, self.server_state, self.app_state, self.transport, head, ip, self._table)

    def shutdown(self) -> None:
        """The server is stopping: close once the answer being given (if any) has gone."""
        self._closing = True
        self._queue.clear()
        if not self._busy:
            if self.transport.get_extra_info("sslcontext"):
                # An idle TLS connection: its close would wait for the client to answer our close_notify, which an
                # idle client (a pooled keep-alive connection) does not read. Nothing is left to send: drop it now.
                self.transport.abort()
                return
            self.transport.close()
        self.loop.call_later(CLOSE_TIMEOUT_S, self.transport.abort)

    def _cancel_timers(self) -> None:
        for timer in (self._deadline, self._write_timer, self._idle_timer):
            if timer is not None:
                timer.cancel()
        self._deadline = self._write_timer = self._idle_timer = None
