"""SQLite's share of a commit (the rows of batches already durable in the commit log, the keys of ended
entities) done on a thread of the store's, at the lowest CPU priority, not on the event loop.

A transaction of many batches takes 0.3-0.6 ms, one that writes the keys of a thousand ended entities 4-8 ms:
on the loop, every request that arrived meanwhile waited that long (bench/README.md, the tenth step). Here the
loop goes on; SQLite's C code runs with the GIL released, and the loop's thread, at a higher priority, has the
core whenever it has work. Jobs run one at a time, in the order given; a caller that needs them all done (a read
of the store's own connection, a rewind of the log, a control-plane operation) ``drain``s first. At most
``BACKLOG`` jobs wait: beyond that ``submit`` waits too, so a saturated loop cannot leave SQLite ever further
behind. The first failure stops the jobs and is raised by every later call: a store that cannot write must not
acknowledge anything again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger("openrfq.store")

BACKLOG = 2  # jobs waiting, at most, before submit waits for the oldest
Told = Callable[[BaseException | None], None]


class Applier:
    def __init__(self) -> None:
        # In order: a job to run, or a callback to tell once the jobs before it are done (``when_done``).
        self._queue: deque[tuple[Callable[[], None], None] | tuple[None, Told]] = deque()
        self._cv = threading.Condition()
        self._running = False  # a job is being run (taken off the queue)
        self._stop = False
        self.failure: BaseException | None = None
        self._thread: threading.Thread | None = None  # started at the first job: a venue that never writes has none

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` on the thread, after every job given before it."""
        with self._cv:
            while self._waiting() >= BACKLOG and self.failure is None:
                self._cv.wait()
            self._raise_failure()
            self._queue.append((job, None))
            self._cv.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="openrfq-apply", daemon=True)
                self._thread.start()

    def when_done(self, told: Told) -> None:
        """``told(None)`` on the thread once every job given so far is done (at once, here, if none waits), or
        ``told(failure)`` if one failed."""
        with self._cv:
            if self.failure is None and (self._queue or self._running):
                self._queue.append((None, told))
                return
        _tell(told, self.failure)

    def drain(self) -> None:
        """Return once every job given so far is done; raise the failure if one failed."""
        with self._cv:
            while (self._queue or self._running) and self.failure is None:
                self._cv.wait()
            self._raise_failure()

    def close(self) -> None:
        """The thread stopped, once the jobs given so far are done (or one failed)."""
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _waiting(self) -> int:
        return sum(1 for job, _ in self._queue if job is not None)

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # the loop's thread has the core whenever it wants it
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait()
                if not self._queue:
                    return
                job, told = self._queue.popleft()
                self._running = job is not None
                self._cv.notify_all()  # one fewer waits: a caller held back by BACKLOG may go on
            if told is not None:
                _tell(told, None)
                continue
            assert job is not None
            try:
                job()
            except BaseException as e:  # raised by every later call, told to every waiter
                log.critical("SQLite could not apply the commit log's batches", exc_info=e)
                with self._cv:
                    self.failure = e
                    waiting = [t for _, t in self._queue if t is not None]
                    self._queue.clear()
                for t in waiting:
                    _tell(t, e)
            finally:
                with self._cv:
                    self._running = False
                    self._cv.notify_all()


def _tell(told: Told, failure: BaseException | None) -> None:
    try:
        told(failure)
    except Exception:  # a closed loop at shutdown, ...: the next job must still run
        log.exception("a store callback failed")
