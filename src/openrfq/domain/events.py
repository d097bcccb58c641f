"""What happened, in the order the engine applied it. Each event holds a snapshot of the entity as the change
left it, so a subscriber rendered later still sees that moment."""

from __future__ import annotations

from dataclasses import dataclass

from openrfq.domain.models import BlockTrade, Quote, Rfq


@dataclass(frozen=True, slots=True)
class RfqChanged:
    rfq: Rfq


@dataclass(frozen=True, slots=True)
class QuoteChanged:
    quote: Quote


@dataclass(frozen=True, slots=True)
class TradeExecuted:
    trade: BlockTrade


Event = RfqChanged | QuoteChanged | TradeExecuted
