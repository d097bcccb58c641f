"""The venue's policy towards CPython's cyclic garbage collector, in one place.

The venue keeps its whole history in memory, and it only grows. CPython runs a full collection whenever the
objects that survived into the oldest generation have grown by a quarter, and that collection walks every one
of them: left alone, the pause per full collection grows with everything the venue ever held. The policy keeps
the history out of the collector's sight, in three parts:

- The entities are not tracked at all: the domain's msgspec Structs (``domain/models.py``) are declared
  ``gc=False``. The flag has to stay on the Structs themselves, since ``domain/`` imports nothing outside it;
  ``models.py`` says why none of them can be part of a reference cycle. What is left tracked grows with the
  indexes over them (about one id list per quote), not with the entities.
- Loading (``loading``, used by ``runtime``): the collector is off while the stored history is read, since
  everything it allocates stays alive and a collection meanwhile would only cost; a large history is then
  frozen (``gc.freeze``: moved to a generation no collection walks), as it lives as long as the venue.
- Serving (``keep_full_collections_short``, used by ``serving``): what is alive when the venue starts serving
  is frozen; afterwards, once a full collection leaves at least ``FREEZE_AFTER`` objects in the oldest
  generation, everything alive is frozen again, so later full collections walk only what was created since.
  Young collections come every ``YOUNG_THRESHOLD`` tracked objects, not 700.

The price of freezing: an object alive at a freeze that later becomes garbage *in a reference cycle* is not
collected. Venue history never becomes garbage; what can is the cyclic structure of a connection or request
open at that moment, and each object is frozen at most once, so what this keeps is bounded by what happened to
be open at the freezes. bench/README.md has the measurements (pause lengths, what stays uncollected).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

FREEZE_AFTER = 50_000  # objects left in the oldest generation by a full collection
FREEZE_LOADED = 50_000  # stored entities from which a loaded history is frozen
# Allocations (less deallocations) of tracked objects between young collections, serving: most of a request's
# objects are gone before a collection looks at them, where CPython's 700 walked them every ~50 requests
# (bench/README.md: 1% of the create/cancel loop's CPU). A young collection is then a fraction of a ms.
YOUNG_THRESHOLD = 10_000


class Loading:
    """What a load reports to the policy: how many entities it kept."""

    def __init__(self) -> None:
        self.entities = 0


@contextmanager
def loading(freeze_from: int = FREEZE_LOADED) -> Iterator[Loading]:
    """Around loading the stored history: the collector off meanwhile, and what was loaded frozen at the end
    when the load kept at least ``freeze_from`` entities (set ``entities`` on what this yields)."""
    load = Loading()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield load
        if load.entities >= freeze_from:
            gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


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
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])

    def undo() -> None:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(on_gc)
        gc.unfreeze()

    return undo
