"""Seed a data directory with history through the engine and the store (not HTTP).

    .venv/bin/python bench/seed.py DATA_DIR --quotes 1000000 [--config bench.toml]

A realistic finished history, built by the real engine (``openrfq.engine.Venue``) on a manual clock that ends
before "now", then written by the real store (``SqliteStore.write``) in large batches:

  per RFQ (taker TAKER1, sent to the four makers): each maker quotes once (clQuoteId unique), two of the four
  quotes are canceled by their makers, then one RFQ in ten is executed against a remaining quote (a block
  trade) and the other nine are canceled by the taker (their live quotes end with them).

So N quotes come with N/4 RFQs and N/40 block trades, every one of them in a final state: nothing is due at
start-up, and the server's load time is the cost of reading and indexing the history.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MAKERS, TAKER, config_toml

SEED_VERSION = 3  # 3: schema version 3 (key tables, keys written in batches), history left in the store as written
BATCH_ROWS = 50_000


def seed(data_dir: Path, quotes: int, config_path: Path | None = None, quiet: bool = False) -> dict[str, float]:
    from openrfq.config import load_config
    from openrfq.domain.clock import ManualClock
    from openrfq.domain.commands import CancelQuote, CancelRfq, CreateQuote, CreateRfq, ExecuteQuote, LegRequest
    from openrfq.domain.enums import Side
    from openrfq.domain.prices import Prices
    from openrfq.engine import Venue
    from openrfq.runtime import DB_NAME, index_source
    from openrfq.store.cut import cut
    from openrfq.store.sqlite import SqliteStore

    if config_path is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        config_path = data_dir.parent / "seed-config.toml"
        config_path.write_text(config_toml())
    config = load_config(config_path)
    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / DB_NAME
    if db.exists():
        raise SystemExit(f"{db} exists: seed into an empty directory")
    rfq_count = max(1, quotes // len(MAKERS))
    # History ends an hour ago, one RFQ per 100 ms before that.
    start_ms = int(time.time() * 1000) - 3_600_000 - rfq_count * 100
    clock = ManualClock(start_ms)
    store = SqliteStore(db)
    venue = Venue(
        clock,
        config.instruments,
        (a.trader_code for a in config.accounts),
        taker_fee_rate=config.taker_fee_rate,
        maker_fee_rate=config.maker_fee_rate,
        prices=Prices(index_source(config.prices, start_ms)),
        history=store,  # what ended leaves memory once written, as in the server (Venue.forget)
    )
    taker = TAKER[0]
    makers = [m[0] for m in MAKERS]
    rfq_leg = LegRequest(inst_id="BTC-USDT", sz=Decimal(1), side=Side.BUY)
    written = 0
    started = time.perf_counter()

    def flush() -> None:
        nonlocal written
        batch = cut(venue, venue.take_changes())  # the rows (and keys) as the committer cuts them
        venue.take_events()
        store.write(batch)
        venue.forget(*batch.indexed)
        written += len(batch)

    quote_no = 0
    for r in range(rfq_count):
        rfq = venue.create_rfq(CreateRfq(taker=taker, counterparties=tuple(makers), legs=(rfq_leg,)))
        rfq_id = str(rfq.rfq_id)
        quote_ids = []
        for j, maker in enumerate(makers):
            px = Decimal(60000 + (r % 500) + j)
            leg = LegRequest(inst_id="BTC-USDT", sz=Decimal(1), side=Side.BUY, px=px)
            quote = venue.create_quote(
                CreateQuote(maker=maker, rfq_id=rfq_id, quote_side=Side.SELL, legs=(leg,), cl_quote_id=f"s{quote_no}")
            )
            quote_no += 1
            quote_ids.append((maker, quote.quote_id))
        for maker, quote_id in quote_ids[:2]:
            venue.cancel_quote(CancelQuote(maker=maker, quote_id=str(quote_id)))
        if r % 10 == 0:
            venue.execute_quote(ExecuteQuote(taker=taker, rfq_id=rfq_id, quote_id=str(quote_ids[2][1])))
        else:
            venue.cancel_rfq(CancelRfq(taker=taker, rfq_id=rfq_id))
        clock.advance(100)
        if len(venue.journal.changes.quotes) >= BATCH_ROWS:
            flush()
            if not quiet:
                print(
                    f"\r  {quote_no:>9,} quotes, {r + 1:>8,} RFQs, {time.perf_counter() - started:6.1f} s",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
    flush()
    trades = venue.book.next_trade_id - 1
    store.close()
    elapsed = time.perf_counter() - started
    if not quiet:
        print(
            f"\r  {quote_no:>9,} quotes, {rfq_count:>8,} RFQs, {trades:,} trades: {written:,} rows in {elapsed:.1f} s",
            file=sys.stderr,
        )
    return {"quotes": quote_no, "rfqs": rfq_count, "trades": trades, "rows": written, "seconds": elapsed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--quotes", type=int, default=1000)
    ap.add_argument("--config", type=Path)
    args = ap.parse_args()
    print(seed(args.data_dir, args.quotes, args.config))


if __name__ == "__main__":
    main()
