"""Who leads: a session advisory lock in PostgreSQL, held on a connection of its own, and a fencing epoch.

Any number of ``openrfq serve`` processes may point at one store; the one holding the lock leads. PostgreSQL
drops a session's advisory locks when the session ends, so a leader killed (-9) or cut off loses the lock as
soon as its server notices: at once for a process that died (the kernel closes its socket), within a few
seconds for one that went silent (the TCP keep-alives set below). A standby then takes the lock and raises the
epoch in ``lease``.

The lock alone cannot stop an old leader that does not know it lost it (paused, partitioned) from committing
afterwards. The epoch does: every transaction the store writes first updates the ``lease`` row where the epoch
is still its own (store/postgres.py's ``FENCE``), and fails if it is not. That update and the new leader's
raise of the epoch take the same row lock, so each old-leader commit is ordered either before the raise (and
the new leader, which loads the state after it, sees it) or after (and fails, unacknowledged).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import Any

import psycopg

from openrfq.store import pgschema
from openrfq.store.base import StoreError

# Client side (libpq): a leader whose server went silent finds out within seconds, not the kernel's two hours.
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 5000,
    "connect_timeout": 5,
}
# Server side: PostgreSQL ends a silent leader's session (and drops its lock) after ~5 s, not two hours.
_SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 2",
    "SET tcp_keepalives_interval = 1",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 5000",
)


class LeaseLost(StoreError):
    """Another openrfq process leads this store now: nothing more may be written by this one."""


def connect(url: str, purpose: str) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection to the store in autocommit mode (transactions are explicit); StoreError if it cannot."""
    try:
        db = psycopg.connect(url, autocommit=True, application_name=f"openrfq {purpose}", **KEEPALIVES)
    except psycopg.Error as e:
        raise StoreError(f"store {shown(url)}: cannot connect ({_first_line(e)})") from None
    try:
        for statement in _SERVER_KEEPALIVES:
            db.execute(statement)
    except psycopg.Error as e:
        db.close()
        raise StoreError(f"store {shown(url)}: cannot connect ({_first_line(e)})") from None
    return db


class Lease:
    """The leader's lock and epoch, on a connection of their own. ``acquire()`` until it returns an epoch."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.epoch: int | None = None
        self._db = connect(url, "lease")
        try:
            pgschema.ensure(self._db, shown(url))
            row = self._db.execute("SELECT lock_key FROM lease").fetchone()
            assert row is not None  # ensure() checked there is one
            self._key: int = row[0]
        except BaseException:
            self._db.close()
            raise

    def acquire(self) -> int | None:
        """Take the lock if it is free and raise the epoch: this process leads, at the epoch returned. None: an
        other process leads (its ``holder()`` says which)."""
        (got,) = self._db.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone() or (False,)
        if not got:
            return None
        me = f"{socket.gethostname()} pid {os.getpid()}"
        with self._db.transaction():
            row = self._db.execute(
                "UPDATE lease SET epoch = epoch + 1, holder = %s, since_ms = %s RETURNING epoch",
                (me, time.time_ns() // 1_000_000),
            ).fetchone()
        assert row is not None
        self.epoch = int(row[0])
        return self.epoch

    def holder(self) -> str:
        row = self._db.execute("SELECT holder FROM lease").fetchone()
        return str(row[0]) if row is not None else ""

    def check(self) -> None:
        """Raise LeaseLost if this process no longer leads (its lock's session is gone, or the epoch moved)."""
        try:
            row = self._db.execute("SELECT epoch FROM lease").fetchone()
        except psycopg.Error as e:
            raise LeaseLost(f"store {shown(self.url)}: the lease's connection failed ({_first_line(e)})") from None
        if row is None or row[0] != self.epoch:
            raise LeaseLost(f"store {shown(self.url)}: another openrfq process took the lease (epoch {row})")

    def close(self, release: bool = True) -> None:
        """The lock released, then the session ended. Released first, on purpose: a closed connection's backend
        lets its locks go only once it has exited, a moment after ``close()`` returns, and a standby (or the next
        process) should find the lease free as soon as this one is done with it. ``release=False``: the store's
        connection broke, so the lease's may hang too; the session's end lets the lock go."""
        if release and self.epoch is not None and not self._db.broken and not self._db.closed:
            with contextlib.suppress(psycopg.Error):  # the connection is gone already: so is the lock
                self._db.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        self._db.close()


def shown(url: str) -> str:
    """The store as messages name it: its URL without a password."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an invalid PostgreSQL URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}"


def _first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
