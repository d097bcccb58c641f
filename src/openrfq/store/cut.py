"""A batch cut from the venue's changes: their rows as the venue holds them at the cut, and the keys of the ended
entities the store is to find from then on (the committer's, store/committer.py)."""

from __future__ import annotations

from openrfq.engine import Changes, Venue
from openrfq.engine.book import ended
from openrfq.store.base import Batch, Indexed
from openrfq.store.codec import encode, quote_keys, rfq_keys, trade_keys


def cut(venue: Venue, changes: Changes) -> Batch:
    """The rows of what ``changes`` names, as the venue holds it now (encoded here: exactly the state at the cut);
    and once ``history_cache`` entities ended that the store cannot find yet, their keys (store/codec.py): after
    this batch is durable they may leave memory (``Venue.forget``). Keys written for many entities at once touch
    each key range's last page once, not once per commit (store/schema.py)."""
    book = venue.book
    batch = Batch(
        rfqs=[(i, encode(venue.rfqs[i])) for i in changes.rfqs],
        quotes=[(i, encode(venue.quotes[i])) for i in changes.quotes],
        trades=[(i, encode(venue.trades[i])) for i in changes.trades],
        makers=[(code, encode(venue.makers[code])) for code in changes.makers],
    )
    for rfq_id in changes.rfqs:
        if ended(venue.rfqs[rfq_id]):
            book.unindexed_rfqs[rfq_id] = None
    for quote_id in changes.quotes:
        if ended(venue.quotes[quote_id]):
            book.unindexed_quotes[quote_id] = None
    for block_td_id in changes.trades:
        if not venue.trades[block_td_id].pending:
            book.unindexed_trades[block_td_id] = None
    if book.unindexed() > book.history_cache:
        rfqs, quotes, trades = list(book.unindexed_rfqs), list(book.unindexed_quotes), list(book.unindexed_trades)
        book.unindexed_rfqs, book.unindexed_quotes, book.unindexed_trades = {}, {}, {}
        batch.rfq_keys = [key for i in rfqs for key in rfq_keys(venue.rfqs[i])]
        takers: dict[int, str] = {}
        for quote_id in quotes:
            quote = venue.quotes[quote_id]
            taker = takers.get(quote.rfq_id)
            if taker is None:
                taker = takers[quote.rfq_id] = book.taker_of(quote.rfq_id)
            batch.quote_keys += quote_keys(quote, taker)
        batch.trade_keys = [key for i in trades for key in trade_keys(venue.trades[i])]
        batch.indexed = Indexed(rfqs, quotes, trades)
    return batch
