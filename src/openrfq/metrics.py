"""Prometheus metrics for the measurements the benchmarks and operators need, one registry per venue.

Exposed at ``GET /metrics`` in Prometheus' text format: requests and latency per endpoint and OKX code,
group-commit batch sizes and latency, WebSocket connections and queue depths, live RFQs and quotes.

The per-request and per-commit series are counted on the event loop in plain Python numbers (no lock, no label
lookup: prometheus_client's own Counter and Histogram cost several times more per request; bench/README.md,
"Figures behind the source's docstrings") and turned into metric families only when scraped, exactly as
prometheus_client's Counter and Histogram would print them.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from openrfq.engine import Venue

_FAST = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_ROWS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class LoopHistogram:
    """One histogram series, observed from one thread (the event loop)."""

    __slots__ = ("bounds", "counts", "created", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(float(b) for b in bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf
        self.sum = 0.0
        self.created = time.time()

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1  # the first bucket whose bound is >= value
        self.sum += value


class _Series(Collector):
    """The loop-counted series as metric families, shaped like prometheus_client's Counter and Histogram."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        m = self.metrics
        requests = CounterMetricFamily(
            "openrfq_requests", "REST requests answered, by endpoint and OKX code.", labels=["endpoint", "code"]
        )
        for (endpoint, code), (count, created) in m.request_counts.items():
            requests.add_metric([endpoint, code], count, created=created)
        yield requests
        yield _histogram(
            "openrfq_request_seconds",
            "REST request latency, to the answer.",
            ["endpoint"],
            ((endpoint, h) for endpoint, h in m.request_seconds.items()),
        )
        yield _histogram("openrfq_commit_batch_rows", "Rows written per group commit.", [], [((), m.commit_rows)])
        yield _histogram(
            "openrfq_commit_seconds", "Time to make one group commit durable.", [], [((), m.commit_seconds)]
        )


def _histogram(
    name: str, documentation: str, labels: list[str], series: Iterable[tuple[str | tuple[()], LoopHistogram]]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=labels)
    created = []
    for key, h in series:
        values = [key] if isinstance(key, str) else []
        cumulative, buckets = 0, []
        for bound, count in zip((*map(floatToGoString, h.bounds), "+Inf"), h.counts):
            cumulative += count
            buckets.append((bound, cumulative))
        family.add_metric(values, buckets, h.sum)
        created.append(Sample(name + "_created", dict(zip(labels, values)), h.created))
    family.samples += created  # the exposition prints them as their own gauge, as for a Histogram
    return family


class Metrics:
    def __init__(self, venue: Venue) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.request_counts: dict[tuple[str, str], list[float]] = {}  # (endpoint, code) -> [count, created]
        self.request_seconds: dict[str, LoopHistogram] = {}
        self.commit_rows = LoopHistogram(_ROWS)
        self.commit_seconds = LoopHistogram(_FAST)
        registry.register(_Series(self))
        self.ws_connections = Gauge("openrfq_ws_connections", "Open WebSocket connections.", registry=registry)
        self.ws_queue_depth = Gauge(
            "openrfq_ws_queue_depth_max", "Deepest WebSocket send queue right now.", registry=registry
        )
        active_rfqs = Gauge("openrfq_active_rfqs", "RFQs in state active.", registry=registry)
        active_rfqs.set_function(lambda: venue.book.live_rfq_count())  # the book of now: a reset replaces it
        active_quotes = Gauge("openrfq_active_quotes", "Quotes in state active.", registry=registry)
        active_quotes.set_function(lambda: venue.book.live_quote_count())

    def add_endpoints(self, endpoints: Iterable[str]) -> None:
        """Latency series shown from the start (at zero), one per endpoint."""
        for endpoint in endpoints:
            self.request_seconds.setdefault(endpoint, LoopHistogram(_FAST))

    def observe_request(self, endpoint: str, code: str, seconds: float) -> None:
        """On the event loop, once per REST answer."""
        counted = self.request_counts.get((endpoint, code))
        if counted is None:
            counted = self.request_counts[endpoint, code] = [0, time.time()]
        counted[0] += 1
        latency = self.request_seconds.get(endpoint)
        if latency is None:
            latency = self.request_seconds[endpoint] = LoopHistogram(_FAST)
        latency.observe(seconds)

    def observe_commit(self, rows: int, seconds: float) -> None:
        self.commit_rows.observe(rows)
        self.commit_seconds.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
