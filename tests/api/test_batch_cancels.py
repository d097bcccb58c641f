"""Batch and mass cancels: cancel-batch-rfqs, cancel-batch-quotes, cancel-all-rfqs, cancel-all-quotes.

As block-trading.md ("Cancel multiple RFQs", "Cancel all RFQs", "Cancel multiple Quotes", "Cancel all Quotes")
and NOTES.md describe them: one result item per requested id in request order, envelope code 0 / 2 / 1 for
all / some / none succeeded, each item echoing the ids as sent, at most 100 ids per batch (70203 / 70408
beyond), and a mass cancel with nothing to cancel is a
request-level 70207 / 70409.
"""

from __future__ import annotations

from typing import Any

import pytest

from openrfq.testing import InProcessVenue, Party
from samples import create_quote, create_rfq

BATCH_RFQS = "/api/v5/rfq/cancel-batch-rfqs"
ALL_RFQS = "/api/v5/rfq/cancel-all-rfqs"
BATCH_QUOTES = "/api/v5/rfq/cancel-batch-quotes"
ALL_QUOTES = "/api/v5/rfq/cancel-all-quotes"

RFQ_CANCELED = "The RFQ with canceled status cannot be canceled"
TOO_MANY_RFQS = {"code": "70203", "msg": "Cancellation failed as rfq count exceeds the limit 100.", "data": []}
TOO_MANY_QUOTES = {"code": "70408", "msg": "Cancellation failed as quote count exceeds the limit 100.", "data": []}
QUOTE_CANCELED = "The Quote with canceled status cannot be canceled"


def _rfq_ok(rfq_id: str, cl: str = "") -> dict[str, str]:
    return {"rfqId": rfq_id, "clRfqId": cl, "sCode": "0", "sMsg": ""}


def _quote_ok(quote_id: str, cl: str = "") -> dict[str, str]:
    return {"quoteId": quote_id, "clQuoteId": cl, "sCode": "0", "sMsg": ""}


async def _quotes_on_separate_rfqs(taker: Party, maker: Party, *cls: str) -> list[dict[str, Any]]:
    """One quote by ``maker`` per client id, each on its own RFQ (a maker has one live quote per RFQ)."""
    quotes = []
    for cl in cls:
        rfq = await create_rfq(taker)
        quotes.append(await create_quote(maker, rfq["rfqId"], clQuoteId=cl))
    return quotes


# --- cancel-batch-rfqs -------------------------------------------------------------------------------------------


async def test_batch_rfqs_all_succeed_is_code_0_with_one_item_per_id_in_order(taker: Party) -> None:
    a = await create_rfq(taker, clRfqId="a")
    b = await create_rfq(taker, clRfqId="b")
    c = await create_rfq(taker)

    response = await taker.request("POST", BATCH_RFQS, {"rfqIds": [c["rfqId"], a["rfqId"], b["rfqId"]]})

    assert response.status_code == 200
    assert response.json() == {
        "code": "0",
        "msg": "",
        "data": [_rfq_ok(c["rfqId"]), _rfq_ok(a["rfqId"], "a"), _rfq_ok(b["rfqId"], "b")],
    }
    for rfq in (a, b, c):
        assert await taker.rfq_state(rfq["rfqId"]) == "canceled"


async def test_batch_rfqs_by_client_ids_fills_in_the_rfq_ids(taker: Party) -> None:
    a = await create_rfq(taker, clRfqId="a")
    b = await create_rfq(taker, clRfqId="b")

    answer = await taker.post(BATCH_RFQS, {"clRfqIds": ["b", "a"]})

    assert answer == {"code": "0", "msg": "", "data": [_rfq_ok(b["rfqId"], "b"), _rfq_ok(a["rfqId"], "a")]}
    assert await taker.rfq_state(a["rfqId"]) == "canceled"
    assert await taker.rfq_state(b["rfqId"]) == "canceled"


