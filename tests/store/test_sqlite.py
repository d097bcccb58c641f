"""The SQLite store and the group committer: round trips, batching, durability before the answer."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CancelQuote, CreateQuote, CreateRfq, LegRequest
from openrfq.domain.enums import QuoteState, Side
from openrfq.engine import Venue
from openrfq.store.committer import Committer
from openrfq.store.sqlite import SqliteStore

from builders import START_MS, TODAY
from openrfq.instruments.catalogue import default_instruments


def _venue(clock: ManualClock) -> Venue:
    return Venue(clock, default_instruments(TODAY), ["T", "M1", "M2"])


def _rfq(venue: Venue, cl: str = "") -> int:
    leg = LegRequest("BTC-USDT", Decimal("0.5"), Side.SELL, lmt_px=Decimal("40000"))
    return venue.create_rfq(CreateRfq("T", ("M1", "M2"), (leg,), cl_rfq_id=cl, tag="tg")).rfq_id


def _quote(venue: Venue, rfq_id: int, cl: str = "") -> int:
    leg = LegRequest("BTC-USDT", Decimal("0.5"), Side.SELL, px=Decimal("40000.1"))
    return venue.create_quote(CreateQuote("M1", str(rfq_id), Side.BUY, (leg,), cl_quote_id=cl)).quote_id


async def test_store_round_trips_every_field(tmp_path: Path) -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    committer = Committer(venue, SqliteStore(tmp_path / "db"))
    rfq_id = _rfq(venue, cl="c1")
    quote_id = _quote(venue, rfq_id, cl="q1")
    await committer.durable()
    await committer.close()

    restored = _venue(clock)
    snapshot = SqliteStore(tmp_path / "db").load()
    restored.restore(snapshot.rfqs, snapshot.quotes, snapshot.trades)

    assert restored.rfqs == venue.rfqs
    assert restored.quotes == venue.quotes
    assert restored.rfqs[rfq_id].legs[0].lmt_px == Decimal("40000")
    assert _rfq(restored) == rfq_id + 1  # id counters resume
    assert restored.cancel_quote(CancelQuote("M1", cl_quote_id="q1")).quote_id == quote_id


async def test_commands_arriving_together_share_one_commit(tmp_path: Path) -> None:
    venue = _venue(ManualClock(START_MS))
    committer = Committer(venue, SqliteStore(tmp_path / "db"))
    rfq_id = _rfq(venue)
    await committer.durable()
    before = committer.batches

    async def one() -> None:
        _quote(venue, rfq_id)
        await committer.durable()

    await asyncio.gather(*(one() for _ in range(20)))

    # The first waiter's batch starts at once; everything that arrived meanwhile rides the next one.
    assert committer.batches - before <= 2
    await committer.close()


async def test_durable_returns_at_once_when_nothing_changed(tmp_path: Path) -> None:
    venue = _venue(ManualClock(START_MS))
    committer = Committer(venue, SqliteStore(tmp_path / "db"))

    await committer.durable()

    assert committer.batches == 0
    await committer.close()


async def test_expiry_fired_by_a_timer_is_stored(tmp_path: Path) -> None:
    clock = ManualClock(START_MS)
    venue = _venue(clock)
    committer = Committer(venue, SqliteStore(tmp_path / "db"))
    quote_id = _quote(venue, _rfq(venue))
    clock.advance(60_000)
    venue.advance()
    await committer.durable()
    await committer.close()

    snapshot = SqliteStore(tmp_path / "db").load()

    assert [q.state for q in snapshot.quotes if q.quote_id == quote_id] == [QuoteState.EXPIRED]


async def test_listeners_get_events_only_after_they_are_durable_and_in_engine_order(tmp_path: Path) -> None:
    venue = _venue(ManualClock(START_MS))
    store = SqliteStore(tmp_path / "db")
    committer = Committer(venue, store)
    seen: list[tuple[str, int, str]] = []

    def listener(events: list[object]) -> None:
        durable = {q.quote_id for q in SqliteStore(tmp_path / "db").load().quotes}
        for event in events:
            entity = getattr(event, "quote", None) or getattr(event, "rfq")
            key = entity.quote_id if hasattr(entity, "quote_id") else entity.rfq_id
            if hasattr(entity, "quote_id"):
                assert key in durable  # pushed only once it is on disk
            seen.append((type(event).__name__, key, entity.state.value))

    committer.listeners.append(listener)
    rfq_id = _rfq(venue)
    first = _quote(venue, rfq_id)
    second = _quote(venue, rfq_id)  # replaces the first
    assert seen == []  # nothing is pushed before the commit

    await committer.durable()
    await committer.close()

    assert seen == [
        ("RfqChanged", rfq_id, "active"),
        ("QuoteChanged", first, "active"),
        ("QuoteChanged", first, "canceled"),  # snapshots: each event shows its own moment
        ("QuoteChanged", second, "active"),
    ]


async def test_a_failing_listener_does_not_stop_commits(tmp_path: Path) -> None:
    venue = _venue(ManualClock(START_MS))
    committer = Committer(venue, SqliteStore(tmp_path / "db"))

    def broken(events: list[object]) -> None:
        raise RuntimeError("boom")

    committer.listeners.append(broken)
    _rfq(venue)
    await committer.durable()
    _rfq(venue)
    await committer.durable()

    assert committer.batches == 2
    await committer.close()
