"""What an execution trades: the size of each leg (whole or partial), each leg's side for the taker, fees, and
the legs of the trade built from them; whether a quote meets the taker's limits (lmtPx auto-execution).

Pure functions of the RFQ, the quote, the catalogue and the prices; the engine applies the result. Everything
that can fail in an execution fails here, before the engine changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from openrfq.domain import errors
from openrfq.domain.commands import ExecLeg
from openrfq.domain.enums import InstType, Side, TgtCcy
from openrfq.domain.ids import BlockTradeId, TradeId
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import BlockTrade, ChildTrade, Quote, Rfq, TradeLeg
from openrfq.domain.prices import Prices
from openrfq.domain.rules import EXACT, is_multiple

FEE_QUANTUM = Decimal("0.00000001")
OPTION_FEE_CAP = Decimal("0.125")  # OKX caps option fees at 12.5% of the premium


def execution_sizes(rfq: Rfq, catalogue: Mapping[str, Instrument], legs: tuple[ExecLeg, ...]) -> tuple[Decimal, ...]:
    """The size to trade on each RFQ leg, in RFQ leg order.

    No legs: the whole RFQ. Legs: every RFQ leg exactly once (70502), at one common ratio to the RFQ's sizes
    (70506), on the lot grid (70307), and only when the RFQ allows partial execution (70507) unless the sizes
    are the whole RFQ anyway. A group RFQ executes whole (OKX: 70507 otherwise), though it allows partial execution.
    """
    full = tuple(leg.sz for leg in rfq.legs)
    if not legs:
        return full
    by_inst = {leg.inst_id: leg.sz for leg in legs}
    if len(by_inst) != len(legs) or set(by_inst) != {leg.inst_id for leg in rfq.legs}:
        raise errors.ExecuteLegsMismatch(rfqId=str(rfq.rfq_id))
    sizes = tuple(by_inst[leg.inst_id] for leg in rfq.legs)
    if sizes == full:
        return full
    if not rfq.allow_partial or rfq.acct_alloc:
        raise errors.PartialExecutionNotAllowed()
    for size, leg in zip(sizes, rfq.legs):
        if size <= 0 or size > leg.sz:
            raise errors.ExecuteLegsMismatch(rfqId=str(rfq.rfq_id))
    # The same ratio on every leg, compared exactly: size_i / sz_i == size_0 / sz_0 without dividing.
    first, first_sz = sizes[0], rfq.legs[0].sz
    if any(EXACT.multiply(size, first_sz) != EXACT.multiply(first, leg.sz) for size, leg in zip(sizes, rfq.legs)):
        raise errors.LegRatioMismatch()
    for size, leg in zip(sizes, rfq.legs):
        inst = catalogue[leg.inst_id]
        if leg.tgt_ccy != TgtCcy.QUOTE_CCY.value and not is_multiple(size, inst.lot_sz):
            raise errors.SizeNotLotMultiple()
        if leg.tgt_ccy != TgtCcy.QUOTE_CCY.value and size < inst.min_sz:
            raise errors.BelowMinSize()
    return sizes


def taker_side(quote: Quote, leg_side: Side) -> Side:
    """quoteSide buy: the maker trades every leg in its leg side, so the taker trades the opposite; sell: reverse."""
    return leg_side.opposite if quote.quote_side is Side.BUY else leg_side


class Market:
    """What an execution is priced against: the catalogue, the index and mark prices, and the venue's fee rates."""

    def __init__(
        self, catalogue: Mapping[str, Instrument], prices: Prices, taker_fee_rate: Decimal, maker_fee_rate: Decimal
    ) -> None:
        self.catalogue = catalogue
        self.prices = prices
        self.taker_fee_rate = taker_fee_rate
        self.maker_fee_rate = maker_fee_rate


