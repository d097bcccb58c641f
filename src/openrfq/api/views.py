"""Entities rendered for one viewer as the wire Structs (``openrfq.wire``): OKX's field names and order,
numbers as strings. The codec encodes them; the client decodes the same Structs.

The engine stores facts; what a caller sees depends on who it is: makers never see clRfqId, takers never see
clQuoteId, an anonymous party's trader code is blank to its counterparty, a maker whose quote lost sees the
RFQ as traded_away, and a maker sees only itself among an RFQ's counterparties.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from msgspec import UNSET, UnsetType

from openrfq import wire
from openrfq.api.codec import num
from openrfq.config import Account
from openrfq.domain.execution import group_legs
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import Allocation, BlockTrade, ChildTrade, Quote, QuoteLeg, Rfq, RfqLeg, TradeLeg
from openrfq.domain.rules import EXACT
from openrfq.domain.strategies import option_strategy
from openrfq.engine.reads import Reads

_SZ_QUANTUM = Decimal("1e-8")


def rfq_leg(leg: RfqLeg) -> wire.RfqLeg[str]:
    # An enum's ._value_, not .value: in 3.11 .value runs two interpreted frames of enum's (~70 ns), per field.
    return wire.RfqLeg(
        inst_id=leg.inst_id,
        td_mode=leg.td_mode,
        ccy=leg.ccy,
        sz=num(leg.sz),
        side=leg.side._value_,
        pos_side=leg.pos_side,
        tgt_ccy=leg.tgt_ccy,
        trade_quote_ccy=leg.trade_quote_ccy,
    )


def allocation(a: Allocation, created: bool) -> wire.RfqAlloc[str]:
    """One account's share of a group RFQ, as its taker sent it; the create-rfq answer adds its sCode/sMsg (each
    accepted: a group RFQ is created whole or not at all)."""
    return wire.RfqAlloc(
        acct=a.acct,
        s_code="0" if created else UNSET,
        s_msg="" if created else UNSET,
        legs=[
            wire.AllocLeg(inst_id=leg.inst_id, sz=num(leg.sz), td_mode=leg.td_mode, ccy=leg.ccy, pos_side=leg.pos_side)
            for leg in a.legs
        ],
    )


def rfq(r: Rfq, viewer: str, flow_type: bool = True) -> wire.Rfq[str, str]:
    """create-rfq answers without ``flowType``; Get rfqs and the rfqs channel include it. A group RFQ's
    ``groupId`` is everyone's, its ``acctAlloc`` the taker's alone."""
    is_taker = viewer == r.taker
    return wire.Rfq(
        c_time=str(r.c_time),
        u_time=str(r.u_time),
        state=r.state_for(viewer)._value_,
        counterparties=list(r.counterparties) if is_taker else [viewer],
        valid_until=str(r.valid_until),
        cl_rfq_id=r.cl_rfq_id if is_taker else "",
        tag=r.tag,
        allow_partial_execution=r.allow_partial,
        trader_code=r.taker if is_taker or not r.anonymous else "",
        rfq_id=str(r.rfq_id),
        legs=[rfq_leg(leg) for leg in r.legs],
        group_id=_group_id(r.group_id),
        acct_alloc=[allocation(a, created=not flow_type) for a in r.acct_alloc] if is_taker else [],
        flow_type="" if flow_type else UNSET,
    )


def quote_leg(leg: QuoteLeg) -> wire.QuoteLeg[str]:
    return wire.QuoteLeg(
        inst_id=leg.inst_id,
        td_mode=leg.td_mode,
        ccy=leg.ccy,
        sz=num(leg.sz),
        px=num(leg.px),
        side=leg.side._value_,
        pos_side=leg.pos_side,
        tgt_ccy=leg.tgt_ccy,
        trade_quote_ccy=leg.trade_quote_ccy,
    )


def quote(q: Quote, r: Rfq, viewer: str) -> wire.Quote[str, str]:
    is_maker = viewer == q.maker
    return wire.Quote(
        c_time=str(q.c_time),
        u_time=str(q.u_time),
        state=q.state._value_,
        reason=q.reason,
        valid_until=str(q.valid_until),
        rfq_id=str(q.rfq_id),
        cl_rfq_id=r.cl_rfq_id if viewer == r.taker else "",
        quote_id=str(q.quote_id),
        cl_quote_id=q.cl_quote_id if is_maker else "",
        tag=q.tag,
        trader_code=q.maker if is_maker or not q.anonymous else "",
        quote_side=q.quote_side._value_,
        legs=[quote_leg(leg) for leg in q.legs],
    )


def counterparty(account: Account) -> wire.Counterparty:
    return wire.Counterparty(trader_name=account.trader_name, trader_code=account.trader_code, type=account.type)


def _opt(value: Decimal | int | None) -> str:
    return "" if value is None else str(value) if isinstance(value, int) else num(value)


def instrument(i: Instrument) -> wire.Instrument[str]:
    """Every field of OKX's Get instruments; those that do not apply to the type are ""."""
    spot = i.inst_type.value == "SPOT"
    return wire.Instrument(
        inst_type=i.inst_type.value,
        inst_id=i.inst_id,
        uly=i.inst_family,
        inst_family=i.inst_family,
        category="1",
        base_ccy=i.base_ccy,
        quote_ccy=i.quote_ccy,
        settle_ccy=i.settle_ccy,
        ct_val=_opt(i.ct_val),
        ct_mult=_opt(i.ct_mult),
        ct_val_ccy=i.ct_val_ccy,
        opt_type=i.opt_type,
        stk=_opt(i.stk),
        list_time=str(i.list_time),
        auction_end_time="",
        cont_td_sw_time="",
        pre_mkt_sw_time="",
        open_type="",
        exp_time=_opt(i.exp_time),
        lever=i.lever,
        tick_sz=num(i.tick_sz),
        lot_sz=num(i.lot_sz),
        min_sz=num(i.min_sz),
        ct_type=i.ct_type,
        alias=i.alias,
        state=i.state,
        rule_type="normal",
        max_lmt_sz="1000000",
        max_mkt_sz="1000000",
        max_lmt_amt="20000000",
        max_mkt_amt="1000000" if spot else "",
        max_twap_sz="1000000",
        max_iceberg_sz="1000000",
        max_trigger_sz="1000000",
        max_stop_sz="1000000",
        future_settlement=False,
        trade_quote_ccy_list=[i.quote_ccy] if spot else [],
        inst_id_code=_inst_id_code(i.inst_id),
    )


