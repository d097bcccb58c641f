"""GET /metrics in Prometheus' text format, and structured JSON logs per request and per state change."""

from __future__ import annotations

import json
import logging

import pytest

from openrfq.logs import JsonFormatter
from openrfq.testing import InProcessVenue, Party
from samples import create_quote, create_rfq


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()) and (labels or head == name):
            return float(value)
    raise AssertionError(f"{name} {labels} not in metrics")


async def test_metrics_count_requests_by_endpoint_and_code(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    rfq = await create_rfq(taker)
    await create_quote(maker1, rfq["rfqId"])
    await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": "999"})

    response = await venue.client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "openrfq_requests_total", endpoint="/api/v5/rfq/create-rfq", code="0") == 1
    assert _sample(text, "openrfq_requests_total", endpoint="/api/v5/rfq/cancel-quote", code="1") == 1
    assert _sample(text, "openrfq_request_seconds_count", endpoint="/api/v5/rfq/create-quote") == 1
    assert _sample(text, "openrfq_active_rfqs") == 1
    assert _sample(text, "openrfq_active_quotes") == 1
    assert _sample(text, "openrfq_commit_batch_rows_count") >= 2
    assert _sample(text, "openrfq_commit_seconds_count") >= 2
    assert "openrfq_ws_connections" in text


async def test_a_request_is_one_json_log_line_at_debug(
    venue: InProcessVenue, taker: Party, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="openrfq.api"):
        await taker.get("/api/v5/rfq/rfqs")
        await taker.get("/api/v5/rfq/rfqs", limit="0")

    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "openrfq.api"]
    assert [(line["msg"], line["path"], line["code"]) for line in lines] == [
        ("request", "/api/v5/rfq/rfqs", "0"),
        ("request", "/api/v5/rfq/rfqs", "51000"),
    ]
    assert lines[0]["requestId"] != lines[1]["requestId"]
    assert lines[0]["level"] == "debug" and lines[0]["status"] == 200 and lines[0]["ms"] >= 0


async def test_unknown_paths_and_wrong_methods_are_logged_at_debug(
    venue: InProcessVenue, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="openrfq.api"):
        await venue.client.get("/api/v5/rfq/quote")
        await venue.client.get("/api/v5/rfq/cancel-quote")
        await venue.client.get("/x" * 500)

    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "openrfq.api"]
    assert [(line["path"], line["status"], line["code"]) for line in lines] == [
        ("/api/v5/rfq/quote", 404, "404"),
        ("/api/v5/rfq/cancel-quote", 405, "50115"),
        ("/x" * 100, 404, "404"),
    ]


async def test_each_durable_state_change_is_one_info_line(
    venue: InProcessVenue, taker: Party, maker1: Party, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="openrfq.state"):
        rfq = await create_rfq(taker)
        quote = await create_quote(maker1, rfq["rfqId"])
        await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": quote["quoteId"]})

    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "openrfq.state"]
    assert [(line["msg"], line.get("quoteId", line.get("rfqId")), line["state"]) for line in lines] == [
        ("rfq", rfq["rfqId"], "active"),
        ("quote", quote["quoteId"], "active"),
        ("quote", quote["quoteId"], "canceled"),
    ]
