"""The Node SDK okx-api (pinned in tests/clients/node/package.json), unchanged but for its URLs, against a real
``openrfq serve`` process, over HTTP/WS and over HTTPS/WSS with the venue's local CA.

``tests/clients/node/walkthrough.mjs`` drives the lifecycle through okx-api's RestClient and WebsocketClient and
checks every answer itself; this driver starts the venue, runs the script, and checks from the venue's side
(through its own signed requests) that what the script reports happened.

The README's test command installs the Node packages (``npm ci`` in tests/clients/node) before pytest runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openrfq.api.routes import ROUTES
from openrfq.testing import ServerVenue
from samples import make_server

NODE_PROJECT = Path(__file__).parent / "node"
SCRIPT = NODE_PROJECT / "walkthrough.mjs"

STEPS = [
    "counterparties",
    "websocket-login-and-subscribe",
    "block-ticker-before",
    "create-rfq",
    "websocket-rfq-push",
    "create-quote",
    "cancel-quote-by-clQuoteId",
    "cancel-quote-again-70400",
    "replace-quote",
    "websocket-quote-pushes",
    "taker-get-quotes",
    "execute-quote",
    "get-trades",
    "websocket-trade-pushes",
    "block-tickers",
    "rfq-public-trades",
    "public-block-trades",
    "market-block-trades",
]

# okx-api's getPublicBlockTrades() calls GET /api/v5/market/block-trades, OKX's earlier path of the public block
# trades. The venue serves it from the branch that adds it; until then the script's step for it is left out,
# and the step runs (and must pass) as soon as the route table has the path.
LEGACY_BLOCK_TRADES = "/api/v5/market/block-trades"
SERVES_LEGACY_BLOCK_TRADES = any(route.path == LEGACY_BLOCK_TRADES for route in ROUTES)
SKIPPED = [] if SERVES_LEGACY_BLOCK_TRADES else ["market-block-trades"]


def _node() -> str:
    node = shutil.which("node")
    assert node is not None, "node (Node.js 20 or later) is not on PATH: the okx-api tests need it"
    assert (NODE_PROJECT / "node_modules" / "okx-api" / "package.json").is_file(), (
        "okx-api is not installed: run (cd tests/clients/node && npm ci), as the README's test command does"
    )
    return node


@pytest.fixture(scope="module", params=["http", "tls"])
def venue(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerVenue]:
    with make_server(tmp_path_factory.mktemp(f"node-{request.param}"), tls=request.param == "tls") as proc:
        yield proc


def _credentials(venue: ServerVenue, name: str) -> str:
    key = venue.account(name)
    return " ".join((key.api_key, key.secret_key, key.passphrase))


def _run_walkthrough(venue: ServerVenue) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENRFQ_URL": venue.url,
        "OPENRFQ_WS_URL": venue.ws_url,
        "OPENRFQ_TAKER": _credentials(venue, "TAKER1"),
        "OPENRFQ_MAKER": _credentials(venue, "MAKER1"),
    }
    if venue.tls:
        env["NODE_EXTRA_CA_CERTS"] = str(venue.ca_file)  # what the README tells Node users to set
    skips = [arg for step in SKIPPED for arg in ("--skip", step)]
    return subprocess.run(
        [_node(), str(SCRIPT), *skips],
        cwd=NODE_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def _result(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert run.returncode == 0, f"okx-api walkthrough failed:\n{run.stdout}\n{run.stderr}"
    lines = run.stdout.splitlines()
    assert lines[-1].startswith("RESULT "), run.stdout
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


async def test_okx_api_through_the_rfq_lifecycle_rest_and_websocket(venue: ServerVenue) -> None:
    run = _run_walkthrough(venue)

    result = _result(run)
    assert result["steps"] == [step for step in STEPS if step not in SKIPPED]
    assert [line for line in run.stdout.splitlines() if line.startswith("skip ")] == [f"skip {s}" for s in SKIPPED]
    assert run.stderr == ""  # the SDK logged no error (its logger prints errors only)

    # From the venue's side: what the SDK did is there, rendered for each viewer.
    async with venue.party("TAKER1") as taker, venue.party("MAKER1") as maker:
        rfq_id = result["rfqId"]
        rfq = await taker.get(f"/api/v5/rfq/rfqs?rfqId={rfq_id}")
        assert rfq["code"] == "0"
        assert [(r["state"], r["clRfqId"], r["tag"]) for r in rfq["data"]] == [
            ("filled", "nodeRfq1", "159881cb7207BCDE")
        ]
        quotes = await maker.get(f"/api/v5/rfq/quotes?rfqId={rfq_id}")
        assert sorted((q["quoteId"], q["clQuoteId"], q["state"]) for q in quotes["data"]) == sorted(
            [(result["firstQuoteId"], "nodeQ1", "canceled"), (result["secondQuoteId"], "nodeQ2", "filled")]
        )
        trades = await taker.get(f"/api/v5/rfq/trades?rfqId={rfq_id}")
        assert [(t["blockTdId"], t["quoteId"]) for t in trades["data"]] == [
            (result["blockTdId"], result["secondQuoteId"])
        ]
        assert result["secondCancel"]["data"][0]["sCode"] == "70400"
        assert result["rfqPushUid"] == "200001"  # the maker's uid, as OKX's rfqs channel names it
        assert (result["ticker"]["vol24h"], result["ticker"]["volCcy24h"]) == ("0.5", "25010")
    log = venue.log_path.read_text()
    assert "Traceback" not in log and '"level":"error"' not in log.replace(" ", "")
