"""The route table's unit: one OKX endpoint with its permission, rate limits and thin handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openrfq.api.auth import Caller
from openrfq.api.params import Params
from openrfq.api.ratelimit import Limit

if TYPE_CHECKING:
    from openrfq.api.app import Services

# A handler is synchronous on purpose: it runs a venue command to completion, then returns the encoded body.
Handler = Callable[["Services", "Caller | None", Params], bytes]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    permission: str = ""  # "read" / "trade"; "" for public endpoints (no authentication)
    limits: tuple[Limit, ...] = ()
    needs_body: bool = False  # POSTs with parameters: an empty body is 50000
    limit_by: str = ""  # public limits counted per IP and this query parameter (OKX: "IP + Instrument ID")
    array_body: bool = False  # the body may also be a JSON array of objects (read as parameter "items")

    @property
    def private(self) -> bool:
        return bool(self.permission)


def per(count: int, seconds: float) -> Limit:
    return Limit(count, int(seconds * 1000))
