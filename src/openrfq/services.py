"""What the request handlers and the WebSocket hub may use: one ``Services`` per running venue.

A leaf of the house: it names what it holds and nothing it holds imports it back, so handlers, the hub and the
runtime that assembles them all point down to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from openrfq.access.auth import Authenticator
from openrfq.access.ratelimit import RateLimiter
from openrfq.config import Config
from openrfq.domain.clock import Clock
from openrfq.engine import Venue
from openrfq.engine.reads import Reads
from openrfq.faults import Faults
from openrfq.metrics import Metrics
from openrfq.store.committer import Committer
from openrfq.venue_time import VenueTime


@dataclass(slots=True)
class Services:
    config: Config
    clock: Clock  # venue time
    auth_clock: Clock  # what OK-ACCESS-TIMESTAMP and WebSocket login timestamps are checked against
    time: VenueTime
    venue: Venue
    reads: Reads  # the read side (engine/reads.py)
    committer: Committer
    limiter: RateLimiter
    auth: Authenticator
    metrics: Metrics
    faults: Faults
    # Called after the venue's state was replaced (a reset, a restored snapshot): what runs beside the engine
    # (the hub's timers, the engine's tick, the bots) starts over from the new state.
    on_reset: list[Callable[[], None]] = field(default_factory=list)
