"""Waiting in venue time: on a virtual clock, advancing fires every due timer in order, each at its own due time,
and lets what it woke run before the next step; on the system clock, waits are the event loop's."""

from __future__ import annotations

import asyncio

import pytest

from openrfq.domain.clock import ManualClock, SystemClock
from openrfq.venue_time import VenueTime

START = 1_000_000


async def test_virtual_timers_fire_in_due_order_each_at_its_due_time() -> None:
    time = VenueTime(ManualClock(START))
    seen: list[tuple[str, int]] = []
    for name, due in (("c", 300), ("a", 100), ("b", 200), ("late", 10_000)):

        def record(name: str = name) -> None:
            seen.append((name, time.now_ms() - START))

        time.call_at(START + due, record)

    await time.advance_to(START + 250)

    assert seen == [("a", 100), ("b", 200)]
    assert time.now_ms() == START + 250


async def test_a_cancelled_timer_does_not_fire() -> None:
    time = VenueTime(ManualClock(START))
    fired: list[int] = []
    timer = time.call_later(10, lambda: fired.append(1))

    timer.cancel()
    await time.advance_to(START + 20)

    assert fired == []


async def test_sleepers_wake_in_order_and_finish_their_work_before_the_next_step() -> None:
    time = VenueTime(ManualClock(START))
    log: list[str] = []

    async def requoter(name: str, every_ms: int) -> None:
        while True:
            await time.sleep(every_ms)
            log.append(f"{name} woke at {time.now_ms() - START}")
            await asyncio.sleep(0.01)  # real I/O meanwhile (a REST call): the step waits for it
            log.append(f"{name} done at {time.now_ms() - START}")

    tasks = [asyncio.create_task(requoter("x", 30)), asyncio.create_task(requoter("y", 45))]
    await asyncio.sleep(0)  # both asleep

    await time.advance_to(START + 90)
    for task in tasks:
        task.cancel()

    assert log[:6] == ["x woke at 30", "x done at 30", "y woke at 45", "y done at 45", "x woke at 60", "x done at 60"]
    # Both due at 90 wake in the order they went to sleep (y at 45, x at 60), and both finish before it returns.
    assert log[6:8] == ["y woke at 90", "x woke at 90"]
    assert sorted(log[8:]) == ["x done at 90", "y done at 90"]


async def test_each_step_runs_the_step_hook_after_its_timers() -> None:
    time = VenueTime(ManualClock(START))
    seen: list[int] = []
    time.call_at(START + 5, lambda: seen.append(-1))

    async def hook() -> None:
        seen.append(time.now_ms() - START)

    await time.advance_to(START + 7, hook)

    assert seen == [-1, 5, 7]


async def test_the_system_clock_cannot_be_advanced_and_waits_on_the_loop() -> None:
    time = VenueTime(SystemClock())
    fired = asyncio.Event()
    time.call_later(10, fired.set)

    await asyncio.wait_for(fired.wait(), 2)
    with pytest.raises(RuntimeError):
        await time.advance_to(time.now_ms() + 1000)
    assert not time.virtual


async def test_a_sleep_ends_early_when_its_interrupt_is_set_and_on_time_otherwise() -> None:
    time = VenueTime(ManualClock(START))
    interrupt = asyncio.Event()
    woke: list[int] = []

    async def sleeper() -> None:
        await time.sleep_until(START + 1000, interrupt)
        woke.append(time.now_ms() - START)
        interrupt.clear()
        await time.sleep_until(START + 2000, interrupt)
        woke.append(time.now_ms() - START)

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    await time.advance_to(START + 10)
    interrupt.set()
    await asyncio.sleep(0.01)
    assert woke == [10]  # the interrupt, before its due time

    await time.advance_to(START + 2000)  # the second sleep is not interrupted: it wakes on time

    assert woke == [10, 2000]
    assert task.done()