def trade_legs(
    market: Market, rfq: Rfq, quote: Quote, sizes: tuple[Decimal, ...], first_trade_id: int, now: int
) -> tuple[TradeLeg, ...]:
    """The legs an execution of ``sizes`` trades, with their fees and the marks of ``now``; legs' tradeIds count
    up from ``first_trade_id``."""
    prices = market.prices
    legs: list[TradeLeg] = []
    for rfq_leg, quote_leg, sz in zip(rfq.legs, quote.legs, sizes):
        inst = market.catalogue[rfq_leg.inst_id]
        side = taker_side(quote, rfq_leg.side)
        taker_fee, taker_ccy = fee(inst, quote_leg.px, sz, rfq_leg.tgt_ccy, side, market.taker_fee_rate)
        maker_fee, maker_ccy = fee(inst, quote_leg.px, sz, rfq_leg.tgt_ccy, side.opposite, market.maker_fee_rate)
        legs.append(
            TradeLeg(
                inst_id=rfq_leg.inst_id,
                px=quote_leg.px,
                sz=sz,
                side=side,
                trade_id=TradeId(first_trade_id + len(legs)),
                taker_fee=taker_fee,
                taker_fee_ccy=taker_ccy,
                maker_fee=maker_fee,
                maker_fee_ccy=maker_ccy,
                trade_quote_ccy=rfq_leg.trade_quote_ccy,
                tgt_ccy=rfq_leg.tgt_ccy,
                mark_px=prices.mark(inst, now),
                idx_px=prices.index(inst, now),
                fill_vol=Decimal(repr(prices.source.volatility)) if inst.is_option else None,
            )
        )
    return tuple(legs)


def block_trade(
    block_td_id: BlockTradeId,
    rfq: Rfq,
    quote: Quote,
    legs: tuple[TradeLeg, ...],
    now: int,
    settle_at: int = 0,
    error_code: str = "",
    allocs: tuple[ChildTrade, ...] = (),
) -> BlockTrade:
    """The block trade of ``quote`` filling ``rfq`` with ``legs``: both parties' ids, tags and anonymity; pending
    until ``settle_at`` when settlement is asynchronous (0: settled now)."""
    return BlockTrade(
        block_td_id=block_td_id,
        rfq_id=rfq.rfq_id,
        quote_id=quote.quote_id,
        taker=rfq.taker,
        maker=quote.maker,
        c_time=now,
        legs=legs,
        cl_rfq_id=rfq.cl_rfq_id,
        cl_quote_id=quote.cl_quote_id,
        taker_tag=rfq.tag,
        maker_tag=quote.tag,
        taker_anonymous=rfq.anonymous,
        maker_anonymous=quote.anonymous,
        group_id=rfq.group_id,
        allocs=allocs,
        settle_at=settle_at,
        pending=settle_at > 0,
        error_code=error_code,
    )


def group_trade(
    market: Market,
    rfq: Rfq,
    quote: Quote,
    first_block_td_id: int,
    first_trade_id: int,
    now: int,
    settle_at: int,
    error_codes: list[str],
) -> BlockTrade:
    """A group RFQ's execution: one child per allocated account, each its own blockTdId (counting up from
    ``first_block_td_id``, the first also the parent's key) and legs (tradeIds counting up from
    ``first_trade_id``), failing with its entry of ``error_codes`` ("": it fills). The parent fails (70510) only
    when every child does; its legs are the children's sums."""
    children: list[ChildTrade] = []
    trade_id = first_trade_id
    for alloc, code in zip(rfq.acct_alloc, error_codes):
        sizes = tuple(alloc.size_of(leg.inst_id) for leg in rfq.legs)
        legs = trade_legs(market, rfq, quote, sizes, trade_id, now)
        trade_id += len(legs)
        children.append(ChildTrade(alloc.acct, BlockTradeId(first_block_td_id + len(children)), legs, code))
    failed = all(child.error_code for child in children)
    return block_trade(
        BlockTradeId(first_block_td_id),
        rfq,
        quote,
        group_legs(tuple(children), filled_only=False),
        now,
        settle_at,
        errors.AllocationExecutionFailed.code if failed else "",
        tuple(children),
    )


