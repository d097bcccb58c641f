"""The commit log: a batch is durable once its record is on disk in this file; SQLite gets its rows later, many
batches to a transaction (store/sqlite.py: ``SqliteStore.apply``).

Why: a SQLite transaction per batch on the request path wrote every page it touched to the WAL again for each
batch (a quote's leaf page, its index's, and their headers: ~13 ``pwrite``s) and took its locks; one write of a
record here costs a fraction of that, and a transaction of many batches writes each page once. And the record is
written ``O_DIRECT | O_DSYNC`` by AIO (the committer submits it, store/aio.py): the disk has it when the write
completes, with no fdatasync, whose kernel worker would run on the event loop's core (bench/README.md, "The
commit log" and "Direct writes").

The file (the database's name and ``-log``, beside it): a first block naming the venue, then records, each
starting a block of its own: ``length | CRC-32 | seq | payload`` (the payload: the batch's rows, msgpack), zeros
to the end of its last block. Rules that keep it exact:

- A direct write goes only over blocks already written and synced (``ready``: zeros written ahead by a filler
  thread, a step at a time, on a new log), so it changes no size or extent: the data alone. Two writes in flight
  never share a block, so the disk cannot order an older one after a newer one. Where ``O_DIRECT`` is refused,
  records are written with ``pwrite`` (zeros ahead ``CHUNK`` at a time, carried by the next sync) and the file
  synced (``Pending``'s two kinds, store/base.py).
- SQLite's ``meta`` row ``log_seq`` is written in the same transaction as the rows it says are applied. A record is
  only written over (``rewind``) once SQLite's WAL holding everything before it has been synced.
- Reading (``records``) starts at the first record and stops at the first that is torn (its CRC does not match:
  it never all reached the disk, so nobody was told it was durable) or not numbered one past the one before
  (what follows an earlier rewind's last record is older). Start-up replays every record past ``log_seq``, in
  order (its writes are upserts: replaying one twice changes nothing).
"""

from __future__ import annotations

import ctypes
import mmap
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import msgspec

from openrfq.domain.ids import BlockTradeId, QuoteId, RfqId
from openrfq.store.base import Batch, Indexed, Pending, StoreError

MAGIC = b"openrfq commit log 1\n"
BLOCK = 4096  # each record starts a block of its own; the first block holds MAGIC and the venue id (32 hex digits)
CHUNK = 256 << 10  # zeros written ahead of the records, at a time: a new log's first, and where there is no filler
FILL_STEP = 512 << 10  # zeros the filler writes and syncs at a time
FILL_AHEAD = 512 << 10  # a filler starts when fewer bytes than this are ready ahead of the records
SIZE = 16 << 20  # at most: then the log is rewound (after the rows are applied and SQLite's WAL synced)
_RECORD = struct.Struct("<IIQ")  # payload length, CRC-32 of seq and payload, seq


def log_path(database: Path) -> Path:
    return Path(f"{database}-log")