def _inst_id_code(inst_id: str) -> int:
    # A stable integer per instId (OKX's codes are opaque numbers).
    value = 0
    for ch in inst_id.encode():
        value = (value * 131 + ch) % 2_000_000_000
    return value


TradeView = wire.Trade[str, str, wire.TradeAlloc[str]]
ExecutionView = wire.Trade[str, str, wire.ExecutionAlloc[str]]


def _group_id(group_id: int) -> str:
    return str(group_id) if group_id else ""


def trade(t: BlockTrade, viewer: str) -> TradeView:
    """A settled block trade as Get trades shows its taker or maker: own fees, own client id, own tag, the taker's
    sides; whether it filled (``isSuccessful``, ``errorCode``) and the legs' tradeQuoteCcy. Nothing was charged
    for a failed execution (fee 0). A group RFQ's: at the parent's level (no blockTdId, no tradeIds, the sizes
    and fees of the accounts' executions that filled) with each account's execution in ``acctAlloc``."""
    return _trade(t, viewer, push=False)


def struc_block_trade(t: BlockTrade, viewer: str) -> TradeView:
    """A settled block trade as the struc-block-trades channel pushes it: Get trades' fields, but legs with tgtCcy
    and without tradeQuoteCcy (block-trading.md, "Structure block trades channel")."""
    return _trade(t, viewer, push=True)


def _trade(t: BlockTrade, viewer: str, push: bool) -> TradeView:
    is_taker = viewer == t.taker
    legs = group_legs(t.allocs, filled_only=True) if t.allocs else t.legs
    charged = not t.error_code or bool(t.allocs)  # a group's legs sum only what filled
    return wire.Trade(
        c_time=str(t.c_time),
        rfq_id=str(t.rfq_id),
        cl_rfq_id=t.cl_rfq_id if is_taker else "",
        quote_id=str(t.quote_id),
        cl_quote_id=t.cl_quote_id if viewer == t.maker else "",
        block_td_id="" if t.allocs else str(t.block_td_id),
        tag=t.taker_tag if is_taker else t.maker_tag,
        t_trader_code=t.taker if is_taker or not t.taker_anonymous else "",
        m_trader_code=t.maker if viewer == t.maker or not t.maker_anonymous else "",
        is_successful=t.is_successful,
        error_code=t.error_code,
        legs=[
            wire.TradeLeg(
                inst_id=leg.inst_id,
                px=num(leg.px),
                sz=num(leg.sz),
                side=leg.side._value_,
                tgt_ccy=leg.tgt_ccy if push else UNSET,
                fee=num(_fee(leg, is_taker)) if charged else "0",
                fee_ccy=leg.taker_fee_ccy if is_taker else leg.maker_fee_ccy,
                trade_id="" if t.allocs else str(leg.trade_id),
                trade_quote_ccy=UNSET if push else leg.trade_quote_ccy,
            )
            for leg in legs
        ],
        acct_alloc=[_trade_alloc(child, is_taker) for child in t.allocs],
    )


