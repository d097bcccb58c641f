"""An execute and a cancel of the same quote, sent at the same moment to a real server, many times over:
exactly one wins, the loser gets the matching error, and no quote ever reads both filled and canceled."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from serverproc import ServerProcess, SignedClient, make_server

# 500 races in CI (250 per variant); OPENRFQ_LONG=1 runs 10,000.
ROUNDS = 5000 if os.environ.get("OPENRFQ_LONG") else 250
LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}


@pytest.fixture(scope="module")
def race_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = make_server(tmp_path_factory.mktemp("race"))
    proc.start()
    yield proc
    proc.stop()


def _race(*calls: Any) -> list[dict[str, Any]]:
    barrier = threading.Barrier(len(calls))
    answers: list[dict[str, Any]] = [{} for _ in calls]

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


@pytest.mark.parametrize("canceler", ["maker cancels the quote", "taker cancels the RFQ"])
def test_execute_racing_a_cancel_has_exactly_one_winner(race_server: ServerProcess, canceler: str) -> None:
    taker, maker, executor = (SignedClient(race_server, n) for n in ("taker1", "maker1", "taker1"))
    outcomes: Counter[str] = Counter()
    try:
        for _ in range(ROUNDS):
            rfq = taker.post("/api/v5/rfq/create-rfq", {"counterparties": ["MAKER1"], "legs": [LEG]})["data"][0]
            quote = maker.post(
                "/api/v5/rfq/create-quote", {"rfqId": rfq["rfqId"], "quoteSide": "sell", "legs": [{**LEG, "px": "100"}]}
            )["data"][0]
            ids = {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]}
            if canceler.startswith("maker"):
                cancel = lambda: maker.post("/api/v5/rfq/cancel-quote", {"quoteId": quote["quoteId"]})  # noqa: E731
            else:
                cancel = lambda: taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": rfq["rfqId"]})  # noqa: E731

            executed, canceled = _race(lambda: executor.post("/api/v5/rfq/execute-quote", ids), cancel)

            cancel_code = canceled["data"][0]["sCode"]
            quote_state = maker.get(f"/api/v5/rfq/quotes?quoteId={quote['quoteId']}")["data"][0]["state"]
            trades = taker.get(f"/api/v5/rfq/trades?rfqId={rfq['rfqId']}")["data"]
            if executed["code"] == "0":
                # The execute won: the cancel was refused with the filled state, and the trade exists once.
                assert cancel_code in ("70400", "70200"), canceled
                assert "filled" in canceled["data"][0]["sMsg"]
                assert quote_state == "filled"
                assert [t["blockTdId"] for t in trades] == [executed["data"][0]["blockTdId"]]
                outcomes["execute"] += 1
            else:
                # The cancel won: the execute was refused with the canceled state, and nothing traded.
                assert cancel_code == "0", canceled
                assert executed["code"] in ("70505", "70504"), executed
                assert "canceled" in executed["msg"]
                assert quote_state == "canceled"
                assert trades == []
                outcomes["cancel"] += 1
    finally:
        for client in (taker, maker, executor):
            client.close()
    print(canceler, dict(outcomes))
    assert sum(outcomes.values()) == ROUNDS
