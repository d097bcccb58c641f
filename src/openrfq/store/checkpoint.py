"""SQLite's checkpoints (the WAL's pages copied into the database) on a thread of their own, off the event loop.

Left to itself, SQLite checkpoints on the connection whose commit took the WAL past 1,000 pages: the store's,
on the event loop. With ``synchronous=NORMAL`` a checkpoint syncs the WAL, writes the pages and syncs the
database: under load, about 8 ms every quarter of a second with the loop blocked on the disk, 3% of its time
(bench/README.md). So the store's connection checkpoints only past ``BACKSTOP`` pages, and the store asks here
once it has applied ``EVERY_ROWS`` rows: this thread checkpoints (PASSIVE: writers go on meanwhile, and what a
commit adds during it waits for the next one) on a connection of its own, with the GIL released while SQLite
works. Durability does not rest on it: the commit log holds every batch until the WAL is synced (store/sqlite.py).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("openrfq.store")

EVERY_ROWS = 4096  # rows applied between two checkpoints: under load the WAL's file stays at 4-8 MiB (bench/README.md)
BACKSTOP = 4000  # pages: the store's own connection checkpoints past this (this thread fell behind, or failed)


class Checkpointer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = 0  # checkpoints run, for tests
        self._rows = 0  # applied since the last checkpoint was asked for
        self._wake = threading.Condition()
        self._due = self._stop = False
        self._thread: threading.Thread | None = None  # started at the first request: an idle venue has none

    def applied(self, rows: int) -> None:
        """``rows`` rows committed to SQLite: a checkpoint once enough have been."""
        self._rows += rows
        if self._rows < EVERY_ROWS:
            return
        self._rows = 0
        with self._wake:
            self._due = True
            self._wake.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="openrfq-checkpoint", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as e:
            log.warning("checkpoints: cannot open the database: %s", e)
            return
        try:
            while True:
                with self._wake:
                    while not (self._due or self._stop):
                        self._wake.wait()
                    if self._stop:
                        return
                    self._due = False
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.done += 1
                except sqlite3.Error as e:  # the store's connection checkpoints past BACKSTOP meanwhile
                    log.warning("checkpoint failed: %s", e)
        finally:
            db.close()

    def close(self) -> None:
        """The thread stopped, its connection closed (before the store's: the last to close checkpoints)."""
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
