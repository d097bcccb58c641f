"""OKX's ``expTime`` request header: a Trade request that arrives after it is refused (50036) and not applied."""

from __future__ import annotations

import json

import pytest

from openrfq.client.signing import signed_headers
from openrfq.testing import InProcessVenue, Party
from samples import rfq_body

CREATE = "/api/v5/rfq/create-rfq"
EXPIRED = {
    "code": "50036",
    "msg": "The expTime can't be earlier than the current system time. Please adjust the expTime and try again.",
    "data": [],
}


async def _create(venue: InProcessVenue, taker: Party, exp_time: str) -> dict[str, object]:
    body = json.dumps(rfq_body())
    headers = signed_headers(taker.key, "POST", CREATE, body, venue.clock.now_ms())
    headers["expTime"] = exp_time
    response = await venue.client.post(CREATE, content=body.encode(), headers=headers)
    answer: dict[str, object] = response.json()
    return answer


async def test_a_request_past_its_exp_time_is_50036_and_creates_nothing(venue: InProcessVenue, taker: Party) -> None:
    answer = await _create(venue, taker, str(venue.clock.now_ms() - 1))

    assert answer == EXPIRED
    assert venue.app.services.venue.rfqs == {}


@pytest.mark.parametrize("ahead_ms", [0, 5000])
async def test_a_request_within_its_exp_time_is_applied(venue: InProcessVenue, taker: Party, ahead_ms: int) -> None:
    answer = await _create(venue, taker, str(venue.clock.now_ms() + ahead_ms))

    assert answer["code"] == "0"


@pytest.mark.parametrize("value", ["soon", "-1", "1.5", "9" * 17])
async def test_an_unreadable_exp_time_is_51000(venue: InProcessVenue, taker: Party, value: str) -> None:
    answer = await _create(venue, taker, value)

    assert answer == {"code": "51000", "msg": "Parameter expTime error", "data": []}
    assert venue.app.services.venue.rfqs == {}


async def test_read_endpoints_ignore_exp_time(venue: InProcessVenue, taker: Party) -> None:
    headers = signed_headers(taker.key, "GET", "/api/v5/rfq/rfqs", "", venue.clock.now_ms())
    headers["expTime"] = "1"

    response = await venue.client.get("/api/v5/rfq/rfqs", headers=headers)

    assert response.json()["code"] == "0"
