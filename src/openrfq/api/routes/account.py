"""Handlers for /api/v5/account/*: Get balance, which ccxt's fetch_balance reads. The venue keeps no balances:
the trading account is empty."""

from __future__ import annotations

from openrfq.access.auth import Caller
from openrfq.api import codec, views
from openrfq.api.params import Params
from openrfq.services import Services


def balance(svc: Services, caller: Caller, p: Params) -> bytes:
    return codec.ok([views.empty_account_balance(svc.clock.now_ms())])
