"""Short full collections for a long-running venue.

The venue keeps its whole history in memory. The entities themselves are not tracked by the cyclic GC
(domain/models.py), but the indexes that grow with them are: a list of ids per RFQ and per client id, so about
one tracked object per quote (four before the entities left the collector's sight). CPython runs a full
collection whenever the objects that survived into the oldest generation have grown by a quarter, and that
collection walks all of them: about 0.3 us per object here, so a million quotes created since start-up would
cost a pause of a third of a second, and it only grows.

So the history goes where the collector does not look. When a venue starts serving, what is alive (modules,
the loaded venue) is frozen (``gc.freeze``); afterwards, once a full collection leaves at least
``FREEZE_AFTER`` objects in the oldest generation, everything alive is frozen again, and later full
collections walk only what was created since (15-25 ms under load at 50,000). The price: an object alive at a
freeze that later becomes garbage *in a reference cycle* is not collected. Venue history never becomes
garbage; what can is the cyclic structure of a connection or request open at that moment, and each object is
frozen at most once, so what this keeps is bounded by what happened to be open at the freezes (measured: a few
hundred objects over 40 connections and twenty freezes).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any

FREEZE_AFTER = 50_000  # objects left in the oldest generation by a full collection


def keep_full_collections_short(
    loop: asyncio.AbstractEventLoop, freeze_after: int = FREEZE_AFTER
) -> Callable[[], None]:
    """Freeze what is alive now and keep freezing the history as it grows; returns the function that undoes
    both (for a venue that stops serving in a process that goes on, as in tests)."""

    def after_full_collection() -> None:
        if len(gc.get_objects(generation=2)) >= freeze_after:
            gc.freeze()

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        # Freeze on the loop right after the collection, not from inside the collector (nor its thread).
        if phase == "stop" and info["generation"] == 2:
            try:
                loop.call_soon_threadsafe(after_full_collection)
            except RuntimeError:  # the loop is closed: nothing is served any more
                pass

    gc.collect()  # what start-up left as garbage is not kept
    gc.freeze()
    gc.callbacks.append(on_gc)

    def undo() -> None:
        gc.callbacks.remove(on_gc)
        gc.unfreeze()

    return undo
