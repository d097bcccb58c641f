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
    PENDING_FILL = "pending_fill"  # executed, settling ([execution] settlement_ms > 0): filled or failed next
    FILLED = "filled"  # executed (terminal)
    EXPIRED = "expired"  # validUntil passed (terminal)
    TRADED_AWAY = "traded_away"  # a view only: a maker whose quote lost sees a filled RFQ so (terminal)
    FAILED = "failed"  # its execution failed at settlement (terminal)

    @property
    def is_active(self) -> bool:
        return self is RfqState.ACTIVE

    @property
    def is_momentary(self) -> bool:
        """OKX: "pending_fill is a kind of moment state", which the rfqs channel does not push (REST shows it)."""
        return self is RfqState.PENDING_FILL


class QuoteState(str, Enum):
    ACTIVE = "active"  # executable
    CANCELED = "canceled"  # by its maker, by a replacing quote, or because its RFQ ended (terminal)
    PENDING_FILL = "pending_fill"  # executed, settling: filled or failed next
    FILLED = "filled"  # executed (terminal)
    EXPIRED = "expired"  # validUntil passed (terminal)
    FAILED = "failed"  # its execution failed at settlement (terminal)

    @property
    def is_active(self) -> bool:
        return self is QuoteState.ACTIVE

    @property
    def is_momentary(self) -> bool:
        """Not pushed: the quotes channel's states are active, canceled, filled, expired and failed (REST shows it)."""
        return self is QuoteState.PENDING_FILL


class TgtCcy(str, Enum):
    BASE_CCY = "base_ccy"
    QUOTE_CCY = "quote_ccy"
