"""Numbers and ids a client sends are bounded before anything converts them: out of range is the parameter's OKX
error, never a 503, a stall, or a command that half-happens."""

from __future__ import annotations

import pytest

from openrfq.client.signing import signed_headers
from openrfq.testing import InProcessVenue, Party
from samples import create_quote, create_rfq, quote_body

CREATE_RFQ = "/api/v5/rfq/create-rfq"
CREATE_QUOTE = "/api/v5/rfq/create-quote"
CANCEL_QUOTE = "/api/v5/rfq/cancel-quote"
HUGE_ID = "9" * 5000  # Python's int() refuses strings past 4,300 digits


async def _post_raw(venue: InProcessVenue, party: Party, path: str, body: str) -> dict[str, object]:
    headers = signed_headers(party.key, "POST", path, body, party.now_ms())
    response = await venue.client.post(path, content=body.encode(), headers=headers)
    assert response.status_code < 500, response.text
    answer: dict[str, object] = response.json()
    return answer


async def test_a_huge_exponent_where_an_id_is_expected_is_51000(venue: InProcessVenue, maker1: Party) -> None:
    answer = await _post_raw(venue, maker1, CREATE_QUOTE, '{"rfqId": 1e999999999, "quoteSide": "buy", "legs": []}')

    assert answer == {"code": "51000", "msg": "Parameter rfqId error", "data": []}


@pytest.mark.parametrize("value", ["1e999999999", "5.0", "true", "[1]", "1" + "0" * 25])
async def test_a_json_number_that_is_not_an_integer_within_range_is_51000_for_a_string_parameter(
    venue: InProcessVenue, maker1: Party, value: str
) -> None:
    answer = await _post_raw(venue, maker1, CANCEL_QUOTE, f'{{"quoteId": {value}}}')

    assert answer == {"code": "51000", "msg": "Parameter quoteId error", "data": []}


async def test_a_json_integer_id_is_read_as_its_digits(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])

    answer = await _post_raw(venue, maker1, CANCEL_QUOTE, f'{{"quoteId": {quote["quoteId"]}}}')

    assert answer["data"] == [{"quoteId": quote["quoteId"], "clQuoteId": "", "sCode": "0", "sMsg": ""}]


ID_PARAMS = [
    ("POST", "/api/v5/rfq/cancel-rfq", "rfqId"),
    ("POST", "/api/v5/rfq/cancel-batch-rfqs", "rfqIds"),
    ("POST", "/api/v5/rfq/execute-quote", "rfqId"),
    ("POST", "/api/v5/rfq/execute-quote", "quoteId"),
    ("POST", CREATE_QUOTE, "rfqId"),
    ("POST", CANCEL_QUOTE, "quoteId"),
    ("POST", CANCEL_QUOTE, "rfqId"),
    ("POST", "/api/v5/rfq/cancel-batch-quotes", "quoteIds"),
    ("GET", "/api/v5/rfq/rfqs", "rfqId"),
    ("GET", "/api/v5/rfq/rfqs", "beginId"),
    ("GET", "/api/v5/rfq/quotes", "quoteId"),
    ("GET", "/api/v5/rfq/quotes", "rfqId"),
    ("GET", "/api/v5/rfq/quotes", "endId"),
    ("GET", "/api/v5/rfq/trades", "blockTdId"),
    ("GET", "/api/v5/rfq/trades", "rfqId"),
    ("GET", "/api/v5/rfq/trades", "quoteId"),
    ("GET", "/api/v5/rfq/trades", "beginId"),
    ("GET", "/api/v5/rfq/public-trades", "endId"),
]


