"""What the commands changed, kept for those who take it: the store (the ids of the rows to write, before any
answer is released) and the subscribers (the events, each with a snapshot of the entity as it was then)."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from openrfq.domain.events import Event, QuoteChanged, RfqChanged, TradeExecuted
from openrfq.domain.ids import BlockTradeId, QuoteId, RfqId
from openrfq.domain.models import BlockTrade, Quote, Rfq

# An event's entity: a shallow copy as the entity is now (its legs are immutable), which later changes do not reach.
# Called here, not as a method of the entity's: domain/models.py is not compiled (setup.py), a method of it would
# be an interpreted frame on every change.
_copy = msgspec.structs.replace


@dataclass(slots=True)
class Changes:
    """Ids of the entities a batch of commands touched; the store writes their current rows."""

    rfqs: set[RfqId] = field(default_factory=set)
    quotes: set[QuoteId] = field(default_factory=set)
    trades: set[BlockTradeId] = field(default_factory=set)
    makers: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.rfqs or self.quotes or self.trades or self.makers)


class Journal:
    def __init__(self) -> None:
        self.changes = Changes()
        self.events: list[Event] = []

    def rfq(self, rfq: Rfq) -> None:
        self.changes.rfqs.add(rfq.rfq_id)
        self.events.append(RfqChanged(_copy(rfq)))

    def quote(self, quote: Quote) -> None:
        self.changes.quotes.add(quote.quote_id)
        self.events.append(QuoteChanged(_copy(quote)))

    def trade(self, trade: BlockTrade) -> None:
        self.changes.trades.add(trade.block_td_id)
        self.events.append(TradeExecuted(trade))

    def maker(self, code: str) -> None:
        """A maker's settings or MMP state changed (no event: nobody subscribes to them)."""
        self.changes.makers.add(code)

    def take_changes(self) -> Changes:
        changes, self.changes = self.changes, Changes()
        return changes

    def take_events(self) -> list[Event]:
        events, self.events = self.events, []
        return events
