"""Venue time: ``GET /openrfq/v1/clock``, ``POST /openrfq/v1/clock/advance`` and ``/clock/set``.

On a virtual clock an advance answers once every timer due by the new time has fired, in due order and each at
its own due time: the engine's (RFQ and quote expiries, Cancel All After), the hub's (public-data delay, block
tickers) and the LP bots' re-quotes, each step made durable and its pushes queued before the next.
"""

from __future__ import annotations

from typing import Any

from openrfq.api.params import Params
from openrfq.control.state import CLOCK_KEY
from openrfq.domain import errors
from openrfq.services import Services

MAX_ADVANCE_MS = 366 * 24 * 3600 * 1000  # a year at a time: a typo of a few zeros should not spin for hours


async def clock(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"mode": "virtual" if svc.time.virtual else "real", "ts": str(svc.time.now_ms())}]


async def advance(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    ms = _whole(p, "ms", 'advance by a whole number of milliseconds, e.g. {"ms": 60000}')
    if ms > MAX_ADVANCE_MS:
        raise errors.ControlBadRequest(problem=f"ms may be at most {MAX_ADVANCE_MS} (a year) per call")
    return await _advance_to(svc, svc.time.now_ms() + ms)


async def set_time(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    ts = _whole(p, "ts", 'set the venue time in ms since the epoch, e.g. {"ts": "1767225600000"}')
    now = svc.time.now_ms()
    if ts < now:
        raise errors.ControlBadRequest(problem=f"venue time only moves forward: ts {ts} is before now ({now})")
    if ts - now > MAX_ADVANCE_MS:
        raise errors.ControlBadRequest(problem=f"ts may be at most {MAX_ADVANCE_MS} ms (a year) after now ({now})")
    return await _advance_to(svc, ts)


async def _advance_to(svc: Services, target: int) -> list[dict[str, Any]]:
    if not svc.time.virtual:
        raise errors.ControlConflict(
            problem="the venue clock is real and cannot be moved: start the venue with --clock virtual"
        )

    async def step() -> None:  # what came due at this moment fires, and is durable, before time moves on
        svc.venue.advance()
        if svc.venue.has_changes():  # with the time it happened at: a restart resumes no earlier
            svc.committer.set_meta(CLOCK_KEY, str(svc.time.now_ms()))
        await svc.committer.durable()

    await svc.time.advance_to(target, step)
    svc.committer.set_meta(CLOCK_KEY, str(svc.time.now_ms()))
    await svc.committer.durable()
    return [{"ts": str(svc.time.now_ms())}]


def _whole(p: Params, name: str, hint: str) -> int:
    try:
        value = p.integer(name, -1) if p.has(name) else -1
    except errors.OkxError:
        value = -1
    if value < 0:
        raise errors.ControlBadRequest(problem=f"{name} is missing or not a whole number >= 0: {hint}")
    return value
