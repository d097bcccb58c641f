"""A property-based fuzz of every endpoint's body and query: whatever a signed client sends, the answer is an OKX
envelope (never a 5xx, never a traceback in the log), and a request-level refusal changes nothing.

CI runs a bounded, derandomized number of examples per endpoint; ``OPENRFQ_LONG=1`` runs many more, randomly
(tests/fuzzing.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import ErrorLog, fuzz_settings
from openrfq.api.endpoint import Endpoint
from openrfq.api.routes import ROUTES
from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party, open_venue
from samples import START_MS, create_quote, create_rfq, make_config

# Decimals go out as JSON numbers (1e999999999 included), as a client's float or big number would.
encode = msgspec.json.Encoder(decimal_format="number").encode

NAMES = [
    "rfqId",
    "clRfqId",
    "quoteId",
    "clQuoteId",
    "rfqIds",
    "clRfqIds",
    "quoteIds",
    "clQuoteIds",
    "blockTdId",
    "counterparties",
    "legs",
    "anonymous",
    "allowPartialExecution",
    "tag",
    "quoteSide",
    "expiresIn",
    "state",
    "beginId",
    "endId",
    "beginTs",
    "endTs",
    "limit",
    "isSuccessful",
    "instType",
    "instId",
    "instFamily",
    "uly",
    "includeAll",
    "data",
    "timeInterval",
    "frozenInterval",
    "countLimit",
    "timeOut",
    "acctAlloc",
]
LEG_NAMES = ["instId", "sz", "side", "px", "lmtPx", "tdMode", "ccy", "posSide", "tgtCcy", "tradeQuoteCcy"]
WORDS = [
    "",
    "1",
    "2",
    "0",
    "007",
    "-1",
    "1.5",
    "0.1",
    "50000",
    "50000.1",
    "1e3",
    "1E+999999999",
    "NaN",
    "Infinity",
    "1_000",
    "\u0661\u0662",
    " 1",
    "9" * 25,
    "9" * 5000,
    "buy",
    "sell",
    "SPOT",
    "SWAP",
    "OPTION",
    "MARGIN",
    "BTC-USDT",
    "BTC-USDT-SWAP",
    "BTC-USD",
    "MAKER1",
    "MAKER2",
    "TAKER1",
    "true",
    "false",
    "active",
    "canceled",
    "quote_ccy",
    "base_ccy",
    "cash",
    "cross",
    "\x00",
    "\ud7ff",
    "é" * 40,
]

atoms = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**4000, -(10**4000), 2**63, 2**64]),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("1E+999999999"), Decimal("-1E-999999999"), Decimal("5.0"), Decimal("1E+20")]),
)
values = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(LEG_NAMES + NAMES), inner, max_size=6),
    ),
    max_leaves=20,
)
LEG = {"instId": "BTC-USDT", "sz": "1.5", "side": "buy"}
# A valid request per endpoint (ids name the seeded RFQs 1-2 and quotes 1-2); each example mutates a few fields.
TEMPLATES: dict[str, dict[str, Any]] = {
    "/api/v5/public/instruments": {"instType": "SPOT", "instId": "BTC-USDT"},
    "/api/v5/public/mark-price": {"instType": "SWAP", "instId": "BTC-USDT-SWAP"},
    "/api/v5/rfq/create-rfq": {
        "counterparties": ["MAKER1"],
        "legs": [{**LEG, "lmtPx": "40000"}],
        "clRfqId": "x",
        "tag": "t",
        "anonymous": False,
        "allowPartialExecution": False,
    },
    "/api/v5/rfq/cancel-rfq": {"rfqId": "1", "clRfqId": "r0"},
    "/api/v5/rfq/cancel-batch-rfqs": {"rfqIds": ["1", "2"], "clRfqIds": ["r0"]},
    "/api/v5/rfq/execute-quote": {"rfqId": "2", "quoteId": "2", "legs": [{"instId": "BTC-USDT", "sz": "1.5"}]},
    "/api/v5/rfq/rfqs": {"rfqId": "1", "clRfqId": "r0", "state": "active", "beginId": "0", "endId": "9", "limit": "5"},
    "/api/v5/rfq/create-quote": {
        "rfqId": "2",
        "quoteSide": "buy",
        "legs": [{**LEG, "px": "50000.1"}],
        "expiresIn": "60",
        "clQuoteId": "c",
        "tag": "t",
        "anonymous": False,
    },
    "/api/v5/rfq/cancel-quote": {"quoteId": "1", "clQuoteId": "q0", "rfqId": "1"},
    "/api/v5/rfq/cancel-batch-quotes": {"quoteIds": ["1"], "clQuoteIds": ["q0"]},
    "/api/v5/rfq/quotes": {"rfqId": "1", "quoteId": "1", "clQuoteId": "q0", "state": "active", "limit": "5"},
    "/api/v5/rfq/trades": {
        "rfqId": "1",
        "quoteId": "1",
        "blockTdId": "1",
        "beginTs": "1",
        "endTs": "9",
        "beginId": "0",
        "limit": "5",
        "isSuccessful": "true",
    },
    "/api/v5/rfq/maker-instrument-settings": {
        "instType": "SPOT",
        "includeAll": False,
        "data": [{"instId": "BTC-USDT", "maxBlockSz": "10", "makerPxBand": "5"}],
    },
    "/api/v5/rfq/mmp-config": {"timeInterval": "5000", "frozenInterval": "2000", "countLimit": "10"},
    "/api/v5/rfq/cancel-all-after": {"timeOut": "60"},
    "/api/v5/rfq/public-trades": {"beginId": "0", "endId": "9", "limit": "5"},
    "/api/v5/public/block-trades": {"instId": "BTC-USDT"},
    "/api/v5/market/block-tickers": {"instType": "SPOT", "instFamily": "BTC-USDT"},
    "/api/v5/market/block-ticker": {"instId": "BTC-USDT"},
}
DELETE = object()


def _paths(template: dict[str, Any]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The template's own fields, nested ones included (("legs", 0, "sz"), ...), and names it does not have."""
    own: list[tuple[Any, ...]] = [(key,) for key in template]
    other: list[tuple[Any, ...]] = [(name,) for name in NAMES if name not in template]
    for key, value in template.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            own += [(key, 0, name) for name in value[0]]
            other += [(key, 0, name) for name in LEG_NAMES if name not in value[0]]
    return own or other, other


