"""Public block-trade data: multi-leg public trades, single-leg block trades, 24 h block tickers.

OKX publishes block trades 15 minutes after execution; here the delay is ``[public_data] delay_ms`` (default 0
for a local venue) and applies to all three.
"""

from __future__ import annotations

from openrfq.api import codec, views
from openrfq.api.params import Params
from openrfq.domain import errors
from openrfq.domain.enums import InstType
from openrfq.domain.instrument import Instrument
from openrfq.services import Services

PUBLIC_LEGS_MAX = 500  # OKX: up to 500 most recent single-leg transactions


def _published_until(svc: Services) -> int:
    return views.published_until(svc.clock.now_ms(), svc.config.public_delay_ms)


def public_trades(svc: Services, p: Params) -> bytes:
    found = svc.reads.public_trades(
        _published_until(svc), p.optional_integer("beginId"), p.optional_integer("endId"), p.limit()
    )
    return codec.ok([views.public_trade(t, svc.venue.catalogue) for t in found])


def block_trades(svc: Services, p: Params) -> bytes:
    inst = _instrument(svc, p.text("instId", required=True))
    found = svc.reads.public_legs(inst.inst_id, 0, _published_until(svc), PUBLIC_LEGS_MAX)
    return codec.ok([views.public_leg(t, leg, inst) for t, leg in found])


BLOCK_TICKER_TYPES = {t.value: t for t in (InstType.SPOT, InstType.SWAP, InstType.FUTURES, InstType.OPTION)}


def block_tickers(svc: Services, p: Params) -> bytes:
    """instType SPOT, SWAP, FUTURES or OPTION (block-trading.md: not MARGIN); instFamily, or python-okx's uly,
    filters the derivatives (OKX: "Applicable to FUTURES/SWAP/OPTION")."""
    inst_type = BLOCK_TICKER_TYPES.get(p.text("instType", required=True))
    if inst_type is None:
        raise errors.ParameterError(param0="instType")
    family = "" if inst_type is InstType.SPOT else p.text("instFamily") or p.text("uly")
    found = [
        i for i in svc.venue.catalogue.values() if i.inst_type is inst_type and (not family or i.inst_family == family)
    ]
    return codec.ok([views.ticker(svc.reads, i, svc.clock.now_ms(), svc.config.public_delay_ms) for i in found])


def block_ticker(svc: Services, p: Params) -> bytes:
    inst = _instrument(svc, p.text("instId", required=True))
    return codec.ok([views.ticker(svc.reads, inst, svc.clock.now_ms(), svc.config.public_delay_ms)])


def _instrument(svc: Services, inst_id: str) -> Instrument:
    inst = svc.venue.catalogue.get(inst_id)
    if inst is None:
        raise errors.InstrumentNotFound()
    return inst
