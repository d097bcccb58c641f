"""The storage interface: rows of encoded entities, written a batch per transaction, and read back two ways: the
live ones at start-up (``load_live``: what rebuilds the venue), the rest on demand (``History``, the engine's
read interface: engine/history.py).

Entities are stored whole (one row per RFQ, quote and block trade, keyed by id) and rewritten when they change;
an ended one is found by its keys (store/codec.py). A batch is everything a group of commands changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

from openrfq.domain.ids import BlockTradeId, QuoteId, RfqId
from openrfq.domain.makers import Maker
from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.engine.history import Counters, History


class StoreError(Exception):
    """The stored venue cannot be opened or read (in use, damaged, unreadable): said in one line, never guessed
    around. ``openrfq serve`` prints it as ``openrfq: <message>`` and exits 1."""


class DataDirInUse(StoreError):
    def __init__(self, directory: Path, pid: int | None) -> None:
        holder = f" (pid {pid})" if pid is not None else ""
        super().__init__(f"data directory {directory} is in use by another openrfq process{holder}")
        self.directory = directory
        self.pid = pid


class Indexed(NamedTuple):
    """Ended entities whose keys a batch writes: once it is durable, the store finds them (they may leave memory)."""

    rfqs: list[RfqId]
    quotes: list[QuoteId]
    trades: list[BlockTradeId]


@dataclass(slots=True)
class Batch:
    """Entity rows (id, body: a new row is held in memory, store/schema.py), and the keys of ended entities with
    the ids they index (those rows are then no longer in memory)."""

    rfqs: list[tuple[int, bytes]] = field(default_factory=list)
    quotes: list[tuple[int, bytes]] = field(default_factory=list)
    trades: list[tuple[int, bytes]] = field(default_factory=list)
    makers: list[tuple[str, bytes]] = field(default_factory=list)  # keyed by trader code
    rfq_keys: list[tuple[str, int]] = field(default_factory=list)  # (key, id): store/codec.py
    quote_keys: list[tuple[str, int]] = field(default_factory=list)
    trade_keys: list[tuple[str, int]] = field(default_factory=list)
    indexed: Indexed = field(default_factory=lambda: Indexed([], [], []))
    wipe: bool = False  # the venue was reset: every entity row goes first (the control plane's reset)
    meta: list[tuple[str, str]] = field(default_factory=list)  # e.g. a virtual clock's time
    faults: list[tuple[int, bytes | None]] = field(default_factory=list)  # the control plane's rules (None: gone)

    def __len__(self) -> int:
        return len(self.rfqs) + len(self.quotes) + len(self.trades) + len(self.makers)


@dataclass(slots=True)
class Snapshot:
    rfqs: list[Rfq]
    quotes: list[Quote]
    trades: list[BlockTrade]
    makers: list[Maker] = field(default_factory=list)
    counters: Counters | None = None  # the next ids, with a load of the live entities only


class Store(History, Protocol):
    def load(self) -> Snapshot:
        """Every stored entity; raises StoreError when a row cannot be read or decoded."""

    def load_live(self) -> Snapshot:
        """What start-up reads: the entities the venue held in memory (live, or ended without their keys yet),
        every maker's settings, and the id counters; raises StoreError when one of those rows cannot be read or
        decoded."""

    def counts(self) -> tuple[int, int, int]:
        """How many RFQs, quotes and block trades are stored."""

    def write(self, batch: Batch) -> None:
        """Write the whole batch in one transaction; return only once it is durable. Blocking."""

    def when_applied(self, told: Callable[[BaseException | None], None]) -> None:
        """``told(None)`` once the store can be read for everything written so far (the keys of ended entities:
        the venue lets those go then), from any thread; ``told(error)`` if it never can. A store read from
        what ``write`` wrote tells at once; SQLite lags its commit log (store/applier.py)."""

    def close(self) -> None: ...

    # The control plane's, called with no batch in flight (Committer.pause); each durable when it returns.
    def meta(self, key: str) -> str | None: ...

    def save_snapshot(self, name: str, body: bytes) -> bool:
        """Copy every entity row under ``name``; False (nothing done) if that name is taken."""

    def snapshots(self) -> list[tuple[str, bytes]]: ...

    def restore_snapshot(self, name: str, meta: list[tuple[str, str]]) -> bytes | None:
        """Replace every entity row by the snapshot's and write ``meta``, in one transaction; None if unknown."""

    def delete_snapshot(self, name: str) -> bool: ...

    def faults(self) -> list[tuple[int, bytes]]: ...


class Pending(NamedTuple):
    """What makes a batch just written durable, for the committer to have the kernel do: an fdatasync of ``fd``
    (``length`` 0: it covers every batch written before it too), or a write of ``length`` bytes at ``address``
    to ``fd`` (opened ``O_DIRECT | O_DSYNC``) at ``offset``, which covers that batch alone; ``buffer`` holds
    those bytes and must stay alive, untouched, until the write has completed."""

    fd: int
    length: int = 0
    address: int = 0
    offset: int = 0
    buffer: object = None


@runtime_checkable
class FileStore(Store, Protocol):
    """A store whose batches are durable once the kernel has done one operation (``Pending``): the committer may
    then write a batch on the event loop and have the kernel do it meanwhile (store/aio.py), not a thread."""

    def write_unsynced(self, batch: Batch, direct: bool = True) -> Pending:
        """Write the whole batch (or have it written directly, ``direct``), durable only once what it returns is
        done. Blocking."""

    def idle(self) -> None:
        """The committer has nothing to write or sync: work ``write_unsynced`` left for later may be done now."""
