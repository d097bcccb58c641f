"""The loop-counted request and commit series print exactly as prometheus_client's Counter and Histogram would."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from openrfq.domain.clock import ManualClock
from openrfq.engine import Venue
from openrfq.instruments.catalogue import default_instruments
from openrfq.metrics import _FAST, _ROWS, Metrics
from samples import START_MS, TODAY


def _without_created_values(text: str) -> list[str]:
    """Creation timestamps differ between the two registries; everything else must not."""
    return [
        line.rsplit(" ", 1)[0] if "_created" in line and not line.startswith("#") else line
        for line in text.splitlines()
    ]


def test_exposition_matches_prometheus_client() -> None:
    metrics = Metrics(Venue(ManualClock(START_MS), default_instruments(TODAY), []))  # nothing active
    metrics.add_endpoints(["/a", "/b"])
    reference = CollectorRegistry(auto_describe=True)
    requests = Counter(
        "openrfq_requests",
        "REST requests answered, by endpoint and OKX code.",
        ["endpoint", "code"],
        registry=reference,
    )
    latency = Histogram(
        "openrfq_request_seconds",
        "REST request latency, to the answer.",
        ["endpoint"],
        buckets=_FAST,
        registry=reference,
    )
    latency.labels("/a")
    latency.labels("/b")
    rows = Histogram("openrfq_commit_batch_rows", "Rows written per group commit.", buckets=_ROWS, registry=reference)
    seconds = Histogram(
        "openrfq_commit_seconds", "Time to make one group commit durable.", buckets=_FAST, registry=reference
    )
    rng = random.Random(7)
    for _ in range(2000):
        endpoint, code = rng.choice(["/a", "/b", "/c"]), rng.choice(["0", "1", "51000"])
        value = rng.choice([rng.random() * 0.003, 0.0005, 0.001, 3.0, 0.0])  # bounds themselves and beyond
        batch = rng.choice([1, 2, 3, 1000, 1001])
        metrics.observe_request(endpoint, code, value)
        requests.labels(endpoint, code).inc()
        latency.labels(endpoint).observe(value)
        metrics.observe_commit(batch, value)
        rows.observe(batch)
        seconds.observe(value)

    ours = [
        line
        for line in generate_latest(metrics.registry).decode().splitlines()
        if "openrfq_ws" not in line and "openrfq_active" not in line
    ]
    theirs = generate_latest(reference).decode().splitlines()
    assert _without_created_values("\n".join(ours)) == _without_created_values("\n".join(theirs))
