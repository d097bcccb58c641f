"""What callers ask the venue to do: immutable, imperative, already parsed from the wire (but not yet validated
against the venue's state and catalogue: that is ``rules`` and the engine).

msgspec Structs (frozen, out of the GC's sight): a command is built on every request and read once, and a Struct
is built in C, where a named tuple's ``__new__`` is interpreted Python (a leg with its keywords: 74 against 429 ns)
and a frozen dataclass's ``__init__`` pays an ``object.__setattr__`` call per field (bench/README.md, the
seventeenth step). Compiled code reads a Struct's field by a lookup, not an index: a field read often is read once.

Ids are the wire text as sent (``rfq_id="007"`` is possible, and names nothing): the engine parses venue ids
and checks client ids (``domain/ids.py``) before it looks anything up."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import msgspec

from openrfq.domain.enums import Side


class LegRequest(msgspec.Struct, frozen=True, gc=False):
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


class AllocLegRequest(msgspec.Struct, frozen=True, gc=False):
    """One leg of an account's share of a group RFQ, as sent in create-rfq's ``acctAlloc``."""

    inst_id: str
    sz: Decimal
    td_mode: str = ""
    ccy: str = ""
    pos_side: str = ""


class AllocRequest(msgspec.Struct, frozen=True, gc=False):
    acct: str  # a sub-account of the taker's, or "0" for its own
    legs: tuple[AllocLegRequest, ...]


class CreateRfq(msgspec.Struct, frozen=True, gc=False):
    taker: str
    counterparties: tuple[str, ...]
    legs: tuple[LegRequest, ...]
    anonymous: bool = False
    cl_rfq_id: str = ""
    tag: str = ""
    allow_partial: bool = False
    acct_alloc: tuple[AllocRequest, ...] = ()  # a group RFQ: its split across the taker's accounts


class CancelRfq(msgspec.Struct, frozen=True, gc=False):
    taker: str
    rfq_id: str = ""  # wins over cl_rfq_id when both are sent
    cl_rfq_id: str = ""


class CreateQuote(msgspec.Struct, frozen=True, gc=False):
    maker: str
    rfq_id: str
    quote_side: Side
    legs: tuple[LegRequest, ...]
    expires_in_s: int = 60
    cl_quote_id: str = ""
    tag: str = ""
    anonymous: bool = False


class CancelQuote(msgspec.Struct, frozen=True, gc=False):
    maker: str
    quote_id: str = ""  # wins over cl_quote_id when both are sent
    cl_quote_id: str = ""
    rfq_id: str = ""  # when sent, must be the quote's RFQ


class RfqQuery(msgspec.Struct, frozen=True, gc=False):
    viewer: str
    rfq_id: str = ""
    cl_rfq_id: str = ""
    state: str = ""
    begin_id: int | None = None
    end_id: int | None = None
    limit: int = 100


class QuoteQuery(msgspec.Struct, frozen=True, gc=False):
    viewer: str
    rfq_id: str = ""
    cl_rfq_id: str = ""
    quote_id: str = ""
    cl_quote_id: str = ""
    state: str = ""
    begin_id: int | None = None
    end_id: int | None = None
    limit: int = 100


class ExecLeg(msgspec.Struct, frozen=True, gc=False):
    """A leg of a partial execution: which RFQ leg, and how much of it."""

    inst_id: str
    sz: Decimal


# The control plane's settle_fail fault, as the request path matched it: asked once per execution the command
# accepts (once per allocated account of a group RFQ), it answers the OKX code that execution is to fail with at
# settlement, or "" (it settles). Only asynchronous settlement asks it.
SettleFail = Callable[[], str]


class ExecuteQuote(msgspec.Struct, frozen=True, gc=False):
    taker: str
    rfq_id: str
    quote_id: str
    legs: tuple[ExecLeg, ...] = ()  # empty: execute the whole RFQ
    settle_fail: SettleFail | None = None


class TradeQuery(msgspec.Struct, frozen=True, gc=False):
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
