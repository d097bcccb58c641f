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


class AllocLeg(msgspec.Struct, frozen=True, gc=False):
    """One leg of an account's share of a group RFQ: how much of the RFQ leg ``inst_id`` it trades."""

    inst_id: str
    sz: Decimal
    td_mode: str = ""
    ccy: str = ""
    pos_side: str = ""


class Allocation(msgspec.Struct, frozen=True, gc=False):
    """One account's share of a group RFQ (``acctAlloc``), its legs as the taker sent them (every RFQ leg once)."""

    acct: str  # one of the taker's sub-accounts, or "0": the taker's own account
    legs: tuple[AllocLeg, ...]

    def size_of(self, inst_id: str) -> Decimal:
        return next(leg.sz for leg in self.legs if leg.inst_id == inst_id)


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
    group_id: int = 0  # a group RFQ's groupId (its own sequence); 0: not a group RFQ
    acct_alloc: tuple[Allocation, ...] = ()  # a group RFQ's split across the taker's accounts

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


class ChildTrade(msgspec.Struct, frozen=True, gc=False):
    """One allocated account's execution of a group RFQ: its own blockTdId, legs, tradeIds and fees."""

    acct: str
    block_td_id: BlockTradeId
    legs: tuple[TradeLeg, ...]
    error_code: str = ""  # the OKX code its execution failed with; "" when it filled (or is to fill)


class BlockTrade(msgspec.Struct, frozen=True, gc=False):
    """One execution of a quote. A group RFQ's is the parent of one ``ChildTrade`` per allocated account: keyed by
    the first child's blockTdId, its own blockTdId and legs' tradeIds are not shown (its legs are the children's
    sums). With asynchronous settlement it is ``pending`` from execution until ``settle_at``; whether it is to fail
    (``error_code``) is decided when it is executed, and seen once it has settled."""

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
    group_id: int = 0
    allocs: tuple[ChildTrade, ...] = ()
    settle_at: int = 0  # asynchronous settlement: when it settles, ms; 0: settled when executed
    pending: bool = False  # executed, not yet settled: neither filled nor failed
    error_code: str = ""  # "" filled; else what it failed with (a group's: 70510 when every child failed)

    @property
    def is_successful(self) -> bool:
        """Settled and filled (a group's: at least one allocated account's execution filled)."""
        return not self.pending and not self.error_code

    def settled(self) -> BlockTrade:
        return msgspec.structs.replace(self, pending=False)

    def names(self, block_td_id: int) -> bool:
        """Whether ``block_td_id`` is this trade's: its own, or for a group one of its children's."""
        if self.allocs:
            return any(child.block_td_id == block_td_id for child in self.allocs)
        return self.block_td_id == block_td_id

    def last_block_td_id(self) -> int:
        return self.allocs[-1].block_td_id if self.allocs else self.block_td_id

    def every_leg(self) -> list[tuple[int, int, TradeLeg]]:
        """(child index, leg index, leg) of each leg with a tradeId: a group's children's legs (the parent's have
        none), else its own (child index -1)."""
        if self.allocs:
            return [(c, i, leg) for c, child in enumerate(self.allocs) for i, leg in enumerate(child.legs)]
        return [(-1, i, leg) for i, leg in enumerate(self.legs)]

    def leg_at(self, child: int, index: int) -> TradeLeg | None:
        """The leg ``every_leg`` named so if it traded (settled, and its account's execution filled); else None."""
        if not self.is_successful:
            return None
        if child < 0:
            return self.legs[index]
        found = self.allocs[child]
        return None if found.error_code else found.legs[index]

    def traded_legs(self) -> list[TradeLeg]:
        """The legs that traded, as public single-leg data shows them: a group's by account, with their tradeIds."""
        return [leg for c, i, _ in self.every_leg() if (leg := self.leg_at(c, i)) is not None]
