"""/openrfq/v1/clock: venue time a test controls; an advance fires every due timer, in order, before it answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from openrfq.domain.clock import SystemClock
from openrfq.runtime import build_app
from openrfq.testing import InProcessVenue, Party, asgi_client
from samples import START_MS, create_quote, create_rfq, make_config

TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_the_clock_reads_venue_time(venue: InProcessVenue) -> None:
    response = await venue.control("GET", "/clock")

    assert response.json() == {"code": "0", "msg": "", "data": [{"mode": "virtual", "ts": str(START_MS)}]}


async def test_an_advance_answers_the_new_time_and_public_time_follows(venue: InProcessVenue) -> None:
    advanced = await venue.control("POST", "/clock/advance", {"ms": 60_000})
    public = await venue.client.get("/api/v5/public/time")

    assert advanced.json()["data"] == [{"ts": str(START_MS + 60_000)}]
    assert public.json()["data"] == [{"ts": str(START_MS + 60_000)}]


async def test_an_rfq_expires_when_venue_time_passes_its_valid_until(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"], expiresIn="120")

    await venue.control("POST", "/clock/advance", {"ms": 120_000})
    rfqs = (await taker.get("/api/v5/rfq/rfqs", rfqId=rfq["rfqId"]))["data"]
    quotes = (await maker1.get("/api/v5/rfq/quotes", quoteId=quote["quoteId"]))["data"]

    assert (rfqs[0]["state"], rfqs[0]["uTime"]) == ("expired", rfq["validUntil"])
    assert (quotes[0]["state"], quotes[0]["uTime"]) == ("expired", rfq["validUntil"])
    assert venue.app.services.committer.venue.has_changes() is False  # the expiry is durable already


async def test_set_moves_time_forward_only(venue: InProcessVenue) -> None:
    forward = await venue.control("POST", "/clock/set", {"ts": str(START_MS + 5)})
    backward = await venue.control("POST", "/clock/set", {"ts": str(START_MS)})

    assert forward.json()["data"] == [{"ts": str(START_MS + 5)}]
    assert backward.status_code == 400
    assert backward.json()["code"] == "90003"
    assert "only moves forward" in backward.json()["msg"]


@pytest.mark.parametrize("body", [{}, {"ms": -1}, {"ms": "soon"}, {"ms": 1.5}, {"ms": 10**20}])
async def test_a_bad_advance_is_400_and_moves_nothing(venue: InProcessVenue, body: dict[str, object]) -> None:
    response = await venue.control("POST", "/clock/advance", body)

    assert (response.status_code, response.json()["code"]) == (400, "90003")
    assert venue.clock.now_ms() == START_MS


async def test_a_real_clock_cannot_be_advanced(tmp_path: Path) -> None:
    app = build_app(make_config(), tmp_path, SystemClock(), admin_token=TOKEN)
    async with asgi_client(app) as client:
        clock = await client.get("/openrfq/v1/clock", headers=AUTH)
        refused = await client.post("/openrfq/v1/clock/advance", json={"ms": 1}, headers=AUTH)
    await app.services.committer.close()

    assert clock.json()["data"][0]["mode"] == "real"
    assert (refused.status_code, refused.json()["code"]) == (409, "90004")
    assert "--clock virtual" in refused.json()["msg"]
