"""The venue's limits at the edge, in one place: how much a client may send and how long it may take.

Each bounds what one client can cost everyone else: a request head is read into memory and parsed before the
app sees it, a connection holds a file descriptor, a WebSocket message is decoded whole. The HTTP numbers are
enforced by openrfq's HTTP protocol (``openrfq.http1``), the WebSocket ones by ``openrfq.ws``.
The timeouts and connection caps can be changed per venue (``openrfq serve --help``: ``EdgeLimits`` below); the
sizes cannot.

This module imports nothing: the compiled modules (``ws/hub.py``) import it, and mypyc must not follow imports
into uvicorn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- HTTP request heads -------------------------------------------------------------------------------------
# The request line and the header lines, counted as they arrive: a head over MAX_HEAD is refused (431) as soon
# as that many bytes of it have arrived, without waiting for its end. nginx's default buffers are 8 KiB per line
# (large_client_header_buffers 4 8k); an OKX request's head is well under 1 KiB.
MAX_REQUEST_LINE: Final = 8 * 1024  # method, target and version: 414 URI Too Long beyond
MAX_HEADER_LINE: Final = 8 * 1024  # one header's name and value: 431 beyond
MAX_HEAD: Final = 64 * 1024  # request line and headers in all: 431 beyond

# --- HTTP timeouts ------------------------------------------------------------------------------------------
# A connection that sends nothing is closed KEEP_ALIVE_S after it connected or after its last response (uvicorn's
# own keep-alive timer starts only after a first response). Once the first byte of a request has arrived, the
# rest of it (line, headers and body) must arrive within REQUEST_TIMEOUT_S, or it is answered 408 and closed: a
# slowloris client trickling a head byte by byte holds its socket 15 s at most. A response the client does not
# read for WRITE_TIMEOUT_S (the socket's buffers full all that time) drops the connection.
KEEP_ALIVE_S: Final = 5.0
REQUEST_TIMEOUT_S: Final = 10.0
WRITE_TIMEOUT_S: Final = 10.0
# A connection being closed (after a timeout, a refused head, a WebSocket close frame) whose peer does not take
# the last bytes within CLOSE_TIMEOUT_S is dropped: a graceful close waits for the send buffer to drain, which a
# client that stopped reading would make last forever.
CLOSE_TIMEOUT_S: Final = 5.0

# --- connections --------------------------------------------------------------------------------------------
# Beyond either cap a new connection is closed at once (after a one-line 503), and established ones are served
# as before. Everything on one machine counts as one IP: the benchmarks (bench/: 32 HTTP connections plus 100
# WebSocket connections), the LP bots and the test suite stay far below 1,000. A venue behind a reverse proxy
# sees every client as the proxy's IP: raise the per-IP cap there (--max-connections-per-ip).
MAX_CONNECTIONS_PER_IP: Final = 1_000
# All connections, also kept FD_RESERVE below the process's file limit (whose soft value is raised to the hard
# one at start): the database, its WAL, the log and the bots' own sockets need descriptors too, and a server out
# of descriptors can accept nobody (every new client is reset).
MAX_CONNECTIONS: Final = 10_000
FD_RESERVE: Final = 512

# --- WebSocket ----------------------------------------------------------------------------------------------
# OKX: "the total length of multiple channels cannot exceed 64 KB" in one subscribe request. A message over
# WS_MAX_MESSAGE is answered with an error event (60012) and the connection closed with 1009 (OKX's "Request
# message exceeds the maximum frame length"); one over WS_MAX_FRAME (a frame or a fragmented message) is closed
# with 1009 by the protocol library before it is read whole, without an event.
WS_MAX_MESSAGE: Final = 64 * 1024
WS_MAX_FRAME: Final = 2 * WS_MAX_MESSAGE
# Args of one subscribe/unsubscribe request: beyond it the request is answered 60013 and the connection closed
# with 4008. OKX closes a key's connections at 100 subscriptions (close code 4003); every channel of this venue
# for one instrument, or the three private channels and a dozen instruments' tickers, fit in one request.
WS_MAX_ARGS: Final = 100
# OKX: "The total number of 'subscribe'/'unsubscribe'/'login' requests per connection is limited to 480 times per
# hour" (60014 beyond, in venue time).
WS_REQUESTS_PER_HOUR: Final = 480
HOUR_MS: Final = 3_600_000


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """The limits a venue may change (``openrfq serve`` options); the defaults are the constants above."""

    keep_alive_s: float = KEEP_ALIVE_S
    request_timeout_s: float = REQUEST_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS
    max_connections_per_ip: int = MAX_CONNECTIONS_PER_IP
