"""Validation of RFQs and quotes against the catalogue: counterparties, legs, sizes, prices, client ids.

Each function either returns the normalised value or raises the OKX error the docs name. The order of the
checks decides which error a request with several faults gets; it follows the order of the parameter tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Final

from openrfq.domain import errors
from openrfq.domain.commands import LegRequest
from openrfq.domain.enums import InstType, Side, TgtCcy
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import QuoteLeg, Rfq, RfqLeg

MAX_LEGS = 15
# OKX documents no maximum for create-rfq's counterparties (its web form preselects every maker): openrfq's choice,
# docs/compatibility.md. Beyond it: 70107.
MAX_COUNTERPARTIES = 100
QUOTE_EXPIRES_IN_S = (10, 120)
RFQ_TTL_OPTIONS_MS = 10 * 60 * 1000
RFQ_TTL_OTHER_MS = 2 * 60 * 1000

# Arithmetic on client values. Sizes and prices have at most 20 digits before and 20 after the point (api/params),
# so their products, quotients to a fee's 8 places and remainders by a tick have at most ~80 digits: exact here,
# where the default context (28 digits) raises InvalidOperation (e.g. 1e20 % 0.00000001, a 40-digit fee quantized).
EXACT = Context(prec=120)
# The largest notional (size x price, in the quote or settlement currency) a leg may have: far beyond any trade.
MAX_NOTIONAL = Decimal("1e24")

_CL_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_TAG = re.compile(r"[A-Za-z0-9]{1,16}")
_TD_MODES = {"cash", "cross", "isolated"}
_POS_SIDES = {"net", "long", "short"}
# An enum member's .value is two interpreted frames in 3.11's enum (~70 ns), on every quote: read once here.
_BASE_CCY: Final = TgtCcy.BASE_CCY.value
_QUOTE_CCY: Final = TgtCcy.QUOTE_CCY.value
_ONE = Decimal(1)


def check_counterparties(counterparties: tuple[str, ...], taker: str, traders: frozenset[str]) -> None:
    """create-rfq's counterparties: at least one (70102), at most MAX_COUNTERPARTIES (70107), each a trader of this
    venue other than the taker (70103)."""
    if not counterparties:
        raise errors.NoCounterparties()
    if len(counterparties) > MAX_COUNTERPARTIES:
        raise errors.TooManyCounterparties()
    for code in counterparties:
        if code not in traders or code == taker:
            raise errors.InvalidCounterparty()


def quotable(rfq: Rfq | None, maker: str) -> Rfq:
    """The RFQ ``maker`` may quote: one that exists (70000), not its own (70308), sent to it (70000: an RFQ not
    sent to you does not exist for you), and still active (70303, with the state as the maker sees it)."""
    if rfq is None:
        raise errors.RfqNotFound()
    if rfq.taker == maker:
        raise errors.QuoteOwnRfq()
    if maker not in rfq.counterparties:
        raise errors.RfqNotFound()
    if not rfq.state.is_active:
        raise errors.RfqNotQuotable(rfqState=rfq.state_for(maker).value)
    return rfq


def check_cl_id(value: str, name: str) -> str:
    """clRfqId / clQuoteId: 1..32 letters or digits; "" means none."""
    if value and not _CL_ID.fullmatch(value):
        raise errors.ParameterError(param0=name)
    return value


def check_tag(value: str) -> str:
    if value and not _TAG.fullmatch(value):
        raise errors.ParameterError(param0="tag")
    return value


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return EXACT.remainder(value, step) == 0


def rfq_ttl_ms(instruments: list[Instrument]) -> int:
    return RFQ_TTL_OPTIONS_MS if all(i.is_option for i in instruments) else RFQ_TTL_OTHER_MS


def _instrument(catalogue: Mapping[str, Instrument], inst_id: str) -> Instrument:
    inst = catalogue.get(inst_id)
    if inst is None:
        raise errors.InvalidInstrument(instId=inst_id)
    return inst


def _effective_tgt_ccy(inst: Instrument, tgt_ccy: str) -> str:
    # tgtCcy only applies to SPOT, where "" means base_ccy.
    if inst.inst_type is not InstType.SPOT:
        return ""
    return tgt_ccy or _BASE_CCY


def check_position(td_mode: str, pos_side: str) -> None:
    """A leg's tdMode and posSide, when given (51000 naming the parameter)."""
    if td_mode and td_mode not in _TD_MODES:
        raise errors.ParameterError(param0="tdMode")
    if pos_side and pos_side not in _POS_SIDES:
        raise errors.ParameterError(param0="posSide")


def _check_leg_modes(inst: Instrument, leg: LegRequest) -> None:
    check_position(leg.td_mode, leg.pos_side)
    if leg.tgt_ccy and leg.tgt_ccy not in (_BASE_CCY, _QUOTE_CCY):
        raise errors.ParameterError(param0="tgtCcy")
    if leg.trade_quote_ccy and inst.inst_type is InstType.SPOT and leg.trade_quote_ccy != inst.quote_ccy:
        raise errors.ParameterError(param0="tradeQuoteCcy")


def check_size(inst: Instrument, sz: Decimal, tgt_ccy: str) -> None:
    """A leg's size: positive (51000), and unless in quote currency on the lot grid (70307) and at least minSz."""
    if sz <= 0:
        raise errors.ParameterError(param0="sz")
    if tgt_ccy == _QUOTE_CCY:
        # A quote-currency amount has no lot grid of its own; only positivity applies.
        return
    if not is_multiple(sz, inst.lot_sz):
        raise errors.SizeNotLotMultiple()
    if sz < inst.min_sz:
        raise errors.BelowMinSize()


