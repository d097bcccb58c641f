"""Prometheus metrics for the measurements the benchmarks and operators need, one registry per venue.

Exposed at ``GET /metrics`` in Prometheus' text format: requests and latency per endpoint and OKX code,
group-commit batch sizes and latency, WebSocket connections and queue depths, live RFQs and quotes.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from openrfq.engine import Venue

_FAST = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self, venue: Venue) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "openrfq_requests", "REST requests answered, by endpoint and OKX code.", ["endpoint", "code"], registry=registry
        )
        self.latency = Histogram(
            "openrfq_request_seconds", "REST request latency, to the answer.", ["endpoint"], buckets=_FAST, registry=registry
        )
        self.commit_batch = Histogram(
            "openrfq_commit_batch_rows",
            "Rows written per group commit.",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=registry,
        )
        self.commit_latency = Histogram(
            "openrfq_commit_seconds", "Time to make one group commit durable.", buckets=_FAST, registry=registry
        )
        self.ws_connections = Gauge("openrfq_ws_connections", "Open WebSocket connections.", registry=registry)
        self.ws_queue_depth = Gauge(
            "openrfq_ws_queue_depth_max", "Deepest WebSocket send queue right now.", registry=registry
        )
        active_rfqs = Gauge("openrfq_active_rfqs", "RFQs in state active.", registry=registry)
        active_rfqs.set_function(venue.active_rfq_count)
        active_quotes = Gauge("openrfq_active_quotes", "Quotes in state active.", registry=registry)
        active_quotes.set_function(venue.active_quote_count)

    def observe_commit(self, rows: int, seconds: float) -> None:
        self.commit_batch.observe(rows)
        self.commit_latency.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
