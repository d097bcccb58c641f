"""The floor without ASGI: the same answers as floor_app.py from an asyncio Protocol that parses with httptools
on uvloop, no uvicorn, no scope, no receive/send messages, no task per request.

What it measures is the ceiling for serving openrfq's REST API straight from the protocol (issue "half the
floor"): the part of uvicorn's floor that is its ASGI machinery is the difference between the two floors
(``bench/floors.py``). Keep-alive only; pipelined requests are answered in order; no chunked bodies.

    python bench/floor_protocol.py PORT
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httptools
import uvloop
from floor_app import _ANSWERS, _DEFAULT, _decode

_RESPONSES = {
    path: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    for path, body in _ANSWERS.items()
}


class FloorProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: Any = None  # uvloop's TCPTransport (not an asyncio.Transport subclass)
        self.url = b""
        self.body = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    # httptools' callbacks
    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        if self.body:
            _decode(self.body)
        path = httptools.parse_url(self.url).path.decode()
        self.transport.write(_RESPONSES.get(path, _RESPONSES[_DEFAULT]))
        self.url, self.body = b"", b""


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(FloorProtocol, "127.0.0.1", port, backlog=2048)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(serve(int(sys.argv[1])))
