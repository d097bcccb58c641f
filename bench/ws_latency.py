"""WebSocket push latency: from a create-quote acknowledgement to the taker's ``quotes`` push, N connections.

    .venv/bin/python bench/ws_latency.py [--connections 100] [--quotes 300] [--log-level info]

Starts ``openrfq serve`` pinned to core 0. This script (pinned to core 1, uvloop) opens N WebSocket connections,
each logged in as the taker and subscribed to ``quotes``, and one HTTP connection for the makers. The makers
send create-quote one at a time, each on a fresh (RFQ, maker) pair so that every quote is one ``active`` push per
connection; for each quote, every connection's receipt of that push is timed against the arrival of the HTTP
answer (the acknowledgement). The push and the answer are both released when the quote is durable (the pushes
are queued just after the answers are released), so a push may arrive first: it counts as 0 (and is reported).
The receive side is one Python process reading N sockets, so the higher percentiles include the client's own
time to read the other connections' copies of the same push: an upper bound on the venue's latency.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import uvloop
from common import LOADGEN_CPU, MAKERS, QUOTE_LEG, RFQ_LEG, TAKER, config_toml, iso_ms, openrfq_server, signed_headers
from websockets.asyncio.client import ClientConnection, connect

from openrfq.client.signing import login_sign


async def subscriber(
    url: str, arrivals: dict[str, list[float]], ready: asyncio.Event, want: int, seen: list[int]
) -> ClientConnection:
    ws = await connect(url, max_queue=None)
    _, _, key, secret, passphrase = TAKER
    ts = str(int(time.time()))
    await ws.send(
        json.dumps(
            {
                "op": "login",
                "args": [{"apiKey": key, "passphrase": passphrase, "timestamp": ts, "sign": login_sign(secret, ts)}],
            }
        )
    )
    assert json.loads(await ws.recv())["code"] == "0"
    await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "quotes"}]}))
    await ws.recv()

    async def read() -> None:
        async for text in ws:
            now = time.perf_counter()
            # Find the quoteId without a JSON parse: the client's own cost is part of what is measured.
            start = text.find('"quoteId":"') + 11
            quote_id = text[start : text.find('"', start)]
            got = arrivals.setdefault(quote_id, [])
            got.append(now)
            if len(got) == want:
                seen[0] += 1
                ready.set()

    asyncio.get_running_loop().create_task(read())
    return ws


async def post(http: httpx.AsyncClient, account: tuple[str, ...], path: str, body: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(body)
    headers = signed_headers(account, "POST", path, text, iso_ms(int(time.time() * 1000)))
    answer: dict[str, Any] = (await http.post(path, content=text, headers=headers)).json()
    if answer["code"] != "0":
        raise RuntimeError(answer)
    return answer


async def measure(port: int, connections: int, quotes: int) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/ws/v5/business"
    arrivals: dict[str, list[float]] = {}
    ready, seen = asyncio.Event(), [0]
    sockets = [await subscriber(url, arrivals, ready, connections, seen) for _ in range(connections)]
    lat_ms: list[float] = []
    last_ms: list[float] = []  # acknowledgement -> the last of the N connections has it, per quote
    send_ms: list[float] = []  # request sent -> push received
    ack_ms: list[float] = []  # request sent -> answer received
    early = 0
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        # A fresh (RFQ, maker) pair per quote: no replaced quote, so one push per quote per connection.
        makers = [m[0] for m in MAKERS]
        pairs = []
        while len(pairs) < quotes + 20:  # the first 20 warm up
            rfq = await post(http, TAKER, "/api/v5/rfq/create-rfq", {"counterparties": makers, "legs": [RFQ_LEG]})
            pairs += [(rfq["data"][0]["rfqId"], maker) for maker in MAKERS]
        for n, (rfq_id, maker) in enumerate(pairs[: quotes + 20]):
            body = {"rfqId": rfq_id, "quoteSide": "sell", "legs": [QUOTE_LEG], "expiresIn": "120"}
            ready.clear()
            sent = time.perf_counter()
            answer = await post(http, maker, "/api/v5/rfq/create-quote", body)
            acked = time.perf_counter()
            quote_id = answer["data"][0]["quoteId"]
            async with asyncio.timeout(5):
                while len(arrivals.get(quote_id, ())) < connections:
                    ready.clear()
                    await ready.wait()
            if n >= 20:
                ack_ms.append((acked - sent) * 1000)
                last_ms.append(max(max(arrivals[quote_id]) - acked, 0.0) * 1000)
                for t in arrivals[quote_id]:
                    early += t < acked
                    lat_ms.append(max(t - acked, 0.0) * 1000)
                    send_ms.append((t - sent) * 1000)
            await asyncio.sleep(0.002)
    for ws in sockets:
        await ws.close()

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 3)

    return {
        "connections": connections,
        "quotes": quotes,
        "samples": len(lat_ms),
        "ack_to_push_p50_ms": pct(lat_ms, 50),
        "ack_to_push_p99_ms": pct(lat_ms, 99),
        "ack_to_push_max_ms": round(max(lat_ms), 3),
        "pushed_before_ack": early,
        "ack_to_last_connection_p50_ms": pct(last_ms, 50),
        "ack_to_last_connection_p99_ms": pct(last_ms, 99),
        "send_to_ack_p50_ms": pct(ack_ms, 50),
        "send_to_ack_p99_ms": pct(ack_ms, 99),
        "send_to_push_p50_ms": pct(send_ms, 50),
        "send_to_push_p99_ms": pct(send_ms, 99),
        "mean_send_to_push_ms": round(statistics.fmean(send_ms), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connections", type=int, default=100)
    ap.add_argument("--quotes", type=int, default=300)
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args()
    import os

    os.sched_setaffinity(0, {int(LOADGEN_CPU)})
    with tempfile.TemporaryDirectory(prefix="openrfq-wsbench-") as tmp:
        config = Path(tmp) / "openrfq.toml"
        config.write_text(config_toml())
        server = openrfq_server(Path(tmp) / "data", config, Path(tmp) / "server.log", args.log_level)
        server.start()
        try:
            result = uvloop.run(measure(server.port, args.connections, args.quotes))
        finally:
            server.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
