"""Entities rendered for one viewer, in OKX's field names and order, numbers as strings.

The engine stores facts; what a caller sees depends on who it is: makers never see clRfqId, takers never see
clQuoteId, an anonymous party's trader code is blank to its counterparty, a maker whose quote lost sees the
RFQ as traded_away, and a maker sees only itself among an RFQ's counterparties.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openrfq.api.codec import num
from openrfq.config import Account
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import BlockTrade, Quote, QuoteLeg, Rfq, RfqLeg, TradeLeg
from openrfq.domain.rules import EXACT
from openrfq.engine import Venue

_SZ_QUANTUM = Decimal("1e-8")

Json = dict[str, Any]


def rfq_leg(leg: RfqLeg) -> Json:
    return {
        "instId": leg.inst_id,
        "tdMode": leg.td_mode,
        "ccy": leg.ccy,
        "sz": num(leg.sz),
        "side": leg.side.value,
        "posSide": leg.pos_side,
        "tgtCcy": leg.tgt_ccy,
        "tradeQuoteCcy": leg.trade_quote_ccy,
    }


def rfq(r: Rfq, viewer: str, flow_type: bool = True) -> Json:
    """create-rfq answers without ``flowType``; Get rfqs and the rfqs channel include it."""
    is_taker = viewer == r.taker
    view: Json = {
        "cTime": str(r.c_time),
        "uTime": str(r.u_time),
        "state": r.state_for(viewer).value,
        "counterparties": list(r.counterparties) if is_taker else [viewer],
        "validUntil": str(r.valid_until),
        "clRfqId": r.cl_rfq_id if is_taker else "",
        "tag": r.tag,
        "allowPartialExecution": r.allow_partial,
        "traderCode": r.taker if is_taker or not r.anonymous else "",
        "rfqId": str(r.rfq_id),
        "legs": [rfq_leg(leg) for leg in r.legs],
        "groupId": "",
        "acctAlloc": [],
    }
    if flow_type:
        view["flowType"] = ""
    return view


def quote_leg(leg: QuoteLeg) -> Json:
    return {
        "instId": leg.inst_id,
        "tdMode": leg.td_mode,
        "ccy": leg.ccy,
        "sz": num(leg.sz),
        "px": num(leg.px),
        "side": leg.side.value,
        "posSide": leg.pos_side,
        "tgtCcy": leg.tgt_ccy,
        "tradeQuoteCcy": leg.trade_quote_ccy,
    }


def quote(q: Quote, r: Rfq, viewer: str) -> Json:
    is_maker = viewer == q.maker
    return {
        "cTime": str(q.c_time),
        "uTime": str(q.u_time),
        "state": q.state.value,
        "reason": q.reason,
        "validUntil": str(q.valid_until),
        "rfqId": str(q.rfq_id),
        "clRfqId": r.cl_rfq_id if viewer == r.taker else "",
        "quoteId": str(q.quote_id),
        "clQuoteId": q.cl_quote_id if is_maker else "",
        "tag": q.tag,
        "traderCode": q.maker if is_maker or not q.anonymous else "",
        "quoteSide": q.quote_side.value,
        "legs": [quote_leg(leg) for leg in q.legs],
    }


def counterparty(account: Account) -> Json:
    return {"traderName": account.trader_name, "traderCode": account.trader_code, "type": account.type}


def _opt(value: Decimal | int | None) -> str:
    return "" if value is None else str(value) if isinstance(value, int) else num(value)


def instrument(i: Instrument) -> Json:
    """Every field of OKX's Get instruments; those that do not apply to the type are ""."""
    spot = i.inst_type.value == "SPOT"
    return {
        "instType": i.inst_type.value,
        "instId": i.inst_id,
        "uly": i.inst_family,
        "instFamily": i.inst_family,
        "category": "1",
        "baseCcy": i.base_ccy,
        "quoteCcy": i.quote_ccy,
        "settleCcy": i.settle_ccy,
        "ctVal": _opt(i.ct_val),
        "ctMult": _opt(i.ct_mult),
        "ctValCcy": i.ct_val_ccy,
        "optType": i.opt_type,
        "stk": _opt(i.stk),
        "listTime": str(i.list_time),
        "auctionEndTime": "",
        "contTdSwTime": "",
        "preMktSwTime": "",
        "openType": "",
        "expTime": _opt(i.exp_time),
        "lever": i.lever,
        "tickSz": num(i.tick_sz),
        "lotSz": num(i.lot_sz),
        "minSz": num(i.min_sz),
        "ctType": i.ct_type,
        "alias": i.alias,
        "state": i.state,
        "ruleType": "normal",
        "maxLmtSz": "1000000",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxMktAmt": "1000000" if spot else "",
        "maxTwapSz": "1000000",
        "maxIcebergSz": "1000000",
        "maxTriggerSz": "1000000",
        "maxStopSz": "1000000",
        "futureSettlement": False,
        "tradeQuoteCcyList": [i.quote_ccy] if spot else [],
        "instIdCode": _inst_id_code(i.inst_id),
    }


