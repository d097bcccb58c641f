"""The disk's own floor under a durable answer: a 4 KiB write then fdatasync of one file, paced like the rate
scenario (one every ``--interval-ms``), on the disk that holds ``bench/.work``. Every acknowledgement openrfq sends
waits for one of these (store/sqlite.py); a p99 at 1,000 req/s cannot be below this one's p99 plus the loop's.

    .venv/bin/python bench/fsync.py [--count 5000] [--interval-ms 1]

Prints p50, p99, p99.9 and max in ms, and how many took over 0.5 and 1 ms. Where it runs matters: on this VM the
disk's interrupts go to core 1, and a write waited for on core 0 (the server's) takes about 0.08 ms more at the
median (``taskset -c 0``; bench/README.md). ``bench/run.py`` measures it on the server's core after each rate run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"


def durable_writes(count: int, interval_ms: float = 1.0, directory: Path = WORK) -> list[float]:
    """The ms each of ``count`` durable 4 KiB writes took, one every ``interval_ms``, in a file in ``directory``."""
    directory.mkdir(exist_ok=True)
    block = os.urandom(4096)
    took: list[float] = []
    with tempfile.NamedTemporaryFile(dir=directory, prefix="fsync-") as f:
        fd = f.fileno()
        for i in range(count):
            started = time.perf_counter()
            os.pwrite(fd, block, (i % 256) * 4096)  # a WAL rewritten from its start, as SQLite's is
            os.fdatasync(fd)
            took.append((time.perf_counter() - started) * 1000)
            time.sleep(max(0.0, interval_ms / 1000 - (time.perf_counter() - started)))
    return took


def summary(took: list[float]) -> dict[str, float]:
    """p50, p99, p99.9 and max in ms, and how many took over 0.5 and over 1 ms."""
    q = statistics.quantiles(took, n=1000, method="inclusive")
    return {
        "p50_ms": round(q[499], 3),
        "p99_ms": round(q[989], 3),
        "p999_ms": round(q[998], 3),
        "max_ms": round(max(took), 3),
        "over_0_5_ms": sum(t > 0.5 for t in took),
        "over_1_ms": sum(t > 1 for t in took),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--interval-ms", type=float, default=1.0)
    args = ap.parse_args()
    s = summary(durable_writes(args.count, args.interval_ms))
    print(
        f"fdatasync of 4 KiB, {args.count} times: p50 {s['p50_ms']:.3f} ms, p99 {s['p99_ms']:.3f} ms,"
        f" p99.9 {s['p999_ms']:.3f} ms, max {s['max_ms']:.3f} ms; over 0.5 ms: {s['over_0_5_ms']},"
        f" over 1 ms: {s['over_1_ms']}"
    )


if __name__ == "__main__":
    main()
