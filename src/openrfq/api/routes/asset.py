"""Handlers for /api/v5/asset/*: what ccxt's unified API reads (fetch_currencies, fetch_balance of the funding
account). The venue moves no funds: its currencies are those of its catalogue, its balances empty."""

from __future__ import annotations

from openrfq.access.auth import Caller
from openrfq.api import codec, views
from openrfq.api.params import Params
from openrfq.services import Services


def currencies(svc: Services, caller: Caller, p: Params) -> bytes:
    """Every currency an instrument of the catalogue is traded, quoted or settled in; ``ccy``: some of them,
    comma-separated."""
    listed = {
        ccy for inst in svc.venue.catalogue.values() for ccy in (inst.base_ccy, inst.quote_ccy, inst.settle_ccy) if ccy
    }
    wanted = {ccy for ccy in p.text("ccy").split(",") if ccy}
    return codec.ok([views.currency(ccy) for ccy in sorted(listed) if not wanted or ccy in wanted])


def balances(svc: Services, caller: Caller, p: Params) -> bytes:
    """The funding account's balances: none."""
    return codec.ok([])
