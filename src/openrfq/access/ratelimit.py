"""OKX's per-endpoint rate limits: sliding windows keyed by (User ID or client IP, method, path, window).

A request over any of its endpoint's limits is refused (50011, HTTP 429) and recorded in none of them, so a
refused request never eats into the caller's allowance. Time comes from the venue's clock.

Windows whose last request is older than their length hold nothing and are dropped (at most once a second, in
one sweep), so memory follows the callers active in the last window, not every key ever seen.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from openrfq.domain import errors
from openrfq.domain.clock import Clock

SWEEP_EVERY_MS = 1000

_Key = tuple[str, str, str, int]


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_ms: int


class RateLimiter:
    def __init__(self, clock: Clock, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self._windows: dict[_Key, deque[int]] = {}
        self._swept_at = 0

    def __len__(self) -> int:
        """Windows held (for tests and metrics)."""
        return len(self._windows)

    def check(self, who: str, method: str, path: str, limits: tuple[Limit, ...]) -> None:
        """Count one request of ``who`` on the endpoint, or refuse it (50011) if any of its limits is reached."""
        if not self.enabled or not limits:
            return
        now = self.clock.now_ms()
        if now - self._swept_at >= SWEEP_EVERY_MS:
            self._sweep(now)
        windows = []
        for limit in limits:
            window = self._window((who, method, path, limit.window_ms), limit, now)
            if len(window) >= limit.count:
                raise errors.RateLimitReached()
            windows.append(window)
        for window in windows:
            window.append(now)

    def exceeded(self, who: str, kind: str, limit: Limit) -> bool:
        """Whether ``who`` has used up ``limit`` of ``kind`` events (nothing is counted: see ``record``)."""
        if not self._windows:  # the common case, asked on every signed request: nothing counted at all
            return False
        window = self._windows.get((who, kind, "", limit.window_ms))
        if window is None:
            return False
        now = self.clock.now_ms()
        while window and window[0] <= now - limit.window_ms:
            window.popleft()
        return len(window) >= limit.count

    def record(self, who: str, kind: str, limit: Limit) -> None:
        """Count one ``kind`` event of ``who`` (e.g. an authentication failure)."""
        now = self.clock.now_ms()
        if now - self._swept_at >= SWEEP_EVERY_MS:
            self._sweep(now)
        self._window((who, kind, "", limit.window_ms), limit, now).append(now)

    def _window(self, key: _Key, limit: Limit, now: int) -> deque[int]:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque(maxlen=limit.count)
        while window and window[0] <= now - limit.window_ms:
            window.popleft()
        return window

    def _sweep(self, now: int) -> None:
        self._swept_at = now
        stale = [key for key, window in self._windows.items() if not window or window[-1] <= now - key[3]]
        for key in stale:
            del self._windows[key]

    def clear(self) -> None:
        """Every window gone (the control plane's reset)."""
        self._windows.clear()
