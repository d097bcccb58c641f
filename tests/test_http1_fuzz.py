"""A property-based fuzz of openrfq's HTTP/1.1 edge (openrfq.http1) over a real socket: whatever bytes a client sends
(requests framed well or badly, odd methods, targets, versions, headers and bodies, in pieces, pipelined, bytes that
are no request at all, or a WebSocket handshake and then any frames), the connection gets only well-formed HTTP/1.1
answers (until a 101), none of them a 5xx; the server closes it once the client has finished sending, logs no
error, goes on serving, and counts no connection that is gone against the client's IP.

CI runs a bounded, derandomized number of examples; ``OPENRFQ_LONG=1`` runs many more, randomly (tests/fuzzing.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import string
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import ErrorLog, fuzz_settings, json_values, served
from openrfq.api.app import MAX_BODY
from openrfq.edge import EdgeConfig
from openrfq.limits import MAX_HEAD, MAX_HEADER_LINE, MAX_REQUEST_LINE
from openrfq.testing import LiveVenue, live_venue
from samples import make_config

TOKEN = "fuzz-token"
# An exception a protocol callback raised is the event loop's to log; uvicorn's own errors are its logger's.
LOGGERS = ("openrfq", "asyncio", "uvicorn.error")
TIME = b"GET /api/v5/public/time HTTP/1.1\r\nHost: x\r\n\r\n"

_visible = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?%#[]"
# The first choices are repeated: most requests get past their request line, into the limits and the handlers.
methods = st.sampled_from(
    ["GET"] * 4 + ["POST"] * 4 + ["DELETE", "PUT", "OPTIONS", "PATCH", "TRACE", "CONNECT", "get", ""]
) | st.text(alphabet=string.ascii_uppercase + "-_ ", max_size=8).filter(
    lambda m: m != "HEAD"
)  # a HEAD's answer has a length and no body: not framed as the others are
# Sizes at and past the edge's limits (openrfq.limits, api.app.MAX_BODY): 414, 431, 413.
huge = st.sampled_from([MAX_REQUEST_LINE, MAX_HEADER_LINE, MAX_HEAD // 4, MAX_HEAD, MAX_BODY]).flatmap(
    lambda n: st.integers(min_value=n - 64, max_value=n + 64)
)
targets = (
    st.sampled_from(
        [
            "/api/v5/public/time",
            "/api/v5/public/instruments?instType=SPOT",
            "/api/v5/rfq/create-quote",
            "/api/v5/rfq/cancel-quote",
            "/api/v5/rfq/quotes?rfqId=1&limit=x",
            "/api/v5/rfq/counterparties",
            "/openrfq/v1/clock",
            "/openrfq/v1/faults",
            "/openrfq/v1/snapshots",
            "/",
            "/blotter",
            "/metrics",
            "*",
            "http://x/api/v5/public/time",
            "/%zz/%00",
            "/api/v5/public/time?" + "a" * 300,
            "/ws/v5/business",
            "",
        ]
    )
    | st.text(alphabet=_visible, max_size=40).map(lambda t: "/" + t)
    | huge.map(lambda n: "/api/v5/public/time?a=" + "b" * n)
)
versions = st.sampled_from(
    ["HTTP/1.1"] * 8 + ["HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.1 x", "", "HTTPS/1.1", "http/1.1"]
)
_lengths = st.integers(min_value=-5, max_value=2**70).map(str) | st.sampled_from(
    ["", "abc", "1, 1", " 5", "+3", "0x10"]
)
HEADERS: dict[str, st.SearchStrategy[str]] = {
    "host": st.sampled_from(["x", "", "127.0.0.1:1", "a b"]),
    "content-length": _lengths,
    "transfer-encoding": st.sampled_from(["chunked", "gzip", "chunked, gzip", "gzip, chunked", "identity", "CHUNKED"]),
    "expect": st.sampled_from(["100-continue", "100-CONTINUE", "200-ok"]),
    "connection": st.sampled_from(["close", "keep-alive", "upgrade", "Upgrade, close", ""]),
    "upgrade": st.sampled_from(["h2c", "websocket", "foo/1"]),
    "content-type": st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    "authorization": st.sampled_from([f"Bearer {TOKEN}", "Bearer nope", "Basic eA==", ""]),
    "ok-access-key": st.text(alphabet=_visible, max_size=40),
    "ok-access-sign": st.text(alphabet=_visible, max_size=50),
    "ok-access-timestamp": st.sampled_from(["2020-01-01T00:00:00.000Z", "now", ""]),
    "ok-access-passphrase": st.text(alphabet=_visible, max_size=20),
    "x-simulated-trading": st.sampled_from(["1", "0", "yes"]),
}
header_value = (
    st.text(alphabet=_visible + " \t", max_size=60)
    | st.binary(max_size=40).map(lambda b: b.decode("latin-1"))  # bytes: a CR, an LF or a NUL where none may be
    | huge.map(lambda n: "v" * n)
)
header = st.sampled_from(sorted(HEADERS)).flatmap(
    lambda n: st.tuples(st.just(n), HEADERS[n] | header_value)
) | st.tuples(st.text(alphabet=string.ascii_letters + "-_:@ ", min_size=1, max_size=16), header_value)
_chunk = st.binary(max_size=40)
bodies = (
    st.binary(max_size=300)
    | huge.map(lambda n: b"{" * n)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.lists(_chunk, max_size=4).map(lambda cs: b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in cs) + b"0\r\n\r\n")
    | st.lists(_chunk, max_size=4).map(lambda cs: b"".join(b"%x;ext=1\r\n%s\r\n" % (len(c) + 1, c) for c in cs))
)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """One request, from well framed to not a request at all."""
    line = f"{draw(methods)} {draw(targets)} {draw(versions)}"
    fields = draw(st.lists(header, max_size=8))
    body = draw(bodies)
    if draw(st.booleans()):  # framed as announced: the body is read, and the request reaches its handler
        fields.append(("content-length", str(len(body))))
    head = "".join(f"{name}: {value}\r\n" for name, value in fields)
    return (line + "\r\n" + head + "\r\n").encode("latin-1") + body


def frame(opcode: int, payload: bytes, fin: bool, mask: bytes | None, length: int | None) -> bytes:
    """A WebSocket frame, masked or not, its length as given (``length``: one that need not be the payload's)."""
    n = len(payload) if length is None else length
    head = bytes([0x80 * fin | opcode])
    bit = 0x80 if mask is not None else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 2**16:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


frames = st.builds(
    frame,
    opcode=st.sampled_from([0x1, 0x1, 0x2, 0x8, 0x9, 0xA, 0x0]) | st.integers(min_value=0, max_value=15),
    payload=st.sampled_from([b"ping", b'{"op":"login","args":[]}', b'{"op":"subscribe"}', b"\x03\xe8", b""])
    | st.binary(max_size=140),
    fin=st.booleans(),
    mask=st.binary(min_size=4, max_size=4) | st.none(),
    length=st.none() | st.integers(min_value=0, max_value=2**63 - 1),
)
_key = st.sampled_from(["dGhlIHNhbXBsZSBub25jZQ==", "", "x"]) | st.binary(min_size=16, max_size=16).map(
    lambda b: base64.b64encode(b).decode()
)
# A WebSocket handshake (the business one, or one the edge refuses), then frames or any bytes.
upgrades = st.builds(
    lambda path, key, version, rest: (
        (
            f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n"
        ).encode()
        + rest
    ),
    path=st.sampled_from(["/ws/v5/business", "/ws/v5/business", "/ws/v5/public", "/api/v5/public/time"]),
    key=_key,
    version=st.sampled_from(["13", "13", "8", ""]),
    rest=st.lists(frames, max_size=4).map(b"".join) | st.binary(max_size=200),
)
streams = (
    st.lists(requests() | st.just(TIME), min_size=1, max_size=3).map(b"".join) | st.binary(max_size=400) | upgrades
)


@st.composite
def pieces(draw: st.DrawFn) -> list[bytes]:
    """A stream, cut where the client's writes may cut it."""
    data = draw(streams)
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=len(data)), max_size=4)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True) if b > a]


