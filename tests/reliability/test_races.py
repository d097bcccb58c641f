"""An execute and a cancel of the same quote, sent at the same moment to a real server, many times over:
exactly one wins, the loser gets the matching error, and no quote ever reads both filled and canceled."""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from openrfq.testing import ServerVenue
from samples import make_server

# 500 races in CI (250 per variant); OPENRFQ_LONG=1 runs 10,000.
ROUNDS = 5000 if os.environ.get("OPENRFQ_LONG") else 250
LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}


@pytest.fixture(scope="module")
def race_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerVenue]:
    with make_server(tmp_path_factory.mktemp("race")) as proc:
        yield proc


async def _race(rng: random.Random, *calls: Callable[[], Awaitable[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The calls sent together, each on its own connection, in an order drawn from ``rng`` (the venue serves
    whichever arrives first); their answers in the calls' order."""
    order = rng.sample(range(len(calls)), len(calls))
    answers = await asyncio.gather(*(calls[n]() for n in order))
    return [answers[order.index(n)] for n in range(len(calls))]


@pytest.mark.parametrize("canceler", ["maker cancels the quote", "taker cancels the RFQ"])
async def test_execute_racing_a_cancel_has_exactly_one_winner(race_server: ServerVenue, canceler: str) -> None:
    outcomes: Counter[str] = Counter()
    rng = random.Random(canceler)
    async with (
        race_server.party("TAKER1") as taker,
        race_server.party("MAKER1") as maker,
        race_server.party("TAKER1") as executor,
    ):
        for _ in range(ROUNDS):
            rfq = (await taker.post("/api/v5/rfq/create-rfq", {"counterparties": ["MAKER1"], "legs": [LEG]}))["data"][0]
            quote = (
                await maker.post(
                    "/api/v5/rfq/create-quote",
                    {"rfqId": rfq["rfqId"], "quoteSide": "sell", "legs": [{**LEG, "px": "100"}]},
                )
            )["data"][0]
            ids = {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]}
            if canceler.startswith("maker"):
                cancel = lambda: maker.post("/api/v5/rfq/cancel-quote", {"quoteId": quote["quoteId"]})  # noqa: E731
            else:
                cancel = lambda: taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": rfq["rfqId"]})  # noqa: E731

            executed, canceled = await _race(rng, lambda: executor.post("/api/v5/rfq/execute-quote", ids), cancel)

            cancel_code = canceled["data"][0]["sCode"]
            quote_state = await maker.quote_state(quote["quoteId"])
            trades = (await taker.get("/api/v5/rfq/trades", rfqId=rfq["rfqId"]))["data"]
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
    print(canceler, dict(outcomes))
    assert sum(outcomes.values()) == ROUNDS
