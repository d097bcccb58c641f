"""Linux AIO fdatasyncs and direct writes: submitted, finished on the eventfd, errors as -errno; absent where it
cannot work; and the committer's use of them."""

from __future__ import annotations

import asyncio
import errno
import os
import platform
import select
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CreateRfq, LegRequest
from openrfq.domain.enums import Side
from openrfq.domain.errors import ServiceUnavailable
from openrfq.engine import Venue
from openrfq.instruments.catalogue import default_instruments
from openrfq.store import commitlog
from openrfq.store import committer as committer_module
from openrfq.store import sqlite as sqlite_module
from openrfq.store.aio import AioSync, open_aio
from openrfq.store.base import Batch
from openrfq.store.committer import Committer
from openrfq.store.sqlite import SqliteStore
from samples import START_MS, TODAY

LINUX_AIO = sys.platform.startswith("linux") and platform.machine() in ("x86_64", "aarch64")
needs_aio = pytest.mark.skipif(
    not LINUX_AIO,
    reason="Linux AIO exists only on Linux (syscalls mapped for x86_64/aarch64); elsewhere the committer uses"
    " its writer thread, which tests/store/test_sqlite.py covers",
)


@needs_aio
def test_a_submitted_fdatasync_finishes_on_the_eventfd(tmp_path: Path) -> None:
    aio = open_aio()
    assert aio is not None  # on this platform the committer must not silently fall back to a thread
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT)
    try:
        assert aio.finished() == []  # nothing submitted: nothing finished
        for round_ in range(3):  # one context serves one sync after another
            os.pwrite(fd, b"x" * 4096, round_ * 4096)
            aio.submit(fd, round_ + 7)
            readable, _, _ = select.select([aio.eventfd], [], [], 5)
            assert readable == [aio.eventfd]
            assert aio.finished() == [(round_ + 7, 0)]
            assert aio.finished() == []  # read once
    finally:
        os.close(fd)
        aio.close()
        aio.close()  # twice is harmless


@needs_aio
def test_a_file_that_cannot_be_synced_is_refused_at_submit() -> None:
    aio = open_aio()
    assert aio is not None
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(OSError) as refused:
            aio.submit(read_end)
        assert refused.value.errno == errno.EINVAL
    finally:
        os.close(read_end)
        os.close(write_end)
        aio.close()


def test_elsewhere_there_is_no_aio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "machine", lambda: "riscv64")
    assert open_aio() is None


class _HeldSync:
    """A real AioSync whose submits wait until the test lets them go."""

    def __init__(self, real: AioSync) -> None:
        self.real = real
        self.eventfd = real.eventfd
        self.held: list[tuple[int, int, tuple[int, int, int] | None]] = []

    def submit(self, fd: int, tag: int = 0, write: tuple[int, int, int] | None = None) -> None:
        self.held.append((fd, tag, write))

    def release(self) -> None:
        self.real.submit(*self.held.pop(0))

    def finished(self) -> list[tuple[int, int]]:
        return self.real.finished()

    def close(self) -> None:
        self.real.close()


S = TypeVar("S", bound=_HeldSync)


def _one_change_to_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, double: Callable[[AioSync], S]
) -> tuple[S, SqliteStore, Committer, list[object]]:
    """A committer whose AIO is ``double`` around a real context, with one RFQ created and not yet committed."""
    real = open_aio()
    assert real is not None
    sync = double(real)
    monkeypatch.setattr(committer_module, "open_aio", lambda depth: sync)
    venue = Venue(ManualClock(START_MS), default_instruments(TODAY), ["T", "M1"])
    store = SqliteStore(tmp_path / "db")
    committer = Committer(venue, store)
    seen: list[object] = []
    committer.listeners.append(seen.extend)
    venue.create_rfq(CreateRfq("T", ("M1",), (LegRequest("BTC-USDT", Decimal("1"), Side.BUY),)))
    return sync, store, committer, seen


