"""The route table's unit: one OKX endpoint with its permission, rate limits and thin handler.

A handler is synchronous on purpose: it runs a venue command to completion, then returns the encoded body.
Private handlers get the authenticated ``Caller``; public ones get none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openrfq.access.auth import Caller
from openrfq.access.ratelimit import Limit
from openrfq.api.params import Params
from openrfq.services import Services

PrivateHandler = Callable[[Services, Caller, Params], bytes]
PublicHandler = Callable[[Services, Params], bytes]


@dataclass(frozen=True, slots=True)
class Private:
    """Signed requests: authenticated, checked against ``permission`` ("read" or "trade"), limited per User ID."""

    method: str
    path: str
    handler: PrivateHandler
    permission: str
    limits: tuple[Limit, ...]
    needs_body: bool = False  # POSTs with parameters: an empty body is 50000
    array_body: bool = False  # the body may also be a JSON array of objects (read as parameter "items")
    settles: bool = False  # executes a quote: with asynchronous settlement, settle_fail faults apply (app.py)

    # Properties, not ClassVars: compiled by mypyc, a dataclass takes a ClassVar for a field it cannot set.
    @property
    def private(self) -> bool:
        return True

    @property
    def limit_by(self) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class Public:
    """Unsigned requests, limited per client IP (and per ``limit_by`` query value: OKX's "IP + Instrument ID")."""

    method: str
    path: str
    handler: PublicHandler
    limits: tuple[Limit, ...]
    limit_by: str = ""

    @property
    def private(self) -> bool:
        return False

    @property
    def needs_body(self) -> bool:
        return False

    @property
    def array_body(self) -> bool:
        return False


Endpoint = Private | Public


def per(count: int, seconds: float) -> Limit:
    return Limit(count, int(seconds * 1000))
