"""The API, WebSocket and control-plane suites once more with ``[store] history_cache = 0``
(tests/history_without_cache.py): every ended RFQ, quote and trade leaves memory with the first durable batch
after it ended, so every read of history those suites make is answered by the store, and must answer exactly as
before. A store read that answered differently fails some of those suites' tests, hence this one. On SQLite
only (see below)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
SUITES = ("api", "ws", "control")


@pytest.mark.timeout(1800)
def test_the_read_suites_pass_with_no_history_in_memory(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(TESTS), os.environ.get("PYTHONPATH"))))}
    # SQLite's reads only: CI's time allows the suites once more, not twice; the PostgreSQL store's reads are held
    # to SQLite's answers by the history scenario (test_history_restart.py), which runs on both.
    env["OPENRFQ_TEST_STORES"] = "sqlite"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "history_without_cache"]
    command += ["--basetemp", str(tmp_path / "basetemp"), *(str(TESTS / suite) for suite in SUITES)]
    run = subprocess.run(command, cwd=TESTS.parent, env=env, capture_output=True, text=True, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    summary = re.search(r"history cache 0: (\d+) venues built, (\d+) store reads", output)
    assert summary is not None, output[-3000:]
    venues, reads = int(summary[1]), int(summary[2])
    passed = re.search(r"(\d+) passed", output)
    assert passed is not None and int(passed[1]) > 500, output[-3000:]
    assert venues > 300, summary[0]  # the plugin did build the suites' venues
    assert reads > 1000, summary[0]  # and their history was read from the store
