"""Profile openrfq's create/cancel hot path under wrk load with py-spy (sampling, out of process).

    .venv/bin/pip install py-spy          # profiling only; not a project dependency (sudo for ptrace if not root)
    .venv/bin/python bench/profile.py [--seconds 10] [--log-level info] [--out bench/results/profile]

Starts ``openrfq serve`` pinned to core 0, drives the create-quote/cancel-quote loop with wrk on core 1, and
records the server's main thread with ``py-spy record --format raw`` (collapsed stacks). Prints the functions
with the most inclusive and self samples, and writes the raw stacks (flamegraph.pl / speedscope can read them).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_requests
from common import BENCH, LOADGEN_CPU, config_toml, openrfq_server, run_wrk

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({path})"


# Categories, tried from the innermost frame outwards: the first frame that matches names the sample's owner.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("logging: state-change JSON lines", ("log_state_changes", "logging/__init__", "openrfq/logs.py")),
    ("auth: timestamp parse", ("parse_timestamp_ms",)),
    ("auth: key lookup, HMAC, compare", ("openrfq/access/auth.py", "hmac.py")),
    ("metrics", ("openrfq/metrics.py", "prometheus_client/")),
    ("store: SQLite write, AIO sync", ("openrfq/store/sqlite.py", "openrfq/store/aio.py")),
    ("commit: cut + msgpack encode", ("Committer._cut",)),
    ("commit: waiters, writer hand-off", ("openrfq/store/committer.py", "concurrent/futures", "threading.py")),
    ("engine + domain rules", ("openrfq/engine/", "openrfq/domain/", "copy.py", "enum.py", "<string>")),
    ("views + JSON encode", ("openrfq/api/views.py", "openrfq/api/codec.py")),
    ("params: body JSON + fields", ("openrfq/api/params.py", "_params (", "_read_rest (")),
    ("route handlers", ("openrfq/api/routes/",)),
    ("app glue (OkxApi.__call__)", ("openrfq/api/app.py",)),
    ("uvicorn protocol + ASGI", ("uvicorn/",)),
    ("asyncio (futures, tasks, events)", ("asyncio/",)),
)
NATIVE = "event loop (native: uvloop, httptools, sockets)"


def summarize(raw: Path, top: int = 30) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    cats: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        count = int(count_text)
        thread = next((f for f in frames if f.startswith("thread ")), "")
        names = [short(f) for f in frames if not f.startswith(("process ", "thread "))]
        if not names:
            continue
        threads[re.sub(r"\(\d+\)", "", thread)] += count
        total += count
        for name in set(names):
            inclusive[name] += count
        own[names[-1]] += count
        category = NATIVE
        for name in reversed(names if not names[-1].startswith(("Runner.run", "run_forever")) else []):
            found = next((c for c, keys in CATEGORIES if any(k in name for k in keys)), None)
            if found is not None:
                category = found
                break
        if category == NATIVE and not names[-1].startswith(("Runner.run", "run_forever")):
            category = "other: " + names[-1]
        cats[category] += count
    lines = [f"{total} samples (idle excluded); by thread:"]
    lines += [f"{100 * n / total:6.1f}%  {name}" for name, n in threads.most_common()]
    lines += ["", "by category (innermost matching frame wins):"]
    lines += [f"{100 * n / total:6.1f}%  {name}" for name, n in cats.most_common(top)]
    lines += ["", "inclusive %  function"]
    lines += [f"{100 * n / total:9.1f}  {name}" for name, n in inclusive.most_common(top + 20)]
    lines += ["", "self %  function"]
    lines += [f"{100 * n / total:6.1f}  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    ap.add_argument(
        "--all-threads", dest="gil", action="store_false", help="sample every thread, not only the GIL holder"
    )
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "profile")
    args = ap.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="openrfq-profile-", dir=BENCH) as tmp:
        work = Path(tmp)
        (work / "openrfq.toml").write_text(config_toml())
        server = openrfq_server(work / "data", work / "openrfq.toml", work / "server.log", log_level=args.log_level)
        server.start()
        try:
            rfqs = gen_requests.create_rfqs(server.port, args.connections)
            gen_requests.create_cancel_loop(work / "req", server.port, rfqs, "p")
            raw = args.out / "create-cancel.collapsed.txt"
            spy = subprocess.Popen(
                [
                    "taskset",
                    "-c",
                    LOADGEN_CPU,
                    py_spy,
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    str(args.seconds),
                    "--rate",
                    str(args.rate),
                    "--format",
                    "raw",
                    "--output",
                    str(raw),
                    "--nonblocking",
                    "--threads",
                    *(["--gil"] if args.gil else []),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            result: list[object] = []
            t = threading.Thread(
                target=lambda: result.append(
                    run_wrk(
                        server.port,
                        BENCH / "lua" / "cycle.lua",
                        work / "req",
                        args.connections,
                        args.seconds,
                        server_pid=server.pid,
                    )
                )
            )
            t.start()
            t.join()
            _, err = spy.communicate(timeout=60)
            if spy.returncode != 0:
                raise RuntimeError(f"py-spy failed: {err.decode()}")
        finally:
            server.stop()
    print("wrk under py-spy:", result[0].row() if result else None)  # type: ignore[attr-defined]
    report = summarize(raw)
    (args.out / "create-cancel.summary.txt").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
