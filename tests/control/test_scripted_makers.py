"""Scripted counterparties through python-okx against a real venue: a slow maker, a fading one, an absent one, a
one-sided one that never re-quotes, all in venue time (advanced by the control plane), none of it waited for in wall
time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import okx.BlockTrading as BlockTrading
import pytest

from openrfq.config.loader import DEMO_CONFIG_TOML
from openrfq.testing import ServerVenue

LEG = {"instId": "BTC-USDT", "sz": "1", "side": "buy"}
BOTS = """
[[bots]]
trader_code = "SLOW"
quote_delay_ms = 5000

[[bots]]
trader_code = "FADER"
fade_after_ms = 3000

[[bots]]
trader_code = "ABSENT"
decline_ratio = 1.0

[[bots]]
trader_code = "EVEN"
expires_in_s = 30

[[bots]]
trader_code = "ONESIDED"
skew_bps = { sell = 100 }
expires_in_s = 30
requote = false
"""


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerVenue]:
    config = tmp_path_factory.mktemp("makers") / "venue.toml"
    config.write_text(DEMO_CONFIG_TOML + BOTS + "\n[rate_limits]\nenabled = false\n")
    served = ServerVenue(config).start()
    yield served
    served.close()


@pytest.fixture
def taker(venue: ServerVenue) -> Iterator[BlockTrading.BlockTradingAPI]:
    venue.reset()
    key = venue.accounts["TAKER1"]
    with BlockTrading.BlockTradingAPI(key.api_key, key.secret_key, key.passphrase, False, "1", domain=venue.url) as api:
        yield api


def _quotes(taker: BlockTrading.BlockTradingAPI, rfq_id: str, wait_s: float = 10.0) -> list[dict[str, Any]]:
    """The RFQ's quotes once a bot has answered (they answer asynchronously), or none after ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while True:
        quotes: list[dict[str, Any]] = taker.get_quotes(rfqId=rfq_id)["data"]
        if quotes or time.monotonic() > deadline:
            return quotes
        time.sleep(0.05)


def test_a_slow_maker_quotes_quote_delay_ms_of_venue_time_after_the_rfq(
    venue: ServerVenue, taker: BlockTrading.BlockTradingAPI
) -> None:
    rfq = taker.create_rfq(counterparties=["SLOW"], legs=[LEG])["data"][0]
    before = _quotes(taker, rfq["rfqId"], wait_s=0.5)  # venue time stands still: no quote, however long

    venue.advance(5)
    after = _quotes(taker, rfq["rfqId"])

    assert before == []
    assert [(q["traderCode"], int(q["cTime"]) - int(rfq["cTime"])) for q in after] == [("SLOW", 5000)]


def test_a_fading_maker_cancels_its_quote_after_fade_after_ms(
    venue: ServerVenue, taker: BlockTrading.BlockTradingAPI
) -> None:
    rfq = taker.create_rfq(counterparties=["FADER"], legs=[LEG])["data"][0]
    (quote,) = _quotes(taker, rfq["rfqId"])

    venue.advance(3)
    deadline = time.monotonic() + 10  # a generous bound for a loaded machine: only a failure waits it out
    while taker.get_quotes(quoteId=quote["quoteId"])["data"][0]["state"] == "active" and time.monotonic() < deadline:
        time.sleep(0.05)  # the bot cancels over REST once woken: wall time for the request, none for the fade
    faded = taker.get_quotes(quoteId=quote["quoteId"])["data"][0]

    assert (faded["state"], int(faded["uTime"]) - int(quote["cTime"])) == ("canceled", 3000)


def test_an_absent_maker_never_quotes(venue: ServerVenue, taker: BlockTrading.BlockTradingAPI) -> None:
    rfq = taker.create_rfq(counterparties=["ABSENT"], legs=[LEG])["data"][0]

    venue.advance(60)

    assert _quotes(taker, rfq["rfqId"], wait_s=0.5) == []


def _px(quotes: list[dict[str, Any]], maker: str) -> Decimal:
    (quote,) = [q for q in quotes if q["traderCode"] == maker]
    return Decimal(quote["legs"][0]["px"])


def test_a_one_sided_maker_widens_only_the_side_it_is_skewed_on(
    venue: ServerVenue, taker: BlockTrading.BlockTradingAPI
) -> None:
    buying = taker.create_rfq(counterparties=["EVEN", "ONESIDED"], legs=[LEG])["data"][0]  # the makers sell
    selling = taker.create_rfq(counterparties=["EVEN", "ONESIDED"], legs=[{**LEG, "side": "sell"}])["data"][0]
    sold_to_us, bought_from_us = _both(taker, buying["rfqId"]), _both(taker, selling["rfqId"])

    ratio = _px(sold_to_us, "ONESIDED") / _px(sold_to_us, "EVEN")
    assert Decimal("1.0095") < ratio < Decimal("1.0105")  # 100 bps more on the side it sells
    assert _px(bought_from_us, "ONESIDED") == _px(bought_from_us, "EVEN")  # its bids as anyone's


def test_a_maker_with_requote_off_lets_its_quote_expire_and_quotes_no_more(
    venue: ServerVenue, taker: BlockTrading.BlockTradingAPI
) -> None:
    rfq = taker.create_rfq(counterparties=["EVEN", "ONESIDED"], legs=[LEG])["data"][0]
    first = {q["traderCode"]: q["quoteId"] for q in _both(taker, rfq["rfqId"])}

    venue.advance(30)  # past both quotes' expiry; EVEN replaced its own 5 s before
    deadline = time.monotonic() + 10  # a generous bound for a loaded machine: only a failure waits it out
    while time.monotonic() < deadline:  # the re-quote goes over REST once the bot is woken: wall time for that
        live = {q["traderCode"]: q["quoteId"] for q in taker.get_quotes(rfqId=rfq["rfqId"], state="active")["data"]}
        if "EVEN" in live:
            break
        time.sleep(0.05)

    assert live.keys() == {"EVEN"} and live["EVEN"] != first["EVEN"]
    assert taker.get_quotes(quoteId=first["ONESIDED"])["data"][0]["state"] == "expired"


def _both(taker: BlockTrading.BlockTradingAPI, rfq_id: str) -> list[dict[str, Any]]:
    """The RFQ's quotes once both EVEN and ONESIDED have answered."""
    deadline = time.monotonic() + 10  # a generous bound for a loaded machine: only a failure waits it out
    while True:
        quotes: list[dict[str, Any]] = taker.get_quotes(rfqId=rfq_id)["data"]
        if len(quotes) >= 2 or time.monotonic() > deadline:
            return quotes
        time.sleep(0.05)
