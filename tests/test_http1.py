"""openrfq's HTTP/1.1 protocol (openrfq.http1) over real sockets: what HTTP clients rely on, on the REST API answered
straight from the parser and on what it serves through ASGI (the control plane, the blotter), on one connection;
and the same response bytes as uvicorn's own protocol gives for the same app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import uvicorn

from openrfq.api.app import MAX_BODY
from openrfq.testing import LiveVenue, live_venue
from samples import SPOT_LEG, make_config

TOKEN = "http1-token"
T = TypeVar("T")


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveVenue]:
    async with live_venue(make_config(), tmp_path, token=TOKEN) as venue:
        yield venue


@contextlib.contextmanager
def connected(port: int) -> Iterator[socket.socket]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(5)
    try:
        yield sock
    finally:
        sock.close()


def read_answer(sock: socket.socket, buffered: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One response off the socket (content-length or chunked framing), the rest left in ``buffered``."""
    while b"\r\n\r\n" not in buffered:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed before a head: {bytes(buffered)!r}")
        buffered += data
    head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
    buffered[:] = rest
    if status == 100:
        return status, headers, b""
    if "content-length" in headers:
        size = int(headers["content-length"])
        while len(buffered) < size:
            buffered += sock.recv(65536)
        body = bytes(buffered[:size])
        del buffered[:size]
        return status, headers, body
    assert headers.get("transfer-encoding") == "chunked"
    body = b""
    while True:
        while b"\r\n" not in buffered:
            buffered += sock.recv(65536)
        line, _, _ = bytes(buffered).partition(b"\r\n")
        size = int(line, 16)
        while len(buffered) < len(line) + 2 + size + 2:
            buffered += sock.recv(65536)
        body += bytes(buffered[len(line) + 2 : len(line) + 2 + size])
        del buffered[: len(line) + 2 + size + 2]
        if size == 0:
            return status, headers, body


def closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def signed_post(live: LiveVenue, path: str, body: str) -> bytes:
    """The head of a signed POST, without its body and its framing headers."""
    headers = live.party("TAKER1").headers("POST", path, body)
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{lines}".encode()


async def in_thread(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.to_thread(fn, *args)


async def test_keep_alive_serves_many_requests_on_one_connection(live: LiveVenue) -> None:
    def run() -> list[int]:
        with connected(live.port) as sock:
            buffered = bytearray()
            statuses = []
            for _ in range(3):
                sock.sendall(b"GET /api/v5/public/time HTTP/1.1\r\nHost: x\r\n\r\n")
                statuses.append(read_answer(sock, buffered)[0])
            return statuses

    assert await in_thread(run) == [200, 200, 200]


async def test_pipelined_requests_are_answered_in_order_straight_and_through_asgi(live: LiveVenue) -> None:
    """The REST API (answered straight), the blotter and the control plane (ASGI) and an unknown path, sent in one
    write: each answered, in the order sent."""

    def run() -> list[tuple[int, str, bytes]]:
        requests = [
            b"GET /api/v5/public/time HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /ui/ HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /openrfq/v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /api/v5/nothing HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /api/v5/public/time HTTP/1.1\r\nHost: x\r\n\r\n",
        ]
        with connected(live.port) as sock:
            sock.sendall(b"".join(requests))
            buffered = bytearray()
            answers = []
            for _ in requests:
                status, headers, body = read_answer(sock, buffered)
                answers.append((status, headers["content-type"], body[:14]))
            return answers

    answers = await in_thread(run)
    assert answers == [
        (200, "application/json", b'{"code":"0","m'),
        (200, "text/html; charset=utf-8", b"<!doctype html"),
        (200, "application/json", b'{"code":"0","m'),
        (404, "application/json", b'{"code":"404",'),
        (200, "application/json", b'{"code":"0","m'),
    ]


async def test_a_chunked_body_is_read_whole(live: LiveVenue) -> None:
    body = json.dumps({"counterparties": ["MAKER1"], "legs": [SPOT_LEG], "clRfqId": "chunked1"})

    def run() -> tuple[int, bytes]:
        head = signed_post(live, "/api/v5/rfq/create-rfq", body) + b"Transfer-Encoding: chunked\r\n\r\n"
        raw = body.encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (raw[:10], raw[10:40], raw[40:]))
        with connected(live.port) as sock:
            sock.sendall(head + chunks + b"0\r\n\r\n")
            status, _, answer = read_answer(sock, bytearray())
            return status, answer

    status, answer = await in_thread(run)
    assert status == 200
    assert json.loads(answer)["data"][0]["clRfqId"] == "chunked1"


