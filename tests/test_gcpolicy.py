"""A serving venue keeps its history out of the cyclic GC's sight, so full collections stay short however long
it runs, while garbage made after a freeze is still collected and undoing the policy restores the collector."""

from __future__ import annotations

import asyncio
import gc
import socket
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from openrfq.gcpolicy import YOUNG_THRESHOLD, keep_full_collections_short, loading
from openrfq.runtime import build_app
from openrfq.serving import VenueServer, running
from samples import make_config


class _Node:
    """A tracked object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def _history(n: int) -> list[list[int]]:
    return [[i] for i in range(n)]  # n long-lived, tracked objects, as a venue's quotes are


async def _full_collection() -> None:
    gc.collect()
    await asyncio.sleep(0)  # the freeze runs on the loop, right after the collection


async def test_history_is_frozen_once_a_full_collection_leaves_enough_of_it() -> None:
    undo = keep_full_collections_short(asyncio.get_running_loop(), freeze_after=5_000)
    try:
        start_frozen = gc.get_freeze_count()
        small = _history(1_000)
        await _full_collection()
        assert gc.get_freeze_count() < start_frozen + 1_000  # below the threshold: left where it was

        large = _history(10_000)
        await _full_collection()
        assert gc.get_freeze_count() >= start_frozen + 10_000  # (frozen objects that die leave the count)
        assert len(gc.get_objects(generation=2)) < 1_000  # the next full collection walks almost nothing
        assert small[999] == [999] and large[9_999] == [9_999]
    finally:
        undo()


async def test_cycles_made_after_a_freeze_are_still_collected_and_undo_restores_the_collector() -> None:
    callbacks, thresholds = list(gc.callbacks), gc.get_threshold()
    undo = keep_full_collections_short(asyncio.get_running_loop(), freeze_after=1_000)
    try:
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *thresholds[1:])  # serving: fewer young collections
        history = _history(5_000)
        await _full_collection()
        assert gc.get_freeze_count() > 0

        refs = []
        for _ in range(500):
            a, b = _Node(), _Node()
            a.other, b.other = b, a
            refs.append(weakref.ref(a))
        del a, b
        gc.collect()
        assert [r for r in refs if r() is not None] == []
    finally:
        undo()
    assert gc.get_freeze_count() == 0
    assert gc.callbacks == callbacks and gc.get_threshold() == thresholds
    assert len(history) == 5_000


def test_loading_a_large_history_keeps_the_collector_off_then_freezes_what_was_loaded() -> None:
    gc.enable()
    try:
        with loading(freeze_from=1_000) as load:
            collector_on_while_loading = gc.isenabled()
            history = _history(2_000)
            load.entities = len(history)

        assert not collector_on_while_loading
        assert gc.isenabled()
        assert gc.get_freeze_count() >= 2_000
    finally:
        gc.unfreeze()


def test_loading_a_small_history_leaves_it_to_the_collector() -> None:
    before = gc.get_freeze_count()

    with loading(freeze_from=1_000) as load:
        load.entities = 999

    assert gc.get_freeze_count() == before
    assert gc.isenabled()


async def test_a_serving_venue_freezes_at_start_and_as_its_history_grows(tmp_path: Path) -> None:
    app = build_app(make_config(), tmp_path)
    async with running(app, make_config()):
        assert gc.get_freeze_count() > 0  # start-up: modules, the app, the loaded venue
        at_start = gc.get_freeze_count()
        history = _history(60_000)  # more than FREEZE_AFTER
        await _full_collection()
        assert gc.get_freeze_count() >= at_start + 59_000
    assert gc.get_freeze_count() == 0  # a process that goes on after serving gets its collector back
    assert len(history) == 60_000


async def test_the_start_up_collection_is_over_before_the_venue_listens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It walks everything start-up made (tens of ms): a request sent as soon as the venue answers must not wait on it.
    frozen_when_listening: list[int] = []
    startup = VenueServer.startup

    async def listening(self: VenueServer, sockets: list[socket.socket] | None = None) -> None:
        frozen_when_listening.append(gc.get_freeze_count())
        await startup(self, sockets)

    monkeypatch.setattr(VenueServer, "startup", listening)
    app = build_app(make_config(), tmp_path)
    async with running(app, make_config()):
        pass
    assert frozen_when_listening[0] > 0  # collected and frozen before the first socket listens


def test_a_venue_that_cannot_start_gives_the_collector_back(tmp_path: Path) -> None:
    # The port is taken: uvicorn exits the process (SystemExit), here after the policy was put in place. A process
    # that goes on (one that embeds the venue) gets its collector back.
    script = f"""
import asyncio, gc, socket, sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).parent)!r})
from openrfq.gcpolicy import YOUNG_THRESHOLD
from openrfq.runtime import build_app
from openrfq.serving import running
from samples import make_config

async def main(port):
    async with running(build_app(make_config(), Path({str(tmp_path)!r})), make_config(), port=port):
        pass

with socket.socket() as taken:
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        asyncio.run(main(taken.getsockname()[1]))
    except (OSError, SystemExit):
        print(gc.get_freeze_count(), gc.get_threshold()[0] == YOUNG_THRESHOLD)  # frozen objects, serving thresholds
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["0", "False"], out.stdout + out.stderr
