"""SQLite lags the commit log (store/applier.py): an answer waits for its batch's record on disk, never for SQLite.
So an ended entity whose keys a durable batch wrote leaves the venue's memory only once SQLite has them (the
store's reads find it then); a control-plane operation waits for that too; and a failure to apply refuses every
request after it, as a failed write does. PostgreSQL reads what it wrote at once: the same path lets go without a
wait."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from openrfq.domain import errors
from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CancelQuote, CreateQuote, CreateRfq, LegRequest
from openrfq.domain.enums import QuoteState, Side
from openrfq.domain.ids import QuoteId
from openrfq.engine import Venue
from openrfq.instruments.catalogue import default_instruments
from openrfq.store import pgopen
from openrfq.store.base import Batch
from openrfq.store.committer import Committer
from openrfq.store.sqlite import SqliteStore
from openrfq.testing.postgres import Schemas
from samples import START_MS, TODAY


class _HeldKeys:
    """The store's SQLite transactions, those that write keys held on the applier's thread until released (or
    failing there)."""

    def __init__(self, store: SqliteStore, fail: bool = False) -> None:
        self.real = store._commit
        self.gate = threading.Event()
        self.fail = fail

    def __call__(self, batches: list[Batch], seq: int) -> None:
        if any(b.quote_keys for b in batches) and threading.current_thread() is not threading.main_thread():
            assert self.gate.wait(10)
            if self.fail:
                raise OSError(28, "No space left on device")
        self.real(batches, seq)


async def _ended_quote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: bool = False
) -> tuple[Venue, Committer, _HeldKeys, QuoteId]:
    """A venue keeping no ended entity in memory once their keys are written (history_cache 0): a quote created,
    then cancelled, and that cancel durable, its keys' transaction held."""
    store = SqliteStore(tmp_path / "db")
    venue = Venue(ManualClock(START_MS), default_instruments(TODAY), ["T", "M1"], history=store, history_cache=0)
    held = _HeldKeys(store, fail)
    monkeypatch.setattr(store, "_commit", held)
    committer = Committer(venue, store)
    return venue, committer, held, await _cancelled_quote(venue, committer)


async def _cancelled_quote(venue: Venue, committer: Committer) -> QuoteId:
    """A quote created, then cancelled, and that cancel durable."""
    rfq = venue.create_rfq(CreateRfq("T", ("M1",), (LegRequest("BTC-USDT", Decimal("1"), Side.BUY),)))
    leg = LegRequest("BTC-USDT", Decimal("1"), Side.BUY, px=Decimal("50000"))
    quote = venue.create_quote(CreateQuote("M1", str(rfq.rfq_id), Side.SELL, (leg,)))
    await committer.durable()
    venue.cancel_quote(CancelQuote("M1", str(quote.quote_id)))
    await asyncio.wait_for(committer.durable(), 5)  # the answer may go: the record is on disk
    return quote.quote_id


async def _turns() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_an_ended_entity_leaves_memory_only_once_sqlite_has_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue, committer, held, quote_id = await _ended_quote(tmp_path, monkeypatch)
    await _turns()
    assert quote_id in venue.quotes  # SQLite does not have its keys yet: the store would not find it

    paused = asyncio.ensure_future(committer.pause())
    await _turns()
    assert not paused.done()  # a control-plane operation (a reset: ids from 1 again) waits for it too

    held.gate.set()
    await asyncio.wait_for(paused, 5)
    assert quote_id not in venue.quotes  # let go, and found in the store
    found = venue.book.quote_by_id(quote_id)
    assert found is not None and found.state is QuoteState.CANCELED
    committer.resume()
    await committer.close()


async def test_a_failure_to_apply_keeps_the_entity_and_refuses_every_request_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue, committer, held, quote_id = await _ended_quote(tmp_path, monkeypatch, fail=True)
    held.gate.set()
    for _ in range(100):
        await asyncio.sleep(0.01)
        if committer._failure is not None:
            break
    assert isinstance(committer._failure, OSError)
    assert quote_id in venue.quotes  # never let go: the store cannot answer for it
    venue.create_rfq(CreateRfq("T", ("M1",), (LegRequest("BTC-USDT", Decimal("1"), Side.BUY),)))
    with pytest.raises(errors.ServiceUnavailable):
        await committer.durable()
    with pytest.raises(OSError):
        await committer.close()


async def test_on_postgresql_an_ended_entity_leaves_memory_once_durable(pg_schemas: Schemas) -> None:
    # The store reads what a durable write wrote at once: it says so, and nothing waits for it.
    url = pg_schemas.new()
    store = pgopen.open_postgres(url)
    try:
        venue = Venue(ManualClock(START_MS), default_instruments(TODAY), ["T", "M1"], history=store, history_cache=0)
        committer = Committer(venue, store)
        quote_id = await _cancelled_quote(venue, committer)

        await asyncio.wait_for(committer.pause(), 5)  # a control-plane operation is not kept waiting
        assert quote_id not in venue.quotes
        found = venue.book.quote_by_id(quote_id)
        assert found is not None and found.state is QuoteState.CANCELED
        committer.resume()
        await committer.close()
    finally:
        store.close()
        pg_schemas.drop(url)
