"""Group commit: durable before acknowledged, without a transaction per request.

Commands change the venue synchronously; then their handlers ``await committer.durable()``. The first waiter
schedules a cut: on the loop's next turn (after the requests already read have run their commands), everything
changed so far becomes one batch (encoded here, on the loop, so the rows are exactly the state at the cut),
it is written (below), and once it is durable every waiter of that batch is released. Commands that arrive
while a batch is being written form the next one (a busy server lets it gather a little longer: see LINGER_S).
A reader that saw state still being written waits for that write as well, so nobody is ever shown something a
crash could take back. Once a batch that wrote the keys of ended entities is durable, those leave the venue's
memory (``Venue.forget``): from then on the store's read side finds them, durably (``cut`` says when).

A waiter is a callback (``when_durable``; ``durable()`` wraps one around a future, so a cancelled request
cancels only its own wait). How a batch gets written:
a store that is durable once one file is synced (``FileStore``: SQLite) is written on the loop, and the kernel
syncs that file meanwhile (Linux AIO, store/aio.py), the loop hearing of it through an eventfd: no thread, no
GIL hand-over per batch. Elsewhere, one writer thread fed through a queue does the whole write and hands each
result back with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from openrfq.domain import errors
from openrfq.domain.events import Event
from openrfq.engine import Changes, Venue
from openrfq.engine.book import ended
from openrfq.store.aio import AioSync, open_aio
from openrfq.store.base import Batch, FileStore, Indexed, Store
from openrfq.store.codec import encode, quote_keys, rfq_keys, trade_keys

log = logging.getLogger("openrfq.store")

_NOTHING = Indexed([], [], [])
Done = Callable[[BaseException | None], None]
_Job = tuple[Batch, list[Event]]
# When the batch just written released several requests, the server is busy: the next batch then gathers for
# LINGER_S more before it is cut (fewer, larger commits: each one costs the core the loop needs a fixed amount,
# mostly the fsync's kernel time; bench/README.md has the measurements that chose these values). A quiet server
# (one request per batch) never waits.
LINGER_AFTER = 4
LINGER_S = 0.0003


class Committer:
    def __init__(self, venue: Venue, store: Store) -> None:
        self.venue = venue
        self.store = store
        self._waiting: list[Done] = []  # told when the changes not yet cut are durable
        self._in_flight: list[Done] | None = None  # told when the batch being written is
        self._writing = False  # a batch is scheduled or being written
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._aio: tuple[AioSync, FileStore] | None = None  # set once, at the first batch, where AIO works
        self._aio_tried = False
        self._syncing: tuple[list[Event], Indexed, int, float] | None = None  # the batch whose file sync is in flight
        self._meta: list[tuple[str, str]] = []  # meta rows for the next batch (a virtual clock's time)
        self._faults: list[tuple[int, bytes | None]] = []  # fault rules for the next batch (None: removed)
        self._paused = False  # a control-plane operation has the store: batches wait (pause/resume)
        self._idle: list[asyncio.Future[None]] = []  # released when no batch is scheduled or being written
        self._closed = False
        self.batches = 0  # commits written, for tests and metrics
        # Called on the event loop with each durable batch's events; must not block (enqueue and return).
        self.listeners: list[Callable[[list[Event]], None]] = []
        self.on_commit: Callable[[int, float], None] | None = None  # (rows, seconds), for metrics
        self.on_failure: Callable[[BaseException], None] | None = None  # a write failed (a leader steps down)

    async def durable(self) -> None:
        """Return once every change the venue has made so far is durable."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        if self.when_durable(_Settle(waiter)):
            await waiter

    def when_durable(self, done: Done) -> bool:
        """Call ``done(None)`` once every change the venue has made so far is durable (``done(error)`` if it
        cannot be), and return True; or return False if it is already (``done`` is not called). Raises
        ServiceUnavailable once a write has failed. The request path's own wait: a callback, no future or task."""
        if self._failure is not None:
            raise errors.ServiceUnavailable()
        if self.venue.has_changes() or self._meta or self._faults:
            self._waiting.append(done)
            if not self._writing and not self._paused:
                self._writing = True
                self._loop = asyncio.get_running_loop()
                self._loop.call_soon(self._start)
            return True
        if self._in_flight is not None:
            self._in_flight.append(done)
            return True
        return False

    def set_meta(self, key: str, value: str) -> None:
        """A meta row (e.g. a virtual clock's time) for the next batch."""
        self._meta.append((key, value))

    def set_fault(self, fault_id: int, body: bytes | None) -> None:
        """A fault rule as it is now (None: removed), for the next batch."""
        self._faults.append((fault_id, body))

    async def pause(self) -> Store:
        """Everything changed so far made durable, then no batch until ``resume()``: the store is the caller's
        alone (a control-plane operation: a snapshot, a restore), on the loop."""
        await self.durable()
        while self._writing or self._paused:
            idle: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._idle.append(idle)
            await idle
        self._paused = True
        return self.store

    def resume(self) -> None:
        self._paused = False
        if self._waiting and not self._writing:
            self._writing = True
            assert self._loop is not None
            self._loop.call_soon(self._start)
        self._release_idle()

    def _release_idle(self) -> None:
        if not self._writing:
            idle, self._idle = self._idle, []
            for waiter in idle:
                if not waiter.done():
                    waiter.set_result(None)

    def _cut(self) -> _Job:
        batch = cut(self.venue, self.venue.take_changes())
        batch.meta, batch.faults = self._meta, self._faults
        self._meta, self._faults = [], []
        return batch, self.venue.take_events()

    def _start(self) -> None:
        """On the loop: cut the next batch and get it written."""
        self._in_flight, self._waiting = self._waiting, []
        try:
            job = self._cut()
        except Exception as e:  # noqa: BLE001 (nothing can be written: refuse, as for a failed write)
            self._written([], _NOTHING, 0, 0.0, e)
            return
        if not self._aio_tried:
            self._aio_tried = True
            if isinstance(self.store, FileStore) and (aio := open_aio()) is not None:
                assert self._loop is not None
                self._loop.add_reader(aio.eventfd, self._synced)
                self._aio = (aio, self.store)
        if self._aio is not None:
            self._write_here(job, *self._aio)
            return
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_forever, name="openrfq-store", daemon=True)
            self._writer.start()
        self._jobs.put(job)

    def _write_here(self, job: _Job, aio: AioSync, store: FileStore) -> None:
        """On the loop: the transaction (cheap: it only reaches the page cache), then the WAL's sync submitted to
        the kernel."""
        batch, events = job
        started = time.perf_counter()
        try:
            store.write_unsynced(batch)
            aio.submit(store.sync_fd())
        except Exception as e:  # noqa: BLE001 (as a failed write on the thread: refuse from now on)
            self._written([], _NOTHING, 0, 0.0, e)
            return
        self._syncing = (events, batch.indexed, len(batch), started)

    def _synced(self) -> None:
        """On the loop, when the eventfd says the sync in flight has finished: its batch is durable (or failed)."""
        assert self._aio is not None
        aio, _ = self._aio
        try:
            result = aio.result()
        except OSError as e:  # the sync's outcome is unknown: refuse, as for a failed write
            result = -(e.errno or errno.EIO)
        if result is None or self._syncing is None:
            return
        (events, indexed, rows, started), self._syncing = self._syncing, None
        failure = None if result == 0 else OSError(-result, f"fdatasync: {os.strerror(-result)}")
        self._written(events, indexed, rows, time.perf_counter() - started, failure)

    def _write_forever(self) -> None:
        """The writer thread: one batch at a time, each result handed back to the loop."""
        while (job := self._jobs.get()) is not None:
            batch, events = job
            started = time.perf_counter()
            failure: BaseException | None = None
            try:
                self.store.write(batch)
            except BaseException as e:  # noqa: BLE001 (handed to the loop, which refuses everything after it)
                failure = e
            elapsed = time.perf_counter() - started
            assert self._loop is not None
            try:
                self._loop.call_soon_threadsafe(self._written, events, batch.indexed, len(batch), elapsed, failure)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                return

    def _written(
        self, events: list[Event], indexed: Indexed, rows: int, seconds: float, failure: BaseException | None
    ) -> None:
        """On the loop: the batch in flight is durable (or failed); release its waiters, hand its events to the
        listeners, let what the store now finds leave memory, then start the next."""
        waiters, self._in_flight = self._in_flight or [], None
        if failure is not None:  # a store that cannot write must not acknowledge anything again
            log.critical("store write failed; refusing further requests", exc_info=failure)
            self._failure = failure
            if self.on_failure is not None:
                self.on_failure(failure)
            waiters += self._waiting
            self._waiting = []
            self._writing = False
            self._release_idle()
            for done in waiters:
                _tell(done, errors.ServiceUnavailable())
            return
        self.batches += 1
        if self.on_commit is not None:
            self.on_commit(rows, seconds)
        for listener in self.listeners:  # first, as when the waiters were futures resumed on the loop's next turn
            try:
                listener(events)
            except Exception:  # a broken listener must not stop commits
                log.exception("event listener failed")
        for done in waiters:
            _tell(done, None)
        self.venue.forget(indexed.rfqs, indexed.quotes, indexed.trades)
        if not self._waiting or self._paused:
            self._writing = False
            self._release_idle()
        elif len(waiters) >= LINGER_AFTER:
            assert self._loop is not None
            self._loop.call_later(LINGER_S, self._start)
        else:
            self._start()

    async def close(self) -> None:
        """Everything durable, then the store closed (a second call does nothing more)."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.durable()
        finally:  # a store that failed is closed too (its error raised after)
            self._stop_writing()

    def _stop_writing(self) -> None:
        if self._aio is not None:
            aio, _ = self._aio
            loop: Any = self._loop  # uvloop's remove_reader returns None where typeshed says bool (mypyc checks)
            loop.remove_reader(aio.eventfd)
            aio.close()
            self._aio = None
        if self._writer is not None:
            self._jobs.put(None)
            self._writer.join()
            self._writer = None
        self.store.close()


class _Settle:
    """``durable()``'s waiter told the outcome (unless its request was cancelled meanwhile)."""

    def __init__(self, waiter: asyncio.Future[None]) -> None:
        self.waiter = waiter

    def __call__(self, error: BaseException | None) -> None:
        if not self.waiter.done():
            if error is None:
                self.waiter.set_result(None)
            else:
                self.waiter.set_exception(error)


