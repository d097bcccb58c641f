"""A property-based fuzz of the control plane's bodies and names: whatever an authorized caller sends, the answer is
the envelope with a 2xx or a 4xx (never a 5xx, never an error in the server's log), and a refusal changes nothing.

CI runs a bounded, derandomized number of examples per route; ``OPENRFQ_LONG=1`` runs many more, randomly
(tests/fuzzing.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import ErrorLog, fuzz_settings, json_values, served
from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, open_venue
from samples import START_MS, make_config

LATER = "<a second after the venue's time>"  # resolved when sent: earlier fuzzing moves the clock anywhere
numbers = st.integers(min_value=-(2**64), max_value=2**64) | st.integers(min_value=0, max_value=10**6).map(str)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "ms": numbers,
    "ts": numbers | st.just(LATER),
    "name": st.text(max_size=70) | st.sampled_from(["s1", "s.2", "a" * 64, "../x", ""]),
    "path": st.sampled_from(["/api/v5/rfq/create-quote", "/api/v5/rfq/cancel-quote", "ws", "/nowhere", ""]),
    "action": st.sampled_from(["error", "delay", "drop", "skew", "settle_fail", "close", "explode"]),
    "account": st.sampled_from(["", "MAKER1", "TAKER1", "NOBODY"]),
    "count": numbers | st.none(),
    "probability": st.floats(allow_nan=False, allow_infinity=False)
    | numbers
    | st.sampled_from(["1e999", "NaN", "0.5"]),
    "seed": numbers,
    "code": st.sampled_from(["", "50001", "70509", "4001", "999", "abc"]),
}
RULE = ("path", "action")  # a fault rule's required fields
rules = st.fixed_dictionaries(
    {key: FIELDS[key] for key in RULE}, optional={key: FIELDS[key] for key in FIELDS if key not in RULE}
)
VALID_RULES: list[dict[str, Any]] = [
    {"path": "/api/v5/rfq/create-quote", "action": "error", "code": "50001", "count": 1},
    {"path": "/api/v5/rfq/cancel-quote", "action": "delay", "ms": 5, "probability": "0.5"},
    {"path": "ws", "action": "close", "code": "4001", "account": "MAKER1"},
]
# A valid rule with one field anything: past the rule's form, into the checks of each field against the others.
field = st.sampled_from(sorted(FIELDS)).flatmap(lambda key: st.tuples(st.just(key), FIELDS[key] | json_values))
near_rules = st.tuples(st.sampled_from(VALID_RULES), field).map(lambda t: {**t[0], t[1][0]: t[1][1]})
clock_moves = st.sampled_from([{"ts": LATER}, {"ms": 1000}, {"ms": "0"}])
bodies = (
    clock_moves
    | st.sampled_from(VALID_RULES)
    | near_rules
    | rules
    | st.dictionaries(
        st.sampled_from(sorted(FIELDS)) | st.text(max_size=8),
        json_values,
        max_size=4,
    )
    | st.fixed_dictionaries({}, optional=FIELDS)
)
CALLS = [
    ("POST", "/clock/advance"),
    ("POST", "/clock/set"),
    ("POST", "/faults"),
    ("DELETE", "/faults/{name}"),
    ("POST", "/snapshots"),
    ("POST", "/snapshots/{name}/restore"),
    ("DELETE", "/snapshots/{name}"),
]
names = st.text(alphabet="abc019._-", min_size=1, max_size=70) | st.sampled_from(
    ["1", "2", "s1", "99999999999999999999"]
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, InProcessVenue]]:
    opened = open_venue(make_config(), tmp_path_factory.mktemp("controlfuzz"), ManualClock(START_MS), control=True)
    with served(opened) as (runner, venue):
        runner.run(venue.control("POST", "/snapshots", {"name": "s1"}))
        yield runner, venue


@pytest.mark.parametrize(("method", "path"), CALLS, ids=[f"{m} {p}" for m, p in CALLS])
def test_any_body_gets_an_envelope_and_a_refusal_changes_nothing(
    world: tuple[asyncio.Runner, InProcessVenue], method: str, path: str
) -> None:
    runner, venue = world
    statuses: set[int] = set()

    @fuzz_settings(200, 2000)
    @given(body=bodies | json_values, name=names)
    def one(body: Any, name: str) -> None:
        before = runner.run(_state(venue))
        if isinstance(body, dict) and body.get("ts") == LATER:
            now = runner.run(venue.control("GET", "/clock")).json()["data"][0]["ts"]
            body = {**body, "ts": str(int(now) + 1000)}
        with ErrorLog() as errors:  # each example judged alone: hypothesis then shrinks to the call at fault
            response = runner.run(venue.control(method, path.replace("{name}", name), body))
        assert response.status_code < 500, (response.status_code, response.text)
        statuses.add(response.status_code // 100)
        answer = response.json()
        assert set(answer) == {"code", "msg", "data"} and isinstance(answer["data"], list), answer
        if response.status_code >= 400:
            assert answer["code"] != "0" and answer["msg"] and answer["data"] == [], answer
            assert runner.run(_state(venue)) == before, answer  # a refusal changed nothing
        assert not errors.records, errors.messages()

    one()
    assert statuses == {2, 4}, statuses  # the harness reached the handlers' work, not only their refusals


async def _state(venue: InProcessVenue) -> tuple[Any, ...]:
    """What the control plane can change: the clock, the fault rules, the snapshots."""
    got = [(await venue.control("GET", path)).json()["data"] for path in ("/clock", "/faults", "/snapshots")]
    return tuple(repr(data) for data in got)
