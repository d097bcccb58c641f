"""The venue's state as a whole: ``POST /openrfq/v1/reset`` and the snapshots (``/openrfq/v1/snapshots``).

A reset forgets every RFQ, quote, trade, maker setting (MMP included), timer and rate-limit window, durably; ids
start at 1 again; accounts, config, fault rules and venue time stay. A snapshot copies the venue's stored rows
(and, on a virtual clock, its time); a restore puts them back in one transaction, durable before the answer, and
rebuilds the venue from them. Open WebSocket sessions stay open and logged in through both (docs: README).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from openrfq.api.params import Params
from openrfq.domain import errors
from openrfq.domain.clock import ManualClock
from openrfq.services import Services
from openrfq.store.base import Batch

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CLOCK_KEY = "clock_ms"  # the meta row of a virtual clock's time


class Saved(msgspec.Struct):
    """What a snapshot keeps besides the rows."""

    created_ms: int
    clock_ms: int | None  # the venue time it was taken at, on a virtual clock
    rfqs: int
    quotes: int
    trades: int


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Saved).decode


async def reset(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    store = await svc.committer.pause()
    try:
        # The rows go first, durably, before the venue forgets: the store answers for what memory no longer holds,
        # so nothing of the old venue may be left there once the new one runs.
        store.write(Batch(wipe=True))
        svc.venue.reset()
        _started_over(svc)
    finally:
        svc.committer.resume()
    await svc.committer.durable()
    return [{"ts": str(svc.time.now_ms())}]


async def create(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        given = p.text("name") if p.has("name") else ""
    except errors.ParameterError:  # a list, an object, a fraction: refused below, in the control plane's words
        given = ""
    name = _name(given)
    now_ms = svc.time.now_ms()
    store = await svc.committer.pause()  # everything durable: the store counts it all
    try:
        saved = Saved(now_ms, now_ms if svc.time.virtual else None, *store.counts())
        taken = not store.save_snapshot(name, _encode(saved))
    finally:
        svc.committer.resume()
    if taken:
        raise errors.ControlConflict(
            problem=f"a snapshot named {name} exists: DELETE /openrfq/v1/snapshots/{name} first, or choose another name"
        )
    return [_view(name, saved)]


async def listing(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    return snapshot_views(svc)


def snapshot_views(svc: Services) -> list[dict[str, Any]]:
    """The snapshots as GET /openrfq/v1/snapshots lists them (the admin feed sends the same)."""
    return [_view(name, _decode(body)) for name, body in svc.committer.store.snapshots()]


async def restore(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    (name,) = parts
    store = await svc.committer.pause()
    try:
        found = {n: _decode(b) for n, b in store.snapshots()}.get(name)
        if found is None:
            raise errors.ControlNotFound(path=f"snapshot {name}")
        clock = svc.clock
        meta = [(CLOCK_KEY, str(found.clock_ms))] if found.clock_ms is not None and svc.time.virtual else []
        store.restore_snapshot(name, meta)
        rows = store.load_live()
        svc.venue.reset()
        svc.venue.restore(rows.rfqs, rows.quotes, rows.trades, rows.makers, rows.counters)
        if meta and isinstance(clock, ManualClock) and found.clock_ms is not None:
            clock.jump(found.clock_ms)
        _started_over(svc)
    finally:
        svc.committer.resume()
    return [{**_view(name, found), "ts": str(svc.time.now_ms())}]


async def delete(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    (name,) = parts
    store = await svc.committer.pause()
    try:
        gone = store.delete_snapshot(name)
    finally:
        svc.committer.resume()
    if not gone:
        raise errors.ControlNotFound(path=f"snapshot {name}")
    return [{"name": name}]


def _started_over(svc: Services) -> None:
    """What holds state beside the engine forgets it too: rate-limit windows and whatever registered."""
    svc.limiter.clear()
    svc.auth.forget_failures()
    for hook in svc.on_reset:
        hook()


def _name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise errors.ControlBadRequest(
            problem='name a snapshot with 1-64 letters, digits, "_", "." or "-", e.g. {"name": "before-expiry"}'
        )
    return name


def _view(name: str, saved: Saved) -> dict[str, Any]:
    return {
        "name": name,
        "cTime": str(saved.created_ms),
        "clockTs": "" if saved.clock_ms is None else str(saved.clock_ms),
        "rfqs": str(saved.rfqs),
        "quotes": str(saved.quotes),
        "trades": str(saved.trades),
    }
