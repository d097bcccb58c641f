"""What happened, in the order the engine applied it. Each event holds a snapshot of the entity as the change
left it, so a subscriber rendered later still sees that moment. Frozen Structs, as commands are (domain/commands.py
says why)."""

from __future__ import annotations

import msgspec

from openrfq.domain.models import BlockTrade, Quote, Rfq


class RfqChanged(msgspec.Struct, frozen=True, gc=False):
    rfq: Rfq


class QuoteChanged(msgspec.Struct, frozen=True, gc=False):
    quote: Quote


class TradeExecuted(msgspec.Struct, frozen=True, gc=False):
    trade: BlockTrade


Event = RfqChanged | QuoteChanged | TradeExecuted
