"""One server per data directory: an exclusive ``flock`` on ``openrfq.lock`` there, held while the store is open.

Two servers on one directory would hand out the same ids and overwrite each other's acknowledged rows, so the
second is refused before it reads anything. The kernel drops the lock when its holder's file is closed or its
process dies (``kill -9`` included), so there is never a stale lock to clean up; the file itself stays, and
only says which pid holds it, for the refusal's message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from openrfq.store.base import DataDirInUse

LOCK_NAME = "openrfq.lock"


def lock_directory(directory: Path) -> int:
    """The open lock file (close it to release the lock); raises DataDirInUse naming the holder's pid."""
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Written over the previous holder's pid, then cut to length: a server refused meanwhile reads either.
        pid = b"%d\n" % os.getpid()
        os.pwrite(fd, pid, 0)
        os.ftruncate(fd, len(pid))
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).strip()
        os.close(fd)
        raise DataDirInUse(directory.absolute(), int(holder) if holder.isdigit() else None) from None
    except BaseException:
        os.close(fd)
        raise
    return fd
