"""The README does what it says: its client snippets, as written (only the port changed), against a real
``openrfq serve`` with the demo accounts and the WAGMI bot; and CI runs its test command verbatim."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openrfq.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
NODE_MODULES = ROOT / "tests" / "clients" / "node" / "node_modules"


def _blocks(section: str, language: str) -> list[str]:
    """The fenced ``language`` blocks under the README's ``## section`` heading (its ### subsections included)."""
    start = README.index(f"\n## {section}\n")
    end = README.find("\n## ", start + 1)
    return re.findall(rf"```{language}\n(.*?)```", README[start : end if end != -1 else None], re.DOTALL)


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    (command,) = [line for line in _blocks("Run the tests", "sh")[0].splitlines() if line]
    ci = (ROOT / ".ci" / "run").read_text()

    assert command in ci.splitlines()  # a line of its own, in the foreground:
    assert "set -euo pipefail" in ci.splitlines()  # its failure is CI's
    # The coverage pass beside it starts once the command's npm ci is done, and its failure is CI's too.
    assert ci.index("until [ -e tests/clients/node/node_modules/.package-lock.json ]") < ci.index("pytest -q -p")
    assert 'wait "$coverage_pass" || status=$?' in ci.splitlines() and ci.endswith('exit "$status"\n')
    assert "(cd tests/clients/node && npm ci)" in command and command.endswith("python -m pytest -q")


def test_the_quickstart_installs_the_clients_its_snippets_use() -> None:
    (install,) = _blocks("Quickstart", "sh")[:1]

    assert "pip install '.[clients]'" in install
    assert README.index("pip install '.[clients]'") < README.index("import okx.BlockTrading")


@pytest.fixture(scope="module")
def demo_venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``openrfq serve`` as the README starts it (demo accounts, the WAGMI bot), on a free port."""
    tmp = tmp_path_factory.mktemp("readme")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENRFQ_")}
    with open(tmp / "server.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "openrfq", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp,
            env=env,
        )
    try:
        _wait_for_the_bot(f"http://127.0.0.1:{port}", process, tmp / "server.log")
        yield str(port)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_the_bot(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if "openrfq_ws_connections 1.0" in httpx.get(url + "/metrics", timeout=1).text:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the WAGMI bot did not connect: {log.read_text()}")


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _python(code: str, port: str, tmp_path: Path) -> str:
    return _run([sys.executable, "-c", code.replace("127.0.0.1:8080", f"127.0.0.1:{port}")], tmp_path)


def test_the_quickstart_snippets(demo_venue: str, tmp_path: Path) -> None:
    python_okx, ccxt = _blocks("Quickstart", "python")

    lines = _python(python_okx, demo_venue, tmp_path).splitlines()
    assert lines[0] == "WAGMI 50050"  # as its comment says
    assert "'px': '50050', 'sz': '0.5', 'side': 'buy'" in lines[1]

    traded = _python(ccxt, demo_venue, tmp_path)
    assert "'code': '0'" in traded and "'mTraderCode': 'WAGMI'" in traded and "'side': 'sell'" in traded


def test_the_first_walkthrough_with_python_okx_then_ccxt(demo_venue: str, tmp_path: Path) -> None:
    python_okx, ccxt = _blocks("First walkthrough with python-okx", "python")

    lines = _python(python_okx + "\n" + ccxt, demo_venue, tmp_path).splitlines()

    assert "'clQuoteId': 'Bond007', 'sCode': '0', 'sMsg': ''" in lines[0]
    assert "'clQuoteId': 'Bond008', 'sCode': '0', 'sMsg': ''" in lines[1]
    assert "'sCode': '70400', 'sMsg': 'The Quote with canceled status cannot be canceled'" in lines[2]
    assert lines[3].count("'clQuoteId': ''") == 2  # the taker's view of both quotes
    assert "'clQuoteId': 'Bond009', 'sCode': '0', 'sMsg': ''" in lines[4]  # ccxt cancels a quote of its own
    assert '"clQuoteId":"Bond009","sCode":"70400"' in lines[5]  # and is refused the second time
    assert len(lines) == 6


def test_the_node_snippet(demo_venue: str, tmp_path: Path) -> None:
    (snippet,) = _blocks("WebSocket", "js")
    node = shutil.which("node")
    assert node is not None and NODE_MODULES.is_dir(), "run (cd tests/clients/node && npm ci), as the README says"
    (tmp_path / "node_modules").symlink_to(NODE_MODULES)  # what `npm install okx-api` would have made
    (tmp_path / "rfq.mjs").write_text(snippet.replace("127.0.0.1:8080", f"127.0.0.1:{demo_venue}"))

    out = _run([node, "rfq.mjs"], tmp_path)

    assert re.search(r"^RFQ \d+ active$", out, re.MULTILINE), out
    assert re.search(r"^traded \d+ at 50050$", out, re.MULTILINE), out
