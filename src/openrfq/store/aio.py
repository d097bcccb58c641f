"""Durable writes on the kernel's time, not a thread's: Linux AIO completing on an eventfd, an fdatasync
(``IOCB_CMD_FDSYNC``) or a direct write (``IOCB_CMD_PWRITE`` to a file opened ``O_DIRECT | O_DSYNC``).

A Python writer thread pays for every batch in context switches and GIL hand-overs on the core the event loop
needs (bench/README.md). With this, the loop submits the operation and goes on; the kernel runs it (an fdatasync
on a kernel worker on the same core; a direct write on the disk, from ``io_submit``), and the eventfd the loop
watches says when it is done. The standard library has no binding for the
syscalls (io_setup, io_submit, io_getevents, io_destroy), so they are called through ctypes; where they are not
available (not Linux, another architecture, no AIO context left) ``open_aio`` returns None and the committer
falls back to its writer thread.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
import weakref
from typing import Any

# (io_setup, io_destroy, io_getevents, io_submit) per architecture (asm/unistd_64.h, asm-generic/unistd.h).
_SYSCALLS = {"x86_64": (206, 207, 208, 209), "aarch64": (0, 1, 4, 2)}
_IOCB_CMD_PWRITE = 1
_IOCB_CMD_FDSYNC = 3
_IOCB_FLAG_RESFD = 1  # signal aio_resfd (an eventfd) on completion


class _Iocb(ctypes.Structure):  # struct iocb, linux/aio_abi.h (little-endian layout)
    _fields_ = [
        ("aio_data", ctypes.c_uint64),
        ("aio_key", ctypes.c_uint32),
        ("aio_rw_flags", ctypes.c_uint32),
        ("aio_lio_opcode", ctypes.c_uint16),
        ("aio_reqprio", ctypes.c_int16),
        ("aio_fildes", ctypes.c_uint32),
        ("aio_buf", ctypes.c_uint64),
        ("aio_nbytes", ctypes.c_uint64),
        ("aio_offset", ctypes.c_int64),
        ("aio_reserved2", ctypes.c_uint64),
        ("aio_flags", ctypes.c_uint32),
        ("aio_resfd", ctypes.c_uint32),
    ]


class _Event(ctypes.Structure):  # struct io_event
    _fields_ = [("data", ctypes.c_uint64), ("obj", ctypes.c_uint64), ("res", ctypes.c_int64), ("res2", ctypes.c_int64)]


class AioSync:
    """Up to ``depth`` fdatasyncs in flight: ``submit(fd, tag)``, then when ``eventfd`` is readable, ``finished()``
    says which (by tag) have finished, and how."""

    def __init__(self, numbers: tuple[int, int, int, int], depth: int = 1) -> None:
        self._setup, self._destroy, self._getevents, self._submit = numbers
        self._syscall = ctypes.CDLL(None, use_errno=True).syscall
        self._syscall.restype = ctypes.c_long
        self._ctx = ctypes.c_ulong(0)
        self.depth = depth
        if self._syscall(ctypes.c_long(self._setup), ctypes.c_uint(depth), ctypes.byref(self._ctx)) != 0:
            raise _os_error()
        self.eventfd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._iocb = _Iocb(aio_lio_opcode=_IOCB_CMD_FDSYNC, aio_flags=_IOCB_FLAG_RESFD, aio_resfd=self.eventfd)
        self._iocbs = (ctypes.POINTER(_Iocb) * 1)(ctypes.pointer(self._iocb))
        self._events = (_Event * depth)()
        self._no_wait = (ctypes.c_long * 2)(0, 0)  # struct timespec {0, 0}: io_getevents never blocks
        # Released by close(), or when garbage (a venue a test never closed): contexts and fds are limited.
        self._release = weakref.finalize(self, _release, self._syscall, self._destroy, self._ctx, self.eventfd)

    def submit(self, fd: int, tag: int = 0, write: tuple[int, int, int] | None = None) -> None:
        """An fdatasync of ``fd``, or with ``write`` = (address, length, offset) a write of those bytes to ``fd``
        at ``offset``; told apart by ``tag`` when it finishes (the kernel copies the iocb: reused)."""
        iocb = self._iocb
        iocb.aio_fildes = fd
        iocb.aio_data = tag
        if write is None:
            iocb.aio_lio_opcode, iocb.aio_buf, iocb.aio_nbytes, iocb.aio_offset = _IOCB_CMD_FDSYNC, 0, 0, 0
        else:
            iocb.aio_lio_opcode = _IOCB_CMD_PWRITE
            iocb.aio_buf, iocb.aio_nbytes, iocb.aio_offset = write
        if self._syscall(ctypes.c_long(self._submit), self._ctx, ctypes.c_long(1), self._iocbs) != 1:
            raise _os_error()

    def finished(self) -> list[tuple[int, int]]:
        """(tag, result: 0 or the bytes written, or -errno) of each operation finished since the last call; none on
        a spurious wake."""
        try:
            count = os.eventfd_read(self.eventfd)
        except BlockingIOError:
            return []
        done: list[tuple[int, int]] = []
        wait: Any = self._no_wait
        while len(done) < count:  # the eventfd counted them: each is there, if not always in the first read
            want = min(count - len(done), self.depth)
            n = self._syscall(
                ctypes.c_long(self._getevents), self._ctx, ctypes.c_long(1), ctypes.c_long(want), self._events, wait
            )
            if n < 0:  # an error here would lose finished syncs silently
                raise _os_error()
            done += [(int(self._events[i].data), int(self._events[i].res)) for i in range(n)]
            wait = None  # then wait for the rest: the kernel has finished them
        return done

    def close(self) -> None:
        self._release()


def open_aio(depth: int = 1) -> AioSync | None:
    """An AIO context for ``depth`` syncs in flight, or None where Linux AIO cannot be used (the caller then
    syncs from a thread)."""
    numbers = _SYSCALLS.get(platform.machine())
    if not sys.platform.startswith("linux") or numbers is None:
        return None
    try:
        return AioSync(numbers, depth)
    except OSError:  # ENOSYS under some sandboxes, EAGAIN past fs.aio-max-nr
        return None


def _release(syscall: Any, destroy: int, ctx: ctypes.c_ulong, eventfd: int) -> None:
    syscall(ctypes.c_long(destroy), ctx)
    os.close(eventfd)


def _os_error() -> OSError:
    err = ctypes.get_errno()
    return OSError(err, os.strerror(err))