def _mutated(template: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(template))
    for path, value in changes:
        *parents, last = path
        target: Any = body
        for step in parents:
            target = target[step] if (isinstance(target, dict) and step in target) or isinstance(target, list) else None
            if target is None or (isinstance(target, list) and not target):
                break
        else:
            if isinstance(target, list):
                target = target[0]
            if isinstance(target, dict):
                if value is DELETE:
                    target.pop(last, None)
                else:
                    target[last] = value
    return body


def requests(endpoint: Endpoint) -> st.SearchStrategy[dict[str, Any]]:
    template = TEMPLATES.get(endpoint.path, {})
    own, other = _paths(template)
    # Mostly the endpoint's own fields, mostly plain values: what a handler reads first is what fails first.
    path = st.one_of(st.sampled_from(own), st.sampled_from(own), st.sampled_from(other))
    change = st.tuples(path, st.one_of(atoms, atoms, values, st.just(DELETE)))
    return st.lists(change, max_size=3).map(lambda changes: _mutated(template, changes))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, InProcessVenue]]:
    """One venue for the whole module (hypothesis runs many examples per test), with RFQs and quotes to aim at."""
    runner = asyncio.Runner()
    clock = ManualClock(START_MS)
    opened = open_venue(make_config(), tmp_path_factory.mktemp("fuzz"), clock)
    venue = runner.run(opened.__aenter__())

    async def seed() -> None:
        taker, maker1 = venue.party("TAKER1"), venue.party("MAKER1")
        for i in range(2):
            rfq = await create_rfq(taker, clRfqId=f"r{i}")
            await create_quote(maker1, rfq["rfqId"], clQuoteId=f"q{i}")

    runner.run(seed())
    yield runner, venue
    runner.run(opened.__aexit__(None, None, None))
    runner.close()


def _party(venue: InProcessVenue, endpoint: Endpoint) -> Party:
    return venue.party("MAKER1" if "quote" in endpoint.path or "mmp" in endpoint.path else "TAKER1")


def _check(
    venue: InProcessVenue, endpoint: Endpoint, status: int, text: str, batches_before: int, errors: ErrorLog
) -> None:
    assert status < 500, (endpoint.path, status, text)
    answer: dict[str, Any] = json.loads(text)
    assert set(answer) == {"code", "msg", "data"}, text
    assert isinstance(answer["code"], str) and isinstance(answer["msg"], str) and isinstance(answer["data"], list)
    if answer["code"] not in ("0", "1", "2"):  # refused as a whole: nothing may have changed
        assert answer["data"] == []
        assert venue.app.services.committer.batches == batches_before, text
    assert not errors.records, errors.messages()


@pytest.mark.parametrize("endpoint", ROUTES, ids=[f"{e.method} {e.path}" for e in ROUTES])
def test_any_request_gets_an_okx_answer_and_a_refusal_changes_nothing(
    world: tuple[asyncio.Runner, InProcessVenue], endpoint: Endpoint
) -> None:
    runner, venue = world

    @fuzz_settings(100, 3000)
    @given(body=requests(endpoint), as_list=st.booleans())
    def one(body: dict[str, Any], as_list: bool) -> None:
        party = _party(venue, endpoint)
        before = venue.app.services.committer.batches
        with ErrorLog() as errors:  # each example judged alone: hypothesis then shrinks to the request at fault
            if endpoint.method == "GET":
                query = {k: v if isinstance(v, str) else encode(v).decode() for k, v in body.items()}
                target = endpoint.path + ("?" + urlencode(query) if query else "")
                response = runner.run(party.request("GET", target))
            else:
                payload: Any = [body] if as_list and endpoint.array_body else body
                response = runner.run(party.request("POST", endpoint.path, encode(payload).decode()))
        _check(venue, endpoint, response.status_code, response.text, before, errors)

    one()


def test_the_fuzz_reaches_the_handlers(world: tuple[asyncio.Runner, InProcessVenue]) -> None:
    # Guards the harness: signed requests get past authentication, so the fuzz exercises parameters.
    runner, venue = world
    response = runner.run(venue.party("TAKER1").request("GET", "/api/v5/rfq/rfqs?limit=1"))

    assert response.json()["code"] == "0"
    assert len(response.json()["data"]) == 1
