"""Group commit: durable before acknowledged, without a transaction per request.

Commands change the venue synchronously; then their handlers ``await committer.durable()``. The first waiter
schedules a cut: on the loop's next turn (after the requests already read have run their commands), everything
changed so far becomes one batch (encoded here, on the loop, so the rows are exactly the state at the cut),
it is written (below), and once it is durable every waiter of that batch is released. Commands that arrive
while a batch is being written form the next one (a busy server lets it gather the clients it just answered:
see GATHER_WAIT_S).
A reader that saw state still being written waits for that write as well, so nobody is ever shown something a
crash could take back. Once a batch that wrote the keys of ended entities is durable, and the store can be read
for it (SQLite lags its commit log: store/applier.py), those leave the venue's memory (``Venue.forget``): from
then on the store's read side finds them, durably (store/cut.py says when).

A waiter is a callback (``when_durable``; ``durable()`` wraps one around a future, so a cancelled request
cancels only its own wait). How a batch gets written:
a ``FileStore`` (SQLite and its commit log) is written on the loop, and the kernel makes the batch durable
meanwhile (Linux AIO, store/aio.py: a sync of the log, or, busy, a direct write of the batch's record), the loop
hearing of it through an eventfd: no thread, no GIL hand-over per batch. Elsewhere, one writer thread fed
through a queue does the whole write and hands each result back with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

from openrfq.domain import errors
from openrfq.domain.events import Event
from openrfq.engine import Venue
from openrfq.store.aio import AioSync, open_aio
from openrfq.store.base import Batch, FileStore, Indexed, Pending, Store
from openrfq.store.cut import cut

log = logging.getLogger("openrfq.store")

Done = Callable[[BaseException | None], None]
# Batches written whose sync has not finished, at most (AIO): the next batch is written while the last one's
# sync is in flight instead of after it, which a request that arrives meanwhile would otherwise wait for.
AIO_DEPTH = 2
# When the batches made durable lately released BUSY_AFTER requests or more each, on average, the server is busy:
# one batch in flight, and the next gathers (GATHER_WAIT_S) rather than being cut at once (fewer, larger commits:
# each one costs the loop's core a fixed amount, mostly the sync's kernel time). Not a fixed linger: uvloop counts
# timers in whole milliseconds and makes a delay under 0.5 ms a call_soon, and a 1 ms one leaves the core idle
# (bench/README.md). A quiet server cuts at once. 3, not 4: a bot's 8 connections release 3.7 requests a batch,
# and served busy (direct writes, one batch in flight) they got 7.8% more answers (bench/README.md).
BUSY_AFTER = 3
# The average is a moving one over about LOAD_SPAN batches: one small batch in a busy stream (after a slow write,
# a long apply) does not make the server quiet. It did: the quiet way (two batches in flight, each synced by a
# kernel worker on the loop's core) then cut more small batches, and 3% of the commits cost 5% of the core.
LOAD_SPAN = 8
# A busy server's next batch gathers the requests of the clients its last batch answered: in a closed loop they
# come straight back, and one commit for all of them costs the core less than one for each half (the halves
# otherwise alternate, one on the disk while the other gathers: bench/README.md). It is cut once as many wait as
# that batch answered plus those already waiting, or once none has joined it for GATHER_WAIT_S (a client that did
# not come back). Not looked at on every turn of the loop: a loop that never blocks starves SQLite's thread, which
# works in the loop's idle moments (store/applier.py); and uvloop's timers count whole milliseconds.
GATHER_WAIT_S = 0.001


class _Flight:
    """A batch written, its sync not yet finished: who to tell once it is durable, and what then."""

    def __init__(self, seq: int, waiters: list[Done], events: list[Event], indexed: Indexed, rows: int) -> None:
        self.seq, self.waiters, self.events, self.indexed, self.rows = seq, waiters, events, indexed, rows
        self.started = time.perf_counter()
        self.pending = Pending(-1)  # what makes it durable (AIO)
        self.done = False


class Committer:
    def __init__(self, venue: Venue, store: Store) -> None:
        self.venue = venue
        self.store = store
        self._waiting: list[Done] = []  # told when the changes not yet cut are durable
        self._flights: deque[_Flight] = deque()  # written, not yet durable: oldest first
        # Batches in flight at most: one, or AIO_DEPTH while the server is quiet and AIO is in use. A busy server
        # is better served by fewer, larger commits (each costs the loop's core a fixed amount).
        self._depth = 1
        self._load = 0  # requests released per batch lately (_durable)
        self._expect = 0  # a busy server's next batch: cut once this many wait (0: at once), or on _gather_timer
        self._gather_timer: asyncio.TimerHandle | None = None
        self._gathering = 0  # how many waited when _gather_timer was armed
        self._seq = 0
        self._scheduled = False  # a cut is due on the loop (_start)
        self._settle_due = False  # the store's deferred work is due on the loop (_settle)
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._jobs: queue.SimpleQueue[tuple[int, Batch] | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._aio: tuple[AioSync, FileStore] | None = None  # set once, at the first batch, where AIO works
        self._aio_tried = False
        self._meta: list[tuple[str, str]] = []  # meta rows for the next batch (a virtual clock's time)
        self._faults: list[tuple[int, bytes | None]] = []  # fault rules for the next batch (None: removed)
        self._paused = False  # a control-plane operation has the store: batches wait (pause/resume)
        self._idle: list[asyncio.Future[None]] = []  # released when no batch is scheduled or being written
        self._unapplied = 0  # durable batches whose ended entities wait for the store's reads to find them
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
            loop = self._loop
            if loop is None or loop.is_closed():
                # Once: on CPython 3.11, get_running_loop() is a getpid() system call, every time.
                loop = self._loop = asyncio.get_running_loop()
            if self._may_cut():
                self._scheduled = True
                loop.call_soon(self._start)  # after the requests already read have run their commands
            return True
        if self._flights:  # what it saw is being written: the newest write
            self._flights[-1].waiters.append(done)
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
        while self._busy() or self._paused:
            idle: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._idle.append(idle)
            await idle
        self._paused = True
        return self.store

    def resume(self) -> None:
        self._paused = False
        self._next(next_turn=False)
        self._release_idle()

    def _busy(self) -> bool:
        return self._scheduled or bool(self._flights) or self._unapplied > 0 or self._gather_timer is not None

    def _release_idle(self) -> None:
        if not self._busy():
            idle, self._idle = self._idle, []
            for waiter in idle:
                if not waiter.done():
                    waiter.set_result(None)

    def _may_cut(self) -> bool:
        """Changes wait, no cut is due yet, and another batch may be in flight."""
        return (
            bool(self._waiting)
            and not self._scheduled
            and not self._paused
            and self._failure is None
            and len(self._flights) < self._depth
        )

    def _next(self, next_turn: bool) -> None:
        """Cut the next batch if one is waiting and may be written now (at once, or on the loop's next turn)."""
        if not self._may_cut():
            return
        assert self._loop is not None
        self._scheduled = True
        if next_turn:
            self._loop.call_soon(self._start)
        else:
            self._start()

    def _start(self) -> None:
        """On the loop: cut the next batch and get it written; with AIO, another may follow before it is synced.
        A busy server's batch gathers first (GATHER_WAIT_S): each request that joins it calls this again."""
        self._scheduled = False
        if self._failure is not None or not self._waiting:
            self._release_idle()
            return
        if len(self._waiting) < self._expect:
            if self._gather_timer is None:
                self._gather()
            return
        self._expect = 0
        if self._gather_timer is not None:
            self._gather_timer.cancel()
            self._gather_timer = None
        waiters, self._waiting = self._waiting, []
        self._seq += 1
        try:
            batch = cut(self.venue, self.venue.take_changes())
            batch.meta, batch.faults = self._meta, self._faults
            self._meta, self._faults = [], []
            flight = _Flight(self._seq, waiters, self.venue.take_events(), batch.indexed, len(batch))
        except Exception as e:  # noqa: BLE001 (nothing can be written: refuse, as for a failed write)
            self._failed(e, waiters)
            return
        self._flights.append(flight)
        if not self._aio_tried:
            self._aio_tried = True
            if isinstance(self.store, FileStore) and (aio := open_aio(AIO_DEPTH)) is not None:
                assert self._loop is not None
                self._loop.add_reader(aio.eventfd, self._synced)
                self._aio = (aio, self.store)
                self._depth = AIO_DEPTH
        if self._aio is not None:
            aio, store = self._aio
            try:  # the write (cheap), then what makes it durable, by the kernel: a direct write or a sync
                # Direct when busy: no kernel worker on the loop's core, less CPU per commit. A quiet server has
                # the kernel write and sync the record: the disk is then told from that worker, not from io_submit
                # on the loop, where a slow hand-over to the disk held the loop (bench/README.md: the p99 at
                # 1,000 req/s).
                flight.pending = pending = store.write_unsynced(batch, direct=self._depth == 1)
                write = (pending.address, pending.length, pending.offset) if pending.length else None
                aio.submit(pending.fd, flight.seq, write)
            except Exception as e:  # noqa: BLE001 (as a failed write on the thread: refuse from now on)
                self._failed(e)
            return
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_forever, name="openrfq-store", daemon=True)
            self._writer.start()
        self._jobs.put((flight.seq, batch))

    def _gather(self) -> None:
        """Look at the gathering batch again in GATHER_WAIT_S (one timer, not one per request that joins it)."""
        assert self._loop is not None
        self._gathering = len(self._waiting)
        self._gather_timer = self._loop.call_later(GATHER_WAIT_S, self._gathered)

    def _gathered(self) -> None:
        """GATHER_WAIT_S since the gathering batch was last looked at: if nobody joined it meanwhile, it is cut
        with whoever came."""
        if self._gathering < len(self._waiting) < self._expect:
            self._gather()
            return
        self._gather_timer, self._expect = None, 0
        self._next(next_turn=False)
        self._release_idle()

    def _synced(self) -> None:
        """On the loop, when the eventfd says operations have finished. A sync makes its batch durable and every
        batch written before it to the file it syncs (store/sqlite.py); a direct write makes its own batch durable,
        and no other. Batches are released in order."""
        assert self._aio is not None
        aio, _ = self._aio
        try:
            finished = aio.finished()
        except OSError as e:  # the outcome is unknown: refuse, as for a failed write
            finished = [(self._seq, -(e.errno or errno.EIO))]
        flights = {flight.seq: flight for flight in self._flights}
        for seq, result in finished:
            flight = flights.get(seq)
            length = flight.pending.length if flight is not None else 0
            if result != length:
                err = -result if result < 0 else errno.EIO  # a short write: the disk is full, or gone
                what = "write" if length else "fdatasync"
                self._failed(OSError(err, f"{what}: {os.strerror(err)}"))
                return
            if flight is None:  # a sync that finished after a later one had covered its batch
                continue
            if length:
                flight.done = True
            else:  # not a direct write still in flight: only its own completion says it is on disk
                for earlier in self._flights:
                    if earlier.seq <= seq and not earlier.pending.length:
                        earlier.done = True
        if finished:
            self._durable()

    def _write_forever(self) -> None:
        """The writer thread: one batch at a time, each result handed back to the loop."""
        while (job := self._jobs.get()) is not None:
            seq, batch = job
            failure: BaseException | None = None
            try:
                self.store.write(batch)
            except BaseException as e:  # noqa: BLE001 (handed to the loop, which refuses everything after it)
                failure = e
            if not self._to_loop(self._written, seq, failure):
                return

    def _written(self, seq: int, failure: BaseException | None) -> None:
        if failure is not None:
            self._failed(failure)
        else:
            for flight in self._flights:
                if flight.seq <= seq:
                    flight.done = True
            self._durable()

    def _durable(self) -> None:
        """On the loop: the batches durable, oldest first, up to the first that is not: their waiters told (their
        events to the listeners first), what the store now finds let go from memory; then the next batch."""
        released = 0
        while self._flights and self._flights[0].done and self._failure is None:
            flight = self._flights.popleft()
            released += len(flight.waiters)
            self.batches += 1
            if self.on_commit is not None:
                self.on_commit(flight.rows, time.perf_counter() - flight.started)
            for listener in self.listeners:  # first, as when the waiters were futures resumed on the loop's next turn
                try:
                    listener(flight.events)
                except Exception:  # a broken listener must not stop commits
                    log.exception("event listener failed")
            for done in flight.waiters:
                _tell(done, None)
            # each batch's requests, averaged over about LOAD_SPAN batches (``_load``: LOAD_SPAN times the average)
            self._load += len(flight.waiters) - self._load // LOAD_SPAN
            indexed = flight.indexed
            if indexed.rfqs or indexed.quotes or indexed.trades:
                self._forget(indexed)
        busy = self._load >= BUSY_AFTER * LOAD_SPAN
        if self._aio is not None:  # pipelined
            self._depth = 1 if busy else AIO_DEPTH
        # the next batch gathers the clients just answered, and those waiting already
        self._expect = released + len(self._waiting) if busy else 0
        self._next(next_turn=busy)
        self._release_idle()
        if self._aio is not None and not self._busy() and not self._settle_due:
            assert self._loop is not None
            self._settle_due = True
            self._loop.call_soon(self._settle)

    def _forget(self, indexed: Indexed) -> None:
        """The ended entities whose keys a durable batch wrote let go from memory, once the store finds them."""
        self._unapplied += 1
        self.store.when_applied(partial(self._told_applied, indexed))

    def _told_applied(self, indexed: Indexed, failure: BaseException | None) -> None:
        """On the store's thread (or the loop's): back to the loop."""
        self._to_loop(self._applied, indexed, failure)

    def _to_loop(self, callback: Callable[..., None], *args: Any) -> bool:
        """``callback(*args)`` on the loop, from any thread; False if the loop is closed (nobody waits any more)."""
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            return False
        return True

    def _applied(self, indexed: Indexed, failure: BaseException | None) -> None:
        self._unapplied -= 1
        if failure is not None:
            self._failed(failure)
        else:
            self.venue.forget(indexed.rfqs, indexed.quotes, indexed.trades)
        self._release_idle()

    def _settle(self) -> None:
        """Idle (nothing to cut, nothing in flight, after the requests already read have run): the store's
        deferred work done now (SQLite's rows of the batches in the commit log), not on some request's time."""
        self._settle_due = False
        if self._aio is None or self._busy() or self._paused or self._failure is not None:
            return
        try:
            self._aio[1].idle()
        except Exception as e:  # noqa: BLE001 (as a failed write: refuse from now on)
            self._failed(e)

    def _failed(self, failure: BaseException, waiters: list[Done] | None = None) -> None:
        """A write or sync failed: a store that cannot write must not acknowledge anything again."""
        if self._failure is None:
            log.critical("store write failed; refusing further requests", exc_info=failure)
            self._failure = failure
            if self.on_failure is not None:
                self.on_failure(failure)
        refused = list(waiters or [])
        while self._flights:
            refused += self._flights.popleft().waiters
        refused += self._waiting
        self._waiting = []
        self._release_idle()
        for done in refused:
            _tell(done, errors.ServiceUnavailable())

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
