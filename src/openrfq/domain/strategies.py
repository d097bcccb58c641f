"""OKX's name for the option structure of a block trade: the ``strategy`` of public multi-leg trades
(block-trading.md: "Option strategy, e.g. CALL_CALENDAR_SPREAD"), derived from the trade's legs.

All legs are options of one family (``BTC-USD``):
- one leg: ``CALL`` or ``PUT``;
- two calls (or two puts), opposite sides, equal sizes: one expiry and two strikes is ``CALL_SPREAD``
  (``PUT_SPREAD``), one strike and two expiries ``CALL_CALENDAR_SPREAD`` (``PUT_CALENDAR_SPREAD``);
- a call and a put of one expiry, same side, equal sizes: one strike is ``STRADDLE``, two ``STRANGLE``.
Anything else (a spot, swap or futures leg, diagonals, ratios, three legs and more) has no name: "".
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from openrfq.domain.enums import Side
from openrfq.domain.instrument import Instrument

Leg = tuple[Instrument, Side, Decimal]  # the instrument, the side (the taker's) and the size of one leg

_TYPE = {"C": "CALL", "P": "PUT"}


def option_strategy(legs: Sequence[Leg]) -> str:
    if not legs or any(not inst.is_option or inst.opt_type not in _TYPE for inst, _, _ in legs):
        return ""
    if len({inst.inst_family for inst, _, _ in legs}) != 1:
        return ""
    if len(legs) == 1:
        return _TYPE[legs[0][0].opt_type]
    if len(legs) != 2:
        return ""
    (a, a_side, a_sz), (b, b_side, b_sz) = legs
    if a_sz != b_sz:
        return ""
    same_strike, same_expiry = a.stk == b.stk, a.exp_time == b.exp_time
    if a.opt_type == b.opt_type:
        if a_side is b_side or same_strike == same_expiry:  # one differs: a spread or a calendar, not both
            return ""
        return f"{_TYPE[a.opt_type]}_{'SPREAD' if same_expiry else 'CALENDAR_SPREAD'}"
    if a_side is not b_side or not same_expiry:
        return ""
    return "STRADDLE" if same_strike else "STRANGLE"