def _trade_alloc(child: ChildTrade, is_taker: bool) -> wire.TradeAlloc[str]:
    """One account's execution in Get trades: errorCode "0" when it filled; a failed one filled nothing (sz and
    fee 0); the account is named to the taker only."""
    filled = not child.error_code
    return wire.TradeAlloc(
        block_td_id=str(child.block_td_id),
        error_code=child.error_code or "0",
        acct=child.acct if is_taker else "",
        legs=[
            wire.TradeAllocLeg(
                inst_id=leg.inst_id,
                sz=num(leg.sz) if filled else "0",
                trade_id=str(leg.trade_id),
                fee=num(_fee(leg, is_taker)) if filled else "0",
                fee_ccy=leg.taker_fee_ccy if is_taker else leg.maker_fee_ccy,
            )
            for leg in child.legs
        ],
    )


def execution(t: BlockTrade, viewer: str) -> ExecutionView:
    """The execute-quote answer: the trade as executed, settled or not (a pending one settles later), without
    Get trades' isSuccessful/errorCode and tradeQuoteCcy. A group RFQ's: the parent (no blockTdId, no tradeIds,
    the sums) and each account's execution as accepted (sCode 0)."""
    is_taker = viewer == t.taker
    return wire.Trade(
        c_time=str(t.c_time),
        rfq_id=str(t.rfq_id),
        cl_rfq_id=t.cl_rfq_id if is_taker else "",
        quote_id=str(t.quote_id),
        cl_quote_id=t.cl_quote_id if viewer == t.maker else "",
        block_td_id="" if t.allocs else str(t.block_td_id),
        tag=t.taker_tag if is_taker else t.maker_tag,
        t_trader_code=t.taker if is_taker or not t.taker_anonymous else "",
        m_trader_code=t.maker if viewer == t.maker or not t.maker_anonymous else "",
        legs=[
            wire.TradeLeg(
                inst_id=leg.inst_id,
                px=num(leg.px),
                sz=num(leg.sz),
                side=leg.side._value_,
                fee=num(_fee(leg, is_taker)),
                fee_ccy=leg.taker_fee_ccy if is_taker else leg.maker_fee_ccy,
                trade_id="" if t.allocs else str(leg.trade_id),
            )
            for leg in t.legs
        ],
        acct_alloc=[
            wire.ExecutionAlloc(
                acct=child.acct,
                block_td_id=str(child.block_td_id),
                s_code="0",
                s_msg="",
                legs=[
                    wire.ExecutionAllocLeg(
                        inst_id=leg.inst_id,
                        sz=num(leg.sz),
                        fee=num(_fee(leg, is_taker)),
                        fee_ccy=leg.taker_fee_ccy if is_taker else leg.maker_fee_ccy,
                        trade_id=str(leg.trade_id),
                    )
                    for leg in child.legs
                ],
            )
            for child in t.allocs
        ],
    )


def _fee(leg: TradeLeg, is_taker: bool) -> Decimal:
    return leg.taker_fee if is_taker else leg.maker_fee


def public_trade(t: BlockTrade, catalogue: Mapping[str, Instrument]) -> wire.PublicTrade[str, str]:
    """A multi-leg block trade for everyone (public-trades): no counterparties, no fees, sides from the taker's
    view, and the option strategy its legs form. A group RFQ's at the parent's level: its groupId, no blockTdId,
    no tradeIds, the sizes of the accounts' executions that filled."""
    legs = [(catalogue.get(leg.inst_id), leg) for leg in _public_legs(t)]
    named = [(inst, leg.side, leg.sz) for inst, leg in legs if inst is not None]
    return _public_trade(t, option_strategy(named) if len(named) == len(legs) else "")


def public_trade_push(t: BlockTrade) -> wire.PublicTrade[str, str]:
    """A multi-leg block trade as the public-struc-block-trades channel pushes it: no ``strategy``."""
    return _public_trade(t, UNSET)


def _public_legs(t: BlockTrade) -> tuple[TradeLeg, ...]:
    return group_legs(t.allocs, filled_only=True) if t.allocs else t.legs


def _public_trade(t: BlockTrade, strategy: str | UnsetType) -> wire.PublicTrade[str, str]:
    return wire.PublicTrade(
        strategy=strategy,
        c_time=str(t.c_time),
        block_td_id="" if t.allocs else str(t.block_td_id),
        group_id=_group_id(t.group_id),
        legs=[
            wire.PublicTradeLeg(
                inst_id=leg.inst_id,
                px=num(leg.px),
                sz=num(_public_sz(leg)),
                side=leg.side._value_,
                trade_id="" if t.allocs else str(leg.trade_id),
            )
            for leg in _public_legs(t)
        ],
    )