@needs_aio
async def test_the_committer_releases_nobody_before_the_log_record_is_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, _, committer, seen = _one_change_to_commit(tmp_path, monkeypatch, _HeldSync)

    waiting = asyncio.ensure_future(committer.durable())
    for _ in range(20):
        await asyncio.sleep(0)

    [(fd, _, write)] = held.held  # the operation asked for is the commit log's...
    assert os.fstat(fd).st_ino == os.stat(f"{tmp_path / 'db'}-log").st_ino
    assert write is None or write[2] == commitlog.BLOCK  # its first record, written directly where it can be
    assert not waiting.done() and seen == [] and committer.batches == 0  # ...and until it is done, nothing
    held.release()
    await asyncio.wait_for(waiting, 5)
    assert committer.batches == 1 and len(seen) == 1
    await committer.close()


class _BrokenSync(_HeldSync):
    """Its sync finishes, but reading the outcome fails."""

    def submit(self, fd: int, tag: int = 0, write: tuple[int, int, int] | None = None) -> None:
        self.real.submit(fd, tag, write)

    def finished(self) -> list[tuple[int, int]]:
        self.real.finished()
        raise OSError(errno.EFAULT, "io_getevents failed")


@needs_aio
async def test_a_sync_whose_outcome_cannot_be_read_refuses_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, store, committer, seen = _one_change_to_commit(tmp_path, monkeypatch, _BrokenSync)

    with pytest.raises(ServiceUnavailable):
        await asyncio.wait_for(committer.durable(), 5)
    assert committer.batches == 0 and seen == []
    broken.close()
    store.close()


async def _waiting(
    committer: Committer, told: list[str], name: str, quantity: int | None = None
) -> asyncio.Future[None]:
    """A request waiting until the venue's changes are durable (after one more RFQ of ``quantity``, if given),
    which then adds ``name`` to ``told``; returned once the loop has had its turns to cut and write them."""
    if quantity is not None:
        committer.venue.create_rfq(CreateRfq("T", ("M1",), (LegRequest("BTC-USDT", Decimal(quantity), Side.BUY),)))

    async def wait() -> None:
        await committer.durable()
        told.append(name)

    waiting = asyncio.ensure_future(wait())
    for _ in range(20):
        await asyncio.sleep(0)
    return waiting


@needs_aio
async def test_the_next_batch_is_written_while_the_last_ones_sync_is_in_flight_and_released_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two batches in flight: the second's sync, submitted after both were written, makes both durable, whichever
    finishes first; the waiters of the first are told first; a third waits until one of the two is done. (The
    log written and synced, as where ``O_DIRECT`` is refused.)"""
    monkeypatch.setattr(commitlog, "_open_direct", lambda path, header: -1)
    held, _, committer, seen = _one_change_to_commit(tmp_path, monkeypatch, _HeldSync)
    told: list[str] = []

    first = await _waiting(committer, told, "first")
    second = await _waiting(committer, told, "second", quantity=2)
    assert len(held.held) == committer_module.AIO_DEPTH == 2  # both written, neither synced
    third = await _waiting(committer, told, "third", quantity=3)
    assert len(held.held) == 2 and told == [] and committer.batches == 0  # the third is not written yet

    held.real.submit(*held.held.pop(1))  # the second batch's sync finishes first
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert told == ["first", "second"] and committer.batches == 2 and len(seen) == 2
    held.release()  # the first batch's own sync, late: nothing more to tell
    for _ in range(20):
        await asyncio.sleep(0)
    assert not third.done()
    held.release()  # the third batch's
    await asyncio.wait_for(third, 5)
    assert told == ["first", "second", "third"] and committer.batches == 3
    await committer.close()


@needs_aio
async def test_a_direct_write_makes_its_own_batch_durable_and_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two direct writes in flight: the second finishing first releases nobody (the first record may not be on
    disk yet); the first finishing then releases both, in order."""
    held, store, committer, seen = _one_change_to_commit(tmp_path, monkeypatch, _HeldSync)
    write = store.write_unsynced
    monkeypatch.setattr(store, "write_unsynced", lambda batch, direct: write(batch, True))  # quiet, yet direct
    told: list[str] = []

    first = await _waiting(committer, told, "first")
    second = await _waiting(committer, told, "second", quantity=2)
    writes = [write for _, _, write in held.held]
    assert len(writes) == 2 and all(w is not None for w in writes)  # both records written directly, in flight
    assert [w[2] for w in writes if w is not None] == [commitlog.BLOCK, 2 * commitlog.BLOCK]  # a block each

    held.real.submit(*held.held.pop(1))  # the second record reaches the disk first
    for _ in range(50):
        await asyncio.sleep(0.001)
    assert told == [] and committer.batches == 0 and seen == []
    held.release()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert told == ["first", "second"] and committer.batches == 2 and len(seen) == 2
    await committer.close()