def group_legs(children: tuple[ChildTrade, ...], filled_only: bool) -> tuple[TradeLeg, ...]:
    """A group execution's legs at the parent's level: each leg's size and both parties' fees summed over the
    children (those that filled, or all); no tradeId (0). OKX: failed executions are not in the parent's size."""
    counted = [child for child in children if not (filled_only and child.error_code)]
    result = []
    for index, template in enumerate(children[0].legs):
        sz = taker_fee = maker_fee = Decimal(0)
        for child in counted:
            leg = child.legs[index]
            sz = EXACT.add(sz, leg.sz)
            taker_fee = EXACT.add(taker_fee, leg.taker_fee)
            maker_fee = EXACT.add(maker_fee, leg.maker_fee)
        result.append(
            TradeLeg(
                inst_id=template.inst_id,
                px=template.px,
                sz=sz,
                side=template.side,
                trade_id=TradeId(0),
                taker_fee=taker_fee,
                taker_fee_ccy=template.taker_fee_ccy,
                maker_fee=maker_fee,
                maker_fee_ccy=template.maker_fee_ccy,
                trade_quote_ccy=template.trade_quote_ccy,
                tgt_ccy=template.tgt_ccy,
            )
        )
    return tuple(result)


def within_limits(rfq: Rfq, quote: Quote) -> bool:
    """lmtPx auto-execution: every leg carries a limit and the quote is at or better for the taker on each."""
    if not rfq.state.is_active:
        return False
    for rfq_leg, quote_leg in zip(rfq.legs, quote.legs):
        limit = rfq_leg.lmt_px
        if limit is None:  # on every leg or on none (rules.rfq_legs): no limits, no auto-execution
            return False
        buys = taker_side(quote, rfq_leg.side) is Side.BUY
        if (buys and quote_leg.px > limit) or (not buys and quote_leg.px < limit):
            return False
    return True


def fee(inst: Instrument, px: Decimal, sz: Decimal, tgt_ccy: str, side: Side, rate: Decimal) -> tuple[Decimal, str]:
    """The fee one party pays on one leg, OKX-signed (negative = charged), and its currency.

    SPOT: charged in the currency received (base when buying, quote when selling). Linear swaps/futures: in the
    settlement currency on the notional sz*ctVal*px; inverse: on sz*ctVal/px. Options: on the underlying amount
    sz*ctVal, capped at 12.5% of the premium. Computed in rules.EXACT: any size and price params admit.
    """
    with localcontext(EXACT):
        return _fee(inst, px, sz, tgt_ccy, side, rate)


def _fee(inst: Instrument, px: Decimal, sz: Decimal, tgt_ccy: str, side: Side, rate: Decimal) -> tuple[Decimal, str]:
    if inst.inst_type is InstType.SPOT:
        base, quote_amount = (sz / px, sz) if tgt_ccy == TgtCcy.QUOTE_CCY.value else (sz, sz * px)
        amount, ccy = (base, inst.base_ccy) if side is Side.BUY else (quote_amount, inst.quote_ccy)
        charged = amount * rate
    else:
        contracts = sz * (inst.ct_val or Decimal(1)) * (inst.ct_mult or Decimal(1))
        if inst.inst_type is InstType.OPTION:
            charged = min(contracts * rate, OPTION_FEE_CAP * px * contracts)
        elif inst.ct_type == "inverse":
            charged = contracts / px * rate
        else:
            charged = contracts * px * rate
        ccy = inst.settle_ccy
    charged = charged.quantize(FEE_QUANTUM, rounding=ROUND_HALF_EVEN)
    return (-charged if charged else Decimal(0)), ccy


def volumes(inst: Instrument, px: Decimal, sz: Decimal, tgt_ccy: str) -> tuple[Decimal, Decimal]:
    """(vol, volCcy) of one traded leg as OKX's block tickers count them.

    SPOT: base quantity and quote quantity. Derivatives: contracts, and the base-currency amount
    (sz*ctVal for linear swaps/futures and options, sz*ctVal/px for inverse contracts whose ctVal is in USD).
    """
    with localcontext(EXACT):
        if inst.inst_type is InstType.SPOT:
            if tgt_ccy == TgtCcy.QUOTE_CCY.value:
                return sz / px, sz
            return sz, sz * px
        amount = sz * (inst.ct_val or Decimal(1)) * (inst.ct_mult or Decimal(1))
        return sz, (amount / px if inst.ct_type == "inverse" else amount)
