"""The request path's steps, each on its own: reading the body, parsing parameters, the expTime check."""

from __future__ import annotations

from typing import Any

import pytest

from openrfq.api.app import MAX_BODY, check_exp_time, parse, read_body
from openrfq.api.request import Request
from openrfq.api.routes import ROUTES
from openrfq.domain import errors

CREATE_RFQ = next(e for e in ROUTES if e.path.endswith("/create-rfq"))
CANCEL_ALL = next(e for e in ROUTES if e.path.endswith("/cancel-all-quotes"))
SETTINGS = next(e for e in ROUTES if e.path.endswith("/maker-instrument-settings") and e.method == "POST")
RFQS = next(e for e in ROUTES if e.path.endswith("/rfq/rfqs"))
JSON = {b"content-type": b"application/json"}


def _receiver(*chunks: bytes) -> Any:
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return receive


async def test_read_body_joins_a_chunked_body() -> None:
    assert await read_body({}, _receiver(b'{"a":', b"1", b"}")) == b'{"a":1}'


async def test_read_body_refuses_a_body_announced_too_long_without_reading_it() -> None:
    with pytest.raises(errors.BodyTooLarge):
        await read_body({b"content-length": str(MAX_BODY + 1).encode()}, _receiver())


async def test_read_body_refuses_chunks_that_add_up_past_the_limit() -> None:
    with pytest.raises(errors.BodyTooLarge):
        await read_body({}, _receiver(b"x" * MAX_BODY, b"x", b"never read"))


def _request(headers: dict[bytes, bytes] | None = None, body: bytes = b"", query: bytes = b"") -> Request:
    return Request("POST", "/", b"/", query, headers or {}, body, "127.0.0.1")


def test_parse_reads_a_get_query_keeping_blank_values() -> None:
    params = parse(RFQS, _request(query=b"state=active&rfqId="))

    assert (params.text("state"), params.has("rfqId")) == ("active", False)


def test_parse_reads_a_json_object_body() -> None:
    params = parse(CREATE_RFQ, _request(JSON, b'{"clRfqId":"r1"}'))

    assert params.text("clRfqId") == "r1"


def test_parse_takes_an_array_body_only_where_the_endpoint_does() -> None:
    items = parse(SETTINGS, _request(JSON, b'[{"instType":"SPOT"}]'))

    assert [p.text("instType") for p in items.objects("items")] == ["SPOT"]
    with pytest.raises(errors.JsonSyntaxError):
        parse(CREATE_RFQ, _request(JSON, b"[1]"))


@pytest.mark.parametrize(
    ("endpoint", "headers", "raw", "error"),
    [
        (CREATE_RFQ, {b"content-type": b"text/plain"}, b"{}", errors.InvalidContentType),
        (CREATE_RFQ, JSON, b"{", errors.JsonSyntaxError),
        (CREATE_RFQ, JSON, b"  ", errors.EmptyPostBody),
    ],
)
def test_parse_refusals(endpoint: Any, headers: dict[bytes, bytes], raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse(endpoint, _request(headers, raw))


def test_parse_lets_a_post_without_parameters_have_no_body() -> None:
    assert not parse(CANCEL_ALL, _request()).has("anything")


@pytest.mark.parametrize(("value", "error"), [(b"999", errors.RequestExpired), (b"soon", errors.ParameterError)])
def test_check_exp_time_refuses_the_past_and_the_unreadable(value: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        check_exp_time(value, 1000)


def test_check_exp_time_lets_the_present_through() -> None:
    check_exp_time(b"1000", 1000)