async def test_expect_100_continue_is_answered_before_the_body_is_sent(live: LiveVenue) -> None:
    body = json.dumps({"counterparties": ["MAKER1"], "legs": [SPOT_LEG], "clRfqId": "expect1"}).encode()

    def run() -> tuple[int, int, str]:
        head = signed_post(live, "/api/v5/rfq/create-rfq", body.decode())
        head += b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        with connected(live.port) as sock:
            sock.sendall(head)
            buffered = bytearray()
            first = read_answer(sock, buffered)[0]  # nothing of the body sent yet
            sock.sendall(body)
            status, _, answer = read_answer(sock, buffered)
            return first, status, json.loads(answer)["data"][0]["clRfqId"]

    assert await in_thread(run) == (100, 200, "expect1")


async def test_head_gets_a_gets_headers_and_no_body_and_the_connection_goes_on(live: LiveVenue) -> None:
    def run() -> tuple[int, str, bytes, int]:
        with connected(live.port) as sock:
            sock.sendall(b"HEAD /ui/ HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v5/public/time HTTP/1.1\r\nHost: x\r\n\r\n")
            buffered = bytearray()
            while b"\r\n\r\n" not in buffered:
                buffered += sock.recv(65536)
            head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
            buffered[:] = rest
            # The next bytes are the GET's answer: the HEAD's had no body.
            status, _, _ = read_answer(sock, buffered)
            length = re.search(rb"content-length: (\d+)", head)
            assert length is not None
            return int(head.split(b" ")[1]), head.decode(), rest[:12], status

    head_status, head, rest, next_status = await in_thread(run)
    assert head_status == 200 and int(re.findall(r"content-length: (\d+)", head)[0]) > 100
    assert rest in (b"", b"HTTP/1.1 200") and next_status == 200  # read_answer would choke on a HEAD's body


async def test_head_on_the_rest_api_answers_without_a_body(live: LiveVenue) -> None:
    def run() -> bytes:
        with connected(live.port) as sock:
            sock.sendall(b"HEAD /api/v5/public/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b""
            while data := sock.recv(65536):
                answer += data
            return answer

    answer = await in_thread(run)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405 ") and b"content-length: " in head and body == b""


async def test_a_body_announced_over_the_limit_is_refused_413_unread_and_the_connection_closed(live: LiveVenue) -> None:
    def run() -> tuple[int, str, bool]:
        head = signed_post(live, "/api/v5/rfq/create-rfq", "")
        with connected(live.port) as sock:
            sock.sendall(head + b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1))
            status, _, body = read_answer(sock, bytearray())
            return status, json.loads(body)["code"], closed(sock)

    assert await in_thread(run) == (413, "50002", True)


async def test_a_chunked_body_found_over_the_limit_is_refused_413(live: LiveVenue) -> None:
    def run() -> tuple[int, bool]:
        head = signed_post(live, "/api/v5/rfq/create-rfq", "") + b"Transfer-Encoding: chunked\r\n\r\n"
        piece = b"x" * 40_000
        with connected(live.port) as sock:
            sock.sendall(head + (b"%x\r\n%s\r\n" % (len(piece), piece)) * 2 + b"0\r\n\r\n")
            status, _, _ = read_answer(sock, bytearray())
            return status, closed(sock)

    assert await in_thread(run) == (413, True)