def public_leg(t: BlockTrade, leg: TradeLeg, inst: Instrument) -> wire.PublicBlockTrade[str, str]:
    """One leg of a block trade, as /api/v5/public/block-trades lists it (a group RFQ's: one account's leg)."""
    derivative = inst.inst_type.value != "SPOT"
    return wire.PublicBlockTrade(
        inst_id=leg.inst_id,
        trade_id=str(leg.trade_id),
        px=num(leg.px),
        sz=num(_public_sz(leg)),
        side=leg.side._value_,
        # Options: the volatility the mark was priced with, and the forward (the index: rates are zero).
        fill_vol=_opt(leg.fill_vol) if inst.is_option else "",
        fwd_px=_opt(leg.idx_px) if inst.is_option else "",
        idx_px=_opt(leg.idx_px) if derivative else "",
        mark_px=_opt(leg.mark_px) if derivative else "",
        group_id=_group_id(t.group_id),
        ts=str(t.c_time),
    )


def _public_sz(leg: TradeLeg) -> Decimal:
    """Public data sizes SPOT in base currency: a leg sized in quote currency is converted at its price."""
    if leg.tgt_ccy != "quote_ccy":
        return leg.sz
    return EXACT.normalize(EXACT.quantize(EXACT.divide(leg.sz, leg.px), _SZ_QUANTUM))


_VOL_QUANTUM = Decimal("0.00000001")
DAY_MS = 24 * 3600 * 1000


def published_until(now_ms: int, delay_ms: int) -> int:
    """Public block-trade data shows what executed up to this moment (OKX publishes 15 minutes late)."""
    return now_ms - delay_ms


def ticker(reads: Reads, inst: Instrument, now_ms: int, delay_ms: int) -> wire.BlockTicker[str, str]:
    """An instrument's block ticker: the rolling 24 h volume of the venue's published block trades in it."""
    until = published_until(now_ms, delay_ms)
    vol, vol_ccy = reads.block_volumes(inst, until - DAY_MS, until)
    return block_ticker(inst, vol, EXACT.normalize(EXACT.quantize(vol_ccy, _VOL_QUANTUM)), now_ms)


def block_ticker(inst: Instrument, vol: Decimal, vol_ccy: Decimal, ts: int) -> wire.BlockTicker[str, str]:
    return wire.BlockTicker(
        inst_type=inst.inst_type.value, inst_id=inst.inst_id, vol_ccy24h=num(vol_ccy), vol24h=num(vol), ts=str(ts)
    )


# Names and main chains of the currencies OKX lists them under; any other currency is named by its code.
_CURRENCY_NAMES = {"BTC": ("Bitcoin", "Bitcoin"), "ETH": ("Ethereum", "ERC20"), "USDT": ("Tether", "ERC20")}


def currency(ccy: str) -> wire.Currency:
    """A currency of the venue's catalogue as Get currencies lists it: one chain, nothing to deposit or withdraw."""
    name, network = _CURRENCY_NAMES.get(ccy, (ccy, ccy))
    zero = "0"
    return wire.Currency(
        ccy=ccy,
        name=name,
        chain=f"{ccy}-{network}",
        min_dep=zero,
        min_wd=zero,
        min_internal=zero,
        max_wd=zero,
        wd_tick_sz="8",
        wd_quota=zero,
        used_wd_quota=zero,
        fee=zero,
        min_fee=zero,
        max_fee=zero,
        min_fee_for_ct_addr=zero,
        max_fee_for_ct_addr=zero,
        main_net=True,
        min_dep_arrival_confirm=zero,
        min_wd_unlock_confirm=zero,
    )


def empty_account_balance(now_ms: int) -> wire.AccountBalance:
    """Get balance of a trading account holding nothing (the venue keeps no balances): equity, margins and
    notionals 0, ratios of nothing ""."""
    zero = "0"
    return wire.AccountBalance(
        adj_eq=zero,
        avail_eq=zero,
        borrow_froz=zero,
        delta=zero,
        delta_neutral_status=zero,
        imr=zero,
        iso_eq=zero,
        mmr=zero,
        notional_usd=zero,
        notional_usd_for_borrow=zero,
        notional_usd_for_futures=zero,
        notional_usd_for_option=zero,
        notional_usd_for_swap=zero,
        ord_froz=zero,
        total_eq=zero,
        u_time=str(now_ms),
        upl=zero,
    )
