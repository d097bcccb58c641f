"""A/B two versions of openrfq on the create/cancel loop, in alternating runs.

    .venv/bin/python bench/ab.py --a HEAD~1                  # B is the working tree
    .venv/bin/python bench/ab.py --a main --b my-branch --rounds 8

On this VM openrfq's throughput for the same code moves by 5-10% from one minute to the next (it follows the
latency of the fsync behind every commit), so a change is only seen against its baseline measured in the same
minutes. Each round runs both versions, in alternating order, each with a fresh server on core 0 and wrk on
core 1, as run.py's closed-loop scenario does. A git revision is exported (``git archive``) to
bench/.work/ab/<commit>/ and put first on PYTHONPATH; ``--b WORKTREE`` (the default) is the checkout's src/.
``--pythonpath`` (B) and ``--a-pythonpath`` (A) compare any trees instead (e.g. a compiled install made with
``pip install --no-deps --target DIR .``: its openrfq and *__mypyc*.so).
Revisions exported from git run as pure Python (their source): compare compiled builds with ``--pythonpath``.
Prints every run, then the means and B/A per round; CPU is the server process's, per request.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_requests
from common import BENCH, REPO, WrkResult, config_toml, openrfq_server, run_wrk

WORK = BENCH / ".work" / "ab"
WORKTREE = "WORKTREE"


def source(rev: str) -> Path:
    """The src/ directory of ``rev``: the checkout's own for WORKTREE, else an exported copy (cached)."""
    if rev == WORKTREE:
        return REPO / "src"
    commit = subprocess.run(
        ["git", "rev-parse", rev], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = WORK / commit
    if not (tree / "src").exists():
        archive = subprocess.run(["git", "archive", commit, "src"], cwd=REPO, check=True, capture_output=True).stdout
        tree.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
    return tree / "src"


def run_once(pythonpath: Path, connections: int, duration_s: int) -> WrkResult:
    with tempfile.TemporaryDirectory(prefix="openrfq-ab-", dir=BENCH) as tmp:
        work = Path(tmp)
        (work / "openrfq.toml").write_text(config_toml())
        server = openrfq_server(work / "data", work / "openrfq.toml", work / "server.log")
        server.env["PYTHONPATH"] = str(pythonpath)
        server.start()
        try:
            rfqs = gen_requests.create_rfqs(server.port, connections)
            gen_requests.create_cancel_loop(work / "req", server.port, rfqs, "ab")
            return run_wrk(
                server.port, BENCH / "lua" / "cycle.lua", work / "req", connections, duration_s, server_pid=server.pid
            )
        finally:
            server.stop()


def line(name: str, r: WrkResult) -> str:
    cpu_us = r.server_cpu / r.rps * 1e6 if r.rps else 0.0
    return f"{name}: {r.rps:9,.0f} req/s  p50 {r.p50_ms:5.2f} ms  p99 {r.p99_ms:6.2f} ms  CPU {cpu_us:5.1f} us/request"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", default="HEAD", help="git revision, or WORKTREE")
    ap.add_argument("--b", default=WORKTREE, help="git revision, or WORKTREE")
    ap.add_argument("--pythonpath", type=Path, help="use this tree for B instead of --b")
    ap.add_argument("--a-pythonpath", type=Path, help="use this tree for A instead of --a")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--duration", type=int, default=8, help="seconds per run (keep <= 20: 30 s signature window)")
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    paths = {
        "A": args.a_pythonpath.resolve() if args.a_pythonpath else source(args.a),
        "B": args.pythonpath.resolve() if args.pythonpath else source(args.b),
    }
    print(f"A = {args.a_pythonpath or args.a} ({paths['A']})\nB = {args.pythonpath or args.b} ({paths['B']})")
    runs: dict[str, list[WrkResult]] = {"A": [], "B": []}
    for i in range(args.rounds):
        for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
            result = run_once(paths[name], args.connections, args.duration)
            runs[name].append(result)
            print(f"round {i + 1} {line(name, result)}", flush=True)
    for name in ("A", "B"):
        rs = runs[name]
        rps = [r.rps for r in rs]
        print(
            f"{name} mean {statistics.mean(rps):9,.0f} req/s (stdev {statistics.pstdev(rps):,.0f}), "
            f"CPU {statistics.mean(r.server_cpu / r.rps * 1e6 for r in rs):5.1f} us/request, "
            f"p99 median {statistics.median(r.p99_ms for r in rs):.2f} ms"
        )
    ratios = [b.rps / a.rps for a, b in zip(runs["A"], runs["B"])]
    spread = f", stdev {statistics.stdev(ratios):.3f}" if len(ratios) > 1 else ""
    print(f"B/A per round: {', '.join(f'{r:.3f}' for r in ratios)}; mean {statistics.mean(ratios):.3f}{spread}")


if __name__ == "__main__":
    main()
