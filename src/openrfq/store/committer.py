"""Group commit: durable before acknowledged, without a transaction per request.

Commands change the venue synchronously; then their handlers ``await committer.durable()``. The first waiter
starts a writer pass: it cuts everything changed so far into one batch (encoded here, on the loop, so the
rows are exactly the state at the cut), writes it on the writer thread, and releases every waiter of that
batch. Commands that arrive while a batch is being written form the next one. A reader that saw state still
being written waits for that write as well, so nobody is ever shown something a crash could take back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from openrfq.domain import errors
from openrfq.domain.events import Event
from openrfq.engine import Venue
from openrfq.store.base import Batch, Store
from openrfq.store.codec import encode

log = logging.getLogger("openrfq.store")


class Committer:
    def __init__(self, venue: Venue, store: Store) -> None:
        self.venue = venue
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openrfq-store")
        self._next: asyncio.Future[None] | None = None  # released when the changes not yet cut are durable
        self._in_flight: asyncio.Future[None] | None = None  # released when the batch being written is durable
        self._writing = False
        self._failure: BaseException | None = None
        self.batches = 0  # commits written, for tests and metrics
        # Called on the event loop with each durable batch's events; must not block (enqueue and return).
        self.listeners: list[Callable[[list[Event]], None]] = []
        self.on_commit: Callable[[int, float], None] | None = None  # (rows, seconds), for metrics

    async def durable(self) -> None:
        """Return once every change the venue has made so far is durable."""
        if self._failure is not None:
            raise errors.ServiceUnavailable()
        if self.venue.has_changes():
            if self._next is None:
                self._next = asyncio.get_running_loop().create_future()
            waiter = self._next
            if not self._writing:
                self._writing = True
                asyncio.get_running_loop().create_task(self._write_loop())
        elif self._in_flight is not None:
            waiter = self._in_flight
        else:
            return
        await asyncio.shield(waiter)

    def _cut(self) -> tuple[Batch, list[Event]]:
        changes = self.venue.take_changes()
        venue = self.venue
        batch = Batch(
            rfqs=[(i, encode(venue.rfqs[i])) for i in changes.rfqs],
            quotes=[(i, encode(venue.quotes[i])) for i in changes.quotes],
            trades=[(i, encode(venue.trades[i])) for i in changes.trades],
            makers=[(code, encode(venue.makers[code])) for code in changes.makers],
        )
        return batch, venue.take_events()

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._next is not None:
                (batch, events), self._in_flight, self._next = self._cut(), self._next, None
                started = loop.time()
                try:
                    await loop.run_in_executor(self._executor, self.store.write, batch)
                except BaseException as e:  # a store that cannot write must not acknowledge anything again
                    log.critical("store write failed; refusing further requests", exc_info=e)
                    self._failure = e
                    self._in_flight.set_exception(errors.ServiceUnavailable())
                    if self._next is not None:
                        self._next.set_exception(errors.ServiceUnavailable())
                        self._next = None
                    return
                self.batches += 1
                if self.on_commit is not None:
                    self.on_commit(len(batch), loop.time() - started)
                self._in_flight.set_result(None)
                self._in_flight = None
                for listener in self.listeners:
                    try:
                        listener(events)
                    except Exception:  # a broken listener must not stop commits
                        log.exception("event listener failed")
        finally:
            self._writing = False

    async def close(self) -> None:
        await self.durable()
        self._executor.shutdown(wait=True)
        self.store.close()
