"""POST /api/v5/rfq/cancel-quote, exactly as tests/reference/okx/cancel-quote.md and NOTES.md describe it."""

from __future__ import annotations

from openrfq.testing import InProcessVenue, Party
from samples import create_quote, create_rfq, quote_body

CANCEL = "/api/v5/rfq/cancel-quote"


async def _quote(taker: Party, maker: Party, cl: str = "Bond007") -> dict[str, str]:
    rfq = await create_rfq(taker)
    return await create_quote(maker, rfq["rfqId"], clQuoteId=cl)


async def test_cancel_quote_by_quote_id_answers_the_seed_shape_byte_for_byte(taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1)

    response = await maker1.request("POST", CANCEL, {"quoteId": quote["quoteId"], "clQuoteId": "Bond007"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = '{"code":"0","msg":"","data":[{"quoteId":"%s","clQuoteId":"Bond007","sCode":"0","sMsg":""}]}'
    assert response.text == expected % quote["quoteId"]
    assert await maker1.quote_state(quote["quoteId"]) == "canceled"


async def test_cancel_quote_by_cl_quote_id_alone_fills_in_the_quote_id(taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1)

    answer = await maker1.post(CANCEL, {"clQuoteId": "Bond007"})

    assert answer["data"] == [{"quoteId": quote["quoteId"], "clQuoteId": "Bond007", "sCode": "0", "sMsg": ""}]


async def test_cancel_quote_with_both_ids_uses_quote_id_and_echoes_both_as_sent(taker: Party, maker1: Party) -> None:
    first = await _quote(taker, maker1, cl="first")
    second = await _quote(taker, maker1, cl="second")

    answer = await maker1.post(CANCEL, {"quoteId": first["quoteId"], "clQuoteId": "second"})

    assert answer["code"] == "0"
    assert answer["data"][0] == {"quoteId": first["quoteId"], "clQuoteId": "second", "sCode": "0", "sMsg": ""}
    assert await maker1.quote_state(first["quoteId"]) == "canceled"
    assert await maker1.quote_state(second["quoteId"]) == "active"


async def test_cancel_quote_with_neither_id_is_50015_and_http_400(maker1: Party) -> None:
    response = await maker1.request("POST", CANCEL, {"rfqId": "1"})

    assert response.status_code == 400
    assert response.json() == {
        "code": "50015",
        "msg": "Either parameter quoteId or clQuoteId is required",
        "data": [],
    }


async def test_cancel_quote_with_python_okx_empty_strings_is_50015(maker1: Party) -> None:
    response = await maker1.request("POST", CANCEL, {"quoteId": "", "clQuoteId": ""})

    assert response.status_code == 400
    assert response.json()["code"] == "50015"


async def test_cancel_quote_unknown_id_is_item_70001_with_envelope_code_1(maker1: Party) -> None:
    response = await maker1.request("POST", CANCEL, {"quoteId": "987654"})

    assert response.status_code == 200
    assert response.json() == {
        "code": "1",
        "msg": "Operation failed.",
        "data": [{"quoteId": "987654", "clQuoteId": "", "sCode": "70001", "sMsg": "Quote does not exist."}],
    }


async def test_cancel_quote_unknown_cl_quote_id_echoes_what_was_sent(maker1: Party) -> None:
    answer = await maker1.post(CANCEL, {"clQuoteId": "nope"})

    assert answer["data"] == [{"quoteId": "", "clQuoteId": "nope", "sCode": "70001", "sMsg": "Quote does not exist."}]


async def test_cancel_quote_of_another_maker_is_70001_and_leaves_it_active(
    taker: Party, maker1: Party, maker2: Party
) -> None:
    quote = await _quote(taker, maker1)

    answer = await maker2.post(CANCEL, {"quoteId": quote["quoteId"]})

    assert answer["code"] == "1"
    assert answer["data"][0]["sCode"] == "70001"
    assert await maker1.quote_state(quote["quoteId"]) == "active"


async def test_cancel_quote_by_the_rfq_taker_is_70001(taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1)

    answer = await taker.post(CANCEL, {"quoteId": quote["quoteId"]})

    assert answer["data"][0]["sCode"] == "70001"
    assert await maker1.quote_state(quote["quoteId"]) == "active"


async def test_cancel_quote_of_another_makers_cl_quote_id_is_70001(taker: Party, maker1: Party, maker2: Party) -> None:
    await _quote(taker, maker1, cl="shared")

    answer = await maker2.post(CANCEL, {"clQuoteId": "shared"})

    assert answer["data"][0]["sCode"] == "70001"


async def test_cancel_quote_twice_is_70400_with_the_state_and_the_ids_as_sent(taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1)
    await maker1.post(CANCEL, {"quoteId": quote["quoteId"]})

    answer = await maker1.post(CANCEL, {"quoteId": quote["quoteId"]})

    # A failed item echoes the ids as sent (NOTES.md's example), not the quote's own clQuoteId "Bond007".
    assert answer == {
        "code": "1",
        "msg": "Operation failed.",
        "data": [
            {
                "quoteId": quote["quoteId"],
                "clQuoteId": "",
                "sCode": "70400",
                "sMsg": "The Quote with canceled status cannot be canceled",
            }
        ],
    }


async def test_cancel_quote_replaced_by_a_newer_quote_is_70400_canceled(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    original = await create_quote(maker1, rfq["rfqId"], clQuoteId="v1")
    replacement = await create_quote(maker1, rfq["rfqId"], clQuoteId="v2", px="50000.2")

    answer = await maker1.post(CANCEL, {"quoteId": original["quoteId"]})

    assert answer["data"][0]["sCode"] == "70400"
    assert answer["data"][0]["sMsg"] == "The Quote with canceled status cannot be canceled"
    assert await maker1.quote_state(replacement["quoteId"]) == "active"


async def test_cancel_quote_after_expiry_is_70400_expired(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"], expiresIn="10")
    venue.clock.advance(10_000)

    answer = await maker1.post(CANCEL, {"quoteId": quote["quoteId"]})

    assert answer["data"][0]["sMsg"] == "The Quote with expired status cannot be canceled"


async def test_cancel_quote_one_ms_before_expiry_succeeds(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"], expiresIn="10")
    venue.clock.advance(9_999)

    answer = await maker1.post(CANCEL, {"quoteId": quote["quoteId"]})

    assert answer["code"] == "0"


async def test_cancel_quote_when_its_rfq_was_canceled_is_70400(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])
    await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": rfq["rfqId"]})

    answer = await maker1.post(CANCEL, {"quoteId": quote["quoteId"]})

    assert answer["data"][0]["sCode"] == "70400"


async def test_cancel_quote_with_matching_rfq_id_succeeds(taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1)

    answer = await maker1.post(CANCEL, {"quoteId": quote["quoteId"], "rfqId": quote["rfqId"]})

    assert answer["code"] == "0"


async def test_cancel_quote_with_another_rfq_id_is_70001_and_changes_nothing(taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1)
    other = await create_rfq(taker)

    answer = await maker1.post(CANCEL, {"quoteId": quote["quoteId"], "rfqId": other["rfqId"]})

    assert answer["data"][0]["sCode"] == "70001"
    assert await maker1.quote_state(quote["quoteId"]) == "active"


async def test_cancel_quote_id_with_leading_zeros_names_no_quote(taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1)

    answer = await maker1.post(CANCEL, {"quoteId": "00" + quote["quoteId"]})

    assert answer["data"][0]["sCode"] == "70001"


async def test_cancel_quote_by_cl_quote_id_prefers_the_live_quote(taker: Party, maker1: Party) -> None:
    first = await _quote(taker, maker1, cl="again")
    await maker1.post(CANCEL, {"quoteId": first["quoteId"]})
    second = await _quote(taker, maker1, cl="again")

    answer = await maker1.post(CANCEL, {"clQuoteId": "again"})

    assert answer["code"] == "0"
    assert answer["data"][0]["quoteId"] == second["quoteId"]


async def test_cancel_quote_by_cl_quote_id_of_an_ended_quote_reports_its_state(taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1, cl="gone")
    await maker1.post(CANCEL, {"quoteId": quote["quoteId"]})

    answer = await maker1.post(CANCEL, {"clQuoteId": "gone"})

    assert answer["data"][0] == {
        "quoteId": "",
        "clQuoteId": "gone",
        "sCode": "70400",
        "sMsg": "The Quote with canceled status cannot be canceled",
    }


async def test_cancel_quote_with_a_read_only_key_is_50120(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    quote = await _quote(taker, maker1)
    read_only = venue.party("taker1ro-key")

    response = await read_only.request("POST", CANCEL, {"quoteId": quote["quoteId"]})

    assert response.status_code == 200
    assert response.json() == {
        "code": "50120",
        "msg": "This API key doesn't have permission to use this function",
        "data": [],
    }


async def test_cancel_quote_seed_request_example_with_unknown_ids(maker1: Party) -> None:
    # The seed's request example verbatim: quoteId "007" wins, and no such quote exists.
    answer = await maker1.post(CANCEL, {"quoteId": "007", "clQuoteId": "Bond007"})

    assert answer == {
        "code": "1",
        "msg": "Operation failed.",
        "data": [{"quoteId": "007", "clQuoteId": "Bond007", "sCode": "70001", "sMsg": "Quote does not exist."}],
    }


async def test_create_quote_body_helper_matches_rfq_leg(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    answer = await maker1.post("/api/v5/rfq/create-quote", quote_body(rfq["rfqId"]))
    assert answer["code"] == "0", answer
