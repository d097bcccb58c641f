"""The engine's timer queue: what comes due when (an RFQ's or a quote's expiry, a maker's Cancel All After).

A timer is ``(due ms, kind, key)`` in a min-heap, so timers pop in due order, and timers due at the same
millisecond in the order of their kinds (an RFQ's expiry before a quote's: the RFQ's ends its quotes first),
then of their keys (ids are increasing: the oldest first). Timers are never taken out: when one pops, the venue
checks that what it was armed for still holds (the quote is still live and still valid until then; the
countdown was not reset), so cancelling or re-arming costs nothing here. Time is the venue clock's; the queue
only compares numbers.
"""

from __future__ import annotations

import heapq
from enum import IntEnum


class TimerKind(IntEnum):
    """What a timer is for; the value orders timers due at the same millisecond."""

    RFQ_EXPIRY = 0  # key: the RFQ id
    QUOTE_EXPIRY = 1  # key: the quote id
    CANCEL_ALL_AFTER = 2  # key: the maker's trader code


Timer = tuple[int, TimerKind, int | str]  # (due ms, kind, id or trader code)


class Timers:
    def __init__(self) -> None:
        self._heap: list[Timer] = []

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, due_ms: int, kind: TimerKind, key: int | str) -> None:
        heapq.heappush(self._heap, (due_ms, kind, key))

    def next_due(self) -> int | None:
        """When the earliest timer comes due, if any."""
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int) -> Timer | None:
        """The earliest timer due at or before ``now_ms``, taken out of the queue; None when none is due."""
        heap = self._heap
        if heap and heap[0][0] <= now_ms:
            return heapq.heappop(heap)
        return None
