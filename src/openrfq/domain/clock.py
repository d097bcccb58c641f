"""The one source of time: every timestamp and timer reads a Clock, so tests control time."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> int:
        if ms < 0:
            raise ValueError(f"time cannot go backwards: advance was {ms} ms")
        self._now += ms
        return self._now

    def set(self, now_ms: int) -> None:
        if now_ms < self._now:
            raise ValueError(f"time cannot go backwards: {now_ms} < {self._now}")
        self._now = now_ms

    def jump(self, now_ms: int) -> None:
        """To any time, backwards too: a restored snapshot's (nothing else ever moves venue time back)."""
        self._now = now_ms