async def test_http_1_0_and_connection_close_end_the_connection_after_the_answer(live: LiveVenue) -> None:
    def run(request: bytes) -> tuple[int, str, bool]:
        with connected(live.port) as sock:
            sock.sendall(request)
            status, headers, _ = read_answer(sock, bytearray())
            return status, headers.get("connection", ""), closed(sock)

    for request in (
        b"GET /api/v5/public/time HTTP/1.0\r\n\r\n",
        b"GET /api/v5/public/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /openrfq/v1/health HTTP/1.0\r\n\r\n",
    ):
        assert await in_thread(run, request) == (200, "close", True)


def answer_and_close(port: int, request: bytes) -> tuple[int, bool]:
    with connected(port) as sock:
        sock.sendall(request)
        status, _, _ = read_answer(sock, bytearray())
        return status, closed(sock)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/v5/public/time HTTP/1.1\r\nBad Header\r\n\r\n",  # httptools refuses it
        b"GET /api/v5/\xffpublic HTTP/1.1\r\nHost: x\r\n\r\n",  # openrfq does: a path not in ASCII
        b"GET http://x HTTP/1.1\r\nHost: x\r\n\r\n",  # no path
        b"CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n",  # a target httptools reads and cannot parse
    ],
)
async def test_a_malformed_request_is_answered_400_and_closed_with_a_warning(
    live: LiveVenue, request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="openrfq.edge"):
        assert await in_thread(answer_and_close, live.port, request_bytes) == (400, True)

    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "openrfq.edge"] == [
        ("WARNING", "Invalid HTTP request received.")
    ]


async def test_openrfqs_own_failure_in_reading_a_request_is_logged_as_an_error(
    live: LiveVenue, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """httptools answers any exception a callback raises as the client's malformed request: one that is not a
    refusal of openrfq's is a bug of openrfq's, and must show as one (the HTTP fuzz looks for errors logged)."""

    def broken(text: str) -> str:
        raise RuntimeError("broken")

    monkeypatch.setattr(urllib.parse, "unquote", broken)  # reading a percent-encoded path calls it
    with caplog.at_level(logging.WARNING, logger="openrfq.edge"):
        answer = await in_thread(answer_and_close, live.port, b"GET /api/v5/public/%74ime HTTP/1.1\r\nHost: x\r\n\r\n")

    assert answer == (400, True)
    errors = [r for r in caplog.records if r.name == "openrfq.edge" and r.levelname == "ERROR"]
    assert [r.getMessage() for r in errors] == ["a parser callback failed; answered Invalid HTTP request received."]
    assert errors[0].exc_info is not None and isinstance(errors[0].exc_info[1], RuntimeError)


async def test_a_percent_encoded_path_is_decoded_and_a_query_kept(live: LiveVenue) -> None:
    def run() -> tuple[int, str]:
        with connected(live.port) as sock:
            sock.sendall(b"GET /api/v5/public/%74ime?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body = read_answer(sock, bytearray())
            return status, json.loads(body)["code"]

    assert await in_thread(run) == (200, "0")


async def test_the_rest_api_bytes_are_what_uvicorns_protocol_sends(live: LiveVenue) -> None:
    """The same requests to the same app served by uvicorn's own httptools protocol: the same status lines, headers
    (names, order, values but the date's) and bodies."""
    requests = [
        b"GET /api/v5/nothing HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/v5/public/instruments?instType=SPOT HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /api/v5/rfq/create-rfq HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        b"GET /api/v5/rfq/rfqs HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HEAD /api/v5/public/time HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/v5/public/instruments?instType=SWAP HTTP/1.0\r\n\r\n",
    ]
    config = uvicorn.Config(
        live.app,
        host="127.0.0.1",
        port=0,
        http="httptools",
        interface="asgi3",
        log_level="warning",
        lifespan="off",
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    theirs_port = server.servers[0].sockets[0].getsockname()[1]
    try:

        def exchange(port: int, request: bytes) -> bytes:
            with connected(port) as sock:
                sock.sendall(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
                answer = b""
                while data := sock.recv(65536):
                    answer += data
                return re.sub(rb"date: [^\r]*", b"date: -", answer)

        for request in requests:
            ours = await in_thread(exchange, live.port, request)
            theirs = await in_thread(exchange, theirs_port, request)
            assert ours == theirs, request
    finally:
        server.should_exit = True
        await serving