@needs_aio
async def test_while_batches_release_several_requests_one_batch_is_in_flight_until_it_goes_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy server (batches released BUSY_AFTER requests each, lately, on average) writes fewer, larger batches:
    one in flight, the next waiting for it, written directly. One small batch does not make it quiet; a run of
    them does: then two in flight again."""
    held, store, committer, _ = _one_change_to_commit(tmp_path, monkeypatch, _HeldSync)
    venue = committer.venue
    changes = iter(range(2, 1000))

    async def settle() -> None:  # and past a busy batch's gathering: nobody else joins it here
        for _ in range(20):
            await asyncio.sleep(0)
        await asyncio.sleep(5 * committer_module.GATHER_WAIT_S)
        for _ in range(20):
            await asyncio.sleep(0)

    async def change() -> asyncio.Future[None]:
        venue.create_rfq(CreateRfq("T", ("M1",), (LegRequest("BTC-USDT", Decimal(next(changes)), Side.BUY),)))
        waiter = asyncio.ensure_future(committer.durable())
        await settle()
        return waiter

    busy_load = committer_module.BUSY_AFTER * committer_module.LOAD_SPAN
    crowd = [asyncio.ensure_future(committer.durable()) for _ in range(2 * busy_load)]
    await settle()
    assert len(held.held) == 1  # the first change, its waiters all in one batch
    assert held.held[0][2] is None  # quiet: the record written, the log synced by the kernel
    held.release()
    await asyncio.wait_for(asyncio.gather(*crowd), 5)

    second = await change()
    assert held.held[0][2] is not None or store._log.direct < 0  # busy: written directly where the log can
    third = await change()
    assert len(held.held) == 1 and not second.done() and not third.done()  # busy: the third is not written yet
    held.release()
    await asyncio.wait_for(second, 5)
    await settle()
    assert len(held.held) == 1 and not third.done()  # the third written now
    fourth = await change()
    assert len(held.held) == 1  # the second released one request, and the server is still busy
    waiting, small_batches = [third, fourth], 1
    while len(held.held) == 1 and small_batches < 4 * committer_module.LOAD_SPAN:
        held.release()
        await asyncio.wait_for(waiting.pop(0), 5)
        await settle()
        waiting.append(await change())
        small_batches += 1
    assert len(held.held) == 2 and small_batches > 2  # quiet after a run of small batches: two in flight again
    assert held.held[-1][2] is None  # and synced by the kernel
    held.release()
    held.release()
    await asyncio.wait_for(asyncio.gather(*waiting), 5)
    await committer.close()


@needs_aio
async def test_a_busy_servers_next_batch_gathers_the_clients_its_last_batch_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Busy, the batch after one that answered N requests is cut once N requests wait (in a closed loop those
    clients come straight back: one commit for all of them), or GATHER_WAIT_S after it began to gather (one that
    did not come back)."""
    held, _, committer, _ = _one_change_to_commit(tmp_path, monkeypatch, _HeldSync)
    venue = committer.venue
    changes = iter(range(2, 1000))

    async def turns() -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    def change() -> asyncio.Future[None]:
        venue.create_rfq(CreateRfq("T", ("M1",), (LegRequest("BTC-USDT", Decimal(next(changes)), Side.BUY),)))
        return asyncio.ensure_future(committer.durable())

    busy_load = committer_module.BUSY_AFTER * committer_module.LOAD_SPAN
    crowd = [asyncio.ensure_future(committer.durable()) for _ in range(busy_load)]
    await turns()
    assert len(held.held) == 1  # one batch of busy_load requests: the server is busy from now on
    monkeypatch.setattr(committer_module, "GATHER_WAIT_S", 60.0)
    held.release()
    await asyncio.wait_for(asyncio.gather(*crowd), 5)

    gathering = [change() for _ in range(busy_load - 1)]
    await turns()
    assert held.held == [] and not any(w.done() for w in gathering)  # one short of the clients answered
    gathering.append(change())
    await turns()
    assert len(held.held) == 1  # all of them: one batch, cut at once
    held.release()
    await asyncio.wait_for(asyncio.gather(*gathering), 5)

    monkeypatch.setattr(committer_module, "GATHER_WAIT_S", 0.2)  # now most of those clients do not come back
    started = asyncio.get_running_loop().time()
    few = [change() for _ in range(3)]
    await turns()
    assert held.held == []  # gathering
    while not held.held:
        assert asyncio.get_running_loop().time() - started < 5
        await asyncio.sleep(0.01)
    assert asyncio.get_running_loop().time() - started >= 0.2  # cut with whoever came, once the wait is over
    held.release()
    await asyncio.wait_for(asyncio.gather(*few), 5)

    began = asyncio.get_running_loop().time()
    trickle = [change()]  # 3 answered, 3 expected back; they come slowly, each within the wait of the last
    await turns()
    await asyncio.sleep(0.1)
    trickle.append(change())
    await asyncio.sleep(0.15)
    assert held.held == []  # 0.25 s since the first: longer than the wait, but someone joined within it
    while not held.held:
        assert asyncio.get_running_loop().time() - began < 5
        await asyncio.sleep(0.01)
    assert asyncio.get_running_loop().time() - began >= 0.35  # cut once the wait passed with nobody joining
    assert len(held.held) == 1  # both in it
    held.release()
    await asyncio.wait_for(asyncio.gather(*trickle), 5)
    await committer.close()


