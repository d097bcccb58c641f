"""Instructions a request costs, counted by callgrind: a measure this machine's speed does not move.

The wall clock here varies up to 3x between hours; the instructions a build executes for the same requests do not
(the same build, twice: within 0.5%). This runs ``bench/hotpath.py`` (in process, no sockets, 32 connections, the
requests' answers durable as the server makes them) under ``valgrind --tool=callgrind``, counting only the
requests (``hotpath.py --callgrind``), and prints the instructions per request in all and in the parts of the
request path, for each Python given (a venv with openrfq installed, compiled as users run it); with ``--http1``, the
requests go in as bytes through openrfq's HTTP protocol (a transport in memory: the kernel's part is not there):

    .venv/bin/python bench/instructions.py [--python A/bin/python --python B/bin/python] [--pairs 100] [--http1]

Instructions are not time: a cache miss or a system call costs far more than its count, and under valgrind the CPU
reports no SHA extensions, so OpenSSL's SHA-256 takes a longer path (a signature counts more than its native cost
would). Use it to compare two builds, part by part, and the wall clock (``ab.py``, ``run.py``) to say what that is
worth.
Needs valgrind (Debian's ``valgrind``).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# (label, the compiled function whose inclusive count is the part, requests it runs for per request)
PARTS = (
    (
        "HttpProtocol.data_received: the bytes parsed, the Request built, respond (--http1)",
        "CPyDef_http1___HttpProtocol___data_received",
        1.0,
    ),
    ("  HttpProtocol._read: the Request built, then respond (--http1)", "CPyDef_http1___HttpProtocol____read", 1.0),
    (
        "HttpProtocol._reply: the answer's head and write, within _synced (--http1)",
        "CPyDef_http1___HttpProtocol____reply",
        1.0,
    ),
    ("OkxApi.respond: a request, to its answer's hand-over to the commit", "CPyDef_app___OkxApi___respond", 1.0),
    ("  authenticate (HMAC-SHA256, timestamp, headers)", "CPyDef_app___OkxApi___authenticate", 1.0),
    ("  parse (the JSON body)", "CPyDef_app___parse", 1.0),
    ("  create-quote's handler (params, Venue, view, envelope), per create", "CPyDef_quote___create_quote", 0.5),
    ("    params.legs, per create", "CPyDef_params___legs", 0.5),
    ("    Venue.create_quote, per create", "CPyDef_venue___Venue___create_quote", 0.5),
    ("      rules.quote_legs, per create", "CPyDef_rules___quote_legs", 0.5),
    ("    views.quote, per create", "CPyDef_views___quote", 0.5),
    ("  cancel-quote's handler, per cancel", "CPyDef_quote___cancel_quote", 0.5),
    ("Committer._start: cut, encode, write", "CPyDef_committer___Committer____start", 1.0),
    ("Committer._synced: completion, answers told", "CPyDef_committer___Committer____synced", 1.0),
    ("  the answers (_Answer.__call__)", "CPyDef_app____Answer_____call__", 1.0),
    ("the store's threads (SQLite)", "pythread_wrapper", 1.0),
)


def count(python: str, pairs: int, out: Path, http1: bool) -> tuple[int, dict[str, int]]:
    """(requests, inclusive instructions by function) of one run."""
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        python,
        str(BENCH / "hotpath.py"),
        "--pairs",
        str(pairs),
        "--connections",
        "32",
        "--callgrind",
        *(["--http1"] if http1 else []),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("{")))
    if result["bad"]:
        sys.exit(f"{python}: {result['bad']} requests failed (under valgrind a run must fit the 30 s signature window)")
    annotated = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return result["requests"], inclusive(annotated)


def inclusive(annotated: str) -> dict[str, int]:
    """``callgrind_annotate --inclusive=yes`` output as instructions by function name (the file and object
    dropped; a function listed twice, as recursion makes it, counted once: its outermost count), and "total"."""
    by_function: dict[str, int] = {}
    for line in annotated.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S.*)", line)
        if m is None or "=>" in line:
            continue
        n = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in line:
            by_function["total"] = n
            continue
        name = m.group(2).split(" [")[0].rsplit(":", 1)[-1]
        by_function[name] = max(by_function.get(name, 0), n)
    return by_function


def table(pythons: list[str], columns: list[tuple[int, dict[str, int]]]) -> list[str]:
    """The Markdown table: each part's instructions per request, and beside the first column's, the ratio to it."""
    lines = ["| part (instructions per request unless said) | " + " | ".join(pythons) + " |"]
    lines.append("|---|" + "---|" * len(pythons))
    for label, function, share in (("all the requests' instructions", "total", 1.0), *PARTS):
        first = columns[0][1].get(function, 0)
        cells = []
        for i, (requests, by_function) in enumerate(columns):
            n = by_function.get(function, 0)
            cell = f"{n / (requests * share):,.0f}"
            cells.append(f"{cell} ({n / first:.3f})" if i and first else cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", action="append", help="a venv's python (repeat to compare); default: this one")
    ap.add_argument("--pairs", type=int, default=100, help="create+cancel pairs per connection (32 connections)")
    ap.add_argument("--http1", action="store_true", help="the requests as bytes through openrfq's HTTP protocol")
    args = ap.parse_args()
    pythons = args.python or [sys.executable]
    columns = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, python in enumerate(pythons):
            requests, by_function = count(python, args.pairs, Path(tmp) / f"callgrind.{n}", args.http1)
            columns.append((requests, by_function))
    print("\n".join(table(pythons, columns)))


if __name__ == "__main__":
    main()
