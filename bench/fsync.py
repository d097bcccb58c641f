"""The disk's own floor under a durable answer: a 4 KiB write then fdatasync of one file, paced like the rate
scenario (one every ``--interval-ms``), on the disk that holds ``bench/.work``. Every acknowledgement openrfq sends
waits for one of these (store/sqlite.py); a p99 at 1,000 req/s cannot be below this one's p99 plus the loop's.

    .venv/bin/python bench/fsync.py [--count 5000] [--interval-ms 1]

Prints p50, p99, p99.9 and max in ms, and how many took over 0.5 and 1 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--interval-ms", type=float, default=1.0)
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    block = os.urandom(4096)
    took: list[float] = []
    with tempfile.NamedTemporaryFile(dir=WORK, prefix="fsync-") as f:
        fd = f.fileno()
        for i in range(args.count):
            started = time.perf_counter()
            os.pwrite(fd, block, (i % 256) * 4096)  # a WAL rewritten from its start, as SQLite's is
            os.fdatasync(fd)
            took.append((time.perf_counter() - started) * 1000)
            time.sleep(max(0.0, args.interval_ms / 1000 - (time.perf_counter() - started)))
    took.sort()
    q = statistics.quantiles(took, n=1000)
    print(
        f"fdatasync of 4 KiB, {args.count} times: p50 {q[499]:.3f} ms, p99 {q[989]:.3f} ms, p99.9 {q[998]:.3f} ms,"
        f" max {took[-1]:.3f} ms; over 0.5 ms: {sum(t > 0.5 for t in took)}, over 1 ms: {sum(t > 1 for t in took)}"
    )


if __name__ == "__main__":
    main()
