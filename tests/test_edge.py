"""The HTTP edge (openrfq.edge, limits in openrfq.limits), over real sockets against the venue's own uvicorn
set-up: request heads bounded as they arrive, silent and slow connections closed, connections capped per IP and
in all, and established clients served throughout."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from openrfq.connections import ConnectionTable
from openrfq.edge import EdgeConfig
from openrfq.limits import MAX_HEAD, EdgeLimits
from openrfq.serving import Running
from openrfq.testing import live_venue
from samples import make_config

KEEP_ALIVE_S, REQUEST_TIMEOUT_S = 0.5, 1.0
TIME = b"GET /api/v5/public/time HTTP/1.1\r\nHost: x\r\n"


@pytest.fixture
async def venue(tmp_path: Path) -> AsyncIterator[Running]:
    async with _venue(tmp_path, EdgeLimits(keep_alive_s=KEEP_ALIVE_S, request_timeout_s=REQUEST_TIMEOUT_S)) as run:
        yield run


@contextlib.asynccontextmanager
async def _venue(tmp_path: Path, limits: EdgeLimits) -> AsyncIterator[Running]:
    async with live_venue(make_config(), tmp_path, limits=limits) as live:
        yield live.running


def _exchange(
    port: int, payload: bytes, timeout: float = 5.0, chunk: int = 0, pause: float = 0.0
) -> tuple[bytes, float, int]:
    """Send ``payload`` (in ``chunk``-sized pieces ``pause`` s apart, or at once) and read until the server closes:
    (what it answered, seconds until it closed, bytes the client got to send before that)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(timeout)
    started = time.monotonic()
    sent = 0
    try:
        if chunk:
            while sent < len(payload):
                sent += sock.send(payload[sent : sent + chunk])
                if pause:
                    time.sleep(pause)
        else:
            sock.sendall(payload)
            sent = len(payload)
    except OSError:
        pass  # the server closed while we were still sending
    answer = b""
    try:
        while data := sock.recv(65536):
            answer += data
    except TimeoutError:
        answer += b"<still open>"
    except OSError:
        pass
    finally:
        sock.close()
    return answer, time.monotonic() - started, sent


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


async def _served(run: Running) -> None:
    async with httpx.AsyncClient(base_url=run.url(), timeout=2) as client:
        assert (await client.get("/api/v5/public/time")).json()["code"] == "0"


# --- request heads --------------------------------------------------------------------------------------------


async def test_a_64_mb_header_is_refused_431_after_64_kib_without_being_read(venue: Running) -> None:
    huge = TIME + b"X-Big: " + b"a" * (64 * 1024 * 1024) + b"\r\n\r\n"
    attack = asyncio.create_task(asyncio.to_thread(_exchange, venue.port, huge, 10.0, 1024 * 1024))
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await _served(venue)  # served meanwhile, at once
    others_wait = time.perf_counter() - started
    answer, _, sent = await attack

    assert _status(answer) == 431 and b'"code":"431"' in answer
    assert sent < 16 * 1024 * 1024, f"the server read {sent} bytes of the head"
    assert others_wait < 1.0


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (TIME + b"X-Long: " + b"a" * 9_000 + b"\r\n\r\n", 431),  # one line over 8 KiB
        (b"GET /api/v5/public/time?" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (TIME + b"".join(b"X-%d: %s\r\n" % (n, b"b" * 1_000) for n in range(80)) + b"\r\n", 431),  # 80 KB in all
        (TIME + b"X-Big: " + b"a" * (MAX_HEAD + 1) + b"\r\n\r\n", 431),  # over the limit, complete in one piece
    ],
)
async def test_over_long_lines_and_heads_are_refused(venue: Running, head: bytes, status: int) -> None:
    answer, closed_after, _ = await asyncio.to_thread(_exchange, venue.port, head)

    assert _status(answer) == status and closed_after < 1.0


async def test_heads_within_the_limits_are_served(venue: Running) -> None:
    heads = [
        TIME + b"X-Long: " + b"a" * 8_000 + b"\r\nConnection: close\r\n\r\n",
        TIME + b"".join(b"X-%d: %s\r\n" % (n, b"b" * 1_000) for n in range(60)) + b"Connection: close\r\n\r\n",
    ]
    for head in heads:
        answer, _, _ = await asyncio.to_thread(_exchange, venue.port, head)
        assert _status(answer) == 200, answer[:100]


async def test_pipelined_requests_are_all_answered_and_an_oversized_one_among_them_closes(venue: Running) -> None:
    pipelined = (TIME + b"\r\n") * 3 + TIME + b"Connection: close\r\n\r\n"
    answer, _, _ = await asyncio.to_thread(_exchange, venue.port, pipelined)
    # A big head right behind a request, in the same packets: measured exactly, not from the packet's size.
    oversized = TIME + b"\r\n" + TIME + b"X-Long: " + b"a" * 9_000 + b"\r\n\r\n"
    refused, closed_after, _ = await asyncio.to_thread(_exchange, venue.port, oversized)

    assert answer.count(b"HTTP/1.1 200 OK") == 4
    assert b"<still open>" not in refused and closed_after < 1.0
    assert b"X-Long" not in refused