def _check_price(inst: Instrument, px: Decimal) -> None:
    if px <= 0 or not is_multiple(px, inst.tick_sz):
        raise errors.PriceNotTickMultiple()


def check_notional(inst: Instrument, sz: Decimal, px: Decimal, tgt_ccy: str) -> None:
    """A leg's value at ``px`` (quote currency for SPOT, size x contract value x price for derivatives) is bounded."""
    if tgt_ccy == _QUOTE_CCY:
        value = sz
    else:
        ct_val, ct_mult = inst.ct_val, inst.ct_mult
        if ct_val is not None or ct_mult is not None:  # a derivative's contracts; SPOT has neither
            sz = EXACT.multiply(sz, EXACT.multiply(ct_val or _ONE, ct_mult or _ONE))
        value = EXACT.multiply(sz, px)
    if abs(value) > MAX_NOTIONAL:
        raise errors.OrderAmountExceeded()


def rfq_legs(catalogue: Mapping[str, Instrument], legs: tuple[LegRequest, ...]) -> tuple[RfqLeg, ...]:
    """Validate create-rfq legs and fill OKX's defaults (tdMode, tgtCcy, tradeQuoteCcy)."""
    if not legs:
        raise errors.ParameterEmpty(param0="legs")
    if len(legs) > MAX_LEGS:
        raise errors.TooManyLegs()
    seen: set[str] = set()
    result = []
    for leg in legs:
        inst = _instrument(catalogue, leg.inst_id)
        if leg.inst_id in seen:
            raise errors.DuplicateInstruments()
        seen.add(leg.inst_id)
        _check_leg_modes(inst, leg)
        tgt_ccy = _effective_tgt_ccy(inst, leg.tgt_ccy)
        check_size(inst, leg.sz, tgt_ccy)
        result.append(
            RfqLeg(
                inst_id=leg.inst_id,
                sz=leg.sz,
                side=leg.side,
                td_mode=leg.td_mode or inst.default_td_mode,
                ccy=leg.ccy,
                pos_side=leg.pos_side,
                tgt_ccy=tgt_ccy,
                trade_quote_ccy=(leg.trade_quote_ccy or inst.quote_ccy) if inst.inst_type is InstType.SPOT else "",
                lmt_px=leg.lmt_px,
            )
        )
    with_limit = sum(1 for leg in legs if leg.lmt_px is not None)
    if with_limit not in (0, len(legs)):
        # OKX: lmtPx must be on every leg or on none.
        raise errors.ParameterError(param0="lmtPx")
    for leg, checked in zip(legs, result):
        if leg.lmt_px is not None:
            if leg.lmt_px <= 0:
                raise errors.ParameterError(param0="lmtPx")
            check_notional(catalogue[leg.inst_id], leg.sz, leg.lmt_px, checked.tgt_ccy)
    return tuple(result)


def quote_legs(
    catalogue: Mapping[str, Instrument],
    rfq_id: int,
    rfq_legs: tuple[RfqLeg, ...],
    legs: tuple[LegRequest, ...],
) -> tuple[QuoteLeg, ...]:
    """A quote must price every RFQ leg exactly once, with the RFQ's size, side and tgtCcy (else 70306)."""
    if not legs:
        raise errors.ParameterEmpty(param0="legs")
    by_inst = {leg.inst_id: leg for leg in rfq_legs}
    if len(legs) != len(rfq_legs) or len({leg.inst_id for leg in legs}) != len(legs):
        raise errors.QuoteLegsMismatch(rfqId=str(rfq_id))
    result = []
    for leg in legs:
        inst_id, sz, px, side = leg.inst_id, leg.sz, leg.px, leg.side  # each read once: a Struct's are lookups
        rfq_leg = by_inst.get(inst_id)
        if rfq_leg is None:
            raise errors.QuoteLegsMismatch(rfqId=str(rfq_id))
        inst = catalogue[inst_id]
        _check_leg_modes(inst, leg)
        tgt_ccy = rfq_leg.tgt_ccy
        if sz != rfq_leg.sz or side is not rfq_leg.side or _effective_tgt_ccy(inst, leg.tgt_ccy) != tgt_ccy:
            raise errors.QuoteLegsMismatch(rfqId=str(rfq_id))
        if px is None:
            raise errors.ParameterEmpty(param0="px")
        _check_price(inst, px)
        check_notional(inst, sz, px, tgt_ccy)
        result.append(
            QuoteLeg(
                inst_id=inst_id,
                sz=sz,
                px=px,
                side=side,
                td_mode=leg.td_mode or inst.default_td_mode,
                ccy=leg.ccy,
                pos_side=leg.pos_side,
                tgt_ccy=tgt_ccy,
                trade_quote_ccy=rfq_leg.trade_quote_ccy,
            )
        )
    return tuple(result)


def quote_expiry_s(expires_in: int) -> int:
    low, high = QUOTE_EXPIRES_IN_S
    if not low <= expires_in <= high:
        raise errors.ParameterError(param0="expiresIn")
    return expires_in


_SIDES = {side.value: side for side in Side}  # a dict lookup: calling the enum class runs EnumType.__call__


def side_of(value: str, name: str = "side") -> Side:
    found = _SIDES.get(value)
    if found is None:
        raise errors.ParameterError(param0=name)
    return found
