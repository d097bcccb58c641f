"""How the LP bot prices a quote: pure arithmetic on the RFQ's legs, mark prices and tick sizes.

The bot always takes the other side of the taker's legs (quoteSide ``sell``: where the taker buys a leg the
maker sells it). A leg the maker sells is priced at mark + spread rounded up to a tick; a leg it buys at
mark - spread rounded down, never below one tick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

from openrfq.client import Instrument, Leg, Quote, RfqLeg

QUOTE_SIDE = "sell"
_BPS = Decimal(10000)


def quote_legs(
    legs: Sequence[RfqLeg],
    instruments: Mapping[str, Instrument],
    marks: Mapping[str, Decimal],
    spread_bps: Mapping[str, Decimal],
    skew_bps: Mapping[Literal["buy", "sell"], Decimal] | None = None,
) -> list[Leg]:
    """The quote's legs, each matching the RFQ's leg (instId, sz, side, tgtCcy) with a price; KeyError when an
    instrument or its mark is unknown. ``skew_bps`` adds to the spread on the side the maker takes ("buy"/"sell")."""
    quoted = []
    for leg in legs:
        inst = instruments[leg.inst_id]
        maker_sells = leg.side == "buy"
        skew = (skew_bps or {}).get("sell" if maker_sells else "buy", Decimal(0))
        edge = (spread_bps[inst.inst_type] + skew) / _BPS
        raw = marks[leg.inst_id] * (1 + edge if maker_sells else 1 - edge)
        ticks = (raw / inst.tick_sz).quantize(Decimal(1), rounding=ROUND_CEILING if maker_sells else ROUND_FLOOR)
        px = max(ticks, Decimal(1)) * inst.tick_sz
        quoted.append(Leg(leg.inst_id, leg.sz, leg.side, px=px, tgt_ccy=leg.tgt_ccy))
    return quoted


def taker_cost(quote: Quote) -> Decimal:
    """What executing ``quote`` costs the taker, summed over legs (lower is better; for comparing the quotes
    of one RFQ). With quoteSide ``sell`` the taker trades each leg's side, with ``buy`` the opposite."""
    total = Decimal(0)
    for leg in quote.legs:
        taker_buys = (leg.side == "buy") == (quote.quote_side == "sell")
        total += leg.px * leg.sz if taker_buys else -leg.px * leg.sz
    return total
