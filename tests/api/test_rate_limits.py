"""Rate limits: sliding windows per endpoint, per User ID on private endpoints and per client IP on public ones.

The numbers come from block-trading.md / public-data.md ("#### Rate Limit: ..." of each endpoint's section);
a refused request is 50011 "Too Many Requests" with HTTP 429 (NOTES.md, error-codes.md), changes nothing and
does not count toward the window (compatibility.md).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openrfq.access.ratelimit import Limit
from openrfq.api.endpoint import Endpoint
from openrfq.api.routes import ROUTES
from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party, asgi_client, open_venue
from samples import create_quote, create_rfq, make_config, rfq_body

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "okx"
TOO_MANY = {"code": "50011", "msg": "Too Many Requests", "data": []}
CANCEL_QUOTE = "/api/v5/rfq/cancel-quote"
CREATE_RFQ = "/api/v5/rfq/create-rfq"
EXECUTE = "/api/v5/rfq/execute-quote"
SETTINGS = "/api/v5/rfq/maker-instrument-settings"
HOUR_MS = 3600 * 1000


@pytest.fixture
async def limited(tmp_path: Path, clock: ManualClock) -> AsyncIterator[InProcessVenue]:
    async with open_venue(make_config(rate_limits=True), tmp_path, clock) as v:
        yield v


async def _cancel_unknown(maker: Party, times: int) -> list[str]:
    """``times`` cancel-quotes naming no quote (answered 70001 when allowed); the envelope codes."""
    return [(await maker.post(CANCEL_QUOTE, {"quoteId": "999999"}))["code"] for _ in range(times)]


def _other_ip(venue: InProcessVenue, ip: str = "10.0.0.2") -> httpx.AsyncClient:
    return asgi_client(venue.app, ip)


# --- private endpoints: per User ID ------------------------------------------------------------------------------


async def test_51st_cancel_quote_within_2_seconds_is_429_and_cancels_nothing(limited: InProcessVenue) -> None:
    taker, maker1 = limited.party("TAKER1"), limited.party("MAKER1")
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])

    assert await _cancel_unknown(maker1, 50) == ["1"] * 50
    response = await maker1.request("POST", CANCEL_QUOTE, {"quoteId": quote["quoteId"]})

    assert response.status_code == 429
    assert response.json() == TOO_MANY
    assert await maker1.quote_state(quote["quoteId"]) == "active"


async def test_another_user_is_not_limited_by_a_users_exhausted_window(limited: InProcessVenue) -> None:
    taker, maker1, maker2 = limited.party("TAKER1"), limited.party("MAKER1"), limited.party("MAKER2")
    rfq = await create_rfq(taker)
    theirs = await create_quote(maker2, rfq["rfqId"])
    await _cancel_unknown(maker1, 50)
    assert (await maker1.request("POST", CANCEL_QUOTE, {"quoteId": "999999"})).status_code == 429

    response = await maker2.request("POST", CANCEL_QUOTE, {"quoteId": theirs["quoteId"]})

    assert response.status_code == 200
    assert response.json()["code"] == "0"
    assert await maker2.quote_state(theirs["quoteId"]) == "canceled"


async def test_cancel_quote_is_allowed_again_once_the_2_second_window_has_passed(limited: InProcessVenue) -> None:
    taker, maker1 = limited.party("TAKER1"), limited.party("MAKER1")
    rfq = await create_rfq(taker)
    quote = await create_quote(maker1, rfq["rfqId"])
    await _cancel_unknown(maker1, 50)

    limited.clock.advance(1_999)
    still = await maker1.request("POST", CANCEL_QUOTE, {"quoteId": quote["quoteId"]})
    limited.clock.advance(1)
    again = await maker1.post(CANCEL_QUOTE, {"quoteId": quote["quoteId"]})

    assert still.status_code == 429
    assert again["code"] == "0", again
    assert await maker1.quote_state(quote["quoteId"]) == "canceled"


async def test_the_window_slides_rather_than_resetting(limited: InProcessVenue) -> None:
    maker1 = limited.party("MAKER1")
    assert await _cancel_unknown(maker1, 25) == ["1"] * 25
    limited.clock.advance(1_000)
    assert await _cancel_unknown(maker1, 25) == ["1"] * 25
    assert await _cancel_unknown(maker1, 1) == ["50011"]

    limited.clock.advance(1_000)  # the first 25 are 2 s old: 25 places free up, not 50
    assert await _cancel_unknown(maker1, 26) == ["1"] * 25 + ["50011"]


async def test_a_refused_request_does_not_count_toward_the_window(limited: InProcessVenue) -> None:
    maker1 = limited.party("MAKER1")
    assert await _cancel_unknown(maker1, 50) == ["1"] * 50
    limited.clock.advance(1_000)
    assert await _cancel_unknown(maker1, 5) == ["50011"] * 5  # refused 1 s into the window

    limited.clock.advance(1_000)  # the 50 allowed ones are 2 s old; the 5 refused ones never counted

    assert await _cancel_unknown(maker1, 51) == ["1"] * 50 + ["50011"]


async def test_each_endpoint_has_its_own_window(limited: InProcessVenue) -> None:
    taker, maker1 = limited.party("TAKER1"), limited.party("MAKER1")
    rfq = await create_rfq(taker)
    await _cancel_unknown(maker1, 50)
    assert await _cancel_unknown(maker1, 1) == ["50011"]

    created = await maker1.post(
        "/api/v5/rfq/create-quote",
        {
            "rfqId": rfq["rfqId"],
            "quoteSide": "buy",
            "legs": [{"instId": "BTC-USDT", "sz": "1.5", "side": "buy", "px": "50000.1"}],
        },
    )
    batch = await maker1.post("/api/v5/rfq/cancel-batch-quotes", {"quoteIds": [created["data"][0]["quoteId"]]})

    assert created["code"] == "0", created
    assert batch["code"] == "0", batch


async def test_get_and_post_of_one_path_are_two_endpoints_with_their_own_windows(limited: InProcessVenue) -> None:
    maker1 = limited.party("MAKER1")
    settings = [{"instType": "SPOT", "includeAll": True}]
    posts = [(await maker1.post(SETTINGS, settings))["code"] for _ in range(6)]

    got = await maker1.get(SETTINGS)

    assert posts == ["0"] * 5 + ["50011"]
    assert got["code"] == "0"


async def test_private_limits_count_per_user_id_across_its_api_keys(limited: InProcessVenue) -> None:
    # Get rfqs: 2 requests per 2 seconds per User ID; taker1 and taker1ro are keys of the same account.
    taker, read_only, other = limited.party("TAKER1"), limited.party("taker1ro-key"), limited.party("TAKER2")

    codes = [(await taker.get("/api/v5/rfq/rfqs"))["code"] for _ in range(2)]
    same_user = await read_only.request("GET", "/api/v5/rfq/rfqs")
    other_user = await other.get("/api/v5/rfq/rfqs")

    assert codes == ["0", "0"]
    assert same_user.status_code == 429
    assert same_user.json() == TOO_MANY
    assert other_user["code"] == "0"


async def test_requests_refused_by_authentication_do_not_count(limited: InProcessVenue) -> None:
    taker = limited.party("TAKER1")
    forged = limited.party("TAKER1").with_key(secret_key="wrong-SECRET")
    refused = [(await forged.post(CREATE_RFQ, rfq_body()))["code"] for _ in range(5)]

    allowed = [(await taker.post(CREATE_RFQ, rfq_body()))["code"] for _ in range(5)]

    assert refused == ["50113"] * 5
    assert allowed == ["0"] * 5


async def test_create_rfq_5_per_2_seconds(limited: InProcessVenue) -> None:
    taker, taker2 = limited.party("TAKER1"), limited.party("TAKER2")
    for _ in range(5):
        await create_rfq(taker)

    refused = await taker.request("POST", CREATE_RFQ, rfq_body(clRfqId="sixth"))
    other = await taker2.post(CREATE_RFQ, rfq_body())

    assert refused.status_code == 429
    assert refused.json() == TOO_MANY
    assert other["code"] == "0"
    assert (await taker.get("/api/v5/rfq/rfqs", clRfqId="sixth"))["data"] == []  # nothing was created
    assert len((await taker.get("/api/v5/rfq/rfqs"))["data"]) == 5

    limited.clock.advance(2_000)
    assert (await taker.post(CREATE_RFQ, rfq_body(clRfqId="sixth")))["code"] == "0"


async def test_create_rfq_80_per_12_hours(limited: InProcessVenue) -> None:
    taker = limited.party("TAKER1")
    start = limited.clock.now_ms()
    for _ in range(16):  # 16 bursts of 5, each in its own 2 s window: 80 RFQs
        for _ in range(5):
            await create_rfq(taker)
        limited.clock.advance(2_000)

    eighty_first = await taker.request("POST", CREATE_RFQ, rfq_body())
    assert eighty_first.status_code == 429
    assert eighty_first.json() == TOO_MANY

    limited.clock.set(start + 12 * HOUR_MS - 1)  # the first burst is 1 ms short of 12 h old
    assert (await taker.post(CREATE_RFQ, rfq_body()))["code"] == "50011"

    limited.clock.advance(1)  # the first burst of 5 leaves the 12 h window
    codes = [(await taker.post(CREATE_RFQ, rfq_body()))["code"] for _ in range(6)]
    assert codes == ["0"] * 5 + ["50011"]


async def test_execute_quote_2_per_3_seconds(limited: InProcessVenue) -> None:
    taker, maker1 = limited.party("TAKER1"), limited.party("MAKER1")
    pairs = []
    for _ in range(3):
        rfq = await create_rfq(taker)
        pairs.append((rfq["rfqId"], (await create_quote(maker1, rfq["rfqId"]))["quoteId"]))

    first = await taker.post(EXECUTE, {"rfqId": pairs[0][0], "quoteId": pairs[0][1]})
    second = await taker.post(EXECUTE, {"rfqId": pairs[1][0], "quoteId": pairs[1][1]})
    third = await taker.request("POST", EXECUTE, {"rfqId": pairs[2][0], "quoteId": pairs[2][1]})

    assert (first["code"], second["code"]) == ("0", "0")
    assert third.status_code == 429
    assert third.json() == TOO_MANY
    assert (await taker.get("/api/v5/rfq/rfqs", rfqId=pairs[2][0]))["data"][0]["state"] == "active"
    assert await maker1.quote_state(pairs[2][1]) == "active"

    limited.clock.advance(2_999)
    assert (await taker.post(EXECUTE, {"rfqId": pairs[2][0], "quoteId": pairs[2][1]}))["code"] == "50011"
    limited.clock.advance(1)
    assert (await taker.post(EXECUTE, {"rfqId": pairs[2][0], "quoteId": pairs[2][1]}))["code"] == "0"


async def test_rate_limits_disabled_never_refuse(venue: InProcessVenue) -> None:
    maker1 = venue.party("MAKER1")

    assert await _cancel_unknown(maker1, 120) == ["1"] * 120


# --- public endpoints: per client IP -----------------------------------------------------------------------------

PUBLIC = [
    ("/api/v5/public/time", {}, 10),
    ("/api/v5/rfq/public-trades", {}, 5),
    ("/api/v5/public/block-trades", {"instId": "BTC-USDT"}, 20),
    ("/api/v5/market/block-trades", {"instId": "BTC-USDT"}, 20),
    ("/api/v5/market/block-tickers", {"instType": "SPOT"}, 20),
    ("/api/v5/market/block-ticker", {"instId": "BTC-USDT"}, 20),
]


@pytest.mark.parametrize(("path", "params", "count"), PUBLIC, ids=[p[0] for p in PUBLIC])
async def test_public_endpoint_is_limited_per_client_ip(
    limited: InProcessVenue, path: str, params: dict[str, str], count: int
) -> None:
    statuses = [(await limited.client.get(path, params=params)).status_code for _ in range(count)]
    refused = await limited.client.get(path, params=params)
    async with _other_ip(limited) as other:
        elsewhere = await other.get(path, params=params)

    assert statuses == [200] * count
    assert refused.status_code == 429
    assert refused.json() == TOO_MANY
    assert elsewhere.status_code == 200
    assert elsewhere.json()["code"] == "0"

    limited.clock.advance(2_000)
    assert (await limited.client.get(path, params=params)).json()["code"] == "0"


@pytest.mark.parametrize(
    ("path", "first", "second"),
    [
        ("/api/v5/public/block-trades", {"instId": "BTC-USDT"}, {"instId": "ETH-USDT"}),
        ("/api/v5/market/block-ticker", {"instId": "BTC-USDT"}, {"instId": "ETH-USDT"}),
        ("/api/v5/market/block-tickers", {"instType": "SPOT"}, {"instType": "SWAP"}),
    ],
)
async def test_public_block_data_is_limited_per_ip_alone(
    limited: InProcessVenue, path: str, first: dict[str, str], second: dict[str, str]
) -> None:
    # Their rule line is "IP", not "IP + Instrument ID": another instrument shares the window.
    for _ in range(20):
        assert (await limited.client.get(path, params=first)).status_code == 200

    assert (await limited.client.get(path, params=second)).status_code == 429


async def test_public_windows_are_separate_per_endpoint_and_ignore_credentials(limited: InProcessVenue) -> None:
    for _ in range(5):
        await limited.client.get("/api/v5/rfq/public-trades")
    assert (await limited.client.get("/api/v5/rfq/public-trades")).status_code == 429

    # Another public endpoint from the same IP is unaffected, and signing a public request buys nothing extra.
    assert (await limited.client.get("/api/v5/public/block-trades", params={"instId": "BTC-USDT"})).status_code == 200
    signed = await limited.party("TAKER1").request("GET", "/api/v5/rfq/public-trades")
    assert signed.status_code == 429


async def test_public_refusals_do_not_count(limited: InProcessVenue) -> None:
    path = "/api/v5/public/time"
    for _ in range(10):
        await limited.client.get(path)
    limited.clock.advance(1_000)
    assert [(await limited.client.get(path)).status_code for _ in range(3)] == [429] * 3

    limited.clock.advance(1_000)

    assert [(await limited.client.get(path)).status_code for _ in range(11)] == [200] * 10 + [429]


# --- the route table against the documentation ------------------------------------------------------------------

_SECTION = re.compile(r"^### (.+?)(?: \[|$)")
_HTTP = re.compile(r"^`(GET|POST) (/api/v5/[^`\s?]+)`\s*$")
_LIMIT_LINE = re.compile(r"^#### Rate Limit: (.+?)\s*$")
_RULE_LINE = re.compile(r"^#### Rate limit rule: (.+?)\s*$")
_ONE_LIMIT = re.compile(r"^(\d+) requests? per (?:(\d+) )?(second|minute|hour)s?$")
_UNIT_MS = {"second": 1000, "minute": 60_000, "hour": 3_600_000}


def _parse_limits(text: str) -> tuple[Limit, ...]:
    limits = []
    for part in text.split(";"):
        match = _ONE_LIMIT.match(part.strip())
        assert match, f"cannot read rate limit {part!r}"
        count, every, unit = match.groups()
        limits.append(Limit(int(count), int(every or 1) * _UNIT_MS[unit]))
    return tuple(limits)


def _sections(text: str) -> list[dict[str, Any]]:
    """The "### Title" sections of one reference file with their HTTP request and rate limit lines."""
    sections: list[dict[str, Any]] = []
    for line in text.splitlines():
        if (m := _SECTION.match(line)) is not None:
            sections.append({"title": m.group(1), "limits": None, "rule": None, "http": None})
        elif not sections:
            continue
        elif (m := _LIMIT_LINE.match(line)) is not None:
            sections[-1]["limits"] = m.group(1)
        elif (m := _RULE_LINE.match(line)) is not None:
            sections[-1]["rule"] = m.group(1)
        elif (m := _HTTP.match(line)) is not None:
            sections[-1]["http"] = (m.group(1), m.group(2))
    return sections


def documented_endpoints() -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) -> {"title", "limits", "rule", "http", "doc"} for every REST section of the reference docs."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in ("block-trading.md", "public-data.md"):
        for section in _sections((REFERENCE / doc).read_text(encoding="utf-8")):
            http = section["http"]
            if http is not None:
                assert http not in found, f"{http} documented twice"
                found[http] = {**section, "doc": doc}
    return found


# Served, but not in the reference copies: the limit and rule openrfq chose for each (docs/compatibility.md).
OUTSIDE_REFERENCE: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v5/market/block-trades"): {  # OKX's legacy path of public/block-trades: its limit and rule
        "title": "Get block trades (legacy path)",
        "limits": "20 requests per 2 seconds",
        "rule": "IP",
        "doc": "docs/compatibility.md",
    },
    # Read-only account data for ccxt's unified API: OKX's limits from its Funding and Trading Account docs.
    ("GET", "/api/v5/asset/currencies"): {
        "title": "Get currencies",
        "limits": "6 requests per second",
        "rule": "User ID",
        "doc": "docs/compatibility.md",
    },
    ("GET", "/api/v5/asset/balances"): {
        "title": "Get balance (funding)",
        "limits": "6 requests per second",
        "rule": "User ID",
        "doc": "docs/compatibility.md",
    },
    ("GET", "/api/v5/account/balance"): {
        "title": "Get balance (trading)",
        "limits": "10 requests per 2 seconds",
        "rule": "User ID",
        "doc": "docs/compatibility.md",
    },
}
DOCUMENTED = documented_endpoints()
_RULE_KEY = {"IP": "", "IP + Instrument Type": "instType", "IP + Instrument ID": "instId"}


def test_the_reference_docs_parse_into_every_known_endpoint() -> None:
    # Guards the parser itself: the sections this suite relies on are found with their limits.
    assert (
        DOCUMENTED[("POST", "/api/v5/rfq/create-rfq")]["limits"] == "5 requests per 2 seconds; 80 requests per 12 hours"
    )
    assert DOCUMENTED[("POST", "/api/v5/rfq/cancel-all-after")]["limits"] == "1 request per second"
    assert DOCUMENTED[("GET", "/api/v5/public/time")]["limits"] == "10 requests per 2 seconds"
    assert _parse_limits("1 request per 10 seconds") == (Limit(1, 10_000),)
    assert _parse_limits("5 requests per 2 seconds; 80 requests per 12 hours") == (
        Limit(5, 2_000),
        Limit(80, 43_200_000),
    )


@pytest.mark.parametrize("endpoint", ROUTES, ids=[f"{e.method} {e.path}" for e in ROUTES])
def test_route_limits_match_the_documented_rate_limit(endpoint: Endpoint) -> None:
    doc = DOCUMENTED.get((endpoint.method, endpoint.path)) or OUTSIDE_REFERENCE.get((endpoint.method, endpoint.path))
    assert doc is not None, f"{endpoint.method} {endpoint.path} has no section in the reference docs"
    assert doc["limits"] is not None, f"{doc['title']} ({doc['doc']}) has no Rate Limit line"

    assert sorted(endpoint.limits, key=lambda x: x.window_ms) == sorted(
        _parse_limits(doc["limits"]), key=lambda x: x.window_ms
    ), doc["title"]


@pytest.mark.parametrize("endpoint", ROUTES, ids=[f"{e.method} {e.path}" for e in ROUTES])
def test_route_limit_key_matches_the_documented_rule(endpoint: Endpoint) -> None:
    doc = DOCUMENTED.get((endpoint.method, endpoint.path)) or OUTSIDE_REFERENCE[(endpoint.method, endpoint.path)]
    rule = doc["rule"]

    if rule == "User ID":
        assert endpoint.private, doc["title"]
    else:
        assert not endpoint.private, doc["title"]
        assert rule in _RULE_KEY, f"unknown rule {rule!r} for {doc['title']}"
        assert endpoint.limit_by == _RULE_KEY[rule], doc["title"]


def test_every_documented_rest_endpoint_is_served() -> None:
    served = {(e.method, e.path) for e in ROUTES}

    assert set(DOCUMENTED) - served == set()


def test_endpoints_outside_the_reference_are_served_and_not_documented_there() -> None:
    served = {(e.method, e.path) for e in ROUTES}

    assert set(OUTSIDE_REFERENCE) <= served
    assert set(OUTSIDE_REFERENCE) & set(DOCUMENTED) == set()