def _inst_id_code(inst_id: str) -> int:
    # A stable integer per instId (OKX's codes are opaque numbers).
    value = 0
    for ch in inst_id.encode():
        value = (value * 131 + ch) % 2_000_000_000
    return value


def trade(t: BlockTrade, viewer: str, history: bool = True) -> Json:
    """A block trade as its taker or maker sees it: own fees, own client id, own tag; sides are the taker's.

    ``history``: Get trades and the struc-block-trades channel add isSuccessful/errorCode and tradeQuoteCcy;
    the execute-quote answer does not carry them.
    """
    is_taker = viewer == t.taker
    legs = []
    for leg in t.legs:
        view: Json = {
            "instId": leg.inst_id,
            "px": num(leg.px),
            "sz": num(leg.sz),
            "side": leg.side.value,
            "fee": num(leg.taker_fee if is_taker else leg.maker_fee),
            "feeCcy": leg.taker_fee_ccy if is_taker else leg.maker_fee_ccy,
            "tradeId": str(leg.trade_id),
        }
        if history:
            view["tradeQuoteCcy"] = leg.trade_quote_ccy
        legs.append(view)
    result: Json = {
        "cTime": str(t.c_time),
        "rfqId": str(t.rfq_id),
        "clRfqId": t.cl_rfq_id if is_taker else "",
        "quoteId": str(t.quote_id),
        "clQuoteId": t.cl_quote_id if viewer == t.maker else "",
        "blockTdId": str(t.block_td_id),
        "tag": t.taker_tag if is_taker else t.maker_tag,
        "tTraderCode": t.taker if is_taker or not t.taker_anonymous else "",
        "mTraderCode": t.maker if viewer == t.maker or not t.maker_anonymous else "",
    }
    if history:
        result["isSuccessful"] = True
        result["errorCode"] = ""
    result["legs"] = legs
    result["acctAlloc"] = []
    return result


def public_trade(t: BlockTrade) -> Json:
    """A multi-leg block trade for everyone: no counterparties, no fees, sides from the taker's view."""
    return {
        "strategy": "",
        "cTime": str(t.c_time),
        "blockTdId": str(t.block_td_id),
        "groupId": "",
        "legs": [
            {
                "instId": leg.inst_id,
                "px": num(leg.px),
                "sz": num(_public_sz(leg)),
                "side": leg.side.value,
                "tradeId": str(leg.trade_id),
            }
            for leg in t.legs
        ],
    }


def public_leg(t: BlockTrade, leg: TradeLeg, inst: Instrument) -> Json:
    """One leg of a block trade, as /api/v5/public/block-trades lists it."""
    derivative = inst.inst_type.value != "SPOT"
    return {
        "instId": leg.inst_id,
        "tradeId": str(leg.trade_id),
        "px": num(leg.px),
        "sz": num(_public_sz(leg)),
        "side": leg.side.value,
        # Options: the volatility the mark was priced with, and the forward (the index: rates are zero).
        "fillVol": _opt(leg.fill_vol) if inst.is_option else "",
        "fwdPx": _opt(leg.idx_px) if inst.is_option else "",
        "idxPx": _opt(leg.idx_px) if derivative else "",
        "markPx": _opt(leg.mark_px) if derivative else "",
        "groupId": "",
        "ts": str(t.c_time),
    }


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


def ticker(venue: Venue, inst: Instrument, now_ms: int, delay_ms: int) -> Json:
    """An instrument's block ticker: the rolling 24 h volume of the venue's published block trades in it."""
    until = published_until(now_ms, delay_ms)
    vol, vol_ccy = venue.block_volumes(inst, until - DAY_MS, until)
    return block_ticker(inst, vol, EXACT.normalize(EXACT.quantize(vol_ccy, _VOL_QUANTUM)), now_ms)


def block_ticker(inst: Instrument, vol: Decimal, vol_ccy: Decimal, ts: int) -> Json:
    return {
        "instType": inst.inst_type.value,
        "instId": inst.inst_id,
        "volCcy24h": num(vol_ccy),
        "vol24h": num(vol),
        "ts": str(ts),
    }
