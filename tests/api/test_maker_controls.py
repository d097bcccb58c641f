"""Maker controls over REST: quote products, Market Maker Protection, Cancel All After, lmtPx auto-execution.
Time moves only through the manual clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.testing import InProcessVenue, Party, open_venue
from samples import create_quote, create_rfq, make_config, quote_body

SETTINGS = "/api/v5/rfq/maker-instrument-settings"
MMP = "/api/v5/rfq/mmp-config"
EXECUTE = "/api/v5/rfq/execute-quote"
CANCEL_ALL_AFTER = "/api/v5/rfq/cancel-all-after"
SPOT = {"instId": "BTC-USDT", "sz": "1.5", "side": "buy"}
SWAP = {"instId": "BTC-USDT-SWAP", "sz": "10", "side": "sell"}


# --- quote products -------------------------------------------------------------------------------------------


async def test_settings_round_trip_as_python_okx_sends_them(maker1: Party) -> None:
    body = [
        {"instType": "SPOT", "data": [{"instId": "BTC-USDT", "maxBlockSz": "2", "makerPxBand": "5"}]},
        {"instType": "SWAP", "includeAll": True, "data": [{"instFamily": "BTC-USDT", "maxBlockSz": "100"}]},
    ]

    assert await maker1.post(SETTINGS, body) == {"code": "0", "msg": "", "data": [{"result": True}]}

    assert await maker1.get(SETTINGS) == {
        "code": "0",
        "msg": "",
        "data": [
            {
                "instType": "SPOT",
                "includeAll": False,
                "data": [{"instFamily": "", "instId": "BTC-USDT", "maxBlockSz": "2", "makerPxBand": "5"}],
            },
            {
                "instType": "SWAP",
                "includeAll": True,
                "data": [{"instFamily": "BTC-USDT", "instId": "", "maxBlockSz": "100", "makerPxBand": ""}],
            },
        ],
    }


async def test_a_single_setting_object_is_accepted_too(maker1: Party) -> None:
    answer = await maker1.post(SETTINGS, {"instType": "SPOT", "data": [{"instId": "ETH-USDT"}]})

    assert answer["code"] == "0"
    assert [s["instType"] for s in (await maker1.get(SETTINGS))["data"]] == ["SPOT"]


async def test_no_settings_is_an_empty_list(maker1: Party) -> None:
    assert await maker1.get(SETTINGS) == {"code": "0", "msg": "", "data": []}


@pytest.mark.parametrize(
    ("body", "code", "msg"),
    [
        ([], "70016", "Please specify your instrument settings for at least one instType."),
        ([{"instType": "SPOT", "data": []}], "70009", "Data must have at least 1 valid element."),
        (
            [
                {"instType": "SPOT", "data": [{"instId": "BTC-USDT"}]},
                {"instType": "SPOT", "data": [{"instId": "ETH-USDT"}]},
            ],
            "70011",
            "Duplicate setting for instType SPOT.",
        ),
        (
            [{"instType": "SPOT", "data": [{"instId": "BTC-USDT"}, {"instId": "BTC-USDT"}]}],
            "70012",
            "Duplicate setting for underlying/instId BTC-USDT under the same instType SPOT.",
        ),
        (
            [{"instType": t, "includeAll": True, "data": []} for t in ("SPOT", "SWAP", "FUTURES", "OPTION")],
            "70014",
            "It's not allowed to have includeAll=True for all the instType.",
        ),
        ([{"instType": "SPOT", "data": [{"instId": "DOGE-USDT"}]}], "70004", "Invalid instrument DOGE-USDT"),
        (
            [{"instType": "OPTION", "data": [{"instFamily": "ETH-USD"}]}],
            "70007",
            "Underlying index ETH-USD does not exist under instType OPTION.",
        ),
        ([{"instType": "MARGIN", "data": [{"instId": "BTC-USDT"}]}], "51000", "Parameter instType error"),
        (
            [{"instType": "SPOT", "data": [{"instId": "BTC-USDT", "maxBlockSz": "-1"}]}],
            "51000",
            "Parameter maxBlockSz error",
        ),
        (
            [{"instType": "SWAP", "data": [{"instId": "BTC-USDT-SWAP"}]}],
            "50014",
            "Parameter instFamily can not be empty.",
        ),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(
    maker1: Party, body: list[dict[str, Any]], code: str, msg: str | None
) -> None:
    await maker1.post(SETTINGS, [{"instType": "SPOT", "data": [{"instId": "ETH-USDT"}]}])

    answer = await maker1.post(SETTINGS, body)

    assert answer["code"] == code, answer
    if msg is not None:
        assert answer["msg"] == msg
    assert [s["data"][0]["instId"] for s in (await maker1.get(SETTINGS))["data"]] == ["ETH-USDT"]


async def test_rfqs_reach_only_makers_whose_settings_cover_every_leg(
    taker: Party, maker1: Party, maker2: Party
) -> None:
    await maker1.post(SETTINGS, [{"instType": "SPOT", "data": [{"instId": "BTC-USDT"}]}])

    spot_only = await create_rfq(taker, legs=[SPOT])
    spot_and_swap = await create_rfq(taker, legs=[SPOT, SWAP])

    assert spot_only["counterparties"] == ["MAKER1", "MAKER2"]
    assert spot_and_swap["counterparties"] == ["MAKER2"]  # maker1 does not quote swaps; maker2 has no settings
    assert [r["rfqId"] for r in (await maker1.get("/api/v5/rfq/rfqs"))["data"]] == [spot_only["rfqId"]]
    refused = await maker1.post("/api/v5/rfq/create-quote", quote_body(spot_and_swap["rfqId"]))
    assert refused["code"] == "70000"


async def test_an_rfq_no_named_maker_covers_is_70109(taker: Party, maker1: Party) -> None:
    await maker1.post(SETTINGS, [{"instType": "SWAP", "includeAll": True, "data": []}])

    answer = await taker.post("/api/v5/rfq/create-rfq", {"counterparties": ["MAKER1"], "legs": [SPOT]})

    assert answer == {
        "code": "70109",
        "msg": "Counterparties for selected instruments are currently unavailable.",
        "data": [],
    }
    assert (await taker.get("/api/v5/rfq/rfqs"))["data"] == []


async def test_include_all_covers_every_instrument_of_the_type(taker: Party, maker1: Party) -> None:
    await maker1.post(SETTINGS, [{"instType": "SWAP", "includeAll": True, "data": []}])

    rfq = await create_rfq(taker, counterparties=["MAKER1"], legs=[SWAP])

    assert rfq["counterparties"] == ["MAKER1"]


async def test_a_quote_above_max_block_size_is_70310(taker: Party, maker1: Party) -> None:
    await maker1.post(SETTINGS, [{"instType": "SPOT", "data": [{"instId": "BTC-USDT", "maxBlockSz": "1"}]}])
    rfq = await create_rfq(taker, legs=[SPOT])

    answer = await maker1.post("/api/v5/rfq/create-quote", quote_body(rfq["rfqId"]))

    assert answer == {
        "code": "70310",
        "msg": "Quoted price of instId BTC-USDT cannot exceed your preset price limit.",
        "data": [],
    }


@pytest.mark.parametrize(
    ("quote_side", "px", "code"),
    [
        # Mark 50000 (static default), band 5 ticks of 0.1: a bid may go up to 50000.5, an ask down to 49999.5.
        ("buy", "50000.5", "0"),  # quoteSide buy on a buy leg: the maker buys, a bid at the band's edge
        ("buy", "50000.6", "70310"),  # a bid above mark + band
        ("buy", "40000", "0"),  # a low bid is fine
        ("sell", "49999.5", "0"),  # the maker sells: an ask at the edge
        ("sell", "49999.4", "70310"),  # an ask below mark - band
        ("sell", "60000", "0"),
    ],
)
async def test_price_band_around_the_mark(taker: Party, maker1: Party, quote_side: str, px: str, code: str) -> None:
    await maker1.post(SETTINGS, [{"instType": "SPOT", "data": [{"instId": "BTC-USDT", "makerPxBand": "5"}]}])
    rfq = await create_rfq(taker, legs=[SPOT])

    answer = await maker1.post("/api/v5/rfq/create-quote", quote_body(rfq["rfqId"], px=px, side=quote_side))

    assert answer["code"] == code, answer


# --- Market Maker Protection ----------------------------------------------------------------------------------


async def test_mmp_config_round_trip(maker1: Party) -> None:
    assert await maker1.get(MMP) == {
        "code": "0",
        "msg": "",
        "data": [
            {"frozenInterval": "0", "mmpFrozen": False, "mmpFrozenUntil": "", "countLimit": "0", "timeInterval": "0"}
        ],
    }

    answer = await maker1.post(MMP, {"timeInterval": "5000", "frozenInterval": "2000", "countLimit": "10"})

    assert answer == {
        "code": "0",
        "msg": "",
        "data": [{"timeInterval": "5000", "frozenInterval": "2000", "countLimit": "10"}],
    }
    assert (await maker1.get(MMP))["data"][0]["countLimit"] == "10"


@pytest.mark.parametrize(
    "body",
    [
        {"timeInterval": "600001", "frozenInterval": "0", "countLimit": "1"},
        {"timeInterval": "1000", "frozenInterval": "-1", "countLimit": "1"},
        {"timeInterval": "1000", "frozenInterval": "0", "countLimit": "0"},
        {"timeInterval": "1.5", "frozenInterval": "0", "countLimit": "1"},
    ],
)
async def test_bad_mmp_config_is_51000(maker1: Party, body: dict[str, str]) -> None:
    assert (await maker1.post(MMP, body))["code"] == "51000"


async def test_missing_mmp_field_is_50014(maker1: Party) -> None:
    assert (await maker1.post(MMP, {"timeInterval": "1000", "frozenInterval": "0"}))["code"] == "50014"


async def _executions(taker: Party, maker: Party, count: int) -> list[dict[str, Any]]:
    results = []
    for _ in range(count):
        rfq = await create_rfq(taker, legs=[SPOT])
        quote = await create_quote(maker, rfq["rfqId"], quoteSide="sell")
        results.append(await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]}))
    return results


async def test_reaching_the_count_limit_freezes_the_maker_and_cancels_its_quotes(
    clock: ManualClock, taker: Party, maker1: Party
) -> None:
    await maker1.post(MMP, {"timeInterval": "10000", "frozenInterval": "3000", "countLimit": "2"})
    standing = await create_quote(maker1, (await create_rfq(taker, legs=[SPOT]))["rfqId"])

    first, second = await _executions(taker, maker1, 2)

    assert first["code"] == second["code"] == "0"
    assert (await maker1.quote(standing["quoteId"]))["state"] == "canceled"
    assert (await maker1.quote(standing["quoteId"]))["reason"] == "mmp_canceled"
    config = (await maker1.get(MMP))["data"][0]
    assert config["mmpFrozen"] is True
    assert config["mmpFrozenUntil"] == str(clock.now_ms() + 3000)
    rfq = await create_rfq(taker, legs=[SPOT])
    assert await maker1.post("/api/v5/rfq/create-quote", quote_body(rfq["rfqId"])) == {
        "code": "70008",
        "msg": "Operation failed under MMP status.",
        "data": [],
    }

    clock.advance(3000)  # the frozen interval passes: the maker thaws by itself

    assert (await maker1.get(MMP))["data"][0]["mmpFrozen"] is False
    assert (await maker1.post("/api/v5/rfq/create-quote", quote_body(rfq["rfqId"])))["code"] == "0"


async def test_attempts_outside_the_window_do_not_count(clock: ManualClock, taker: Party, maker1: Party) -> None:
    await maker1.post(MMP, {"timeInterval": "1000", "frozenInterval": "0", "countLimit": "2"})

    await _executions(taker, maker1, 1)
    clock.advance(1000)
    await _executions(taker, maker1, 1)

    assert (await maker1.get(MMP))["data"][0]["mmpFrozen"] is False


async def test_failed_execution_attempts_count_too(taker: Party, maker1: Party) -> None:
    await maker1.post(MMP, {"timeInterval": "10000", "frozenInterval": "0", "countLimit": "2"})
    rfq = await create_rfq(taker, legs=[SPOT])
    quote = await create_quote(maker1, rfq["rfqId"])
    await maker1.post("/api/v5/rfq/cancel-quote", {"quoteId": quote["quoteId"]})

    for _ in range(2):
        refused = await taker.post(EXECUTE, {"rfqId": rfq["rfqId"], "quoteId": quote["quoteId"]})
        assert refused["code"] == "70505"

    assert (await maker1.get(MMP))["data"][0]["mmpFrozen"] is True


async def test_a_freeze_without_interval_lasts_until_reset(clock: ManualClock, taker: Party, maker1: Party) -> None:
    await maker1.post(MMP, {"timeInterval": "10000", "frozenInterval": "0", "countLimit": "1"})
    await _executions(taker, maker1, 1)
    clock.advance(3_600_000)
    config = (await maker1.get(MMP))["data"][0]
    assert (config["mmpFrozen"], config["mmpFrozenUntil"]) == (True, "")

    answer = await maker1.post("/api/v5/rfq/mmp-reset")

    assert answer == {"code": "0", "msg": "", "data": [{"ts": str(clock.now_ms())}]}
    assert (await maker1.get(MMP))["data"][0]["mmpFrozen"] is False
    rfq = await create_rfq(taker, legs=[SPOT])
    assert (await maker1.post("/api/v5/rfq/create-quote", quote_body(rfq["rfqId"])))["code"] == "0"


async def test_time_interval_zero_disables_mmp(taker: Party, maker1: Party) -> None:
    await maker1.post(MMP, {"timeInterval": "0", "frozenInterval": "0", "countLimit": "1"})

    results = await _executions(taker, maker1, 3)

    assert [r["code"] for r in results] == ["0", "0", "0"]
    assert (await maker1.get(MMP))["data"][0]["mmpFrozen"] is False


# --- Cancel All After -----------------------------------------------------------------------------------------


async def test_cancel_all_after_fires_when_the_countdown_runs_out(
    clock: ManualClock, taker: Party, maker1: Party, maker2: Party
) -> None:
    rfq = await create_rfq(taker, legs=[SPOT])
    mine = await create_quote(maker1, rfq["rfqId"], expiresIn="120")
    other = await create_quote(maker2, rfq["rfqId"], expiresIn="120")

    answer = await maker1.post(CANCEL_ALL_AFTER, {"timeOut": "10"})

    assert answer == {
        "code": "0",
        "msg": "",
        "data": [{"triggerTime": str(clock.now_ms() + 10_000), "ts": str(clock.now_ms())}],
    }
    clock.advance(9_999)
    assert (await maker1.quote(mine["quoteId"]))["state"] == "active"
    clock.advance(1)
    assert (await maker1.quote(mine["quoteId"]))["state"] == "canceled"
    assert (await maker2.quote(other["quoteId"]))["state"] == "active"


async def test_each_call_resets_the_countdown_and_zero_disables_it(
    clock: ManualClock, taker: Party, maker1: Party
) -> None:
    rfq = await create_rfq(taker, legs=[SPOT])
    quote = await create_quote(maker1, rfq["rfqId"], expiresIn="120")
    await maker1.post(CANCEL_ALL_AFTER, {"timeOut": "10"})
    clock.advance(8_000)
    await maker1.post(CANCEL_ALL_AFTER, {"timeOut": "10"})  # the heartbeat
    clock.advance(8_000)
    assert (await maker1.quote(quote["quoteId"]))["state"] == "active"

    disabled = await maker1.post(CANCEL_ALL_AFTER, {"timeOut": "0"})
    clock.advance(60_000)

    assert disabled["data"][0]["triggerTime"] == "0"
    assert (await maker1.quote(quote["quoteId"]))["state"] == "active"


@pytest.mark.parametrize(("time_out", "code"), [("9", "51000"), ("121", "51000"), ("abc", "51000"), ("", "50014")])
async def test_bad_time_out(maker1: Party, time_out: str, code: str) -> None:
    assert (await maker1.post(CANCEL_ALL_AFTER, {"timeOut": time_out}))["code"] == code


async def test_timers_and_freezes_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    async with open_venue(make_config(), tmp_path, clock) as venue:
        taker, maker1, maker2 = venue.party("TAKER1"), venue.party("MAKER1"), venue.party("MAKER2")
        await maker1.post(MMP, {"timeInterval": "10000", "frozenInterval": "0", "countLimit": "1"})
        await _executions(taker, maker1, 1)
        rfq = await create_rfq(taker, legs=[SPOT])
        quote = await create_quote(maker2, rfq["rfqId"], expiresIn="120")
        await maker2.post(CANCEL_ALL_AFTER, {"timeOut": "30"})
        await maker2.post(SETTINGS, [{"instType": "SPOT", "data": [{"instId": "BTC-USDT", "maxBlockSz": "5"}]}])

    clock.advance(40_000)  # the countdown comes due while the venue is down

    async with open_venue(make_config(), tmp_path, clock) as venue:
        maker1, maker2 = venue.party("MAKER1"), venue.party("MAKER2")
        assert (await maker2.quote(quote["quoteId"]))["state"] == "canceled"
        assert (await maker1.get(MMP))["data"][0]["mmpFrozen"] is True
        assert (await maker2.get(SETTINGS))["data"][0]["data"][0]["maxBlockSz"] == "5"


# --- lmtPx auto-execution -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("px", "fills"),
    [("49999.9", True), ("50000", True), ("50000.1", False)],  # the taker buys at 50000 or better
)
async def test_a_quote_at_or_better_than_every_lmt_px_executes_at_once(
    taker: Party, maker1: Party, px: str, fills: bool
) -> None:
    rfq = await create_rfq(taker, legs=[{**SPOT, "lmtPx": "50000"}])

    # quoteSide sell on a buy leg: the maker sells, the taker buys at px.
    quote = await create_quote(maker1, rfq["rfqId"], px=px, side="sell")

    trades = (await taker.get("/api/v5/rfq/trades", rfqId=rfq["rfqId"]))["data"]
    assert quote["state"] == ("filled" if fills else "active")
    assert len(trades) == (1 if fills else 0)
    rfq_state = (await taker.get("/api/v5/rfq/rfqs", rfqId=rfq["rfqId"]))["data"][0]["state"]
    assert rfq_state == ("filled" if fills else "active")


async def test_a_selling_taker_needs_a_price_at_or_above_its_limit(taker: Party, maker1: Party, maker2: Party) -> None:
    rfq = await create_rfq(taker, legs=[{**SPOT, "lmtPx": "50000"}])

    low = await create_quote(maker1, rfq["rfqId"], px="49999.9", side="buy")  # the taker would sell at 49999.9
    high = await create_quote(maker2, rfq["rfqId"], px="50000.1", side="buy")

    assert (low["state"], high["state"]) == ("active", "filled")
    assert (await maker1.quote(low["quoteId"]))["state"] == "canceled"  # the RFQ is over


async def test_lmt_px_is_never_shown(venue: InProcessVenue, taker: Party, maker1: Party) -> None:
    await create_rfq(taker, legs=[{**SPOT, "lmtPx": "50000"}])

    for party in (taker, maker1):
        rfq = (await party.get("/api/v5/rfq/rfqs"))["data"][0]
        assert "lmtPx" not in rfq["legs"][0]
