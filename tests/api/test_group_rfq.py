"""Group RFQs (``acctAlloc``): a taker splits an RFQ across its own account ("0") and its sub-accounts; each
allocation is checked (70514-70518) and nothing is created unless all pass; the execution is one child per
account under a parent without blockTdId or tradeIds; trades carry the accounts' executions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party
from samples import START_MS, SWAP_LEG, create_quote
from settling import EXECUTE, SETTLE_FAIL, advance, control, settling_config, settling_venue

CREATE = "/api/v5/rfq/create-rfq"
SWAP = "BTC-USDT-SWAP"
SPOT = {"instId": "BTC-USDT", "sz": "1.5", "side": "buy"}
TWO_LEGS = [SPOT, SWAP_LEG]  # 1.5 BTC-USDT, 10 BTC-USDT-SWAP
# A fifth and four fifths of each leg: one ratio across legs per account, the RFQ's totals per instrument.
SPLIT = [
    {"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "0.3"}, {"instId": "BTC-USDT-SWAP", "sz": "2"}]},
    {"acct": "alpha-1", "legs": [{"instId": "BTC-USDT", "sz": "1.2"}, {"instId": "BTC-USDT-SWAP", "sz": "8"}]},
]


@pytest.fixture
async def venue(tmp_path: Path, clock: ManualClock) -> AsyncIterator[InProcessVenue]:
    async for v in settling_venue(tmp_path, clock, settling_config(settlement_ms=0)):
        yield v


def _split(*sizes: tuple[str, str]) -> list[dict[str, Any]]:
    """acctAlloc of an RFQ on BTC-USDT alone: (acct, sz) per account."""
    return [{"acct": acct, "legs": [{"instId": "BTC-USDT", "sz": sz}]} for acct, sz in sizes]


async def _group(taker: Party, alloc: list[dict[str, Any]] | None = None, **body: Any) -> dict[str, Any]:
    answer = await taker.post(
        CREATE, {"counterparties": ["MAKER1", "MAKER2"], "legs": TWO_LEGS, "acctAlloc": alloc or SPLIT, **body}
    )
    assert answer["code"] == "0", answer
    created: dict[str, Any] = answer["data"][0]
    return created


async def _quote(maker: Party, rfq_id: str) -> dict[str, Any]:
    legs = [{**SPOT, "px": "50000.1"}, {**SWAP_LEG, "px": "50010"}]
    return await create_quote(maker, rfq_id, legs=legs)


# --- creation --------------------------------------------------------------------------------------------------


async def test_create_answers_the_group_id_and_the_allocation_to_the_taker(taker: Party) -> None:
    created = await _group(taker, allowPartialExecution=False)

    assert (created["groupId"], created["allowPartialExecution"]) == ("1", True)  # always true for a group
    assert created["acctAlloc"] == [
        {
            "acct": "0",
            "sCode": "0",
            "sMsg": "",
            "legs": [
                {"instId": "BTC-USDT", "sz": "0.3", "tdMode": "cash", "ccy": "", "posSide": ""},
                {"instId": "BTC-USDT-SWAP", "sz": "2", "tdMode": "cross", "ccy": "", "posSide": ""},
            ],
        },
        {
            "acct": "alpha-1",
            "sCode": "0",
            "sMsg": "",
            "legs": [
                {"instId": "BTC-USDT", "sz": "1.2", "tdMode": "cash", "ccy": "", "posSide": ""},
                {"instId": "BTC-USDT-SWAP", "sz": "8", "tdMode": "cross", "ccy": "", "posSide": ""},
            ],
        },
    ]


async def test_get_rfqs_shows_the_allocation_to_the_taker_only_and_the_group_id_to_all(
    taker: Party, maker1: Party
) -> None:
    created = await _group(taker)

    as_taker = (await taker.get("/api/v5/rfq/rfqs"))["data"][0]
    as_maker = (await maker1.get("/api/v5/rfq/rfqs"))["data"][0]

    assert list(as_taker)[-3:] == ["groupId", "acctAlloc", "flowType"]
    assert [list(a) for a in as_taker["acctAlloc"]] == [["acct", "legs"]] * 2  # no sCode/sMsg here
    assert as_taker["acctAlloc"][1]["legs"][1] == created["acctAlloc"][1]["legs"][1]
    assert (as_maker["groupId"], as_maker["acctAlloc"], as_maker["allowPartialExecution"]) == ("1", [], True)


async def test_group_ids_count_up_and_a_plain_rfq_has_none(taker: Party) -> None:
    first = await _group(taker)
    plain = await taker.post(CREATE, {"counterparties": ["MAKER1"], "legs": [SPOT]})
    second = await _group(taker)

    assert [first["groupId"], plain["data"][0]["groupId"], second["groupId"]] == ["1", "", "2"]
    assert plain["data"][0]["acctAlloc"] == []


@pytest.mark.parametrize(
    ("alloc", "code", "msg"),
    [
        (
            _split(("0", "1"), ("alpha-1", "0.4")),
            "70514",
            "For each symbol, the total size of RFQ legs in all accounts should be equal to its combined amount "
            "in the group RFQ.",
        ),
        (
            [{"acct": "0", "legs": [{"instId": "ETH-USDT", "sz": "1.5"}]}],
            "70514",
            "For each symbol, the total size of RFQ legs in all accounts should be equal to its combined amount "
            "in the group RFQ.",
        ),
        (
            [  # the totals fit, but 0.5 of 1.5 BTC-USDT is not 5 of 10 swaps
                {"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "0.5"}, {"instId": "BTC-USDT-SWAP", "sz": "5"}]},
                {"acct": "alpha-1", "legs": [{"instId": "BTC-USDT", "sz": "1"}, {"instId": SWAP, "sz": "5"}]},
            ],
            "70515",
            "For each sub-account, the ratio of a leg\u2019s size to the main account RFQ must be the same across "
            "all symbols.",
        ),
        (
            [
                {"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "1.5"}]},
                {"acct": "alpha-1", "legs": [{"instId": "BTC-USDT-SWAP", "sz": "10"}]},
            ],
            "70515",
            "For each sub-account, the ratio of a leg\u2019s size to the main account RFQ must be the same across "
            "all symbols.",
        ),
        (
            [{"acct": str(n), "legs": [{"instId": "BTC-USDT", "sz": "0.1"}]} for n in range(11)],
            "70516",
            "You can only select up to 10 sub-accounts for group RFQ.",
        ),
        (
            _split(("0", "0.5"), ("alpha-9", "1")),
            "70517",
            "alpha-9 doesn't exist or you don\u2019t have permission to create group RFQ for it.",
        ),
        (
            _split(("alpha-1", "0.5"), ("alpha-1", "1")),
            "70518",
            "Make sure you didn\u2019t select the same account more than once for group RFQ.",
        ),
    ],
)
async def test_an_allocation_that_does_not_fit_creates_nothing(
    taker: Party, alloc: list[dict[str, Any]], code: str, msg: str
) -> None:
    legs = [SPOT, SWAP_LEG] if code == "70515" else [SPOT]

    answer = await taker.post(CREATE, {"counterparties": ["MAKER1"], "legs": legs, "acctAlloc": alloc})

    assert answer == {"code": code, "msg": msg, "data": []}
    assert (await taker.get("/api/v5/rfq/rfqs"))["data"] == []


async def test_another_takers_sub_accounts_are_not_yours(venue: InProcessVenue) -> None:
    answer = await venue.party("TAKER2").post(
        CREATE, {"counterparties": ["MAKER1"], "legs": [SPOT], "acctAlloc": _split(("alpha-1", "1.5"))}
    )

    assert answer["code"] == "70517"


async def test_allocated_sizes_follow_the_legs_rules(taker: Party) -> None:
    off_lot = _split(("0", "0.000000001"), ("alpha-1", "1.499999999"))
    repeated = [{"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "1"}, {"instId": "BTC-USDT", "sz": "0.5"}]}]
    bad_mode = [{"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "1.5", "tdMode": "margin"}]}]
    no_size = [{"acct": "0", "legs": [{"instId": "BTC-USDT"}]}]

    answers = [
        await taker.post(CREATE, {"counterparties": ["MAKER1"], "legs": [SPOT], "acctAlloc": alloc})
        for alloc in (off_lot, repeated, bad_mode, no_size)
    ]

    assert [(a["code"], a["msg"]) for a in answers] == [
        ("70307", "Size should be in integral multiples of the lot size."),
        ("70100", "Duplicate instruments in legs array."),
        ("51000", "Parameter tdMode error"),
        ("50014", "Parameter sz can not be empty."),
    ]


# --- execution -------------------------------------------------------------------------------------------------


async def test_execute_answers_the_parent_without_ids_and_one_execution_per_account(
    taker: Party, maker1: Party
) -> None:
    rfq = await _group(taker)
    quote = await _quote(maker1, rfq["rfqId"])

    answer = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    (executed,) = answer["data"]
    assert (executed["blockTdId"], [leg["tradeId"] for leg in executed["legs"]]) == ("", ["", ""])
    assert [(leg["sz"], leg["fee"]) for leg in executed["legs"]] == [("1.5", "-37.500075"), ("10", "-2.5005")]
    assert executed["acctAlloc"] == [
        {
            "acct": "0",
            "blockTdId": "1",
            "sCode": "0",
            "sMsg": "",
            "legs": [
                # 5 bp: of 0.3 x 50000.1 USDT for the spot leg, of 2 x 0.01 BTC x 50010 for the swap's
                {"instId": "BTC-USDT", "sz": "0.3", "fee": "-7.500015", "feeCcy": "USDT", "tradeId": "1"},
                {"instId": "BTC-USDT-SWAP", "sz": "2", "fee": "-0.5001", "feeCcy": "USDT", "tradeId": "2"},
            ],
        },
        {
            "acct": "alpha-1",
            "blockTdId": "2",
            "sCode": "0",
            "sMsg": "",
            "legs": [
                {"instId": "BTC-USDT", "sz": "1.2", "fee": "-30.00006", "feeCcy": "USDT", "tradeId": "3"},
                {"instId": "BTC-USDT-SWAP", "sz": "8", "fee": "-2.0004", "feeCcy": "USDT", "tradeId": "4"},
            ],
        },
    ]


async def test_get_trades_shows_each_accounts_execution_the_account_named_to_the_taker_only(
    taker: Party, maker1: Party
) -> None:
    rfq = await _group(taker)
    quote = await _quote(maker1, rfq["rfqId"])
    await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    (as_taker,) = (await taker.get("/api/v5/rfq/trades"))["data"]
    (as_maker,) = (await maker1.get("/api/v5/rfq/trades"))["data"]

    assert (as_taker["blockTdId"], as_taker["isSuccessful"], as_taker["errorCode"]) == ("", True, "")
    assert as_taker["acctAlloc"][1] == {
        "blockTdId": "2",
        "errorCode": "0",
        "acct": "alpha-1",
        "legs": [
            {"instId": "BTC-USDT", "sz": "1.2", "tradeId": "3", "fee": "-30.00006", "feeCcy": "USDT"},
            {"instId": "BTC-USDT-SWAP", "sz": "8", "tradeId": "4", "fee": "-2.0004", "feeCcy": "USDT"},
        ],
    }
    assert [a["acct"] for a in as_maker["acctAlloc"]] == ["", ""]
    assert as_maker["acctAlloc"][0]["legs"][0] == {
        "instId": "BTC-USDT",
        "sz": "0.3",
        "tradeId": "1",
        "fee": "-0.00006",  # the maker's: 2 bp of the 0.3 BTC it buys
        "feeCcy": "BTC",
    }
    assert [leg["sz"] for leg in as_maker["legs"]] == ["1.5", "10"]


async def test_a_childs_block_trade_id_finds_its_parent(taker: Party, maker1: Party) -> None:
    rfq = await _group(taker)
    quote = await _quote(maker1, rfq["rfqId"])
    await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    found = [(await taker.get("/api/v5/rfq/trades", blockTdId=i))["data"] for i in ("1", "2", "3")]

    assert [len(f) for f in found] == [1, 1, 0]


async def test_a_group_rfq_executes_whole_or_is_70507(taker: Party, maker1: Party) -> None:
    rfq = await _group(taker)
    quote = await _quote(maker1, rfq["rfqId"])
    half = [{"instId": "BTC-USDT", "sz": "0.75"}, {"instId": "BTC-USDT-SWAP", "sz": "5"}]

    answer = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"], "legs": half})

    assert answer["code"] == "70507"


async def test_a_makers_mmp_counts_one_attempt_per_group_execution(taker: Party, maker1: Party) -> None:
    await maker1.post("/api/v5/rfq/mmp-config", {"timeInterval": "5000", "frozenInterval": "0", "countLimit": "2"})
    rfq = await _group(taker)
    quote = await _quote(maker1, rfq["rfqId"])

    await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    assert (await maker1.get("/api/v5/rfq/mmp-config"))["data"][0]["mmpFrozen"] is False


async def test_public_data_shows_the_parent_multi_leg_and_each_accounts_single_legs(
    taker: Party, maker1: Party
) -> None:
    rfq = await _group(taker)
    quote = await _quote(maker1, rfq["rfqId"])
    await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

    (multi,) = (await maker1.get("/api/v5/rfq/public-trades"))["data"]
    single = (await maker1.get("/api/v5/public/block-trades", instId="BTC-USDT-SWAP"))["data"]

    assert multi == {
        "strategy": "",
        "cTime": str(START_MS),
        "blockTdId": "",
        "groupId": "1",
        "legs": [
            {"instId": "BTC-USDT", "px": "50000.1", "sz": "1.5", "side": "sell", "tradeId": ""},
            {"instId": "BTC-USDT-SWAP", "px": "50010", "sz": "10", "side": "buy", "tradeId": ""},
        ],
    }
    assert [(s["tradeId"], s["sz"], s["groupId"]) for s in single] == [("4", "8", "1"), ("2", "2", "1")]


# --- with asynchronous settlement ----------------------------------------------------------------------------


async def test_one_account_failing_leaves_the_group_filled_with_what_filled(tmp_path: Path, clock: ManualClock) -> None:
    async for venue in settling_venue(tmp_path, clock, settling_config(settlement_ms=500)):
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        await control(venue, "POST", "/faults", {**SETTLE_FAIL, "count": 1})  # the first account's execution
        rfq = await _group(taker)
        quote = await _quote(maker, rfq["rfqId"])
        executed = (await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]}))["data"][0]

        await advance(venue, 500)

        assert [a["sCode"] for a in executed["acctAlloc"]] == ["0", "0"]  # accepted: the failure comes later
        assert (await taker.get("/api/v5/rfq/rfqs"))["data"][0]["state"] == "filled"
        (trade,) = (await taker.get("/api/v5/rfq/trades"))["data"]
        assert (trade["isSuccessful"], trade["errorCode"]) == (True, "")
        assert [(leg["sz"], leg["fee"]) for leg in trade["legs"]] == [("1.2", "-30.00006"), ("8", "-2.0004")]
        assert [(a["errorCode"], a["legs"][0]["sz"], a["legs"][0]["fee"]) for a in trade["acctAlloc"]] == [
            ("70509", "0", "0"),
            ("0", "1.2", "-30.00006"),
        ]
        single = (await maker.get("/api/v5/public/block-trades", instId="BTC-USDT"))["data"]
        assert [s["tradeId"] for s in single] == ["3"]


async def test_every_account_failing_fails_the_group_with_70510(tmp_path: Path, clock: ManualClock) -> None:
    async for venue in settling_venue(tmp_path, clock, settling_config(settlement_ms=500)):
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        await control(venue, "POST", "/faults", SETTLE_FAIL)
        rfq = await _group(taker)
        quote = await _quote(maker, rfq["rfqId"])
        await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})

        await advance(venue, 500)

        assert (await taker.get("/api/v5/rfq/rfqs"))["data"][0]["state"] == "failed"
        assert (await taker.get("/api/v5/rfq/trades"))["data"] == []
        (trade,) = (await taker.get("/api/v5/rfq/trades", isSuccessful="false"))["data"]
        assert (trade["isSuccessful"], trade["errorCode"]) == (False, "70510")
        assert [(leg["sz"], leg["fee"]) for leg in trade["legs"]] == [("0", "0"), ("0", "0")]
        assert [a["errorCode"] for a in trade["acctAlloc"]] == ["70509", "70509"]
        assert (await maker.get("/api/v5/rfq/public-trades"))["data"] == []
