"""Enumerations whose values are OKX wire strings; predicates live on the enums."""

from __future__ import annotations

from enum import Enum


class InstType(str, Enum):
    SPOT = "SPOT"
    MARGIN = "MARGIN"
    SWAP = "SWAP"
    FUTURES = "FUTURES"
    OPTION = "OPTION"


class Side(str, Enum):
    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class RfqState(str, Enum):
    ACTIVE = "active"  # open for quotes and execution
    CANCELED = "canceled"  # ended by its taker (terminal)
    PENDING_FILL = "pending_fill"  # execution in progress (never observable: execution here is atomic)
    FILLED = "filled"  # executed (terminal)
    EXPIRED = "expired"  # validUntil passed (terminal)
    TRADED_AWAY = "traded_away"  # a view only: a maker whose quote lost sees a filled RFQ so (terminal)
    FAILED = "failed"  # execution failed (terminal)

    @property
    def is_active(self) -> bool:
        return self is RfqState.ACTIVE


class QuoteState(str, Enum):
    ACTIVE = "active"  # executable
    CANCELED = "canceled"  # by its maker, by a replacing quote, or because its RFQ ended (terminal)
    PENDING_FILL = "pending_fill"  # never observable here (execution is atomic)
    FILLED = "filled"  # executed (terminal)
    EXPIRED = "expired"  # validUntil passed (terminal)
    FAILED = "failed"  # execution failed (terminal)

    @property
    def is_active(self) -> bool:
        return self is QuoteState.ACTIVE


class TgtCcy(str, Enum):
    BASE_CCY = "base_ccy"
    QUOTE_CCY = "quote_ccy"
