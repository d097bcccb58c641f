"""The venue's entities. They change only through ``states.transition`` and the engine.

msgspec Structs rather than slotted dataclasses: one is built for every leg, quote and snapshot a request makes,
and a Struct is built, copied and encoded for the store several times faster than a frozen dataclass
(bench/README.md has the measurements). The stored bytes are the same (a map of field names to values).

``gc=False`` is part of the venue's GC policy (``openrfq/gcpolicy.py`` says why; the flag has to be written
here, since ``domain/`` imports nothing outside it). It is safe because none of these can be part of a
reference cycle: their fields are numbers, strings, enum members and tuples of strings or of other entities,
and nothing they reach refers back to an entity.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.ids import BlockTradeId, ClQuoteId, ClRfqId, QuoteId, RfqId, TradeId


class RfqLeg(msgspec.Struct, frozen=True, gc=False):
    inst_id: str
    sz: Decimal
    side: Side
    td_mode: str = ""
    ccy: str = ""
    pos_side: str = ""
    tgt_ccy: str = ""
    trade_quote_ccy: str = ""
    lmt_px: Decimal | None = None  # the taker's limit; never shown to anyone


class QuoteLeg(msgspec.Struct, frozen=True, gc=False):
    inst_id: str
    sz: Decimal
    px: Decimal
    side: Side
    td_mode: str = ""
    ccy: str = ""
    pos_side: str = ""
    tgt_ccy: str = ""
    trade_quote_ccy: str = ""


class Rfq(msgspec.Struct, gc=False):
    rfq_id: RfqId
    taker: str  # trader code of the creator
    counterparties: tuple[str, ...]
    legs: tuple[RfqLeg, ...]
    c_time: int
    valid_until: int
    cl_rfq_id: ClRfqId = ClRfqId("")
    tag: str = ""
    anonymous: bool = False
    allow_partial: bool = False
    state: RfqState = RfqState.ACTIVE
    u_time: int = 0
    winner: str = ""  # trader code of the maker whose quote filled it: the others see traded_away

    def snapshot(self) -> Rfq:
        """A copy as the entity is now (for an event): a shallow copy, its legs are immutable."""
        return msgspec.structs.replace(self)

    def state_for(self, viewer: str) -> RfqState:
        """OKX shows a filled RFQ as traded_away to every maker whose quote did not win."""
        if self.state is RfqState.FILLED and viewer not in (self.taker, self.winner):
            return RfqState.TRADED_AWAY
        return self.state


class Quote(msgspec.Struct, gc=False):
    quote_id: QuoteId
    rfq_id: RfqId
    maker: str  # trader code of the creator
    quote_side: Side
    legs: tuple[QuoteLeg, ...]
    c_time: int
    valid_until: int
    cl_quote_id: ClQuoteId = ClQuoteId("")
    tag: str = ""
    anonymous: bool = False
    state: QuoteState = QuoteState.ACTIVE
    reason: str = ""  # "mmp_canceled" when Market Maker Protection canceled it
    u_time: int = 0

    def snapshot(self) -> Quote:
        """A copy as the quote is now (for an event); see Rfq.snapshot."""
        return msgspec.structs.replace(self)


class TradeLeg(msgspec.Struct, frozen=True, gc=False):
    inst_id: str
    px: Decimal
    sz: Decimal
    side: Side  # from the taker's perspective
    trade_id: TradeId
    taker_fee: Decimal  # negative: charged (OKX's sign)
    taker_fee_ccy: str
    maker_fee: Decimal
    maker_fee_ccy: str
    trade_quote_ccy: str = ""
    tgt_ccy: str = ""  # SPOT: whether sz counts base or quote currency
    mark_px: Decimal | None = None  # reference prices at execution, for public block-trade data
    idx_px: Decimal | None = None
    fill_vol: Decimal | None = None  # options: the implied volatility the mark was priced with


class BlockTrade(msgspec.Struct, frozen=True, gc=False):
    block_td_id: BlockTradeId
    rfq_id: RfqId
    quote_id: QuoteId
    taker: str
    maker: str
    c_time: int
    legs: tuple[TradeLeg, ...] = ()
    cl_rfq_id: ClRfqId = ClRfqId("")
    cl_quote_id: ClQuoteId = ClQuoteId("")
    taker_tag: str = ""  # the RFQ's tag: what the taker's trade carries
    maker_tag: str = ""  # the quote's tag: what the maker's trade carries
    taker_anonymous: bool = False
    maker_anonymous: bool = False
