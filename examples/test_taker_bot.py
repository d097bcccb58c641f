"""A taker bot's tests against openrfq: two minutes of venue time in no wall time, and a 503 on demand.

Run with ``pip install 'openrfq[test]'`` (pytest, python-okx) and ``python -m pytest examples/test_taker_bot.py``:
installing openrfq registers its pytest plugin, whose ``openrfq`` fixture is a real venue, reset for each test.
"""

from collections.abc import Iterator

import okx.BlockTrading as BlockTrading
import pytest

from openrfq.testing import ServerVenue

LEGS = [{"instId": "BTC-USDT", "sz": "1", "side": "buy"}]


@pytest.fixture
def api(openrfq: ServerVenue) -> Iterator[BlockTrading.BlockTradingAPI]:
    """The taker's python-okx client, pointed at the venue (only its domain changes)."""
    key = openrfq.accounts["TAKER1"]
    with BlockTrading.BlockTradingAPI(
        key.api_key, key.secret_key, key.passphrase, False, "1", domain=openrfq.url
    ) as api:
        yield api


def test_an_rfq_nobody_quotes_expires_after_two_minutes(
    openrfq: ServerVenue, api: BlockTrading.BlockTradingAPI
) -> None:
    rfq = api.create_rfq(counterparties=["MAKER1"], legs=LEGS)["data"][0]

    openrfq.advance(120)  # venue time: every expiry due by then has fired when this returns

    assert api.get_rfqs(rfqId=rfq["rfqId"])["data"][0]["state"] == "expired"


def test_a_503_is_retried(openrfq: ServerVenue, api: BlockTrading.BlockTradingAPI) -> None:
    openrfq.fault(path="/api/v5/rfq/create-rfq", action="error", code="50001", count=1)

    first = api.create_rfq(counterparties=["MAKER1"], legs=LEGS)
    second = api.create_rfq(counterparties=["MAKER1"], legs=LEGS)

    assert (first["code"], first["msg"]) == ("50001", "Service temporarily unavailable. Please try again later.")
    assert second["code"] == "0"