def _tell(done: Done, error: BaseException | None) -> None:
    try:
        done(error)
    except Exception:  # one request's answer failing must not keep the others waiting
        log.exception("a commit's waiter failed")


def cut(venue: Venue, changes: Changes) -> Batch:
    """The rows of what ``changes`` names, as the venue holds it now (encoded here: exactly the state at the cut);
    and once ``history_cache`` entities ended that the store cannot find yet, their keys (store/codec.py): after
    this batch is durable they may leave memory (``Venue.forget``). Keys written for many entities at once touch
    each key range's last page once, not once per commit (store/schema.py)."""
    book = venue.book
    batch = Batch(
        rfqs=[(i, encode(venue.rfqs[i])) for i in changes.rfqs],
        quotes=[(i, encode(venue.quotes[i])) for i in changes.quotes],
        trades=[(i, encode(venue.trades[i])) for i in changes.trades],
        makers=[(code, encode(venue.makers[code])) for code in changes.makers],
    )
    for rfq_id in changes.rfqs:
        if ended(venue.rfqs[rfq_id]):
            book.unindexed_rfqs[rfq_id] = None
    for quote_id in changes.quotes:
        if ended(venue.quotes[quote_id]):
            book.unindexed_quotes[quote_id] = None
    for block_td_id in changes.trades:
        if not venue.trades[block_td_id].pending:
            book.unindexed_trades[block_td_id] = None
    if book.unindexed() > book.history_cache:
        rfqs, quotes, trades = list(book.unindexed_rfqs), list(book.unindexed_quotes), list(book.unindexed_trades)
        book.unindexed_rfqs, book.unindexed_quotes, book.unindexed_trades = {}, {}, {}
        batch.rfq_keys = [key for i in rfqs for key in rfq_keys(venue.rfqs[i])]
        takers: dict[int, str] = {}
        for quote_id in quotes:
            quote = venue.quotes[quote_id]
            taker = takers.get(quote.rfq_id)
            if taker is None:
                taker = takers[quote.rfq_id] = book.taker_of(quote.rfq_id)
            batch.quote_keys += quote_keys(quote, taker)
        batch.trade_keys = [key for i in trades for key in trade_keys(venue.trades[i])]
        batch.indexed = Indexed(rfqs, quotes, trades)
    return batch
