"""A request that openrfq's HTTP protocol (openrfq.http1) does not answer straight, served by an ASGI app: the
control plane, the web blotter, a standby's answers. The request was read whole: ``receive`` gives its body in
one message. The response is written as uvicorn writes it (its status lines, default headers, ``connection:
close`` when the connection ends, chunked when the app gives no length, nothing after the headers for HEAD).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Protocol

from uvicorn.protocols.http.httptools_impl import STATUS_LINE
from uvicorn.server import ServerState

from openrfq.faults import DROP_EXTENSION

log = logging.getLogger("openrfq.edge")

_HEADER_NAME = re.compile(b'[\x00-\x1f\x7f()<>@,;:\\[\\]={} \t\\\\"]')  # uvicorn's checks
_HEADER_VALUE = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")
_defaults: tuple[list[tuple[bytes, bytes]], bytes] = ([], b"")


def default_headers(state: ServerState) -> bytes:
    """uvicorn's default headers (``date``, ``server``), encoded once per second (uvicorn replaces the list)."""
    global _defaults
    headers, encoded = _defaults
    if headers is not state.default_headers:
        headers = state.default_headers
        encoded = b"".join(b"%s: %s\r\n" % (name, value) for name, value in headers)
        _defaults = (headers, encoded)
    return encoded


def closing_answer(state: ServerState, status: int, text: bytes) -> bytes:
    """A plain-text answer that ends the connection (a 400 for what cannot be parsed, a 500), as uvicorn's."""
    return b"%s%scontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s" % (
        STATUS_LINE[status],
        default_headers(state),
        len(text),
        text,
    )


class Connection(Protocol):
    """What a cycle needs of its connection (openrfq.http1.HttpProtocol)."""

    transport: Any
    server_state: ServerState
    app_state: dict[str, Any]
    client: tuple[str, int] | None
    server: tuple[str, int | None] | None
    scheme: str

    def answered(self, keep_alive: bool) -> None: ...


class Message(Protocol):
    """What a cycle needs of its request (openrfq.http1.Message)."""

    headers: list[tuple[bytes, bytes]]
    keep_alive: bool
    version: str

    @property
    def request(self) -> Any: ...


class Cycle:
    """One request answered by an ASGI app."""

    def __init__(self, connection: Connection, message: Message) -> None:
        self.connection = connection
        self.message = message
        self.keep_alive = message.keep_alive
        self.head = message.request.method == "HEAD"
        self.received = False
        self.started = False
        self.complete = False
        self.disconnected = False
        self.chunked = False
        self.length_left = 0
        self._ended = asyncio.Event()  # the response is complete or the client has gone: receive() says so
        self._drained = asyncio.Event()
        self._drained.set()

    def scope(self) -> dict[str, Any]:
        request, connection = self.message.request, self.connection
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": self.message.version,
            "server": connection.server,
            "client": connection.client,
            "scheme": connection.scheme,
            "root_path": "",
            "headers": self.message.headers,
            "state": connection.app_state.copy(),
            "method": request.method,
            "path": request.path,
            "raw_path": request.raw_path,
            "query_string": request.query,
            "extensions": {DROP_EXTENSION: {"abort": connection.transport.abort}},
        }

    def start(self, app: Any) -> None:
        """Run ``app`` on the request in a task of its own, which uvicorn's shutdown waits for."""
        tasks = self.connection.server_state.tasks
        task = asyncio.get_running_loop().create_task(self.run(app))
        task.add_done_callback(tasks.discard)
        tasks.add(task)

    async def run(self, app: Any) -> None:
        try:
            await app(self.scope(), self.receive, self.send)
        except BaseException as exc:
            log.error("Exception in ASGI application", exc_info=exc)
            if not self.started and not self.disconnected:
                self._write(closing_answer(self.connection.server_state, 500, b"Internal Server Error"))
                self._end(False)
            elif not self.complete:
                self.connection.transport.close()
        else:
            if not self.complete and not self.disconnected:
                log.error("ASGI callable returned without completing its response")
                self.connection.transport.close()

    def disconnect(self) -> None:
        self.disconnected = True
        self._ended.set()
        self._drained.set()

    def blocked(self) -> None:
        self._drained.clear()

    def writable(self) -> None:
        self._drained.set()

    async def receive(self) -> dict[str, Any]:
        if not self.received:
            self.received = True
            return {"type": "http.request", "body": self.message.request.body, "more_body": False}
        await self._ended.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if self.disconnected:
            return
        if not self.started:
            if message["type"] != "http.response.start":
                raise RuntimeError(f"Expected ASGI message 'http.response.start', but got '{message['type']}'.")
            self.started = True
            self._write(self._head(message["status"], message.get("headers", [])))
        elif not self.complete:
            if message["type"] != "http.response.body":
                raise RuntimeError(f"Expected ASGI message 'http.response.body', but got '{message['type']}'.")
            body: bytes = message.get("body", b"")
            more = message.get("more_body", False)
            if self.head:
                pass
            elif self.chunked:
                self._write((b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + (b"" if more else b"0\r\n\r\n"))
            else:
                if len(body) > self.length_left:
                    raise RuntimeError("Response content longer than Content-Length")
                self.length_left -= len(body)
                self._write(body)
            if not more:
                if self.length_left and not self.head:
                    raise RuntimeError("Response content shorter than Content-Length")
                self._end(self.keep_alive)
            elif not self._drained.is_set():  # the client is slow to read: wait (its write timeout may drop it)
                await self._drained.wait()
        else:
            raise RuntimeError(f"Unexpected ASGI message '{message['type']}' sent, after response already completed.")

    def _head(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        out = [STATUS_LINE[status], default_headers(self.connection.server_state)]
        length: int | None = None
        closing = False
        for name, value in headers:
            if _HEADER_NAME.search(name) or _HEADER_VALUE.search(value):
                raise RuntimeError("Invalid HTTP header.")
            name = name.lower()
            if name == b"content-length" and length is None:
                length = int(value)
            elif name == b"connection" and b"close" in [t.strip().lower() for t in value.split(b",")]:
                self.keep_alive, closing = False, True
            out += [name, b": ", value, b"\r\n"]
        if not self.keep_alive and not closing:
            out.append(b"connection: close\r\n")
        if length is None and not self.head and status not in (204, 304):
            self.chunked = True
            out.append(b"transfer-encoding: chunked\r\n")
        self.length_left = length or 0
        out.append(b"\r\n")
        return b"".join(out)

    def _write(self, data: bytes) -> None:
        transport = self.connection.transport
        if data and not transport.is_closing():
            transport.write(data)  # the connection's pause_writing says if that filled its buffer

    def _end(self, keep_alive: bool) -> None:
        self.complete = True
        self._ended.set()
        self.connection.answered(keep_alive)