def logged(path: Path) -> list[tuple[int, bytes]]:
    """(seq, payload) of each record of the log at ``path``, read-only (beside a running server, a record being
    written is a torn one, where reading stops); none if there is no log."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return []
    try:
        return list(_records(fd, os.fstat(fd).st_size))
    finally:
        os.close(fd)


def has_records(path: Path) -> bool:
    """Whether a log at ``path`` holds any record (applied or not): not the file of a venue never written."""
    try:
        with open(path, "rb") as f:
            f.seek(BLOCK)
            head = f.read(_RECORD.size)
    except OSError:
        return False
    return len(head) == _RECORD.size and head != bytes(_RECORD.size)


class CommitLog:
    def __init__(self, path: Path, venue_id: str) -> None:
        """Open the log of venue ``venue_id`` (made, with its header, if there is none); StoreError if the file
        is another venue's. Writing starts only at ``start`` (after the caller has applied what it needs)."""
        self.path, self.size = path, SIZE
        if not path.exists():
            _create(path, venue_id)
        self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self.direct = -1
        try:
            head = os.pread(self.fd, BLOCK, 0)
            if not head.startswith(MAGIC) or head[len(MAGIC) : len(MAGIC) + 32] != venue_id.encode():
                raise StoreError(
                    f"commit log {path.absolute()} is not this venue's (its database is {path.name[:-4]}): "
                    "restore that venue's database, or move the log away"
                )
            self.end = os.fstat(self.fd).st_size  # written (zeros or records): records may go below it
            os.fsync(self.fd)  # what a crash left in the page cache is on disk before anything relies on it
            self.direct = _open_direct(path, head)
        except BaseException:
            os.close(self.fd)
            raise
        self.ready = self.end  # below it, every block is allocated and synced: a direct write changes nothing else
        self.offset = BLOCK  # where the next record goes
        self.seq = 0  # the last record's
        self._stop = False
        self._filler: threading.Thread | None = None

    def records(self) -> Iterator[tuple[int, bytes]]:
        """(seq, payload) of each whole record, in order, from the first (module docstring)."""
        return _records(self.fd, self.end)

    def start(self, seq: int) -> None:
        """Write from the first record on, numbered from ``seq + 1``: every record already there is applied and
        SQLite's WAL synced (the caller's part)."""
        self.offset, self.seq = BLOCK, seq

    def fits(self, payload: bytes) -> bool:
        """Whether a record of ``payload`` fits in what is left of the log (else: rewind, or too big for it)."""
        return self.offset + _RECORD.size + len(payload) + BLOCK - 1 <= self.size  # whole blocks

    def append(self, payload: bytes, direct: bool = True) -> Pending:
        """Write the next record (the caller checked ``fits``), or have it written: what makes it durable. A direct
        write where the log allows it (``direct``, blocks synced ahead); else a ``pwrite`` and a sync of ``fd``."""
        seq = self.seq + 1
        head = _RECORD.pack(len(payload), zlib.crc32(payload, seq & 0xFFFFFFFF), seq)
        offset = self.offset
        length = _whole(len(head) + len(payload), BLOCK)  # whole blocks: no two writes share one
        end = offset + length
        self.offset, self.seq = end, seq
        if end > self.ready:  # past what the filler has made ready: its end (it fell behind)
            self._wait_fill()
        if direct and self.direct >= 0 and end <= self.ready:
            if self.ready < self.size and self.ready - end < FILL_AHEAD:
                self._fill_ahead()
            buffer = (ctypes.c_char * (length + BLOCK))()  # zeros; the write starts at its first aligned byte
            address = ctypes.addressof(buffer)
            address += -address % BLOCK
            ctypes.memmove(address, head, len(head))
            ctypes.memmove(address + len(head), payload, len(payload))
            return Pending(self.direct, length, address, offset, buffer)
        if end > self.end:  # zeros ahead: synced with this record (module docstring), not on the loop
            self._wait_fill()  # the filler writes past ``end`` too: never both at once
            grown = min(self.size, max(self.end + CHUNK, _whole(end, CHUNK)))
            os.pwrite(self.fd, bytes(grown - self.end), self.end)
            self.end = grown
        os.pwrite(self.fd, head + payload + bytes(length - len(head) - len(payload)), offset)
        if direct and self.direct >= 0 and self.ready < self.end:
            # Written past what was ready (the records outran the filler): the filler syncs that, and zeros after
            # it, so the records after it are direct writes again (not written and synced until the log rewinds).
            # Not for a record that was not to be direct (a quiet server): its sync makes what it wrote durable.
            self._fill_ahead()
        return Pending(self.fd)

    def _fill_ahead(self) -> None:
        """A log still growing: zeros made ready ahead of the records, off the loop, unless a filler is at it
        already (a venue that writes little keeps a small file)."""
        if self._filler is not None and self._filler.is_alive():
            return
        target = min(self.size, self.end + 2 * FILL_AHEAD)
        self._filler = threading.Thread(target=self._fill, args=(target,), name="openrfq-log-fill", daemon=True)
        self._filler.start()

    def _fill(self, target: int) -> None:
        """On a thread of its own: zeros written and synced ahead of the records up to ``target``, a step at a
        time, each step then ready for direct writes (records go only below ``ready``: nothing else writes
        there meanwhile)."""
        while not self._stop:
            step = max(0, min(FILL_STEP, target - self.end))
            if step:
                os.pwrite(self.fd, bytes(step), self.end)
            os.fsync(self.fd)  # with what the log's own extension wrote below ``end``, if any
            self.end += step
            self.ready = self.end
            if self.end >= target:
                return

    def _wait_fill(self) -> None:
        if self._filler is not None:
            self._filler.join()
        self._filler = None

    def close(self) -> None:
        self._stop = True
        self._wait_fill()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.direct >= 0:
            os.close(self.direct)
            self.direct = -1