class _World:
    def __init__(self, runner: asyncio.Runner, live: LiveVenue) -> None:
        self.runner, self.live = runner, live

    async def exchange(self, parts: list[bytes]) -> bytes:
        """Everything the server sends on a connection that gets ``parts`` and is then closed for writing."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.live.port)
        try:
            try:
                for part in parts:
                    writer.write(part)
                    await writer.drain()
                    await asyncio.sleep(0)
                writer.write_eof()
            except OSError:  # the server closed the connection before the client had sent everything (a refusal)
                pass
            # The server closes once the client has finished: it must not keep a half-closed connection open.
            return await asyncio.wait_for(reader.read(), timeout=3)
        except ConnectionResetError:
            return b""  # reset: what was still on its way when the server closed arrived after its close
        finally:
            writer.close()

    async def held(self) -> dict[str, int]:
        """The edge's count of open connections by IP, once the server has let go of those the client closed."""
        config = self.live.running.server.config
        assert isinstance(config, EdgeConfig)
        table = config.connection_table
        for _ in range(500):
            if not table.by_ip and table.count == 0:
                break
            await asyncio.sleep(0.002)
        return {**table.by_ip, "all": table.count}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_World]:
    with served(live_venue(make_config(), tmp_path_factory.mktemp("httpfuzz"), token=TOKEN)) as (runner, live):
        yield _World(runner, live)


