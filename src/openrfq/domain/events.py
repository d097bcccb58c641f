"""What happened, in the order the engine applied it. Each event holds a snapshot of the entity as the change
left it, so a subscriber rendered later still sees that moment."""

from __future__ import annotations

from typing import NamedTuple

from openrfq.domain.models import BlockTrade, Quote, Rfq


class RfqChanged(NamedTuple):
    rfq: Rfq


class QuoteChanged(NamedTuple):
    quote: Quote


class TradeExecuted(NamedTuple):
    trade: BlockTrade


Event = RfqChanged | QuoteChanged | TradeExecuted
