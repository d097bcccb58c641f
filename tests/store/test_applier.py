"""The store's applier thread (store/applier.py): jobs run one at a time in the order given, off the caller's
thread; ``when_done`` tells once the jobs before it are done; ``drain`` waits for them; the first failure stops
everything after it and is raised by every later call; a caller waits once BACKLOG jobs wait."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest

from openrfq.store.applier import BACKLOG, Applier, Told


def _held() -> tuple[threading.Event, Callable[[], None]]:
    """A job that holds the thread until the event is set."""
    gate = threading.Event()

    def job() -> None:
        gate.wait()

    return gate, job


def _told() -> tuple[list[BaseException | None], threading.Event, Told]:
    told: list[BaseException | None] = []
    done = threading.Event()

    def tell(failure: BaseException | None) -> None:
        told.append(failure)
        done.set()

    return told, done, tell


def test_jobs_run_in_order_on_another_thread_and_drain_waits_for_them() -> None:
    applier = Applier()
    ran: list[tuple[int, int]] = []
    gate, held = _held()
    applier.submit(held)  # holds the thread: what follows waits

    def record(i: int) -> None:
        ran.append((i, threading.get_ident()))

    for i in range(BACKLOG):
        applier.submit(partial(record, i))
    assert ran == []
    gate.set()
    applier.drain()
    assert [i for i, _ in ran] == list(range(BACKLOG))
    assert all(ident != threading.get_ident() for _, ident in ran)
    applier.close()


def test_when_done_tells_once_the_jobs_before_it_are_done_and_at_once_when_none_waits() -> None:
    applier = Applier()
    told, done, tell = _told()
    applier.when_done(tell)
    assert told == [None]  # nothing given: told here, at once

    gate, held = _held()
    applier.submit(held)
    told, done, tell = _told()
    applier.when_done(tell)
    assert not done.wait(0.05) and told == []
    gate.set()
    assert done.wait(5) and told == [None]
    applier.close()


def test_a_failure_is_told_to_every_waiter_and_raised_by_every_later_call() -> None:
    applier = Applier()
    gate = threading.Event()
    ran: list[str] = []

    def failing() -> None:
        gate.wait()
        raise OSError(28, "No space left on device")

    applier.submit(failing)
    told, done, tell = _told()
    applier.when_done(tell)
    gate.set()
    assert done.wait(5) and isinstance(told[0], OSError)
    with pytest.raises(OSError, match="No space"):
        applier.drain()
    with pytest.raises(OSError, match="No space"):
        applier.submit(lambda: ran.append("after"))
    told, done, tell = _told()
    applier.when_done(tell)
    assert isinstance(told[0], OSError)
    applier.close()
    assert ran == []


def test_a_caller_waits_once_backlog_jobs_wait() -> None:
    applier = Applier()
    gate, held = _held()
    applier.submit(held)  # running
    for _ in range(BACKLOG):
        applier.submit(lambda: None)  # waiting
    submitted = threading.Event()

    def submit() -> None:
        applier.submit(lambda: None)
        submitted.set()

    caller = threading.Thread(target=submit)
    caller.start()
    assert not submitted.wait(0.1)  # held back: SQLite may not fall ever further behind
    gate.set()
    assert submitted.wait(5)
    caller.join()
    applier.close()


def test_close_runs_what_was_given_then_stops_the_thread() -> None:
    applier = Applier()
    ran: list[int] = []
    gate, held = _held()
    applier.submit(held)
    applier.submit(lambda: ran.append(1))
    threading.Timer(0.05, gate.set).start()
    applier.close()
    assert ran == [1] and applier._thread is None
