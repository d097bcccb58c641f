"""The keys of ended entities (``store/cut.py``): whatever order RFQs, quotes and trades end in, and however
commands gather into batches, memory never holds a quote without its RFQ (start-up's ``Book.restore`` of the rows
a store keeps flagged in memory needs it), every ended entity has its keys written exactly once, no more than
``history_cache`` wait for them, and none is written before more than that wait.

A change that writes them a few at a time (bench/README.md, the tenth step, tried it) must keep all of this: the
first version of that change let an RFQ leave memory before its quotes, and a standby could then not start."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CancelQuote, CancelRfq, CreateQuote, CreateRfq, ExecuteQuote, LegRequest
from openrfq.domain.enums import Side
from openrfq.domain.errors import OkxError
from openrfq.engine import Venue
from openrfq.engine.book import Book, ended
from openrfq.instruments.catalogue import default_instruments
from openrfq.store.cut import cut
from samples import START_MS, TODAY

MAKERS = ("M1", "M2", "M3")
CACHE = 200
RFQ_LEG = LegRequest("BTC-USDT", Decimal("1"), Side.BUY)
QUOTE_LEG = LegRequest("BTC-USDT", Decimal("1"), Side.BUY, px=Decimal("50000"))


def _venue() -> Venue:
    return Venue(ManualClock(START_MS), default_instruments(TODAY), ("T", *MAKERS), history_cache=CACHE)


def _step(venue: Venue, rng: random.Random) -> None:
    """One command of a taker and three makers: RFQs created, quoted, cancelled, executed; quotes cancelled."""
    live_rfqs = [r.rfq_id for r in venue.rfqs.values() if r.state.is_active]
    live_quotes = [q for q in venue.quotes.values() if q.state.is_active]
    roll = rng.random()
    try:
        if roll < 0.2 or not live_rfqs:
            venue.create_rfq(CreateRfq("T", MAKERS, (RFQ_LEG,)))
        elif roll < 0.6:
            venue.create_quote(CreateQuote(rng.choice(MAKERS), str(rng.choice(live_rfqs)), Side.SELL, (QUOTE_LEG,)))
        elif roll < 0.85 and live_quotes:
            quote = rng.choice(live_quotes)
            venue.cancel_quote(CancelQuote(quote.maker, str(quote.quote_id)))
        elif roll < 0.93:  # its live quotes end with it
            venue.cancel_rfq(CancelRfq("T", str(rng.choice(live_rfqs))))
        elif live_quotes:  # the RFQ, the quote and a trade end; the RFQ's other quotes too
            quote = rng.choice(live_quotes)
            venue.execute_quote(ExecuteQuote("T", str(quote.rfq_id), str(quote.quote_id)))
    except OkxError:  # a maker quoting an RFQ twice, ...: refused, nothing changed
        pass


def _ended(venue: Venue) -> set[tuple[str, int]]:
    return (
        {("rfq", i) for i, r in venue.rfqs.items() if ended(r)}
        | {("quote", i) for i, q in venue.quotes.items() if ended(q)}
        | {("trade", i) for i, t in venue.trades.items() if not t.pending}
    )


@pytest.mark.parametrize("seed", range(4))
def test_each_ended_entity_has_its_keys_written_once_and_no_quote_stays_without_its_rfq(seed: int) -> None:
    rng = random.Random(seed)
    venue = _venue()
    book = venue.book
    indexed: list[tuple[str, int]] = []
    ever_ended: set[tuple[str, int]] = set()
    cuts = 0
    while len(indexed) < 8 * CACHE:
        _step(venue, rng)
        if rng.random() < 0.5:
            continue  # commands gather into one batch, as requests do between two cuts
        ended_now = _ended(venue)
        waited = book.unindexed() + len(ended_now - ever_ended)  # what the cut finds waiting
        ever_ended |= ended_now
        batch = cut(venue, venue.take_changes())
        venue.take_events()
        rfqs, quotes, trades = batch.indexed
        if rfqs or quotes or trades:
            assert waited > CACHE, "keys written before more than history_cache entities waited"
        indexed += [("rfq", i) for i in rfqs] + [("quote", i) for i in quotes] + [("trade", i) for i in trades]
        assert len(batch.rfq_keys) >= len(rfqs) and len(batch.quote_keys) >= len(quotes)
        venue.forget(rfqs, quotes, trades)  # as once the batch is durable

        assert book.unindexed() <= CACHE
        for quote in venue.quotes.values():
            assert quote.rfq_id in venue.rfqs, f"quote {quote.quote_id} is in memory without its RFQ"
        cuts += 1
        if cuts % 50 == 0:  # what memory holds is what the store keeps flagged: start-up rebuilds a book of it
            Book().restore(venue.rfqs.values(), venue.quotes.values(), venue.trades.values())

    assert len(indexed) == len(set(indexed)), "an entity's keys were written twice"
    waiting: set[tuple[str, int]] = {("rfq", i) for i in book.unindexed_rfqs}
    waiting |= {("quote", i) for i in book.unindexed_quotes} | {("trade", i) for i in book.unindexed_trades}
    assert set(indexed) | waiting == ever_ended and not set(indexed) & waiting
