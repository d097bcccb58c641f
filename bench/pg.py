"""The create/cancel loop on PostgreSQL beside SQLite, in the same run: alternating rounds of three stores.

    .venv/bin/python bench/pg.py [--rounds 5] [--duration 8] [--history-cache N]

- ``sqlite``: the default store, a fresh data directory per run (group commit, the WAL fdatasync'ed);
- ``pg``: PostgreSQL on this machine (a cluster of its own in a temporary directory, fsync on, a fresh
  database per run), ``synchronous_commit = on``;
- ``pg-sync``: PostgreSQL with a synchronous streaming replica (a second cluster on this machine): a commit
  returns once the replica has flushed it too.

The clusters run unpinned: PostgreSQL's processes (the backend, the WAL writer, the replica's WAL receiver)
share the two cores with the server (core 0) and wrk (core 1), as a database on the same machine would. The
machine is shared and its disk's fsync latency moves by the minute, so what counts is the ratio to SQLite
within each round (printed per round and as a mean), not the absolute figures. Needs PostgreSQL's server
binaries (Debian's ``postgresql``) and the package's ``postgresql`` extra.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_requests
from common import BENCH, WrkResult, config_toml, openrfq_server, run_wrk

from openrfq.testing.postgres import Cluster, replicated

STORES = ("sqlite", "pg", "pg-sync")


def run_once(store_url: str | None, connections: int, duration_s: int, history_cache: int | None) -> WrkResult:
    with tempfile.TemporaryDirectory(prefix="openrfq-pg-", dir=BENCH) as tmp:
        work = Path(tmp)
        cache = "" if history_cache is None else f"\n[store]\nhistory_cache = {history_cache}\n"
        (work / "openrfq.toml").write_text(config_toml() + cache)
        server = openrfq_server(work / "data", work / "openrfq.toml", work / "server.log")
        if store_url is not None:
            server.argv += ["--store", store_url]
        server.start()
        try:
            rfqs = gen_requests.create_rfqs(server.port, connections)
            gen_requests.create_cancel_loop(work / "req", server.port, rfqs, "pg")
            return run_wrk(
                server.port, BENCH / "lua" / "cycle.lua", work / "req", connections, duration_s, server_pid=server.pid
            )
        finally:
            server.stop()


def line(name: str, r: WrkResult) -> str:
    cpu_us = r.server_cpu / r.rps * 1e6 if r.rps else 0.0
    return (
        f"{name:8}: {r.rps:9,.0f} req/s  p50 {r.p50_ms:5.2f} ms  p99 {r.p99_ms:6.2f} ms  "
        f"server CPU {cpu_us:5.1f} us/request  failed {r.bad + r.non2xx + r.socket_errors}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=int, default=8, help="seconds per run (keep <= 20: 30 s signature window)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--history-cache", type=int, help="[store] history_cache for every store (default: the default)")
    args = ap.parse_args()
    runs: dict[str, list[WrkResult]] = {name: [] for name in STORES}
    with Cluster() as local, replicated() as (primary, _replica):
        made = 0

        def url(store: str) -> str | None:
            nonlocal made
            if store == "sqlite":
                return None
            made += 1
            cluster = local if store == "pg" else primary
            return cluster.create_database(f"bench{made}")  # a fresh store per run, as SQLite's data directory

        for i in range(args.rounds):
            order = STORES[i % 3 :] + STORES[: i % 3]  # each store first, second and third in turn
            for name in order:
                result = run_once(url(name), args.connections, args.duration, args.history_cache)
                runs[name].append(result)
                print(f"round {i + 1} {line(name, result)}", flush=True)
    for name in STORES:
        rps = [r.rps for r in runs[name]]
        print(
            f"{name:8} mean {statistics.mean(rps):9,.0f} req/s (stdev {statistics.pstdev(rps):,.0f}), "
            f"p99 median {statistics.median(r.p99_ms for r in runs[name]):.2f} ms"
        )
    for name in STORES[1:]:
        ratios = [b.rps / a.rps for a, b in zip(runs["sqlite"], runs[name])]
        spread = f", stdev {statistics.stdev(ratios):.3f}" if len(ratios) > 1 else ""
        each = ", ".join(f"{r:.3f}" for r in ratios)
        print(f"{name}/sqlite per round: {each}; mean {statistics.mean(ratios):.3f}{spread}")


if __name__ == "__main__":
    main()
