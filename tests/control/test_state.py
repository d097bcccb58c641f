"""/openrfq/v1/reset and /snapshots: a venue a test can empty, save and put back, exactly and durably."""

from __future__ import annotations

from pathlib import Path

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.store.sqlite import SqliteStore
from openrfq.testing import InProcessVenue, Party, open_venue
from samples import START_MS, create_quote, create_rfq, make_config


async def test_reset_forgets_everything_and_ids_start_again_at_1(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    rfq = await create_rfq(taker)
    await create_quote(maker1, rfq["rfqId"])
    await maker1.post("/api/v5/rfq/mmp-config", {"timeInterval": "5000", "frozenInterval": "2000", "countLimit": "1"})

    answer = await venue.control("POST", "/reset")
    again = await create_rfq(taker)

    assert answer.json() == {"code": "0", "msg": "", "data": [{"ts": str(START_MS)}]}
    assert again["rfqId"] == "1"
    assert [r["rfqId"] for r in (await taker.get("/api/v5/rfq/rfqs"))["data"]] == ["1"]
    assert (await maker1.get("/api/v5/rfq/quotes"))["data"] == []
    assert (await maker1.get("/api/v5/rfq/mmp-config"))["data"][0]["countLimit"] == "0"


async def test_a_reset_is_durable(tmp_path: Path, clock: ManualClock, venue: InProcessVenue, taker: Party) -> None:
    await create_rfq(taker)
    await venue.control("POST", "/reset")
    await venue.app.services.committer.close()

    store = SqliteStore(tmp_path / "openrfq.sqlite3")
    loaded = store.load()
    store.close()

    assert (loaded.rfqs, loaded.quotes, loaded.trades, loaded.makers) == ([], [], [], [])


async def test_reset_empties_the_rate_limit_windows(tmp_path: Path, clock: ManualClock, store: str | None) -> None:
    async with open_venue(make_config(rate_limits=True), tmp_path, clock, control=True, store=store) as venue:
        times = [(await venue.client.get("/api/v5/public/time")).status_code for _ in range(11)]
        await venue.control("POST", "/reset")
        after = (await venue.client.get("/api/v5/public/time")).status_code

    assert times[-1] == 429 and after == 200


async def test_a_snapshot_restores_every_entity_and_the_virtual_time(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])
    saved = await venue.control("POST", "/snapshots", {"name": "quoted"})
    await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": quote["quoteId"]})
    await venue.control("POST", "/clock/advance", {"ms": 200_000})  # the RFQ expires
    await create_rfq(taker)

    restored = await venue.control("POST", "/snapshots/quoted/restore")

    assert saved.json()["data"][0] == {
        "name": "quoted",
        "cTime": str(START_MS),
        "clockTs": str(START_MS),
        "rfqs": "1",
        "quotes": "1",
        "trades": "0",
    }
    assert restored.json()["data"][0]["ts"] == str(START_MS)
    assert venue.clock.now_ms() == START_MS
    rfqs = (await taker.get("/api/v5/rfq/rfqs"))["data"]
    assert [(r["rfqId"], r["state"]) for r in rfqs] == [(rfq["rfqId"], "active")]
    assert (await maker1.get("/api/v5/rfq/quotes"))["data"][0]["state"] == "active"
    assert (await create_rfq(taker))["rfqId"] == "2"  # ids continue from the snapshot's


async def test_snapshots_are_listed_refused_twice_and_deleted(venue: InProcessVenue, taker: Party) -> None:
    await create_rfq(taker)
    await venue.control("POST", "/snapshots", {"name": "a"})
    twice = await venue.control("POST", "/snapshots", {"name": "a"})
    listed = await venue.control("GET", "/snapshots")
    deleted = await venue.control("DELETE", "/snapshots/a")
    gone = await venue.control("POST", "/snapshots/a/restore")

    assert (twice.status_code, twice.json()["code"]) == (409, "90004")
    assert "DELETE /openrfq/v1/snapshots/a" in twice.json()["msg"]
    assert [s["name"] for s in listed.json()["data"]] == ["a"]
    assert deleted.json()["data"] == [{"name": "a"}]
    assert (gone.status_code, gone.json()["code"]) == (404, "90002")


@pytest.mark.parametrize("name", ["no spaces", ["a"], {"a": 1}, 1.5, True])
async def test_a_bad_snapshot_name_is_400_in_the_control_planes_words(venue: InProcessVenue, name: object) -> None:
    response = await venue.control("POST", "/snapshots", {"name": name})

    assert (response.status_code, response.json()["code"]) == (400, "90003")
    assert "name a snapshot with 1-64 letters" in response.json()["msg"]


async def test_a_restore_survives_a_restart(
    tmp_path: Path, clock: ManualClock, venue: InProcessVenue, taker: Party, store: str | None
) -> None:
    await create_rfq(taker)
    await venue.control("POST", "/snapshots", {"name": "one"})
    await create_rfq(taker)
    await venue.control("POST", "/clock/advance", {"ms": 5_000})
    await venue.control("POST", "/snapshots/one/restore")
    await venue.app.services.committer.close()

    later = ManualClock(START_MS)  # a restarted virtual venue resumes at the stored venue time
    async with open_venue(make_config(), tmp_path, later, store=store) as again:
        rfqs = (await again.party("TAKER1").get("/api/v5/rfq/rfqs"))["data"]

        assert [r["rfqId"] for r in rfqs] == ["1"]
        assert later.now_ms() == START_MS
