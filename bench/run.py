"""The benchmark suite: openrfq against the Python floor, scaling with stored history, recovery time.

    .venv/bin/python bench/run.py                       # everything (~6 min on 2 cores, first run seeds 1M)
    .venv/bin/python bench/run.py --only ratio          # floor vs openrfq only
    .venv/bin/python bench/run.py --only scaling,recovery --scaling 1000,100000

Servers run pinned to core 0 (``taskset -c 0``: uvicorn's loop and openrfq's SQLite writer thread share it),
wrk runs pinned to core 1 with one thread per connection. Each run gets a fresh server; openrfq keeps durable
group commit (it always does) with ``[rate_limits] enabled = false`` and its default log level (info: one JSON
line per state change on stderr, here a file). Results: printed, and written to bench/results/latest.md and
latest.json; raw wrk output and server logs stay in bench/.work/.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_requests  # noqa: E402
from common import (  # noqa: E402
    BENCH,
    LOADGEN_CPU,
    SERVER_CPU,
    Server,
    WrkResult,
    config_toml,
    floor_server,
    openrfq_server,
    rss_kb,
    run_wrk,
)
from seed import SEED_VERSION, seed  # noqa: E402

WORK = BENCH / ".work"
RESULTS = BENCH / "results"
CYCLE = BENCH / "lua" / "cycle.lua"
SCENARIOS = {
    "loop": "create-quote + cancel-quote (by clQuoteId) loop, closed loop",
    "rate": "same loop at a fixed offered rate",
    "quotes": "GET /api/v5/rfq/quotes?rfqId= (maker, 1 quote)",
}
_running: list[Server] = []


@dataclass
class Run:
    scenario: str
    target: str
    results: list[WrkResult] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.results)


def started(server: Server, timeout_s: float = 180.0) -> Server:
    _running.append(server)
    server.start(timeout_s)
    return server


def stopped(server: Server) -> None:
    server.stop()
    if server in _running:
        _running.remove(server)


def make_server(target: str, run_dir: Path, args: argparse.Namespace) -> Server:
    if target == "floor":
        return floor_server(run_dir / "server.log")
    return openrfq_server(run_dir / "data", WORK / "openrfq.toml", run_dir / "server.log", args.log_level)


def one_run(scenario: str, target: str, rep: int, args: argparse.Namespace) -> WrkResult:
    run_dir = WORK / f"{scenario}-{target}-{rep}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    server = started(make_server(target, run_dir, args))
    try:
        c = args.connections
        is_floor = target == "floor"
        rfqs = [str(100 + i) for i in range(c)] if is_floor else gen_requests.create_rfqs(server.port, c)
        tag = f"r{rep}"
        extra: list[str] = []
        if scenario == "quotes":
            if not is_floor:
                gen_requests.seed_one_quote_each(server.port, rfqs, tag)
            gen_requests.get_quotes(run_dir / "req", server.port, rfqs, tag)
        else:
            gen_requests.create_cancel_loop(run_dir / "req", server.port, rfqs, tag)
            if scenario == "rate":
                extra = [str(args.rate), str(c)]
        result = run_wrk(server.port, CYCLE, run_dir / "req", c, args.duration, extra, run_dir / "wrk.txt", server.pid)
        shutil.rmtree(run_dir / "req", ignore_errors=True)
        return result
    finally:
        stopped(server)


def ratio_suite(args: argparse.Namespace) -> list[Run]:
    targets = ["floor", "openrfq"]
    runs = {(s, t): Run(s, t) for s in args.scenarios for t in targets}
    for rep in range(args.repeat):
        for scenario in args.scenarios:
            for target in targets:
                result = one_run(scenario, target, rep, args)
                runs[(scenario, target)].results.append(result)
                print(f"  {scenario:7s} {target:16s} #{rep + 1}: {result.row()}", flush=True)
    return list(runs.values())


def seeded(quotes: int) -> tuple[Path, dict[str, Any]]:
    """A cached seeded data dir for ``quotes`` (reused across runs: it is never served from directly)."""
    cache = WORK / f"seed-v{SEED_VERSION}-{quotes}"
    info_path = cache / "seed.json"
    if info_path.exists():
        info: dict[str, Any] = json.loads(info_path.read_text())
        info["cached"] = True
        return cache / "data", info
    shutil.rmtree(cache, ignore_errors=True)
    print(f"  seeding {quotes:,} quotes through the engine and store ...", flush=True)
    info = seed(cache / "data", quotes, WORK / "openrfq.toml")
    info_path.write_text(json.dumps(info))
    info["cached"] = False
    return cache / "data", info


def scaling_suite(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for quotes in args.scaling:
        source, info = seeded(quotes)
        results = []
        ready, rss_start, rss_end = [], [], []
        for rep in range(args.repeat):
            run_dir = WORK / f"scaling-{quotes}-{rep}"
            shutil.rmtree(run_dir, ignore_errors=True)
            shutil.copytree(source, run_dir / "data")
            server = started(openrfq_server(run_dir / "data", WORK / "openrfq.toml", run_dir / "server.log", args.log_level))
            try:
                ready.append(server.ready_s)
                rss_start.append(rss_kb(server.pid) / 1024)
                rfqs = gen_requests.create_rfqs(server.port, args.connections)
                gen_requests.create_cancel_loop(run_dir / "req", server.port, rfqs, f"s{rep}")
                result = run_wrk(
                    server.port, CYCLE, run_dir / "req", args.connections, args.duration, None, run_dir / "wrk.txt",
                    server.pid,
                )
                rss_end.append(rss_kb(server.pid) / 1024)
                results.append(result)
            finally:
                stopped(server)
            shutil.rmtree(run_dir / "data", ignore_errors=True)
            shutil.rmtree(run_dir / "req", ignore_errors=True)
            print(f"  scaling {quotes:>9,} #{rep + 1}: ready {ready[-1]:.2f} s, {result.row()}, RSS {rss_end[-1]:.0f} MB",
                  flush=True)
        rows.append({
            "quotes": quotes, "rfqs": info["rfqs"], "trades": info["trades"], "rows": info["rows"],
            "seed_s": round(info["seconds"], 1), "seed_cached": info["cached"],
            "ready_s": round(statistics.median(ready), 2),
            "rss_start_mb": round(statistics.median(rss_start)), "rss_end_mb": round(statistics.median(rss_end)),
            "rps": round(statistics.median(r.rps for r in results)),
            "p50_ms": round(statistics.median(r.p50_ms for r in results), 2),
            "p99_ms": round(statistics.median(r.p99_ms for r in results), 2),
            "bad": sum(r.bad + r.non2xx + r.socket_errors for r in results),
            "server_cpu": round(statistics.median(r.server_cpu for r in results), 2),
        })
    base = rows[0]["rps"] if rows else 0
    for row in rows:
        row["vs_first"] = round(row["rps"] / base, 3) if base else None
    return rows


def recovery_suite(args: argparse.Namespace) -> dict[str, Any]:
    """Spawn-to-first-200 on /api/v5/public/time on the largest seed, ``--recovery-runs`` times (page cache warm)."""
    quotes = max(args.scaling)
    source, info = seeded(quotes)
    run_dir = WORK / f"recovery-{quotes}"
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.copytree(source, run_dir / "data")
    times, rss = [], []
    try:
        for _ in range(args.recovery_runs):
            server = started(openrfq_server(run_dir / "data", WORK / "openrfq.toml", run_dir / "server.log", args.log_level))
            times.append(server.ready_s)
            rss.append(rss_kb(server.pid) / 1024)
            stopped(server)
    finally:
        shutil.rmtree(run_dir / "data", ignore_errors=True)
    row = {"quotes": info["quotes"], "rfqs": info["rfqs"], "trades": info["trades"], "rows": info["rows"],
           "ready_s": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2),
           "rss_mb": round(statistics.median(rss))}
    print(f"  recovery {info['rows']:,} rows: {row['ready_s']} s, RSS {row['rss_mb']} MB", flush=True)
    return row


def fmt(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


def markdown(args: argparse.Namespace, runs: list[Run], scaling: list[dict[str, Any]], recovery: dict[str, Any] | None,
             meta: dict[str, Any]) -> str:
    out = [f"# openrfq benchmark results ({meta['date']})", ""]
    out.append(
        f"Machine: {meta['cpus']} cores ({meta['cpu']}), Python {meta['python']}, {meta['wrk']}. "
        f"Server on core {SERVER_CPU}, wrk on core {LOADGEN_CPU}; {args.connections} connections (one wrk thread each), "
        f"{args.duration} s per run, median of {args.repeat} run(s); openrfq log level `{args.log_level}`."
    )
    out.append("")
    if runs:
        by = {(r.scenario, r.target): r for r in runs}
        targets = sorted({r.target for r in runs}, key=["floor", "openrfq"].index)
        head = "| scenario | " + " | ".join(f"{t} req/s | {t} p50 ms | {t} p99 ms" for t in targets)
        head += " | openrfq / floor |"
        out += [head, "|" + "---|" * (head.count("|") - 1)]
        for scenario in args.scenarios:
            name = SCENARIOS[scenario] + (f" ({args.rate:,} req/s offered)" if scenario == "rate" else "")
            cells = [name]
            for t in targets:
                r = by[(scenario, t)]
                cells += [fmt(r.median("rps"), 0), fmt(r.median("p50_ms")), fmt(r.median("p99_ms"))]
            floor = by[(scenario, "floor")].median("rps")
            cells.append(f"{by[(scenario, 'openrfq')].median('rps') / floor:.1%}")
            out.append("| " + " | ".join(cells) + " |")
        bad = {f"{r.scenario}/{r.target}": sum(x.bad + x.non2xx + x.socket_errors for x in r.results) for r in runs}
        cpu = {f"{r.scenario}/{r.target}": round(r.median("server_cpu"), 2) for r in runs}
        out += ["", f"Failed answers (non-200 or code != 0, socket errors): {bad}", "",
                f"Server CPU use during the run (1.0 = its core saturated): {cpu}", ""]
    if scaling:
        out += ["## Scaling: the create/cancel loop with history already stored", "",
                "| stored quotes | RFQs | trades | ready s | RSS at start MB | RSS after run MB | req/s | p50 ms | p99 ms | vs first |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for row in scaling:
            out.append(
                f"| {row['quotes']:,} | {row['rfqs']:,} | {row['trades']:,} | {row['ready_s']} | {row['rss_start_mb']:,} | "
                f"{row['rss_end_mb']:,} | {row['rps']:,} | {row['p50_ms']} | {row['p99_ms']} | {row['vs_first']:.1%} |"
            )
        out += ["", "Seeding (engine + store, cached in bench/.work): "
                + ", ".join(f"{r['quotes']:,} quotes {r['seed_s']} s{' (cached)' if r['seed_cached'] else ''}" for r in scaling), ""]
    if recovery:
        out += ["## Recovery", "",
                f"`openrfq serve` spawn to first 200 on GET /api/v5/public/time with {recovery['quotes']:,} quotes, "
                f"{recovery['rfqs']:,} RFQs and {recovery['trades']:,} block trades stored ({recovery['rows']:,} rows): "
                f"**{recovery['median_s']} s** (runs: {recovery['ready_s']}), RSS after start {recovery['rss_mb']:,} MB.", ""]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="ratio,scaling,recovery", help="comma list of ratio, scaling, recovery")
    ap.add_argument("--scenarios", default="loop,rate,quotes")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (keep <= 20: 30 s signature window)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rate", type=int, default=1000, help="offered req/s of the rate scenario")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--scaling", default="1000,100000,1000000")
    ap.add_argument("--recovery-runs", type=int, default=3)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    if args.duration > 20:
        ap.error("--duration above 20 s would outlive the signatures' 30 s timestamp window")
    only = set(args.only.split(","))
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.scaling = [int(x) for x in args.scaling.split(",") if x]
    WORK.mkdir(exist_ok=True)
    (WORK / "openrfq.toml").write_text(config_toml())
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": len(open("/proc/cpuinfo").read().split("processor\t:")) - 1,
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "python": platform.python_version(),
        "wrk": wrk_version.split(" Copyright")[0].strip(),
    }
    began = time.monotonic()
    runs: list[Run] = []
    scaling: list[dict[str, Any]] = []
    recovery = None
    try:
        if "ratio" in only:
            print("floor vs openrfq:", flush=True)
            runs = ratio_suite(args)
        if "scaling" in only:
            print("scaling:", flush=True)
            scaling = scaling_suite(args)
        if "recovery" in only:
            print("recovery:", flush=True)
            recovery = recovery_suite(args)
    finally:
        for server in list(_running):
            stopped(server)
    report = markdown(args, runs, scaling, recovery, meta)
    report += f"\nSuite wall time: {time.monotonic() - began:.0f} s. Command: `{' '.join(sys.argv)}`\n"
    print()
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.md").write_text(report)
    (args.out / "latest.json").write_text(json.dumps({
        "meta": meta,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "ratio": [{"scenario": r.scenario, "target": r.target, "runs": [x.row() for x in r.results]} for r in runs],
        "scaling": scaling,
        "recovery": recovery,
    }, indent=2))


if __name__ == "__main__":
    main()
