"""The floors side by side: uvicorn's (floor_app.py, ASGI), the protocol's (floor_protocol.py, no ASGI) and, where
granian is installed (``pip install granian``; not a project dependency), granian's RSGI (floor_rsgi.py), in
alternating closed-loop runs of the create/cancel requests, as ab.py compares two openrfqs.

    .venv/bin/python bench/floors.py [--rounds 6] [--duration 8] [--connections 32]

The difference is what uvicorn's ASGI machinery costs per request (scope, messages, a task per request): the most
that serving openrfq's REST API straight from the protocol could save. Prints every run, the means, and the CPU
per request of each.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_requests
from ab import line
from common import BENCH, Server, WrkResult, floor_server, protocol_floor_server, rsgi_floor_server, run_wrk

SERVERS = {"asgi": floor_server, "protocol": protocol_floor_server}
if importlib.util.find_spec("granian") is not None:
    SERVERS["rsgi"] = rsgi_floor_server


def run_once(name: str, connections: int, duration_s: int) -> WrkResult:
    with tempfile.TemporaryDirectory(prefix="openrfq-floors-", dir=BENCH) as tmp:
        work = Path(tmp)
        server: Server = SERVERS[name](work / "server.log")
        server.start()
        try:
            rfqs = [str(100 + i) for i in range(connections)]
            gen_requests.create_cancel_loop(work / "req", server.port, rfqs, "floors")
            return run_wrk(
                server.port, BENCH / "lua" / "cycle.lua", work / "req", connections, duration_s, server_pid=server.pid
            )
        finally:
            server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    runs: dict[str, list[WrkResult]] = {name: [] for name in SERVERS}
    for i in range(args.rounds):
        for name in list(SERVERS) if i % 2 == 0 else list(SERVERS)[::-1]:
            result = run_once(name, args.connections, args.duration)
            runs[name].append(result)
            print(f"round {i + 1} {line(name, result)}", flush=True)
    for name, rs in runs.items():
        print(
            f"{name} mean {statistics.mean(r.rps for r in rs):9,.0f} req/s, "
            f"CPU {statistics.median(r.server_cpu / r.rps * 1e6 for r in rs):5.1f} us/request (median)"
        )
    for name in list(SERVERS)[1:]:
        ratios = [b.rps / a.rps for a, b in zip(runs["asgi"], runs[name])]
        print(f"{name}/asgi per round: {', '.join(f'{r:.3f}' for r in ratios)}; median {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
