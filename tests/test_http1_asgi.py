"""openrfq's HTTP/1.1 protocol serving an ASGI app (openrfq.http1_asgi: what is not the REST API), over real
sockets: streamed and chunked answers, a client that reads slowly, an app that fails before or after it began its
answer, a client that goes away while the app waits; and the protocol's own edges: long pipelines, an upgrade that
is not a WebSocket, a request with no path."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import uvicorn

from openrfq.edge import EdgeConfig
from test_http1 import closed, connected, read_answer

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
BIG = 4 * 1024 * 1024  # more than the socket buffers hold: the protocol's writing pauses


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that behaves as the path says."""
    path = scope["path"]
    if path == "/stream":  # no content-length: chunked
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for part in (b"one ", b"two ", b""):
            await send({"type": "http.response.body", "body": part, "more_body": part != b""})
    elif path == "/big":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % BIG)]})
        for _ in range(BIG // 65536):
            await send({"type": "http.response.body", "body": b"x" * 65536, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/close":
        headers = [(b"content-length", b"2"), (b"Connection", b"close")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})
    elif path == "/fail-before":
        raise RuntimeError("before the answer")
    elif path == "/fail-after":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
        raise RuntimeError("after the head")
    elif path == "/incomplete":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
        await send({"type": "http.response.body", "body": b"abc", "more_body": True})
    elif path == "/too-long":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        await send({"type": "http.response.body", "body": b"abc"})
    elif path == "/bad-header":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x", b"a\nb")]})
    elif path == "/wrong-message":
        await send({"type": "http.response.body", "body": b""})
    elif path == "/wait":
        assert (await receive())["type"] == "http.request"
        WAITED.append((await receive())["type"])  # until the client goes away
    else:
        body = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})


WAITED: list[str] = []


@pytest.fixture
async def port() -> AsyncIterator[int]:
    config = EdgeConfig(app, host="127.0.0.1", port=0, log_level="critical", lifespan="off", interface="asgi3")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await serving


def exchange(port: int, request: bytes, then_closed: bool = False) -> tuple[int, dict[str, str], bytes, bool]:
    """One answer; and, if asked, whether the server closed the connection after it."""
    with connected(port) as sock:
        sock.sendall(request)
        status, headers, body = read_answer(sock, bytearray())
        return status, headers, body, then_closed and closed(sock)


async def test_an_answer_without_a_length_is_sent_chunked(port: int) -> None:
    status, headers, body, _ = await asyncio.to_thread(exchange, port, b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, headers["transfer-encoding"], body) == (200, "chunked", b"one two ")


async def test_a_large_answer_reaches_a_client_that_reads_slowly(port: int) -> None:
    def run() -> int:
        with connected(port) as sock:
            sock.sendall(
                b"GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
            )
            time.sleep(0.3)  # the server's buffers fill: it pauses, then goes on as we read
            buffered = bytearray()
            _, _, body = read_answer(sock, buffered)
            assert read_answer(sock, buffered)[2] == b"hi"
            return len(body)

    assert await asyncio.to_thread(run) == BIG


async def test_an_app_that_says_connection_close_ends_the_connection(port: int) -> None:
    status, _, body, was_closed = await asyncio.to_thread(
        exchange, port, b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n", True
    )
    assert (status, body, was_closed) == (200, b"ok", True)


async def test_an_app_that_fails_before_answering_gives_a_500_and_a_closed_connection(port: int) -> None:
    status, _, body, was_closed = await asyncio.to_thread(
        exchange, port, b"GET /fail-before HTTP/1.1\r\nHost: x\r\n\r\n", True
    )
    assert (status, body, was_closed) == (500, b"Internal Server Error", True)


@pytest.mark.parametrize("path", ["/fail-after", "/incomplete", "/too-long", "/bad-header", "/wrong-message"])
async def test_an_app_that_breaks_its_answer_gets_the_connection_closed(port: int, path: str) -> None:
    def run() -> bytes:
        with connected(port) as sock:
            sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
            answer = b""
            while data := sock.recv(65536):
                answer += data
            return answer

    answer = await asyncio.to_thread(run)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 ")  # whatever was sent, then the end: never a hang


async def test_an_app_waiting_on_receive_hears_that_the_client_went_away(port: int) -> None:
    WAITED.clear()

    def run() -> None:
        with connected(port) as sock:
            sock.sendall(b"POST /wait HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            time.sleep(0.1)

    await asyncio.to_thread(run)
    for _ in range(100):
        if WAITED:
            break
        await asyncio.sleep(0.02)
    assert WAITED == ["http.disconnect"]


async def test_a_long_pipeline_is_answered_whole_and_in_order(port: int) -> None:
    def run() -> list[bytes]:
        with connected(port) as sock:
            sock.sendall(
                b"".join(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n%03d" % i for i in range(60))
            )
            buffered = bytearray()
            return [read_answer(sock, buffered)[2] for _ in range(60)]

    assert await asyncio.to_thread(run) == [b"%03d" % i for i in range(60)]


async def test_expect_100_continue_behind_another_request_is_answered_when_its_turn_comes(port: int) -> None:
    def run() -> list[int]:
        with connected(port) as sock:
            sock.sendall(
                b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
                b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
            )
            buffered = bytearray()
            statuses = [read_answer(sock, buffered)[0], read_answer(sock, buffered)[0]]
            sock.sendall(b"ok")
            status, _, body = read_answer(sock, buffered)
            assert body == b"ok"
            return [*statuses, status]

    assert await asyncio.to_thread(run) == [200, 100, 200]


async def test_an_upgrade_to_something_else_than_a_websocket_is_answered_as_http(port: int) -> None:
    def run() -> tuple[int, bytes]:
        with connected(port) as sock:
            sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
            status, _, body = read_answer(sock, bytearray())
            return status, body

    assert await asyncio.to_thread(run) == (200, b"one two ")


async def test_a_request_without_a_path_is_answered_400(port: int) -> None:
    status, _, _, was_closed = await asyncio.to_thread(
        exchange, port, b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", True
    )
    assert (status, was_closed) == (400, True)
