"""What callers ask the venue to do: frozen, imperative, already parsed from the wire (but not yet validated
against the venue's state and catalogue: that is ``rules`` and the engine)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openrfq.domain.enums import Side


@dataclass(frozen=True, slots=True)
class LegRequest:
    """One leg as sent in create-rfq or create-quote; ``px`` only in quotes, ``lmt_px`` only in RFQs."""

    inst_id: str
    sz: Decimal
    side: Side
    td_mode: str = ""
    ccy: str = ""
    pos_side: str = ""
    tgt_ccy: str = ""
    trade_quote_ccy: str = ""
    px: Decimal | None = None
    lmt_px: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CreateRfq:
    taker: str
    counterparties: tuple[str, ...]
    legs: tuple[LegRequest, ...]
    anonymous: bool = False
    cl_rfq_id: str = ""
    tag: str = ""
    allow_partial: bool = False


@dataclass(frozen=True, slots=True)
class CancelRfq:
    taker: str
    rfq_id: str = ""  # wins over cl_rfq_id when both are sent
    cl_rfq_id: str = ""


@dataclass(frozen=True, slots=True)
class CreateQuote:
    maker: str
    rfq_id: str
    quote_side: Side
    legs: tuple[LegRequest, ...]
    expires_in_s: int = 60
    cl_quote_id: str = ""
    tag: str = ""
    anonymous: bool = False


@dataclass(frozen=True, slots=True)
class CancelQuote:
    maker: str
    quote_id: str = ""  # wins over cl_quote_id when both are sent
    cl_quote_id: str = ""
    rfq_id: str = ""  # when sent, must be the quote's RFQ


@dataclass(frozen=True, slots=True)
class RfqQuery:
    viewer: str
    rfq_id: str = ""
    cl_rfq_id: str = ""
    state: str = ""
    begin_id: int | None = None
    end_id: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class QuoteQuery:
    viewer: str
    rfq_id: str = ""
    cl_rfq_id: str = ""
    quote_id: str = ""
    cl_quote_id: str = ""
    state: str = ""
    begin_id: int | None = None
    end_id: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class ExecLeg:
    """A leg of a partial execution: which RFQ leg, and how much of it."""

    inst_id: str
    sz: Decimal


@dataclass(frozen=True, slots=True)
class ExecuteQuote:
    taker: str
    rfq_id: str
    quote_id: str
    legs: tuple[ExecLeg, ...] = ()  # empty: execute the whole RFQ


@dataclass(frozen=True, slots=True)
class TradeQuery:
    viewer: str
    rfq_id: str = ""
    cl_rfq_id: str = ""
    quote_id: str = ""
    cl_quote_id: str = ""
    block_td_id: str = ""
    begin_id: int | None = None
    end_id: int | None = None
    begin_ts: int | None = None
    end_ts: int | None = None
    limit: int = 100
    is_successful: bool = True
