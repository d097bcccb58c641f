"""The venue's answers and pushes as the client reads them: the wire Structs with numbers as ``Decimal`` and
integers (times in ms, counts) as ``int``. Construct one by keyword, e.g. ``RfqLeg(inst_id=..., sz=..., side=...)``;
check a pushed item with the wire class itself: ``isinstance(item, wire.Rfq)``."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

from openrfq import wire
from openrfq.wire import CancelResult, Counterparty

RfqLeg: TypeAlias = wire.RfqLeg[Decimal]
Rfq: TypeAlias = wire.Rfq[Decimal, int]
QuoteLeg: TypeAlias = wire.QuoteLeg[Decimal]
Quote: TypeAlias = wire.Quote[Decimal, int]
TradeLeg: TypeAlias = wire.TradeLeg[Decimal]
TradeAlloc: TypeAlias = wire.TradeAlloc[Decimal]
ExecutionAlloc: TypeAlias = wire.ExecutionAlloc[Decimal]
Trade: TypeAlias = wire.Trade[Decimal, int, TradeAlloc]  # Get trades, the struc-block-trades channel
Execution: TypeAlias = wire.Trade[Decimal, int, ExecutionAlloc]  # the execute-quote answer
RfqAlloc: TypeAlias = wire.RfqAlloc[Decimal]
PublicTradeLeg: TypeAlias = wire.PublicTradeLeg[Decimal]
PublicTrade: TypeAlias = wire.PublicTrade[Decimal, int]
PublicBlockTrade: TypeAlias = wire.PublicBlockTrade[Decimal, int]
BlockTicker: TypeAlias = wire.BlockTicker[Decimal, int]
Instrument: TypeAlias = wire.Instrument[Decimal]
MarkPrice: TypeAlias = wire.MarkPrice[Decimal, int]
MmpConfig: TypeAlias = wire.MmpConfig[int]
CancelAllAfter: TypeAlias = wire.CancelAllAfter[int]
Timestamp: TypeAlias = wire.Timestamp[int]

__all__ = [
    "BlockTicker",
    "CancelAllAfter",
    "CancelResult",
    "Counterparty",
    "Execution",
    "ExecutionAlloc",
    "Instrument",
    "MarkPrice",
    "MmpConfig",
    "PublicBlockTrade",
    "PublicTrade",
    "PublicTradeLeg",
    "Quote",
    "QuoteLeg",
    "Rfq",
    "RfqAlloc",
    "RfqLeg",
    "Timestamp",
    "Trade",
    "TradeAlloc",
    "TradeLeg",
]
