"""``openrfq export``: a venue's durable history as JSON lines, one per change, in venue-time order.

Read from the database and its commit log as they stand (read-only: it may run beside the server). Every entity
went through at most two states (active, then how it ended), and each row keeps when it was made (``cTime``) and
last changed (``uTime``), so the history is every creation, every ending and every trade, oldest first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.store.base import StoreError
from openrfq.store.codec import decode_quote, decode_rfq, decode_trade
from openrfq.store.commitlog import decode_batch, log_path, logged

_to_json = msgspec.json.Encoder(decimal_format="string").encode
_KIND_ORDER = {"rfq": 0, "quote": 1, "trade": 2}  # at one moment: an RFQ before its quotes before its trade


def history(database: Path) -> Iterator[bytes]:
    """The JSON lines of ``database``'s history; StoreError if it cannot be read."""
    if not database.exists():
        raise StoreError(f"database {database} does not exist")
    try:
        rows = durable_rows(database)
        rfqs = [decode_rfq(b) for b in rows["rfqs"].values()]
        quotes = [decode_quote(b) for b in rows["quotes"].values()]
        trades = [decode_trade(b) for b in rows["trades"].values()]
    except (sqlite3.Error, msgspec.DecodeError) as e:
        raise StoreError(f"database {database} cannot be read: {e}") from None
    changes = [*_rfq_changes(rfqs), *_quote_changes(quotes), *_trade_changes(trades)]
    changes.sort(key=lambda c: (c[0], _KIND_ORDER[c[1]], c[2], c[3]))
    for _, _, _, _, line in changes:
        yield _to_json(line)


def durable_rows(database: Path) -> dict[str, dict[int, bytes]]:
    """Each entity table's rows (id -> body) as the venue's durable state has them: the database's, and the
    batches of its commit log not yet applied there (store/commitlog.py). The log is read first: whatever a
    running server applies meanwhile is in the database read after it, in one read transaction."""
    records = logged(log_path(database))
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        db.execute("BEGIN")  # one snapshot of every table and of log_seq
        rows = {t: dict(db.execute(f"SELECT id, body FROM {t}").fetchall()) for t in ("rfqs", "quotes", "trades")}
        row = db.execute("SELECT value FROM meta WHERE key = 'log_seq'").fetchone()
    finally:
        db.close()
    applied = int(row[0]) if row else 0
    for seq, payload in records:
        if seq <= applied:
            continue
        batch = decode_batch(payload)
        if batch.wipe:
            for table in rows.values():
                table.clear()
        rows["rfqs"].update(batch.rfqs)
        rows["quotes"].update(batch.quotes)
        rows["trades"].update(batch.trades)
    return rows


_Change = tuple[int, str, int, int, dict[str, Any]]  # (ts, kind, id, 0 created / 1 ended, line)


def _rfq_changes(rfqs: list[Rfq]) -> Iterator[_Change]:
    for rfq in rfqs:
        record = msgspec.to_builtins(rfq)
        yield (
            rfq.c_time,
            "rfq",
            rfq.rfq_id,
            0,
            {"ts": str(rfq.c_time), "change": "rfq", "state": "active", "rfq": record},
        )
        if not rfq.state.is_active:
            yield (
                rfq.u_time,
                "rfq",
                rfq.rfq_id,
                1,
                {"ts": str(rfq.u_time), "change": "rfq", "state": rfq.state.value, "rfq": record},
            )


def _quote_changes(quotes: list[Quote]) -> Iterator[_Change]:
    for quote in quotes:
        record = msgspec.to_builtins(quote)
        created = {"ts": str(quote.c_time), "change": "quote", "state": "active", "quote": record}
        yield quote.c_time, "quote", quote.quote_id, 0, created
        if not quote.state.is_active:
            ended = {"ts": str(quote.u_time), "change": "quote", "state": quote.state.value, "quote": record}
            yield quote.u_time, "quote", quote.quote_id, 1, ended


def _trade_changes(trades: list[BlockTrade]) -> Iterator[_Change]:
    for trade in trades:
        line = {"ts": str(trade.c_time), "change": "trade", "trade": msgspec.to_builtins(trade)}
        yield trade.c_time, "trade", trade.block_td_id, 0, line