def _open_direct(path: Path, header: bytes) -> int:
    """The log opened for direct, synchronous writes, tried once on its first block (``header``, as it is); -1
    where the file system or platform refuses them (tmpfs, some others: the log is then written and synced)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_DIRECT | os.O_DSYNC | os.O_CLOEXEC)
    except (OSError, AttributeError):  # EINVAL; no O_DIRECT on this platform
        return -1
    buffer = mmap.mmap(-1, BLOCK)  # page-aligned, as O_DIRECT wants
    buffer.write(header)
    try:
        if os.pwrite(fd, buffer, 0) == BLOCK:
            return fd
    except OSError:
        pass
    finally:
        buffer.close()
    os.close(fd)
    return -1


def _records(fd: int, end: int) -> Iterator[tuple[int, bytes]]:
    offset, previous = BLOCK, None
    while offset + _RECORD.size <= end:
        length, crc, seq = _RECORD.unpack(os.pread(fd, _RECORD.size, offset))
        if length == 0 or offset + _RECORD.size + length > end or previous not in (None, seq - 1):
            return
        payload = os.pread(fd, length, offset + _RECORD.size)
        if len(payload) != length or zlib.crc32(payload, seq & 0xFFFFFFFF) != crc:
            return
        yield seq, payload
        offset, previous = offset + _whole(_RECORD.size + length, BLOCK), seq


def _create(path: Path, venue_id: str) -> None:
    """The log with its header and a first chunk of zeros, whole before it has its name (as a new database)."""
    building = path.with_name(path.name + ".new")
    fd = os.open(building, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        header = MAGIC + venue_id.encode()
        os.pwrite(fd, header + bytes(CHUNK - len(header)), 0)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(building, path)
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """The directory's entries synced: a file just created or renamed there survives a power loss."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _whole(size: int, unit: int) -> int:
    """``size`` rounded up to whole ``unit``s."""
    return -(-size // unit) * unit


# A record's payload: every field of the batch, in Batch's order (store/base.py).
_Rows = list[tuple[int, bytes]]
_Keys = list[tuple[str, int]]
_Wire = tuple[
    _Rows,
    _Rows,
    _Rows,
    list[tuple[str, bytes]],
    _Keys,
    _Keys,
    _Keys,
    tuple[list[RfqId], list[QuoteId], list[BlockTradeId]],
    bool,
    list[tuple[str, str]],
    list[tuple[int, bytes | None]],
]
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(_Wire).decode


def encode_batch(b: Batch) -> bytes:
    return _encode(
        (
            b.rfqs,
            b.quotes,
            b.trades,
            b.makers,
            b.rfq_keys,
            b.quote_keys,
            b.trade_keys,
            b.indexed,
            b.wipe,
            b.meta,
            b.faults,
        )
    )


def decode_batch(payload: bytes) -> Batch:
    rfqs, quotes, trades, makers, rfq_keys, quote_keys, trade_keys, indexed, wipe, meta, faults = _decode(payload)
    return Batch(rfqs, quotes, trades, makers, rfq_keys, quote_keys, trade_keys, Indexed(*indexed), wipe, meta, faults)
