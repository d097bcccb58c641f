"""OKX's per-endpoint rate limits: sliding windows keyed by (User ID or client IP, endpoint, window).

A request over any of its endpoint's limits is refused (50011, HTTP 429) and recorded in none of them, so a
refused request never eats into the caller's allowance. Time comes from the venue's clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from openrfq.domain import errors
from openrfq.domain.clock import Clock


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_ms: int


class RateLimiter:
    def __init__(self, clock: Clock, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self._windows: dict[tuple[str, str, int], deque[int]] = {}

    def check(self, who: str, endpoint: str, limits: tuple[Limit, ...]) -> None:
        if not self.enabled or not limits:
            return
        now = self.clock.now_ms()
        windows = []
        for limit in limits:
            window = self._windows.get((who, endpoint, limit.window_ms))
            if window is None:
                window = self._windows[(who, endpoint, limit.window_ms)] = deque(maxlen=limit.count)
            while window and window[0] <= now - limit.window_ms:
                window.popleft()
            if len(window) >= limit.count:
                raise errors.RateLimitReached()
            windows.append(window)
        for window in windows:
            window.append(now)