@needs_aio
async def test_the_store_is_told_when_the_committer_is_idle_and_only_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``idle`` (the store's deferred work: SQLite's rows of the logged batches) runs once nothing is cut or in
    flight, on a later turn of the loop: never while a batch's sync is pending."""
    held, store, committer, _ = _one_change_to_commit(tmp_path, monkeypatch, _HeldSync)
    monkeypatch.setattr(sqlite_module, "IDLE_ROWS", 1)
    idle: list[int] = []
    real_idle = store.idle

    def recording() -> None:
        idle.append(len(held.held))
        real_idle()

    monkeypatch.setattr(store, "idle", recording)

    def rows() -> int:
        store._applier.drain()  # what the applier's thread was given, done
        return int(store._db.execute("SELECT count(*) FROM rfqs").fetchone()[0])

    waiting = asyncio.ensure_future(committer.durable())
    for _ in range(20):
        await asyncio.sleep(0)
    assert idle == [] and rows() == 0  # written to the log, its sync held
    held.release()
    await asyncio.wait_for(waiting, 5)
    for _ in range(20):
        await asyncio.sleep(0)
    assert idle == [0] and rows() == 1  # then, idle: the row applied to SQLite
    await committer.close()


def test_idle_applies_the_rows_waiting_once_there_are_enough(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    store.write(Batch(quotes=[(i, b"q") for i in range(sqlite_module.IDLE_ROWS - 1)]))
    store.idle()
    store._applier.drain()
    assert store._db.execute("SELECT count(*) FROM quotes").fetchone()[0] == 0  # too few: a later, larger apply
    store.write(Batch(quotes=[(sqlite_module.IDLE_ROWS, b"q")]))
    store.idle()
    store._applier.drain()  # given to the applier's thread: done there
    assert store._db.execute("SELECT count(*) FROM quotes").fetchone()[0] == sqlite_module.IDLE_ROWS
    store.close()