@pytest.mark.parametrize(("method", "path", "name"), ID_PARAMS)
async def test_an_id_of_5000_digits_is_an_okx_answer_not_a_503(
    venue: InProcessVenue, taker: Party, maker1: Party, method: str, path: str, name: str
) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])
    body = {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"], name: [HUGE_ID] if name.endswith("Ids") else HUGE_ID}
    before = venue.app.services.committer.batches

    if method == "POST":
        response = await maker1.request("POST", path, body)
    else:
        response = await taker.request("GET", path, params={name: HUGE_ID})

    assert response.status_code < 500, response.text
    assert response.json()["code"] in {"0", "1", "50014", "51000", "70000", "70001", "70501"}, response.text
    assert venue.app.services.committer.batches == before  # nothing was changed


@pytest.mark.parametrize(
    "sz", ["1_000", "\u0661\u0662", " 1", "1 ", "+1", "1e3", "1E3", "0x10", ".5", "5.", "1" * 21, "0." + "1" * 21]
)
async def test_only_okx_decimal_syntax_is_a_size(venue: InProcessVenue, taker: Party, sz: str) -> None:
    body = {"counterparties": ["MAKER1"], "legs": [{"instId": "BTC-USDT", "sz": sz, "side": "buy"}]}

    answer = await taker.post(CREATE_RFQ, body)

    assert answer == {"code": "51000", "msg": "Parameter sz error", "data": []}
    assert venue.app.services.venue.rfqs == {}


async def test_a_40_digit_size_is_checked_against_the_lot_exactly(venue: InProcessVenue, taker: Party) -> None:
    # 20 + 20 digits over a lot of 1e-6: a 34-digit quotient, beyond the default 28-digit decimal context.
    legs = [{"instId": "ETH-USDT", "sz": "99999999999999999999.00000000000000000001", "side": "buy"}]

    answer = await taker.post(CREATE_RFQ, {"counterparties": ["MAKER1"], "legs": legs})

    assert answer == {"code": "70307", "msg": "Size should be in integral multiples of the lot size.", "data": []}


async def test_a_20_digit_size_on_the_lot_grid_is_accepted(venue: InProcessVenue, taker: Party) -> None:
    legs = [{"instId": "BTC-USDT", "sz": "99999999999999999999.00000001", "side": "buy"}]

    answer = await taker.post(CREATE_RFQ, {"counterparties": ["MAKER1"], "legs": legs})

    assert answer["code"] == "0", answer
    assert answer["data"][0]["legs"][0]["sz"] == "99999999999999999999.00000001"


async def test_a_quote_worth_more_than_the_maximum_notional_is_51005_and_not_stored(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    legs = [{"instId": "BTC-USDT", "sz": "99999999999999999999", "side": "buy"}]
    rfq = (await taker.post(CREATE_RFQ, {"counterparties": ["MAKER1"], "legs": legs}))["data"][0]
    body = quote_body(rfq["rfqId"], px="50000", legs=[{**legs[0], "px": "50000"}])

    answer = await maker1.post(CREATE_QUOTE, body)

    assert answer == {"code": "51005", "msg": "Your order amount exceeds the max order amount.", "data": []}
    assert venue.app.services.venue.quotes == {}


async def test_auto_execution_at_the_largest_sizes_fills_with_exact_fees(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    legs = [{"instId": "BTC-USD-SWAP", "sz": "99999999999999999999", "side": "buy", "lmtPx": "0.2"}]
    rfq = (await taker.post(CREATE_RFQ, {"counterparties": ["MAKER1"], "legs": legs}))["data"][0]
    quote_legs = [{"instId": "BTC-USD-SWAP", "sz": "99999999999999999999", "side": "buy", "px": "0.1"}]

    answer = await maker1.post(CREATE_QUOTE, quote_body(rfq["rfqId"], side="sell", legs=quote_legs))

    assert answer["code"] == "0", answer
    trades = (await taker.get("/api/v5/rfq/trades"))["data"]
    assert [t["quoteId"] for t in trades] == [answer["data"][0]["quoteId"]]
    assert trades[0]["legs"][0]["fee"] == "-49999999999999999999.5"  # 99999999999999999999 * 100 / 0.1 * 0.0005
    assert (await maker1.get("/api/v5/rfq/quotes", quoteId=answer["data"][0]["quoteId"]))["data"][0][
        "state"
    ] == "filled"
