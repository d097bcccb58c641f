"""REST authentication: every OK-ACCESS-* failure with its code, message and HTTP status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openrfq.access.auth import FAILURES_ALLOWED, parse_timestamp_ms
from openrfq.client.signing import iso_timestamp, sign, signed_headers
from openrfq.domain import errors
from openrfq.testing import InProcessVenue, Party, asgi_client

PATH = "/api/v5/rfq/counterparties"
FAILURES = FAILURES_ALLOWED.count


def _headers(party: Party, **overrides: str) -> dict[str, str]:
    headers = signed_headers(party.key, "GET", PATH, "", party.now_ms())
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v != "<drop>"}


@pytest.mark.parametrize(
    ("header", "code", "msg"),
    [
        ("OK-ACCESS-KEY", "50103", 'Request header "OK-ACCESS-KEY" cannot be empty.'),
        ("OK-ACCESS-SIGN", "50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.'),
        ("OK-ACCESS-TIMESTAMP", "50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.'),
        ("OK-ACCESS-PASSPHRASE", "50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.'),
    ],
)
async def test_missing_header_is_401_with_its_code(
    venue: InProcessVenue, taker: Party, header: str, code: str, msg: str
) -> None:
    response = await venue.client.get(PATH, headers=_headers(taker, **{header: "<drop>"}))

    assert response.status_code == 401
    assert response.json() == {"code": code, "msg": msg, "data": []}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"OK-ACCESS-KEY": "nobody"}, "50111"),
        ({"OK-ACCESS-PASSPHRASE": "wrong"}, "50105"),
        ({"OK-ACCESS-TIMESTAMP": "1700000000"}, "50112"),
        ({"OK-ACCESS-TIMESTAMP": "2025-13-45T99:00:00.000Z"}, "50112"),
        ({"OK-ACCESS-SIGN": "bm90IGEgc2lnbmF0dXJl"}, "50113"),
    ],
)
async def test_bad_credentials_are_401(
    venue: InProcessVenue, taker: Party, overrides: dict[str, str], code: str
) -> None:
    response = await venue.client.get(PATH, headers=_headers(taker, **overrides))

    assert response.status_code == 401
    assert response.json()["code"] == code


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999000)))
def test_a_timestamp_is_the_ms_since_the_epoch_of_its_utc_moment(moment: datetime) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    text = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    since_epoch = moment.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)

    assert parse_timestamp_ms(text) == since_epoch // timedelta(milliseconds=1)


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29T00:00:00.000Z",  # not a leap year
        "1900-02-29T00:00:00.000Z",  # nor a century that 400 does not divide
        "2024-04-31T00:00:00.000Z",
        "2024-00-10T00:00:00.000Z",
        "2024-01-00T00:00:00.000Z",
        "2024-01-01T24:00:00.000Z",
        "2024-01-01T00:60:00.000Z",
        "2024-01-01T00:00:60.000Z",
        "0000-01-01T00:00:00.000Z",
        "\uff12024-01-01T00:00:00.000Z",  # a full-width digit: int() would read it
        "2024-01-01T00:00:00.000+00:00",
        "2024-01-01T00:00:00Z",
        "2024-01-01 00:00:00.000Z",
    ],
)
def test_an_impossible_or_other_form_of_timestamp_is_invalid(text: str) -> None:
    with pytest.raises(errors.InvalidTimestamp):
        parse_timestamp_ms(text)


@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.lists(st.integers(0, 999), min_size=1, max_size=4),
)
def test_timestamps_in_the_second_last_read_are_read_as_exactly(moment: datetime, ms: list[int]) -> None:
    second = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"
    since_epoch = (moment.replace(microsecond=0, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        milliseconds=1
    )

    for m in ms:  # the first reads the second whole, the rest its milliseconds alone
        assert parse_timestamp_ms(f"{second}.{m:03d}Z") == since_epoch + m


@pytest.mark.parametrize(
    "ms", [".1a3Z", ".-12Z", ". 12Z", ".\uff1123Z", ".123z", "Z123.", ".123Z0", ".12Z", ",123Z", ".123 "]
)
def test_a_timestamp_in_the_second_last_read_is_still_checked_whole(ms: str) -> None:
    assert parse_timestamp_ms("2024-03-01T10:20:30.000Z") == 1709288430000

    with pytest.raises(errors.InvalidTimestamp):
        parse_timestamp_ms("2024-03-01T10:20:30" + ms)
    assert parse_timestamp_ms("2024-03-01T10:20:30.999Z") == 1709288430999


def test_a_leap_day_is_a_timestamp() -> None:
    assert parse_timestamp_ms("2000-02-29T12:00:00.001Z") == 951825600001


@pytest.mark.parametrize("skew_ms", [30_001, -30_001])
async def test_timestamp_outside_thirty_seconds_is_50102(venue: InProcessVenue, taker: Party, skew_ms: int) -> None:
    stamp = iso_timestamp(taker.now_ms() + skew_ms)
    signature = sign(taker.key.secret_key, (stamp + "GET" + PATH).encode())

    response = await venue.client.get(
        PATH, headers=_headers(taker, **{"OK-ACCESS-TIMESTAMP": stamp, "OK-ACCESS-SIGN": signature})
    )

    assert response.status_code == 401
    assert response.json() == {"code": "50102", "msg": "Timestamp request expired.", "data": []}


async def test_timestamp_thirty_seconds_off_is_still_accepted(venue: InProcessVenue, taker: Party) -> None:
    stamp = iso_timestamp(taker.now_ms() - 30_000)
    signature = sign(taker.key.secret_key, (stamp + "GET" + PATH).encode())

    response = await venue.client.get(
        PATH, headers=_headers(taker, **{"OK-ACCESS-TIMESTAMP": stamp, "OK-ACCESS-SIGN": signature})
    )

    assert response.json()["code"] == "0"


async def test_signature_covers_the_query_string(venue: InProcessVenue, taker: Party) -> None:
    headers = signed_headers(taker.key, "GET", "/api/v5/rfq/rfqs?state=active", "", taker.now_ms())

    tampered = await venue.client.get("/api/v5/rfq/rfqs?state=canceled", headers=headers)
    honest = await venue.client.get("/api/v5/rfq/rfqs?state=active", headers=headers)

    assert tampered.json()["code"] == "50113"
    assert honest.json()["code"] == "0"


async def test_signature_covers_the_exact_body_bytes(venue: InProcessVenue, taker: Party) -> None:
    # python-okx signs json.dumps output (with spaces); the server must check the bytes as sent.
    body = json.dumps({"quoteId": "1"})
    headers = signed_headers(taker.key, "POST", "/api/v5/rfq/cancel-quote", body, taker.now_ms())

    tampered = await venue.client.post("/api/v5/rfq/cancel-quote", content=body.replace(" ", ""), headers=headers)
    honest = await venue.client.post("/api/v5/rfq/cancel-quote", content=body, headers=headers)

    assert tampered.json()["code"] == "50113"
    assert honest.json()["data"][0]["sCode"] == "70001"


async def test_a_key_for_any_environment_takes_demo_and_live_requests(venue: InProcessVenue, taker: Party) -> None:
    codes = [
        (await venue.client.get(PATH, headers=_headers(taker, **extra))).json()["code"]
        for extra in ({"x-simulated-trading": "1"}, {"x-simulated-trading": "0"}, {})
    ]

    assert codes == ["0", "0", "0"]


@pytest.fixture
def environments(venue: InProcessVenue) -> InProcessVenue:
    """The venue: TAKER2 has a key for demo trading (demo-key) and one for live (live-key)."""
    return venue


@pytest.mark.parametrize(
    ("name", "header", "code"),
    [
        ("demo", {"x-simulated-trading": "1"}, "0"),
        ("demo", {"x-simulated-trading": "0"}, "50101"),  # python-okx's live flag
        ("demo", {}, "50101"),  # ccxt outside sandbox mode sends none
        ("live", {}, "0"),
        ("live", {"x-simulated-trading": "0"}, "0"),
        ("live", {"x-simulated-trading": "1"}, "50101"),
    ],
)
async def test_a_key_used_outside_its_environment_is_50101(
    environments: InProcessVenue, name: str, header: dict[str, str], code: str
) -> None:
    response = await environments.client.get(PATH, headers=_headers(environments.party(f"{name}-key"), **header))

    assert response.json()["code"] == code
    if code != "0":
        assert response.status_code == 401
        assert response.json() == {"code": "50101", "msg": "APIKey does not match current environment.", "data": []}


async def test_the_environment_is_checked_after_the_signature(environments: InProcessVenue) -> None:
    demo = environments.party("demo-key")
    forged = _headers(demo, **{"OK-ACCESS-SIGN": "bm90IGEgc2lnbmF0dXJl"})

    assert (await environments.client.get(PATH, headers=forged)).json()["code"] == "50113"


async def test_read_only_key_can_read(venue: InProcessVenue) -> None:
    answer = await venue.party("taker1ro-key").get("/api/v5/rfq/rfqs")

    assert answer["code"] == "0"


async def test_public_endpoints_need_no_credentials(venue: InProcessVenue) -> None:
    response = await venue.client.get("/api/v5/public/time")

    assert response.json() == {"code": "0", "msg": "", "data": [{"ts": str(venue.clock.now_ms())}]}


# --- failed authentications are limited per IP and per key (docs/compatibility.md) -------------------------------


def _client_at(venue: InProcessVenue, ip: str) -> httpx.AsyncClient:
    return asgi_client(venue.app, ip)


async def _fail(client: httpx.AsyncClient, party: Party, times: int, **overrides: str) -> list[str]:
    bad = {"OK-ACCESS-PASSPHRASE": "guess"} if not overrides else overrides
    return [(await client.get(PATH, headers=_headers(party, **bad))).json()["code"] for _ in range(times)]


async def test_past_30_failures_an_ip_is_refused_even_with_the_right_credentials(
    venue: InProcessVenue, taker: Party
) -> None:
    assert await _fail(venue.client, taker, FAILURES) == ["50105"] * FAILURES

    refused = await venue.client.get(PATH, headers=_headers(taker))

    assert refused.status_code == 429
    assert refused.json() == {"code": "50011", "msg": "Too Many Requests", "data": []}


async def test_the_refusal_ends_when_the_failures_leave_the_window(venue: InProcessVenue, taker: Party) -> None:
    await _fail(venue.client, taker, FAILURES)

    venue.clock.advance(60_001)

    assert (await venue.client.get(PATH, headers=_headers(taker))).json()["code"] == "0"


async def test_a_refused_attempt_reveals_nothing_about_the_guess(venue: InProcessVenue, taker: Party) -> None:
    await _fail(venue.client, taker, FAILURES)

    wrong = await venue.client.get(PATH, headers=_headers(taker, **{"OK-ACCESS-PASSPHRASE": "guess"}))
    right = await venue.client.get(PATH, headers=_headers(taker))

    assert wrong.json() == right.json() == {"code": "50011", "msg": "Too Many Requests", "data": []}


async def test_unknown_keys_are_counted_per_ip_only(venue: InProcessVenue, taker: Party) -> None:
    codes = [
        (await venue.client.get(PATH, headers=_headers(taker, **{"OK-ACCESS-KEY": f"nobody{i}"}))).json()["code"]
        for i in range(FAILURES + 1)
    ]

    async with _client_at(venue, "10.0.0.9") as elsewhere:
        other_ip = await elsewhere.get(PATH, headers=_headers(taker))

    assert codes == ["50111"] * FAILURES + ["50011"]
    assert other_ip.json()["code"] == "0"


async def test_failures_with_one_key_from_many_ips_lock_that_key_only(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    for i in range(FAILURES):
        async with _client_at(venue, f"10.0.1.{i}") as attacker:
            assert await _fail(attacker, taker, 1) == ["50105"]

    async with _client_at(venue, "10.0.2.1") as fresh:
        locked = await fresh.get(PATH, headers=_headers(taker))
        other_key = await fresh.get(PATH, headers=_headers(maker1))

    assert locked.json()["code"] == "50011"
    assert other_key.json()["code"] == "0"


async def test_successful_requests_do_not_count(venue: InProcessVenue, taker: Party) -> None:
    for _ in range(FAILURES * 2):
        assert (await venue.client.get(PATH, headers=_headers(taker))).json()["code"] == "0"

    assert await _fail(venue.client, taker, 1) == ["50105"]
