"""The SQLite store and the group committer: round trips, batching, durability before the answer."""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CancelQuote, CreateQuote, CreateRfq, LegRequest
from openrfq.domain.enums import QuoteState, Side
from openrfq.domain.errors import ServiceUnavailable
from openrfq.domain.events import Event, QuoteChanged, RfqChanged
from openrfq.domain.ids import QuoteId, RfqId
from openrfq.engine import Venue
from openrfq.export import durable_rows
from openrfq.instruments.catalogue import default_instruments
from openrfq.store import committer as committer_module
from openrfq.store.aio import open_aio
from openrfq.store.base import Batch, Pending
from openrfq.store.codec import decode_quote
from openrfq.store.committer import Committer
from openrfq.store.sqlite import SqliteStore
from samples import START_MS, TODAY


@pytest.fixture(autouse=True, params=["aio", "thread"])
def writer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every committer test runs both ways a batch gets written: on the loop with the WAL synced by the kernel
    (Linux AIO), and on the writer thread (elsewhere)."""
    if request.param == "aio":
        probe = open_aio()
        if probe is None:
            pytest.skip("no Linux AIO on this machine: the committer never takes this path (the thread variant runs)")
        probe.close()
    else:
        monkeypatch.setattr(committer_module, "open_aio", lambda depth: None)
    yield request.param


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "openrfq-store"]


def _quote_ids_on_disk(path: Path) -> set[int]:
    """What another reader finds durable, as ``openrfq export`` does: the database and its commit log (the
    directory is locked by the store that is open: no second store)."""
    return {decode_quote(body).quote_id for body in durable_rows(path)["quotes"].values()}


def _venue(clock: ManualClock) -> Venue:
    return Venue(clock, default_instruments(TODAY), ["T", "M1", "M2"])


def _rfq(venue: Venue, cl: str = "") -> RfqId:
    leg = LegRequest("BTC-USDT", Decimal("0.5"), Side.SELL, lmt_px=Decimal("40000"))
    return venue.create_rfq(CreateRfq("T", ("M1", "M2"), (leg,), cl_rfq_id=cl, tag="tg")).rfq_id


def _quote(venue: Venue, rfq_id: RfqId, cl: str = "") -> QuoteId:
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

    def listener(events: list[Event]) -> None:
        durable = _quote_ids_on_disk(tmp_path / "db")
        for event in events:
            if isinstance(event, QuoteChanged):
                assert event.quote.quote_id in durable  # pushed only once it is on disk
                seen.append((type(event).__name__, event.quote.quote_id, event.quote.state.value))
            elif isinstance(event, RfqChanged):
                seen.append((type(event).__name__, event.rfq.rfq_id, event.rfq.state.value))

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

    def broken(events: list[Event]) -> None:
        raise RuntimeError("boom")

    committer.listeners.append(broken)
    _rfq(venue)
    await committer.durable()
    _rfq(venue)
    await committer.durable()

    assert committer.batches == 2
    await committer.close()


async def test_a_batch_is_written_on_the_loop_with_aio_and_on_a_thread_without(tmp_path: Path, writer: str) -> None:
    venue = _venue(ManualClock(START_MS))
    committer = Committer(venue, SqliteStore(tmp_path / "db"))
    before = len(_writer_threads())
    _rfq(venue)
    await committer.durable()

    assert len(_writer_threads()) - before == (1 if writer == "thread" else 0)
    await committer.close()
    assert len(SqliteStore(tmp_path / "db").load().rfqs) == 1


class _FailingStore(SqliteStore):
    """Writes fail on the thread (EIO); with AIO the transaction succeeds but its sync cannot (a pipe: EINVAL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.pipe = os.pipe()

    def write(self, batch: Batch) -> None:
        raise OSError(errno.EIO, "disk gone")

    def write_unsynced(self, batch: Batch, direct: bool = True) -> Pending:
        super().write_unsynced(batch, direct)
        return Pending(self.pipe[0])  # what the committer then has done fails


async def test_a_write_or_sync_that_fails_refuses_the_batch_and_everything_after(tmp_path: Path) -> None:
    venue = _venue(ManualClock(START_MS))
    store = _FailingStore(tmp_path / "db")
    committer = Committer(venue, store)
    seen: list[object] = []
    committer.listeners.append(seen.extend)
    _rfq(venue)

    with pytest.raises(ServiceUnavailable):
        await committer.durable()
    _rfq(venue)
    with pytest.raises(ServiceUnavailable):  # a store that failed once acknowledges nothing again
        await committer.durable()
    assert committer.batches == 0 and seen == []  # and nothing was pushed
    store.close()
    for fd in store.pipe:
        os.close(fd)
