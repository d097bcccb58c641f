"""Bad input gets a clear OKX error, never a 500, and changes nothing."""

from __future__ import annotations

import pytest

from openrfq.client.signing import signed_headers
from openrfq.testing import InProcessVenue, Party
from samples import rfq_body

CREATE = "/api/v5/rfq/create-rfq"


async def _raw_post(
    venue: InProcessVenue, party: Party, path: str, body: bytes, content_type: str = "application/json"
) -> tuple[int, dict[str, object]]:
    headers = signed_headers(party.key, "POST", path, body.decode("utf-8", "replace"), party.now_ms())
    headers["Content-Type"] = content_type
    response = await venue.client.post(path, content=body, headers=headers)
    return response.status_code, response.json()


@pytest.mark.parametrize("body", [b"{", b'{"legs": [}', b"nul", b"[1, 2]", b'"text"'])
async def test_invalid_json_is_50002(venue: InProcessVenue, taker: Party, body: bytes) -> None:
    status, answer = await _raw_post(venue, taker, CREATE, body)

    assert (status, answer) == (400, {"code": "50002", "msg": "JSON syntax error", "data": []})
    assert venue.app.services.venue.rfqs == {}


async def test_wrong_content_type_is_50006(venue: InProcessVenue, taker: Party) -> None:
    status, answer = await _raw_post(venue, taker, CREATE, b'{"counterparties":["MAKER1"]}', "text/plain")

    assert status == 400
    assert answer == {"code": "50006", "msg": 'Invalid Content-Type. Please use "application/JSON".', "data": []}


async def test_content_type_with_charset_is_fine(venue: InProcessVenue, taker: Party) -> None:
    _, answer = await _raw_post(
        venue, taker, "/api/v5/rfq/cancel-quote", b'{"quoteId":"1"}', "application/json; charset=utf-8"
    )

    assert answer["code"] == "1"


async def test_empty_post_body_is_50000(venue: InProcessVenue, taker: Party) -> None:
    status, answer = await _raw_post(venue, taker, CREATE, b"")

    assert (status, answer) == (400, {"code": "50000", "msg": "Body for POST request cannot be empty.", "data": []})


async def test_body_over_64_kib_is_refused(venue: InProcessVenue, taker: Party) -> None:
    padding = "x" * (64 * 1024)
    status, answer = await _raw_post(venue, taker, CREATE, f'{{"tag":"{padding}"}}'.encode())

    assert status == 413
    assert answer["code"] == "50002"
    assert venue.app.services.venue.rfqs == {}


async def test_unknown_path_is_404_in_an_okx_envelope(venue: InProcessVenue) -> None:
    response = await venue.client.get("/api/v5/rfq/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"code": "404", "msg": "Not Found", "data": []}


async def test_wrong_method_is_50115(venue: InProcessVenue) -> None:
    response = await venue.client.get("/api/v5/rfq/cancel-quote")

    assert response.status_code == 405
    assert response.json() == {"code": "50115", "msg": "Invalid request method.", "data": []}


@pytest.mark.parametrize(
    "body",
    [
        {"counterparties": "MAKER1", "legs": [{"instId": "BTC-USDT", "sz": "1", "side": "buy"}]},
        {"counterparties": ["MAKER1"], "legs": "BTC-USDT"},
        {"counterparties": ["MAKER1"], "legs": [["BTC-USDT"]]},
        {"counterparties": [{"x": 1}], "legs": [{"instId": "BTC-USDT", "sz": "1", "side": "buy"}]},
        {"counterparties": ["MAKER1"], "legs": [{"instId": 5, "sz": "1", "side": "buy"}]},
        {"counterparties": ["MAKER1"], "legs": [{"instId": "BTC-USDT", "sz": True, "side": "buy"}]},
        {"counterparties": ["MAKER1"], "legs": [{"instId": "BTC-USDT", "sz": "NaN", "side": "buy"}]},
        {"counterparties": ["MAKER1"], "legs": [{"instId": "BTC-USDT", "sz": "Infinity", "side": "buy"}]},
        {"counterparties": ["MAKER1"], "legs": [{"instId": "BTC-USDT", "sz": "1e99999999999", "side": "buy"}]},
    ],
)
async def test_malformed_values_are_okx_errors_not_500s(venue: InProcessVenue, taker: Party, body: object) -> None:
    response = await taker.request("POST", CREATE, body)

    assert response.status_code in (200, 400)
    assert response.json()["code"] in {"51000", "50014", "70004", "70307", "70106"}
    assert venue.app.services.venue.rfqs == {}


async def test_json_numbers_are_read_exactly(venue: InProcessVenue, taker: Party) -> None:
    response = await taker.request(
        "POST", CREATE, '{"counterparties":["MAKER1"],"legs":[{"instId":"BTC-USDT","sz":0.1,"side":"buy"}]}'
    )

    assert response.json()["data"][0]["legs"][0]["sz"] == "0.1"


async def test_nothing_is_written_for_a_rejected_request(venue: InProcessVenue, taker: Party) -> None:
    before = venue.app.services.committer.batches

    await taker.post(CREATE, rfq_body(counterparties=["NOBODY"]))

    assert venue.app.services.committer.batches == before
