"""A typed client of openrfq (or any OKX v5 block-trading venue), apart from the server: it imports nothing of it.

- ``OpenRfqClient`` (``rest``): one method per REST endpoint, signed requests, typed answers, ``ApiError``;
- ``WsClient`` (``ws``): the business WebSocket, logged in and subscribed, kept alive and reconnected, as an
  async iterator of decoded pushes;
- ``signing``: OKX's request and login signatures;
- ``wire`` (``openrfq.wire``, a leaf outside both client and venue): the answers and pushes as msgspec Structs,
  shared with the venue that renders them; ``answers``: the same as the client reads them (``Decimal`` numbers,
  ``int`` times).
"""

from __future__ import annotations

from openrfq import wire
from openrfq.client.answers import (
    BlockTicker,
    CancelAllAfter,
    CancelResult,
    Counterparty,
    Execution,
    ExecutionAlloc,
    Instrument,
    MarkPrice,
    MmpConfig,
    PublicBlockTrade,
    PublicTrade,
    PublicTradeLeg,
    Quote,
    QuoteLeg,
    Rfq,
    RfqAlloc,
    RfqLeg,
    Timestamp,
    Trade,
    TradeAlloc,
    TradeLeg,
)
from openrfq.client.rest import ApiError, Leg, OpenRfqClient
from openrfq.client.ws import Item, LoginRefused, Push, WsClient, WsRefused

__all__ = [
    "ApiError",
    "BlockTicker",
    "CancelAllAfter",
    "CancelResult",
    "Counterparty",
    "Execution",
    "ExecutionAlloc",
    "Instrument",
    "Item",
    "Leg",
    "LoginRefused",
    "MarkPrice",
    "MmpConfig",
    "OpenRfqClient",
    "PublicBlockTrade",
    "PublicTrade",
    "PublicTradeLeg",
    "Push",
    "Quote",
    "QuoteLeg",
    "Rfq",
    "RfqAlloc",
    "RfqLeg",
    "Timestamp",
    "Trade",
    "TradeAlloc",
    "TradeLeg",
    "WsClient",
    "WsRefused",
    "wire",
]