def answers(data: bytes) -> list[int]:
    """The statuses of the answers in ``data``, which must be HTTP/1.1 answers, framed, and nothing else."""
    statuses = []
    rest = data
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, f"an answer cut short: {head!r}"
        lines = head.decode("latin-1").split("\r\n")
        version, status_text, _ = (lines[0] + " ").split(" ", 2)
        assert version == "HTTP/1.1" and status_text.isdigit() and len(status_text) == 3, lines[0]
        status = int(status_text)
        statuses.append(status)
        fields = [line.partition(":") for line in lines[1:]]
        assert all(sep == ":" and name and name == name.strip() for name, sep, _ in fields), lines
        named = {name.lower(): value.strip() for name, _, value in fields}
        if status == 101:  # the rest is the WebSocket's
            return statuses
        if status == 100 or status == 204 or status == 304:
            continue
        if named.get("transfer-encoding") == "chunked":
            while True:
                size_line, sep, rest = rest.partition(b"\r\n")
                assert sep, f"a chunk cut short: {size_line!r}"
                size = int(size_line, 16)
                assert rest[size : size + 2] == b"\r\n", rest[: size + 2]
                rest = rest[size + 2 :]
                if size == 0:
                    break
            continue
        length = named.get("content-length")
        assert length is not None and length.isdigit(), lines
        assert len(rest) >= int(length), f"a body cut short: {len(rest)} of {length}"
        rest = rest[int(length) :]
    return statuses


def test_any_bytes_get_well_formed_answers_and_no_5xx(world: _World) -> None:
    seen: set[int] = set()

    @fuzz_settings(300, 3000)
    @given(parts=pieces())
    def one(parts: list[bytes]) -> None:
        with ErrorLog(*LOGGERS) as errors:  # each example judged alone: hypothesis then shrinks to the bytes at fault
            data = world.runner.run(world.exchange(parts))
        statuses = answers(data)
        assert all(status < 500 for status in statuses), (statuses, data[:500])
        seen.update(status // 100 for status in statuses)
        assert not errors.records, errors.messages()
        assert answers(world.runner.run(world.exchange([TIME]))) == [200]  # the server goes on
        assert world.runner.run(world.held()) == {"all": 0}  # and counts no connection that is gone

    one()
    # The harness reached the handlers' answers (2xx), not only refusals (4xx).
    assert {2, 4} <= seen, seen
