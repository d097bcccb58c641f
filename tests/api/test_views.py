"""Views per viewer and the GET /rfqs and /quotes filters and pagination."""

from __future__ import annotations

import pytest

from openrfq.testing import InProcessVenue, Party
from samples import create_quote, create_rfq


async def test_maker_sees_no_cl_rfq_id_and_only_itself_as_counterparty(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, clRfqId="takersecret")

    answer = await maker1.get("/api/v5/rfq/rfqs", rfqId=rfq["rfqId"])

    view = answer["data"][0]
    assert view["clRfqId"] == ""
    assert view["counterparties"] == ["MAKER1"]
    assert view["traderCode"] == "TAKER1"
    assert view["flowType"] == ""


async def test_anonymous_rfq_hides_the_taker_from_makers_only(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, anonymous=True)

    for_maker = await maker1.get("/api/v5/rfq/rfqs", rfqId=rfq["rfqId"])
    for_taker = await taker.get("/api/v5/rfq/rfqs", rfqId=rfq["rfqId"])

    assert for_maker["data"][0]["traderCode"] == ""
    assert for_taker["data"][0]["traderCode"] == "TAKER1"


async def test_taker_sees_no_cl_quote_id_and_maker_sees_no_cl_rfq_id(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker, clRfqId="mine")
    quote = await create_quote(maker1, rfq["rfqId"], clQuoteId="theirs")

    for_taker = (await taker.get("/api/v5/rfq/quotes", quoteId=quote["quoteId"]))["data"][0]
    for_maker = (await maker1.get("/api/v5/rfq/quotes", quoteId=quote["quoteId"]))["data"][0]

    assert (for_taker["clRfqId"], for_taker["clQuoteId"]) == ("mine", "")
    assert (for_maker["clRfqId"], for_maker["clQuoteId"]) == ("", "theirs")


async def test_anonymous_quote_hides_the_maker_from_the_taker(taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"], anonymous=True)

    for_taker = (await taker.get("/api/v5/rfq/quotes", quoteId=quote["quoteId"]))["data"][0]

    assert quote["traderCode"] == "MAKER1"
    assert for_taker["traderCode"] == ""


async def test_quotes_of_others_are_invisible(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])

    by_rival = await maker2.get("/api/v5/rfq/quotes", quoteId=quote["quoteId"])
    by_stranger = await venue.party("TAKER2").get("/api/v5/rfq/rfqs", rfqId=rfq["rfqId"])
    rival_list = await maker2.get("/api/v5/rfq/quotes")

    assert by_rival["data"] == [] and by_stranger["data"] == [] and rival_list["data"] == []


async def test_maker_cannot_filter_by_the_takers_cl_rfq_id(taker: Party, maker1: Party) -> None:
    await create_rfq(taker, clRfqId="hidden")

    answer = await maker1.get("/api/v5/rfq/rfqs", clRfqId="hidden")

    assert answer["data"] == []


async def test_rfqs_newest_first_with_begin_end_and_limit(taker: Party) -> None:
    ids = [int((await create_rfq(taker))["rfqId"]) for _ in range(6)]

    everything = await taker.get("/api/v5/rfq/rfqs")
    limited = await taker.get("/api/v5/rfq/rfqs", limit="2")
    newer = await taker.get("/api/v5/rfq/rfqs", beginId=str(ids[3]))
    older = await taker.get("/api/v5/rfq/rfqs", endId=str(ids[2]))
    between = await taker.get("/api/v5/rfq/rfqs", beginId=str(ids[0]), endId=str(ids[3]))

    def got(answer: dict[str, list[dict[str, str]]]) -> list[int]:
        return [int(r["rfqId"]) for r in answer["data"]]

    assert got(everything) == ids[::-1]
    assert got(limited) == [ids[5], ids[4]]
    assert got(newer) == [ids[5], ids[4]]
    assert got(older) == [ids[1], ids[0]]
    assert got(between) == [ids[2], ids[1]]


async def test_rfqs_state_filter(taker: Party) -> None:
    live = await create_rfq(taker)
    gone = await create_rfq(taker)
    await taker.post("/api/v5/rfq/cancel-rfq", {"rfqId": gone["rfqId"]})

    active = await taker.get("/api/v5/rfq/rfqs", state="active")
    canceled = await taker.get("/api/v5/rfq/rfqs", state="canceled")

    assert [r["rfqId"] for r in active["data"]] == [live["rfqId"]]
    assert [r["rfqId"] for r in canceled["data"]] == [gone["rfqId"]]


async def test_quotes_filters_by_rfq_cl_ids_and_state(taker: Party, maker1: Party) -> None:
    first = await create_rfq(taker, clRfqId="one")
    second = await create_rfq(taker, clRfqId="two")
    q1 = await create_quote(maker1, first["rfqId"], clQuoteId="qa")
    q2 = await create_quote(maker1, second["rfqId"], clQuoteId="qb")
    await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": q1["quoteId"]})

    by_cl_rfq = await taker.get("/api/v5/rfq/quotes", clRfqId="two")
    by_cl_quote = await maker1.get("/api/v5/rfq/quotes", clQuoteId="qa")
    by_rfq = await maker1.get("/api/v5/rfq/quotes", rfqId=first["rfqId"])
    active = await maker1.get("/api/v5/rfq/quotes", state="active")
    taker_cl_quote = await taker.get("/api/v5/rfq/quotes", clQuoteId="qa")

    assert [q["quoteId"] for q in by_cl_rfq["data"]] == [q2["quoteId"]]
    assert [q["quoteId"] for q in by_cl_quote["data"]] == [q1["quoteId"]]
    assert [q["quoteId"] for q in by_rfq["data"]] == [q1["quoteId"]]
    assert [q["quoteId"] for q in active["data"]] == [q2["quoteId"]]
    assert taker_cl_quote["data"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [({"limit": "0"}, "51000"), ({"limit": "101"}, "51000"), ({"state": "open"}, "51000"), ({"beginId": "x"}, "51000")],
)
async def test_rfqs_bad_filters_are_51000(taker: Party, params: dict[str, str], code: str) -> None:
    answer = await taker.get("/api/v5/rfq/rfqs", **params)

    assert answer["code"] == code
