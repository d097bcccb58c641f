"""``GET /openrfq/v1/health``, without a token: for load balancers and scripts waiting for a venue to be up."""

from __future__ import annotations

from openrfq.api import codec
from openrfq.services import Services


def health(svc: Services) -> tuple[int, bytes]:
    return 200, codec.ok([{"role": "leader"}])
