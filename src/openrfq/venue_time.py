"""Waiting in venue time: everything that happens after a delay (expiries, block-ticker pushes, idle WebSocket
closes, the LP bots' re-quotes) waits here, on the venue's clock, not on the event loop's.

On the system clock a wait is the event loop's timer. On a ``ManualClock`` (a test's, or a virtual venue clock)
time stands still until ``advance_to`` moves it: every timer due by then fires in due order, the clock set to
each one's due time first, and after each step the tasks it woke run until they wait again (on this, or not at
all) before the next step. So "advance two minutes" sees an RFQ expire, its pushes sent and a bot re-quote, in
the order they would have happened, in no wall time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from openrfq.domain.clock import Clock, ManualClock

log = logging.getLogger("openrfq.time")

SETTLE_TIMEOUT_S = 10.0  # a woken task that neither waits again nor ends within this is reported, not awaited


@dataclass(eq=False, slots=True)
class Timer:
    """A scheduled callback; ``cancel()`` keeps it from running."""

    due_ms: int
    callback: Callable[[], None]
    cancelled: bool = False
    _handle: asyncio.TimerHandle | None = field(default=None, repr=False)

    def cancel(self) -> None:
        self.cancelled = True
        if self._handle is not None:
            self._handle.cancel()


class VenueTime:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[int, int, Timer]] = []  # virtual time only
        self._seq = itertools.count()
        self._awake: set[asyncio.Task[object]] = set()  # tasks woken by advance_to that have not waited again
        self._settled = asyncio.Event()
        self._advancing = asyncio.Lock()  # one advance at a time: two would interleave their steps

    @property
    def virtual(self) -> bool:
        """Whether time moves only through ``advance_to`` (a ManualClock)."""
        return isinstance(self.clock, ManualClock)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    @property
    def pending(self) -> int:
        """Timers waiting for a virtual clock to reach them (0 on the system clock)."""
        return sum(1 for _, _, timer in self._heap if not timer.cancelled)

    def call_at(self, due_ms: int, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` (synchronous, on the loop) once venue time reaches ``due_ms``."""
        timer = Timer(due_ms, callback)
        if self.virtual:
            heapq.heappush(self._heap, (due_ms, next(self._seq), timer))
        else:
            delay_s = max(0, due_ms - self.clock.now_ms()) / 1000
            timer._handle = asyncio.get_running_loop().call_later(delay_s, self._run, timer)
        return timer

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.clock.now_ms() + delay_ms, callback)

    async def sleep_until(self, due_ms: int, interrupt: asyncio.Event | None = None) -> None:
        """Until venue time reaches ``due_ms``, or until ``interrupt`` is set (an early wake-up: a task woken so is
        not one that ``advance_to`` waits for)."""
        task = asyncio.current_task()
        self._discard(task)  # waiting again: what woke it has settled
        if due_ms <= self.clock.now_ms() or (interrupt is not None and interrupt.is_set()):
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[bool] = asyncio.get_running_loop().create_future()  # True: by time

        def wake(by_time: bool = True) -> None:
            if not woken.done():
                woken.set_result(by_time)

        timer = self.call_at(due_ms, wake)
        watcher = None
        if interrupt is not None:
            watcher = asyncio.ensure_future(interrupt.wait())
            watcher.add_done_callback(lambda _: wake(False))
        try:
            by_time = await woken
        finally:
            timer.cancel()
            if watcher is not None:
                watcher.cancel()
        if by_time and self.virtual and task is not None and not task.done():
            self._awake.add(task)  # running on the time advance_to gave it, until it waits again or ends
            self._settled.clear()
            task.add_done_callback(self._discard)

    async def sleep(self, ms: float) -> None:
        await self.sleep_until(self.clock.now_ms() + int(ms))

    async def advance_to(self, target_ms: int, on_step: Callable[[], object] | None = None) -> None:
        """Virtual time only: fire every timer due by ``target_ms`` in due order, then stop the clock there.

        ``on_step`` (a coroutine function or a plain one) runs after each step's timers: e.g. to fire the engine's
        own due timers and make them durable."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise RuntimeError("venue time is the system clock: it cannot be advanced")
        async with self._advancing:
            await self._advance(clock, target_ms, on_step)

    async def _advance(self, clock: ManualClock, target_ms: int, on_step: Callable[[], object] | None) -> None:
        while self._heap and self._heap[0][0] <= target_ms:
            due = self._heap[0][0]
            clock.set(max(due, clock.now_ms()))
            while self._heap and self._heap[0][0] <= due:
                self._run(heapq.heappop(self._heap)[2])
            await self._step(on_step)
        clock.set(max(target_ms, clock.now_ms()))
        await self._step(on_step)

    async def _step(self, on_step: Callable[[], object] | None) -> None:
        await asyncio.sleep(0)  # woken sleepers resume and mark themselves awake
        if on_step is not None:
            result = on_step()
            if asyncio.iscoroutine(result):
                await result
        await self._settle()

    async def _settle(self) -> None:
        if not self._awake:
            return
        try:
            await asyncio.wait_for(self._settled.wait(), SETTLE_TIMEOUT_S)
        except TimeoutError:
            log.warning("tasks woken by advancing venue time did not wait again", extra={"tasks": len(self._awake)})
            self._awake.clear()

    def _discard(self, task: object) -> None:
        if task in self._awake:
            self._awake.discard(task)
            if not self._awake:
                self._settled.set()

    def _run(self, timer: Timer) -> None:
        if timer.cancelled:
            return
        try:
            timer.callback()
        except Exception:  # one failing timer must not stop time
            log.exception("timer callback failed")