async def test_a_websocket_handshake_with_an_oversized_head_is_refused(venue: Running) -> None:
    head = (
        b"GET /ws/v5/business HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Big: "
        + b"a" * (MAX_HEAD + 1)
        + b"\r\n\r\n"
    )
    answer, _, _ = await asyncio.to_thread(_exchange, venue.port, head)

    assert _status(answer) == 431


# --- timeouts -------------------------------------------------------------------------------------------------


async def test_a_connection_that_never_sends_is_closed_after_the_keep_alive_timeout(venue: Running) -> None:
    answer, closed_after, _ = await asyncio.to_thread(_exchange, venue.port, b"")

    assert answer == b"" and KEEP_ALIVE_S * 0.9 <= closed_after < KEEP_ALIVE_S + 1.0


async def test_an_idle_keep_alive_connection_is_closed_after_its_response(venue: Running) -> None:
    answer, closed_after, _ = await asyncio.to_thread(_exchange, venue.port, TIME + b"\r\n")

    assert _status(answer) == 200 and closed_after < KEEP_ALIVE_S + 1.0


async def test_a_slowloris_head_is_answered_408_within_the_request_timeout(venue: Running) -> None:
    # One byte every 0.1 s: never silent for the keep-alive timeout, never done either.
    head = TIME + b"".join(b"X-%d: slow\r\n" % n for n in range(100)) + b"\r\n"
    answer, closed_after, sent = await asyncio.to_thread(_exchange, venue.port, head, 5.0, 1, 0.1)

    assert _status(answer) == 408 and b'"code":"408"' in answer
    assert REQUEST_TIMEOUT_S * 0.9 <= closed_after < REQUEST_TIMEOUT_S + 1.0 and sent < len(head)


async def test_a_slow_body_is_answered_408_within_the_request_timeout(venue: Running) -> None:
    body = b'{"rfqId":"1"}' * 40
    request = b"POST /api/v5/rfq/cancel-rfq HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    answer, closed_after, _ = await asyncio.to_thread(_exchange, venue.port, request, 5.0, 20, 0.1)

    assert _status(answer) == 408 and closed_after < REQUEST_TIMEOUT_S + 1.0


async def test_a_websocket_is_not_closed_by_the_http_timeouts(venue: Running) -> None:
    async with connect(venue.ws_url()) as ws:
        # Wall time on purpose: the edge's HTTP timeouts are the transport's (loop time, openrfq.edge), not venue time.
        await asyncio.sleep(KEEP_ALIVE_S + REQUEST_TIMEOUT_S + 0.5)
        await ws.send("ping")
        assert await asyncio.wait_for(ws.recv(), 2) == "pong"


# --- connection caps ------------------------------------------------------------------------------------------


def _table(run: Running) -> ConnectionTable:
    config = run.server.config
    assert isinstance(config, EdgeConfig)
    return config.connection_table


def _hold(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]


def _refused_at_once(port: int) -> bool:
    answer, closed_after, _ = _exchange(port, b"", timeout=2.0)
    return _status(answer) == 503 and closed_after < 0.5


@pytest.mark.parametrize("limits", [EdgeLimits(max_connections_per_ip=20), EdgeLimits(max_connections=20)])
async def test_beyond_a_cap_new_connections_are_refused_at_once_and_established_ones_served(
    tmp_path: Path, limits: EdgeLimits
) -> None:
    async with _venue(tmp_path, limits) as run:
        async with httpx.AsyncClient(base_url=run.url(), timeout=2) as established:
            assert (await established.get("/api/v5/public/time")).status_code == 200  # its connection: 1 of 20
            ws = await connect(run.ws_url())  # 2 of 20: a WebSocket counts too
            held = await asyncio.to_thread(_hold, run.port, 18)
            try:
                await asyncio.sleep(0.1)
                assert _table(run).count == 20
                assert await asyncio.to_thread(_refused_at_once, run.port)
                assert (await established.get("/api/v5/public/time")).status_code == 200
                await ws.send("ping")
                assert await asyncio.wait_for(ws.recv(), 2) == "pong"
            finally:
                for sock in held:
                    sock.close()
                await ws.close()
            await asyncio.sleep(0.2)
            await _served(run)  # places freed: new connections are admitted again
            await asyncio.sleep(0.2)
            assert _table(run).count == 1


async def test_the_total_cap_stays_below_the_file_limit(tmp_path: Path) -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    async with _venue(tmp_path, EdgeLimits(max_connections=10**9)) as run:
        table = _table(run)
        assert table.limit < resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= soft
