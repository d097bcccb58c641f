"""What the request handlers and the WebSocket hub may use: one ``Services`` per running venue.

A leaf of the house: it names what it holds and nothing it holds imports it back, so handlers, the hub and the
runtime that assembles them all point down to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from openrfq.access.auth import Authenticator
from openrfq.access.ratelimit import RateLimiter
from openrfq.config import Config
from openrfq.domain.clock import Clock
from openrfq.engine import Venue
from openrfq.metrics import Metrics
from openrfq.store.committer import Committer
from openrfq.venue_time import VenueTime


@dataclass(slots=True)
class Services:
    config: Config
    clock: Clock
    time: VenueTime
    venue: Venue
    committer: Committer
    limiter: RateLimiter
    auth: Authenticator
    metrics: Metrics
