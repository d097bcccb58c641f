"""Asynchronous settlement ([execution] settlement_ms > 0): execute-quote answers at once, the RFQ and the quote
are pending_fill until the settlement is due in venue time, then filled, or failed by a settle_fail fault; the
trade shows in Get trades once settled (isSuccessful true or false). With 0, executions settle at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party
from samples import START_MS, create_quote, create_rfq, make_config
from settling import EXECUTE, SETTLE_FAIL, SETTLEMENT_MS, advance, control, settling_config, settling_venue


@pytest.fixture
async def venue(tmp_path: Path, clock: ManualClock) -> AsyncIterator[InProcessVenue]:
    async for v in settling_venue(tmp_path, clock, settling_config()):
        yield v


async def _rfq_state(party: Party, rfq_id: str) -> str:
    state: str = (await party.get("/api/v5/rfq/rfqs", rfqId=rfq_id))["data"][0]["state"]
    return state


async def _quote(party: Party, quote_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await party.get("/api/v5/rfq/quotes", quoteId=quote_id))["data"][0]
    return found


async def _executed(taker: Party, maker: Party, **rfq: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    created = await create_rfq(taker, **rfq)
    quote = await create_quote(maker, created["rfqId"])
    answer = await taker.post(EXECUTE, {"rfqId": created["rfqId"], "quoteId": quote["quoteId"]})
    assert answer["code"] == "0", answer
    return created, quote, answer["data"][0]


async def test_execute_answers_the_trade_at_once_as_an_atomic_venue_would(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    rfq, quote, executed = await _executed(taker, maker1, clRfqId="r1")

    assert executed == {
        "cTime": str(START_MS),
        "rfqId": rfq["rfqId"],
        "clRfqId": "r1",
        "quoteId": quote["quoteId"],
        "clQuoteId": "",
        "blockTdId": "1",
        "tag": "",
        "tTraderCode": "TAKER1",
        "mTraderCode": "MAKER1",
        "legs": [
            {
                "instId": "BTC-USDT",
                "px": "50000.1",
                "sz": "1.5",
                "side": "sell",
                "fee": "-37.500075",
                "feeCcy": "USDT",
                "tradeId": "1",
            }
        ],
        "acctAlloc": [],
    }


async def test_until_settlement_the_rfq_and_quote_are_pending_fill_and_no_trade_is_listed(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    rfq, quote, _ = await _executed(taker, maker1)

    await advance(venue, SETTLEMENT_MS - 1)

    assert await _rfq_state(taker, rfq["rfqId"]) == "pending_fill"
    assert await _rfq_state(maker1, rfq["rfqId"]) == "pending_fill"
    assert await _rfq_state(maker2, rfq["rfqId"]) == "pending_fill"
    assert (await _quote(maker1, quote["quoteId"]))["state"] == "pending_fill"
    assert (await taker.get("/api/v5/rfq/rfqs", state="pending_fill"))["data"][0]["rfqId"] == rfq["rfqId"]
    assert (await taker.get("/api/v5/rfq/trades"))["data"] == []
    assert (await taker.get("/api/v5/rfq/trades", isSuccessful="false"))["data"] == []
    assert (await maker1.get("/api/v5/rfq/public-trades"))["data"] == []


async def test_at_settlement_both_are_filled_at_the_due_time_and_the_trade_is_listed(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    rfq, quote, executed = await _executed(taker, maker1)

    await advance(venue, SETTLEMENT_MS * 3)

    shown = (await taker.get("/api/v5/rfq/rfqs", rfqId=rfq["rfqId"]))["data"][0]
    assert (shown["state"], shown["uTime"]) == ("filled", str(START_MS + SETTLEMENT_MS))
    assert await _rfq_state(maker2, rfq["rfqId"]) == "traded_away"
    assert (await _quote(maker1, quote["quoteId"]))["state"] == "filled"
    (trade,) = (await taker.get("/api/v5/rfq/trades"))["data"]
    assert (trade["blockTdId"], trade["cTime"], trade["isSuccessful"], trade["errorCode"]) == (
        executed["blockTdId"],
        executed["cTime"],
        True,
        "",
    )
    assert [leg["fee"] for leg in trade["legs"]] == [leg["fee"] for leg in executed["legs"]]
    assert (await maker1.get("/api/v5/rfq/public-trades"))["data"][0]["blockTdId"] == "1"


async def test_executing_again_while_settling_is_70511(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    rfq, quote, _ = await _executed(taker, maker1)

    again = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    assert again == {"code": "70511", "msg": "Execution is being processed", "data": []}


async def test_canceling_a_pending_rfq_or_quote_is_refused_with_its_state(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    rfq, quote, _ = await _executed(taker, maker1)

    rfq_answer = await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": rfq["rfqId"]})
    quote_answer = await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": quote["quoteId"]})

    assert rfq_answer["data"][0]["sMsg"] == "The RFQ with pending_fill status cannot be canceled"
    assert quote_answer["data"][0]["sMsg"] == "The Quote with pending_fill status cannot be canceled"


async def test_expiry_does_not_end_a_pending_execution(tmp_path: Path, clock: ManualClock) -> None:
    async for venue in settling_venue(tmp_path, clock, settling_config(settlement_ms=200_000)):
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        rfq, quote, _ = await _executed(taker, maker, legs=[{"instId": "BTC-USDT", "sz": "1.5", "side": "buy"}])

        await advance(venue, 150_000)  # past the quote's 60 s and the RFQ's 120 s

        assert await _rfq_state(taker, rfq["rfqId"]) == "pending_fill"
        assert (await _quote(maker, quote["quoteId"]))["state"] == "pending_fill"
        await advance(venue, 50_000)
        assert await _rfq_state(taker, rfq["rfqId"]) == "filled"


async def test_the_other_quotes_of_the_rfq_end_when_it_is_executed(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    rfq = await create_rfq(taker)
    other = await create_quote(maker2, rfq["rfqId"], px="50000.2")
    chosen = await create_quote(maker1, rfq["rfqId"])

    await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": chosen["quoteId"]})

    assert (await _quote(maker2, other["quoteId"]))["state"] == "canceled"


async def test_a_settle_fail_fault_fails_both_and_lists_the_trade_as_unsuccessful(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await control(venue, "POST", "/faults", {**SETTLE_FAIL, "code": "70509", "count": 1})
    rfq, quote, executed = await _executed(taker, maker1)

    await advance(venue, SETTLEMENT_MS)

    assert await _rfq_state(taker, rfq["rfqId"]) == "failed"
    assert await _rfq_state(maker1, rfq["rfqId"]) == "failed"
    assert (await _quote(maker1, quote["quoteId"]))["state"] == "failed"
    assert (await taker.get("/api/v5/rfq/trades"))["data"] == []
    (failed,) = (await taker.get("/api/v5/rfq/trades", isSuccessful="false"))["data"]
    assert (failed["blockTdId"], failed["isSuccessful"], failed["errorCode"]) == ("1", False, "70509")
    assert failed["legs"] == [{**executed["legs"][0], "fee": "0", "tradeQuoteCcy": "USDT"}]  # nothing charged
    (seen_by_maker,) = (await maker1.get("/api/v5/rfq/trades", isSuccessful="false"))["data"]
    assert (seen_by_maker["errorCode"], seen_by_maker["legs"][0]["fee"]) == ("70509", "0")
    assert (await maker1.get("/api/v5/rfq/public-trades"))["data"] == []
    assert (await maker1.get("/api/v5/public/block-trades", instId="BTC-USDT"))["data"] == []


async def test_a_fault_with_count_one_fails_one_execution_only(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await control(venue, "POST", "/faults", {**SETTLE_FAIL, "count": 1})  # code: 70509 unless told
    first, _, _ = await _executed(taker, maker1)
    second, _, _ = await _executed(taker, maker1)

    await advance(venue, SETTLEMENT_MS)

    assert [await _rfq_state(taker, r["rfqId"]) for r in (first, second)] == ["failed", "filled"]
    assert [t["errorCode"] for t in (await taker.get("/api/v5/rfq/trades", isSuccessful="false"))["data"]] == ["70509"]


async def test_a_refused_execution_leaves_the_fault_for_the_next(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await control(venue, "POST", "/faults", {**SETTLE_FAIL, "count": 1})
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])
    wrong_legs = [{"instId": "ETH-USDT", "sz": "1"}]
    refused = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"], "legs": wrong_legs})

    await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})
    await advance(venue, SETTLEMENT_MS)

    assert refused["code"] == "70502"
    assert await _rfq_state(taker, rfq["rfqId"]) == "failed"


async def test_a_failed_settlement_counted_once_toward_mmp_as_the_attempt_it_was(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    await maker1.post("/api/v5/rfq/mmp-config", {"timeInterval": "5000", "frozenInterval": "0", "countLimit": "2"})
    await control(venue, "POST", "/faults", {**SETTLE_FAIL, "count": 1})
    await _executed(taker, maker1)
    await advance(venue, SETTLEMENT_MS)  # failed at settlement: no second count

    assert (await maker1.get("/api/v5/rfq/mmp-config"))["data"][0]["mmpFrozen"] is False
    await _executed(taker, maker1)
    assert (await maker1.get("/api/v5/rfq/mmp-config"))["data"][0]["mmpFrozen"] is True


async def test_lmt_px_auto_execution_settles_asynchronously_too(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    rfq = await create_rfq(taker, legs=[{"instId": "BTC-USDT", "sz": "1.5", "side": "buy", "lmtPx": "51000"}])

    quote = await create_quote(maker1, rfq["rfqId"], side="sell")
    await advance(venue, SETTLEMENT_MS)

    assert quote["state"] == "pending_fill"
    assert (await _quote(maker1, quote["quoteId"]))["state"] == "filled"


async def test_a_restarted_venue_settles_what_was_pending_as_scheduled(tmp_path: Path, clock: ManualClock) -> None:
    config = settling_config()
    async for venue in settling_venue(tmp_path, clock, config):
        await control(venue, "POST", "/faults", {**SETTLE_FAIL, "count": 1})
        failing, _, _ = await _executed(venue.party("TAKER1"), venue.party("MAKER1"))
        filling, _, _ = await _executed(venue.party("TAKER1"), venue.party("MAKER1"))

    async for again in settling_venue(tmp_path, clock, config):
        taker = again.party("TAKER1")
        assert [await _rfq_state(taker, r["rfqId"]) for r in (failing, filling)] == ["pending_fill"] * 2
        await advance(again, SETTLEMENT_MS)
        assert [await _rfq_state(taker, r["rfqId"]) for r in (failing, filling)] == ["failed", "filled"]


async def test_without_settlement_ms_a_settle_fail_rule_is_refused_and_execution_is_atomic(
    tmp_path: Path, clock: ManualClock
) -> None:
    async for venue in settling_venue(tmp_path, clock, make_config()):
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        refused = await control(venue, "POST", "/faults", SETTLE_FAIL)
        rfq, _, _ = await _executed(taker, maker)

        assert refused["code"] == "90003" and "settlement_ms" in refused["msg"]
        assert await _rfq_state(taker, rfq["rfqId"]) == "filled"


async def test_a_settle_fail_rule_names_execute_quote_and_a_known_code(venue: InProcessVenue) -> None:
    other_path = await control(venue, "POST", "/faults", {**SETTLE_FAIL, "path": "/api/v5/rfq/create-quote"})
    unknown_code = await control(venue, "POST", "/faults", {**SETTLE_FAIL, "code": "12345"})
    added = await control(venue, "POST", "/faults", SETTLE_FAIL)

    assert "execute-quote" in other_path["msg"] and "12345" in unknown_code["msg"]
    assert (added["data"][0]["action"], added["data"][0]["code"]) == ("settle_fail", "70509")