async def test_batch_rfqs_some_fail_is_code_2_with_every_item_in_request_order(taker: Party) -> None:
    live = await create_rfq(taker, clRfqId="live")
    gone = await create_rfq(taker, clRfqId="gone")
    await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": gone["rfqId"]})
    other = await create_rfq(taker)

    response = await taker.request(
        "POST", BATCH_RFQS, {"rfqIds": ["987654", live["rfqId"], gone["rfqId"], other["rfqId"]]}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "2"
    assert body["msg"] == "Bulk operation partially succeeded."
    assert [item["rfqId"] for item in body["data"]] == ["987654", live["rfqId"], gone["rfqId"], other["rfqId"]]
    assert body["data"][0] == {"rfqId": "987654", "clRfqId": "", "sCode": "70000", "sMsg": "RFQ does not exist."}
    assert body["data"][1] == _rfq_ok(live["rfqId"], "live")
    assert (body["data"][2]["sCode"], body["data"][2]["sMsg"]) == ("70200", RFQ_CANCELED)
    assert body["data"][3] == _rfq_ok(other["rfqId"])
    assert await taker.rfq_state(live["rfqId"]) == "canceled"
    assert await taker.rfq_state(other["rfqId"]) == "canceled"


async def test_batch_rfqs_all_fail_is_code_1_operation_failed(taker: Party) -> None:
    gone = await create_rfq(taker)
    await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": gone["rfqId"]})

    answer = await taker.post(BATCH_RFQS, {"rfqIds": [gone["rfqId"], "987654"]})

    assert answer["code"] == "1"
    assert answer["msg"] == "Operation failed."
    assert [(i["rfqId"], i["sCode"], i["sMsg"]) for i in answer["data"]] == [
        (gone["rfqId"], "70200", RFQ_CANCELED),
        ("987654", "70000", "RFQ does not exist."),
    ]


async def test_batch_rfqs_already_canceled_reports_the_state(taker: Party) -> None:
    rfq = await create_rfq(taker)
    await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": rfq["rfqId"]})

    answer = await taker.post(BATCH_RFQS, {"rfqIds": [rfq["rfqId"]]})

    assert answer == {
        "code": "1",
        "msg": "Operation failed.",
        "data": [{"rfqId": rfq["rfqId"], "clRfqId": "", "sCode": "70200", "sMsg": RFQ_CANCELED}],
    }


async def test_batch_rfqs_filled_and_expired_report_their_state(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    filled = await create_rfq(taker)
    quote = await create_quote(maker1, filled["rfqId"])
    executed = await taker.post("/api/v5/rfq/execute-quote", {"rfqId": filled["rfqId"], "quoteId": quote["quoteId"]})
    assert executed["code"] == "0", executed
    expiring = await create_rfq(taker)
    venue.clock.advance(120_000)  # non-option RFQs live 2 minutes

    answer = await taker.post(BATCH_RFQS, {"rfqIds": [filled["rfqId"], expiring["rfqId"]]})

    assert answer["code"] == "1"
    assert [(i["sCode"], i["sMsg"]) for i in answer["data"]] == [
        ("70200", "The RFQ with filled status cannot be canceled"),
        ("70200", "The RFQ with expired status cannot be canceled"),
    ]


async def test_batch_rfqs_naming_the_same_rfq_twice_answers_both(taker: Party) -> None:
    rfq = await create_rfq(taker)

    answer = await taker.post(BATCH_RFQS, {"rfqIds": [rfq["rfqId"], rfq["rfqId"]]})

    assert answer["code"] == "2"
    assert [(i["rfqId"], i["sCode"]) for i in answer["data"]] == [(rfq["rfqId"], "0"), (rfq["rfqId"], "70200")]


async def test_batch_rfqs_rfq_ids_win_over_client_ids_and_both_are_echoed_as_sent(taker: Party) -> None:
    by_id = await create_rfq(taker, clRfqId="first")
    by_cl = await create_rfq(taker, clRfqId="second")

    answer = await taker.post(BATCH_RFQS, {"rfqIds": [by_id["rfqId"]], "clRfqIds": ["second"]})

    assert answer == {"code": "0", "msg": "", "data": [_rfq_ok(by_id["rfqId"], "second")]}
    assert await taker.rfq_state(by_id["rfqId"]) == "canceled"
    assert await taker.rfq_state(by_cl["rfqId"]) == "active"


async def test_batch_rfqs_with_both_lists_echo_each_pair_as_sent_in_every_item(taker: Party) -> None:
    live = await create_rfq(taker, clRfqId="live")
    gone = await create_rfq(taker, clRfqId="gone")
    await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": gone["rfqId"]})

    answer = await taker.post(
        BATCH_RFQS, {"rfqIds": [live["rfqId"], gone["rfqId"], "987654"], "clRfqIds": ["live", "wrong"]}
    )

    assert answer == {
        "code": "2",
        "msg": "Bulk operation partially succeeded.",
        "data": [
            _rfq_ok(live["rfqId"], "live"),
            {"rfqId": gone["rfqId"], "clRfqId": "wrong", "sCode": "70200", "sMsg": RFQ_CANCELED},
            {"rfqId": "987654", "clRfqId": "", "sCode": "70000", "sMsg": "RFQ does not exist."},
        ],
    }


@pytest.mark.parametrize("body", [{}, {"rfqIds": [], "clRfqIds": []}, {"rfqIds": "", "clRfqIds": ""}])
async def test_batch_rfqs_with_neither_list_is_50015(taker: Party, body: dict[str, Any]) -> None:
    response = await taker.request("POST", BATCH_RFQS, body)

    assert response.status_code == 400
    assert response.json() == {"code": "50015", "msg": "Either parameter rfqIds or clRfqIds is required", "data": []}


async def test_batch_rfqs_python_okx_body_with_empty_client_id_list(taker: Party) -> None:
    # python-okx: cancel_batch_rfqs(rfqIds=[...]) sends {"rfqIds": [...], "clRfqIds": []}.
    rfq = await create_rfq(taker)

    answer = await taker.post(BATCH_RFQS, {"rfqIds": [rfq["rfqId"]], "clRfqIds": []})

    assert answer == {"code": "0", "msg": "", "data": [_rfq_ok(rfq["rfqId"])]}


async def test_batch_rfqs_python_okx_body_with_empty_string_ids(taker: Party) -> None:
    rfq = await create_rfq(taker, clRfqId="x")

    answer = await taker.post(BATCH_RFQS, {"rfqIds": "", "clRfqIds": ["x"]})

    assert answer == {"code": "0", "msg": "", "data": [_rfq_ok(rfq["rfqId"], "x")]}


async def test_batch_rfqs_more_than_100_ids_is_refused_and_cancels_nothing(taker: Party) -> None:
    real = [await create_rfq(taker) for _ in range(3)]
    ids = [r["rfqId"] for r in real] + [str(900_000 + n) for n in range(98)]
    assert len(ids) == 101

    response = await taker.request("POST", BATCH_RFQS, {"rfqIds": ids})

    assert response.status_code == 200
    assert response.json() == TOO_MANY_RFQS
    for rfq in real:
        assert await taker.rfq_state(rfq["rfqId"]) == "active"


async def test_batch_rfqs_exactly_100_ids_is_accepted(taker: Party) -> None:
    real = await create_rfq(taker)
    ids = [real["rfqId"]] + [str(900_000 + n) for n in range(99)]

    answer = await taker.post(BATCH_RFQS, {"rfqIds": ids})

    assert answer["code"] == "2"
    assert len(answer["data"]) == 100
    assert answer["data"][0] == _rfq_ok(real["rfqId"])
    assert {i["sCode"] for i in answer["data"][1:]} == {"70000"}


async def test_batch_rfqs_more_than_100_client_ids_is_70203(taker: Party) -> None:
    answer = await taker.post(BATCH_RFQS, {"clRfqIds": [f"c{n}" for n in range(101)]})

    assert answer == TOO_MANY_RFQS


async def test_batch_rfqs_of_another_taker_are_70000_and_stay_active(venue: InProcessVenue, taker: Party) -> None:
    theirs = await create_rfq(taker, clRfqId="mine")
    other = venue.party("TAKER2")

    answer = await other.post(BATCH_RFQS, {"rfqIds": [theirs["rfqId"]]})
    by_cl = await other.post(BATCH_RFQS, {"clRfqIds": ["mine"]})

    assert answer == {
        "code": "1",
        "msg": "Operation failed.",
        "data": [{"rfqId": theirs["rfqId"], "clRfqId": "", "sCode": "70000", "sMsg": "RFQ does not exist."}],
    }
    assert by_cl["data"] == [{"rfqId": "", "clRfqId": "mine", "sCode": "70000", "sMsg": "RFQ does not exist."}]
    assert await taker.rfq_state(theirs["rfqId"]) == "active"


async def test_batch_rfqs_cancel_ends_their_quotes(taker: Party, maker1: Party, maker2: Party) -> None:
    rfq = await create_rfq(taker)
    q1 = await create_quote(maker1, rfq["rfqId"])
    q2 = await create_quote(maker2, rfq["rfqId"], px="50000.2")

    await taker.post(BATCH_RFQS, {"rfqIds": [rfq["rfqId"]]})

    assert await maker1.quote_state(q1["quoteId"]) == "canceled"
    assert await maker2.quote_state(q2["quoteId"]) == "canceled"


async def test_batch_rfqs_with_a_read_only_key_is_50120(venue: InProcessVenue, taker: Party) -> None:
    rfq = await create_rfq(taker)

    answer = await venue.party("taker1ro-key").post(BATCH_RFQS, {"rfqIds": [rfq["rfqId"]]})

    assert answer["code"] == "50120"
    assert await taker.rfq_state(rfq["rfqId"]) == "active"


# --- cancel-batch-quotes -----------------------------------------------------------------------------------------


async def test_batch_quotes_all_succeed_is_code_0_with_one_item_per_id_in_order(taker: Party, maker1: Party) -> None:
    a, b = await _quotes_on_separate_rfqs(taker, maker1, "qa", "qb")

    response = await maker1.request("POST", BATCH_QUOTES, {"quoteIds": [b["quoteId"], a["quoteId"]]})

    assert response.status_code == 200
    assert response.json() == {
        "code": "0",
        "msg": "",
        "data": [_quote_ok(b["quoteId"], "qb"), _quote_ok(a["quoteId"], "qa")],
    }
    assert await maker1.quote_state(a["quoteId"]) == "canceled"
    assert await maker1.quote_state(b["quoteId"]) == "canceled"


async def test_batch_quotes_by_client_ids_fills_in_the_quote_ids(taker: Party, maker1: Party) -> None:
    a, b = await _quotes_on_separate_rfqs(taker, maker1, "qa", "qb")

    answer = await maker1.post(BATCH_QUOTES, {"clQuoteIds": ["qa", "qb"]})

    assert answer == {"code": "0", "msg": "", "data": [_quote_ok(a["quoteId"], "qa"), _quote_ok(b["quoteId"], "qb")]}


async def test_batch_quotes_some_fail_is_code_2_with_every_item_in_request_order(taker: Party, maker1: Party) -> None:
    live, gone, other = await _quotes_on_separate_rfqs(taker, maker1, "live", "gone", "other")
    await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": gone["quoteId"]})

    response = await maker1.request(
        "POST", BATCH_QUOTES, {"quoteIds": [live["quoteId"], "987654", gone["quoteId"], other["quoteId"]]}
    )

    assert response.status_code == 200
    assert response.json() == {
        "code": "2",
        "msg": "Bulk operation partially succeeded.",
        "data": [
            _quote_ok(live["quoteId"], "live"),
            {"quoteId": "987654", "clQuoteId": "", "sCode": "70001", "sMsg": "Quote does not exist."},
            {"quoteId": gone["quoteId"], "clQuoteId": "", "sCode": "70400", "sMsg": QUOTE_CANCELED},
            _quote_ok(other["quoteId"], "other"),
        ],
    }
    assert await maker1.quote_state(live["quoteId"]) == "canceled"
    assert await maker1.quote_state(other["quoteId"]) == "canceled"


async def test_batch_quotes_all_fail_is_code_1_operation_failed(taker: Party, maker1: Party) -> None:
    (gone,) = await _quotes_on_separate_rfqs(taker, maker1, "gone")
    await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": gone["quoteId"]})

    answer = await maker1.post(BATCH_QUOTES, {"clQuoteIds": ["gone", "never"]})

    assert answer == {
        "code": "1",
        "msg": "Operation failed.",
        "data": [
            {"quoteId": "", "clQuoteId": "gone", "sCode": "70400", "sMsg": QUOTE_CANCELED},
            {"quoteId": "", "clQuoteId": "never", "sCode": "70001", "sMsg": "Quote does not exist."},
        ],
    }


async def test_batch_quotes_expired_and_replaced_report_their_state(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    rfq = await create_rfq(taker)
    replaced = await create_quote(maker1, rfq["rfqId"], clQuoteId="v1")
    await create_quote(maker1, rfq["rfqId"], clQuoteId="v2", px="50000.2")
    other_rfq = await create_rfq(taker)
    expiring = await create_quote(maker1, other_rfq["rfqId"], expiresIn="10")
    venue.clock.advance(10_000)

    answer = await maker1.post(BATCH_QUOTES, {"quoteIds": [replaced["quoteId"], expiring["quoteId"]]})

    assert answer["code"] == "1"
    assert [(i["sCode"], i["sMsg"]) for i in answer["data"]] == [
        ("70400", QUOTE_CANCELED),
        ("70400", "The Quote with expired status cannot be canceled"),
    ]


async def test_batch_quotes_quote_ids_win_over_client_ids_and_both_are_echoed_as_sent(
    taker: Party, maker1: Party
) -> None:
    by_id, by_cl = await _quotes_on_separate_rfqs(taker, maker1, "first", "second")

    answer = await maker1.post(BATCH_QUOTES, {"quoteIds": [by_id["quoteId"]], "clQuoteIds": ["second"]})

    assert answer == {"code": "0", "msg": "", "data": [_quote_ok(by_id["quoteId"], "second")]}
    assert await maker1.quote_state(by_id["quoteId"]) == "canceled"
    assert await maker1.quote_state(by_cl["quoteId"]) == "active"


async def test_batch_quotes_with_both_lists_echo_each_pair_as_sent_in_every_item(taker: Party, maker1: Party) -> None:
    live, gone = await _quotes_on_separate_rfqs(taker, maker1, "live", "gone")
    await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": gone["quoteId"]})

    answer = await maker1.post(
        BATCH_QUOTES, {"quoteIds": [live["quoteId"], gone["quoteId"], "987654"], "clQuoteIds": ["live", "gone", "x"]}
    )

    assert answer == {
        "code": "2",
        "msg": "Bulk operation partially succeeded.",
        "data": [
            _quote_ok(live["quoteId"], "live"),
            {"quoteId": gone["quoteId"], "clQuoteId": "gone", "sCode": "70400", "sMsg": QUOTE_CANCELED},
            {"quoteId": "987654", "clQuoteId": "x", "sCode": "70001", "sMsg": "Quote does not exist."},
        ],
    }


@pytest.mark.parametrize(
    "body", [{"rfqId": "1"}, {"quoteIds": [], "clQuoteIds": []}, {"quoteIds": "", "clQuoteIds": ""}]
)
async def test_batch_quotes_with_neither_list_is_50015(maker1: Party, body: dict[str, Any]) -> None:
    response = await maker1.request("POST", BATCH_QUOTES, body)

    assert response.status_code == 400
    assert response.json() == {
        "code": "50015",
        "msg": "Either parameter quoteIds or clQuoteIds is required",
        "data": [],
    }


async def test_batch_quotes_python_okx_body_with_empty_string_client_ids(taker: Party, maker1: Party) -> None:
    # python-okx: cancel_batch_quotes(quoteIds=[...]) sends {"quoteIds": [...], "clQuoteIds": ""}.
    a, b = await _quotes_on_separate_rfqs(taker, maker1, "qa", "qb")

    answer = await maker1.post(BATCH_QUOTES, {"quoteIds": [a["quoteId"], b["quoteId"]], "clQuoteIds": ""})

    assert answer == {"code": "0", "msg": "", "data": [_quote_ok(a["quoteId"], "qa"), _quote_ok(b["quoteId"], "qb")]}


async def test_batch_quotes_python_okx_body_with_empty_string_quote_ids(taker: Party, maker1: Party) -> None:
    (a,) = await _quotes_on_separate_rfqs(taker, maker1, "qa")

    answer = await maker1.post(BATCH_QUOTES, {"quoteIds": "", "clQuoteIds": ["qa"]})

    assert answer == {"code": "0", "msg": "", "data": [_quote_ok(a["quoteId"], "qa")]}


async def test_batch_quotes_more_than_100_ids_is_refused_and_cancels_nothing(taker: Party, maker1: Party) -> None:
    real = await _quotes_on_separate_rfqs(taker, maker1, "q1", "q2")
    ids = [q["quoteId"] for q in real] + [str(900_000 + n) for n in range(99)]
    assert len(ids) == 101

    response = await maker1.request("POST", BATCH_QUOTES, {"quoteIds": ids})

    assert response.status_code == 200
    assert response.json() == TOO_MANY_QUOTES
    for quote in real:
        assert await maker1.quote_state(quote["quoteId"]) == "active"


async def test_batch_quotes_more_than_100_client_ids_is_refused_and_cancels_nothing(
    taker: Party, maker1: Party
) -> None:
    (real,) = await _quotes_on_separate_rfqs(taker, maker1, "q0")
    cls = ["q0"] + [f"none{n}" for n in range(100)]

    answer = await maker1.post(BATCH_QUOTES, {"clQuoteIds": cls})

    assert answer == TOO_MANY_QUOTES
    assert await maker1.quote_state(real["quoteId"]) == "active"


async def test_batch_quotes_of_another_maker_are_70001_and_stay_active(
    taker: Party, maker1: Party, maker2: Party
) -> None:
    (theirs,) = await _quotes_on_separate_rfqs(taker, maker1, "shared")

    by_id = await maker2.post(BATCH_QUOTES, {"quoteIds": [theirs["quoteId"]]})
    by_cl = await maker2.post(BATCH_QUOTES, {"clQuoteIds": ["shared"]})
    by_taker = await taker.post(BATCH_QUOTES, {"quoteIds": [theirs["quoteId"]]})

    # Not the caller's: the ids are echoed as sent (compatibility.md), nothing about maker1's quote leaks.
    assert by_id == {
        "code": "1",
        "msg": "Operation failed.",
        "data": [{"quoteId": theirs["quoteId"], "clQuoteId": "", "sCode": "70001", "sMsg": "Quote does not exist."}],
    }
    assert by_cl["data"] == [{"quoteId": "", "clQuoteId": "shared", "sCode": "70001", "sMsg": "Quote does not exist."}]
    assert by_taker["data"][0]["sCode"] == "70001"
    assert await maker1.quote_state(theirs["quoteId"]) == "active"


async def test_batch_quotes_mixing_own_and_foreign_ids_cancels_only_own(
    taker: Party, maker1: Party, maker2: Party
) -> None:
    rfq = await create_rfq(taker)
    mine = await create_quote(maker2, rfq["rfqId"], clQuoteId="m2")
    theirs = await create_quote(maker1, rfq["rfqId"], clQuoteId="m1", px="50000.2")

    answer = await maker2.post(BATCH_QUOTES, {"quoteIds": [theirs["quoteId"], mine["quoteId"]]})

    assert answer["code"] == "2"
    assert [i["sCode"] for i in answer["data"]] == ["70001", "0"]
    assert await maker1.quote_state(theirs["quoteId"]) == "active"
    assert await maker2.quote_state(mine["quoteId"]) == "canceled"


# --- cancel-all-rfqs ---------------------------------------------------------------------------------------------


async def test_cancel_all_rfqs_answers_ts_and_ends_every_active_rfq_and_its_quotes(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    first = await create_rfq(taker)
    second = await create_rfq(taker, counterparties=["MAKER2"])
    q1 = await create_quote(maker1, first["rfqId"])
    q2 = await create_quote(maker2, second["rfqId"])
    venue.clock.advance(1_234)

    response = await taker.request("POST", ALL_RFQS)

    assert response.status_code == 200
    assert response.json() == {"code": "0", "msg": "", "data": [{"ts": str(venue.clock.now_ms())}]}
    assert await taker.rfq_state(first["rfqId"]) == "canceled"
    assert await taker.rfq_state(second["rfqId"]) == "canceled"
    assert await maker1.quote_state(q1["quoteId"]) == "canceled"
    assert await maker2.quote_state(q2["quoteId"]) == "canceled"


async def test_cancel_all_rfqs_leaves_other_takers_and_ended_rfqs_alone(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    other = venue.party("TAKER2")
    theirs = await create_rfq(other)
    their_quote = await create_quote(maker1, theirs["rfqId"])
    filled = await create_rfq(taker)
    filled_quote = await create_quote(maker1, filled["rfqId"])
    await taker.post("/api/v5/rfq/execute-quote", {"rfqId": filled["rfqId"], "quoteId": filled_quote["quoteId"]})
    mine = await create_rfq(taker)

    answer = await taker.post(ALL_RFQS)

    assert answer["code"] == "0"
    assert await taker.rfq_state(mine["rfqId"]) == "canceled"
    assert await taker.rfq_state(filled["rfqId"]) == "filled"
    assert await other.rfq_state(theirs["rfqId"]) == "active"
    assert await maker1.quote_state(their_quote["quoteId"]) == "active"


async def test_cancel_all_rfqs_does_not_touch_rfqs_the_caller_was_sent(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    # maker1 also takes: its cancel-all ends its own RFQ, not the one taker1 sent it.
    received = await create_rfq(taker)
    own = await create_rfq(maker1, counterparties=["MAKER2"])

    answer = await maker1.post(ALL_RFQS)

    assert answer["code"] == "0"
    assert await maker1.rfq_state(own["rfqId"]) == "canceled"
    assert await taker.rfq_state(received["rfqId"]) == "active"


async def test_cancel_all_rfqs_with_nothing_active_is_70207(taker: Party) -> None:
    response = await taker.request("POST", ALL_RFQS)

    assert response.status_code == 200
    assert response.json() == {
        "code": "70207",
        "msg": "Cancellation failed as you do not have any active RFQs.",
        "data": [],
    }


async def test_cancel_all_rfqs_twice_is_70207_the_second_time(taker: Party) -> None:
    await create_rfq(taker)

    first = await taker.post(ALL_RFQS)
    second = await taker.post(ALL_RFQS)

    assert first["code"] == "0"
    assert second == {"code": "70207", "msg": "Cancellation failed as you do not have any active RFQs.", "data": []}


async def test_cancel_all_rfqs_when_all_expired_is_70207(venue: InProcessVenue, taker: Party) -> None:
    rfq = await create_rfq(taker)
    venue.clock.advance(120_000)

    answer = await taker.post(ALL_RFQS)

    assert answer["code"] == "70207"
    assert await taker.rfq_state(rfq["rfqId"]) == "expired"


async def test_cancel_all_rfqs_accepts_python_okx_empty_object_body(taker: Party) -> None:
    rfq = await create_rfq(taker)

    answer = await taker.post(ALL_RFQS, {})

    assert answer["code"] == "0"
    assert await taker.rfq_state(rfq["rfqId"]) == "canceled"


# --- cancel-all-quotes -------------------------------------------------------------------------------------------


async def test_cancel_all_quotes_answers_ts_and_ends_every_active_quote_of_the_caller(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    a, b = await _quotes_on_separate_rfqs(taker, maker1, "a", "b")
    competitor = await create_quote(maker2, a["rfqId"], px="50000.2")
    venue.clock.advance(777)

    response = await maker1.request("POST", ALL_QUOTES)

    assert response.status_code == 200
    assert response.json() == {"code": "0", "msg": "", "data": [{"ts": str(venue.clock.now_ms())}]}
    assert await maker1.quote_state(a["quoteId"]) == "canceled"
    assert await maker1.quote_state(b["quoteId"]) == "canceled"
    assert await maker2.quote_state(competitor["quoteId"]) == "active"
    # Quotes end, their RFQs do not.
    assert await taker.rfq_state(a["rfqId"]) == "active"
    assert await taker.rfq_state(b["rfqId"]) == "active"


async def test_cancel_all_quotes_with_nothing_active_is_70409(maker1: Party) -> None:
    response = await maker1.request("POST", ALL_QUOTES)

    assert response.status_code == 200
    assert response.json() == {
        "code": "70409",
        "msg": "Cancellation failed as you do not have any active Quotes.",
        "data": [],
    }


async def test_cancel_all_quotes_twice_is_70409_the_second_time(taker: Party, maker1: Party) -> None:
    await _quotes_on_separate_rfqs(taker, maker1, "a")

    first = await maker1.post(ALL_QUOTES)
    second = await maker1.post(ALL_QUOTES)

    assert first["code"] == "0"
    assert second == {"code": "70409", "msg": "Cancellation failed as you do not have any active Quotes.", "data": []}


async def test_cancel_all_quotes_when_every_quote_ended_otherwise_is_70409(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    expiring_rfq = await create_rfq(taker)
    expired = await create_quote(maker1, expiring_rfq["rfqId"], expiresIn="10")
    canceled_rfq = await create_rfq(taker)
    orphaned = await create_quote(maker1, canceled_rfq["rfqId"])
    await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": canceled_rfq["rfqId"]})
    venue.clock.advance(10_000)

    answer = await maker1.post(ALL_QUOTES)

    assert answer["code"] == "70409"
    assert await maker1.quote_state(expired["quoteId"]) == "expired"
    assert await maker1.quote_state(orphaned["quoteId"]) == "canceled"


async def test_cancel_all_quotes_by_a_taker_without_quotes_leaves_makers_alone(taker: Party, maker1: Party) -> None:
    (quote,) = await _quotes_on_separate_rfqs(taker, maker1, "a")

    answer = await taker.post(ALL_QUOTES)

    assert answer["code"] == "70409"
    assert await maker1.quote_state(quote["quoteId"]) == "active"


async def test_cancel_all_quotes_with_a_read_only_key_is_50120(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    (quote,) = await _quotes_on_separate_rfqs(taker, maker1, "a")
    read_only = venue.party("taker1ro-key")

    answer = await read_only.post(ALL_QUOTES)

    assert answer["code"] == "50120"
    assert await maker1.quote_state(quote["quoteId"]) == "active"
