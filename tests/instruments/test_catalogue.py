"""The default catalogue (generated from "today", so it never goes stale) and instruments declared in a config."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal
from typing import Any

import pytest

from openrfq.domain.enums import InstType
from openrfq.domain.instrument import Instrument
from openrfq.instruments.catalogue import STRIKES, default_instruments, expiries, instruments_from_config

D = Decimal
UTC = datetime.UTC

# A Thursday (the in-process tests' TODAY), Fridays (one a quarter's last Friday, one at year end), a Saturday and a
# Thursday just before a quarter's last Friday, a Monday at year end, a leap day.
TODAYS = [
    datetime.date(2025, 11, 13),
    datetime.date(2026, 3, 12),
    datetime.date(2026, 3, 20),
    datetime.date(2026, 6, 12),
    datetime.date(2026, 6, 20),
    datetime.date(2026, 9, 25),
    datetime.date(2026, 12, 28),
    datetime.date(2027, 12, 31),
    datetime.date(2024, 2, 29),
]
ALIASES = ["this_week", "next_week", "quarter", "next_quarter"]


def _by_id(today: datetime.date) -> dict[str, Instrument]:
    return {i.inst_id: i for i in default_instruments(today)}


def _of_type(today: datetime.date, inst_type: InstType) -> list[Instrument]:
    return [i for i in default_instruments(today) if i.inst_type is inst_type]


def _delivery(inst: Instrument) -> datetime.datetime:
    assert inst.exp_time is not None
    return datetime.datetime.fromtimestamp(inst.exp_time / 1000, UTC)


def _last_friday(year: int, month: int) -> datetime.date:
    fridays = [week[calendar.FRIDAY] for week in calendar.monthcalendar(year, month) if week[calendar.FRIDAY]]
    return datetime.date(year, month, fridays[-1])


def _ms(day: datetime.date, hour: int = 8) -> int:
    return int(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp() * 1000)


# --- expiries ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # Thursday: this week's Friday is tomorrow; the December quarter is more than two weeks away.
        ("2025-11-13", ("2025-11-14", "2025-11-21", "2025-12-26", "2026-03-27")),
        # Thursday two weeks before March's last Friday: the quarter is in the current month.
        ("2026-03-12", ("2026-03-13", "2026-03-20", "2026-03-27", "2026-06-26")),
        # Friday a week before March's last Friday: that Friday is this_week, so the quarter moves to June.
        ("2026-03-20", ("2026-03-27", "2026-04-03", "2026-06-26", "2026-09-25")),
        # Friday two weeks before June's last Friday: next_week is the June quarterly day, the quarter is September.
        ("2026-06-12", ("2026-06-19", "2026-06-26", "2026-09-25", "2026-12-25")),
        ("2026-06-20", ("2026-06-26", "2026-07-03", "2026-09-25", "2026-12-25")),
        # A quarter's last Friday itself: it has delivered; everything is later.
        ("2026-09-25", ("2026-10-02", "2026-10-09", "2026-12-25", "2027-03-26")),
        # Year end, after December's last Friday: every expiry is in the new year.
        ("2026-12-28", ("2027-01-01", "2027-01-08", "2027-03-26", "2027-06-25")),
        ("2027-12-31", ("2028-01-07", "2028-01-14", "2028-03-31", "2028-06-30")),
        ("2024-02-29", ("2024-03-01", "2024-03-08", "2024-03-29", "2024-06-28")),
    ],
)
def test_expiries_are_the_okx_aliases_on_the_next_fridays(today: str, expected: tuple[str, ...]) -> None:
    found = expiries(datetime.date.fromisoformat(today))

    assert list(found) == ALIASES
    assert tuple(day.isoformat() for day in found.values()) == expected


@pytest.mark.parametrize("today", TODAYS, ids=str)
def test_expiries_are_future_fridays_weekly_then_consecutive_quarter_ends(today: datetime.date) -> None:
    found = expiries(today)
    days = list(found.values())

    assert all(day.weekday() == calendar.FRIDAY for day in days)
    assert all(day > today for day in days)
    assert days == sorted(days) and len(set(days)) == 4
    assert (found["this_week"] - today).days in range(1, 8)
    assert found["next_week"] - found["this_week"] == datetime.timedelta(days=7)
    for alias in ("quarter", "next_quarter"):
        day = found[alias]
        assert day.month in (3, 6, 9, 12) and day == _last_friday(day.year, day.month)
    quarter, next_quarter = found["quarter"], found["next_quarter"]
    assert (next_quarter.year * 12 + next_quarter.month) - (quarter.year * 12 + quarter.month) == 3
    # The quarter is the first quarter-end Friday later than next_week: none is skipped.
    year, month = found["next_week"].year, found["next_week"].month
    while month not in (3, 6, 9, 12) or _last_friday(year, month) <= found["next_week"]:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    assert quarter == _last_friday(year, month)


def test_expiries_roll_forward_day_by_day_for_two_years() -> None:
    """Every day of two years: never a past or duplicate expiry, this_week always within the coming 7 days."""
    day = datetime.date(2026, 1, 1)
    while day < datetime.date(2028, 1, 1):
        found = expiries(day)
        assert min(found.values()) > day
        assert len(set(found.values())) == 4
        assert found["this_week"] - day <= datetime.timedelta(days=7)
        day += datetime.timedelta(days=1)


# --- default instruments ----------------------------------------------------------------------------------------


def test_spot_pairs() -> None:
    found = _by_id(datetime.date(2025, 11, 13))

    btc, eth = found["BTC-USDT"], found["ETH-USDT"]
    assert [i.inst_id for i in _of_type(datetime.date(2025, 11, 13), InstType.SPOT)] == ["BTC-USDT", "ETH-USDT"]
    assert (btc.tick_sz, btc.lot_sz, btc.min_sz) == (D("0.1"), D("0.00000001"), D("0.00001"))
    assert (eth.tick_sz, eth.lot_sz, eth.min_sz) == (D("0.01"), D("0.000001"), D("0.0001"))
    for inst, base in ((btc, "BTC"), (eth, "ETH")):
        assert (inst.base_ccy, inst.quote_ccy) == (base, "USDT")
        assert (inst.inst_family, inst.settle_ccy, inst.ct_val, inst.ct_type, inst.alias, inst.lever) == (
            "",
            "",
            None,
            "",
            "",
            "",
        )
        assert inst.exp_time is None and inst.state == "live"
        assert 0 < inst.list_time < _ms(datetime.date(2025, 11, 13))
        assert inst.default_td_mode == "cash"


def test_linear_and_inverse_swaps() -> None:
    swaps = {i.inst_id: i for i in _of_type(datetime.date(2025, 11, 13), InstType.SWAP)}

    assert list(swaps) == ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "BTC-USD-SWAP"]
    btc = swaps["BTC-USDT-SWAP"]
    assert (btc.ct_val, btc.ct_val_ccy, btc.ct_mult) == (D("0.01"), "BTC", D(1))
    assert (btc.tick_sz, btc.lot_sz, btc.min_sz) == (D("0.1"), D("0.01"), D("0.01"))
    assert (btc.inst_family, btc.settle_ccy, btc.ct_type) == ("BTC-USDT", "USDT", "linear")
    eth = swaps["ETH-USDT-SWAP"]
    assert (eth.ct_val, eth.ct_val_ccy, eth.inst_family, eth.settle_ccy, eth.ct_type) == (
        D("0.1"),
        "ETH",
        "ETH-USDT",
        "USDT",
        "linear",
    )
    inverse = swaps["BTC-USD-SWAP"]
    assert (inverse.ct_val, inverse.ct_val_ccy, inverse.settle_ccy, inverse.ct_type) == (
        D("100"),
        "USD",
        "BTC",
        "inverse",
    )
    assert (inverse.tick_sz, inverse.lot_sz, inverse.min_sz) == (D("0.1"), D("1"), D("1"))
    for swap in swaps.values():
        assert swap.exp_time is None and swap.alias == "" and swap.lever == "100"
        assert swap.base_ccy == swap.quote_ccy == "" and swap.opt_type == "" and swap.stk is None
        assert swap.default_td_mode == "cross"


@pytest.mark.parametrize("today", TODAYS, ids=str)
def test_futures_deliver_on_each_alias_friday_at_8_utc(today: datetime.date) -> None:
    futures = _of_type(today, InstType.FUTURES)
    dates = expiries(today)

    assert [f.alias for f in futures] == ALIASES
    for inst in futures:
        day = dates[inst.alias]
        assert inst.inst_id == f"BTC-USD-{day:%y%m%d}"
        assert _delivery(inst) == datetime.datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
        assert _delivery(inst).weekday() == calendar.FRIDAY
        assert (inst.inst_family, inst.settle_ccy, inst.ct_type) == ("BTC-USD", "BTC", "inverse")
        assert (inst.ct_val, inst.ct_val_ccy, inst.ct_mult) == (D("100"), "USD", D(1))
        assert (inst.tick_sz, inst.lot_sz, inst.min_sz, inst.lever) == (D("0.1"), D("1"), D("1"), "100")
        # Listed before today, delivering after today.
        assert inst.exp_time is not None
        assert inst.list_time < _ms(today, 0) and inst.exp_time >= _ms(today + datetime.timedelta(days=1), 0)


@pytest.mark.parametrize("today", TODAYS, ids=str)
def test_options_on_the_weekly_and_quarterly_expiries_with_every_strike_call_and_put(today: datetime.date) -> None:
    options = _of_type(today, InstType.OPTION)
    dates = expiries(today)

    expected = {
        f"BTC-USD-{dates[alias]:%y%m%d}-{strike}-{opt_type}"
        for alias in ("this_week", "next_week", "quarter")
        for strike in range(50_000, 150_001, 10_000)
        for opt_type in ("C", "P")
    }
    assert {o.inst_id for o in options} == expected
    assert len(options) == 3 * 11 * 2
    for inst in options:
        _, _, day, strike, opt_type = inst.inst_id.split("-")
        assert inst.stk == D(strike) and inst.opt_type == opt_type
        assert _delivery(inst) == datetime.datetime.strptime(day + "08", "%y%m%d%H").replace(tzinfo=UTC)
        assert (inst.inst_family, inst.settle_ccy, inst.ct_val, inst.ct_val_ccy, inst.ct_mult) == (
            "BTC-USD",
            "BTC",
            D("0.01"),
            "BTC",
            D(1),
        )
        assert (inst.tick_sz, inst.lot_sz, inst.min_sz) == (D("0.0005"), D("1"), D("1"))
        assert inst.ct_type == inst.alias == inst.lever == ""
        assert inst.is_option and inst.default_td_mode == "cross"
    assert STRIKES == tuple(range(50_000, 150_001, 10_000))


@pytest.mark.parametrize("today", TODAYS, ids=str)
def test_no_duplicate_or_expired_instrument(today: datetime.date) -> None:
    found = default_instruments(today)
    start_of_tomorrow = _ms(today + datetime.timedelta(days=1), 0)

    assert len({i.inst_id for i in found}) == len(found) == 5 + 4 + 66
    assert all(i.exp_time is None or i.exp_time >= start_of_tomorrow for i in found)
    assert all(i.state == "live" and i.list_time > 0 for i in found)


def test_the_catalogue_moves_with_today_and_is_the_same_for_the_same_day() -> None:
    thursday, a_year_later = datetime.date(2025, 11, 13), datetime.date(2026, 11, 12)

    assert default_instruments(thursday) == default_instruments(thursday)
    later_ids = {i.inst_id for i in default_instruments(a_year_later)}
    dated = {i.inst_id for i in default_instruments(thursday) if i.exp_time is not None}
    assert dated.isdisjoint(later_ids)
    assert "BTC-USD-261113" in later_ids and "BTC-USD-251114" in dated


# --- instruments declared in a config ------------------------------------------------------------------------------

SPOT = {"instType": "SPOT", "instId": "SOL-USDT", "tickSz": "0.01", "lotSz": "0.0001", "minSz": "0.01"}
OPTION = {
    "instType": "OPTION",
    "instId": "ETH-USD-261225-3000-C",
    "tickSz": "0.0005",
    "lotSz": "1",
    "minSz": "1",
    "optType": "C",
    "stk": "3000",
    "expTime": "1798185600000",
}


def _one(**entry: Any) -> Instrument:
    (inst,) = instruments_from_config([entry])
    return inst


def _problem(*entries: Any, where: str = "instruments.list") -> str:
    with pytest.raises(ValueError) as raised:
        instruments_from_config(list(entries), where)
    return str(raised.value)


def test_a_spot_pair_takes_its_currencies_from_the_inst_id() -> None:
    inst = _one(**SPOT)

    assert inst == Instrument(
        InstType.SPOT, "SOL-USDT", D("0.01"), D("0.0001"), D("0.01"), base_ccy="SOL", quote_ccy="USDT"
    )


def test_a_derivative_takes_its_family_from_the_inst_id() -> None:
    inst = _one(instType="SWAP", instId="SOL-USDT-SWAP", tickSz="0.001", lotSz="1", minSz="1")

    assert (inst.inst_type, inst.inst_family, inst.base_ccy, inst.quote_ccy) == (InstType.SWAP, "SOL-USDT", "", "")


def test_every_okx_field_is_read() -> None:
    inst = _one(
        instType="FUTURES",
        instId="ETH-USD-261225",
        tickSz="0.01",
        lotSz="1",
        minSz="1",
        ctVal="10",
        ctMult="1",
        instFamily="ETH-USD",
        settleCcy="ETH",
        ctValCcy="USD",
        ctType="inverse",
        lever="75",
        alias="quarter",
        listTime="1700000000000",
        expTime=1798185600000,
        baseCcy="",
        quoteCcy="",
    )

    assert inst == Instrument(
        InstType.FUTURES,
        "ETH-USD-261225",
        D("0.01"),
        D("1"),
        D("1"),
        inst_family="ETH-USD",
        settle_ccy="ETH",
        ct_val=D("10"),
        ct_mult=D("1"),
        ct_val_ccy="USD",
        ct_type="inverse",
        list_time=1_700_000_000_000,
        exp_time=1_798_185_600_000,
        lever="75",
        alias="quarter",
    )


def test_an_option_with_its_terms() -> None:
    inst = _one(**OPTION)

    assert (inst.opt_type, inst.stk, inst.exp_time, inst.inst_family) == ("C", D("3000"), 1_798_185_600_000, "ETH-USD")


@pytest.mark.parametrize(
    ("value", "expected"), [("0.25", D("0.25")), (2, D("2")), (0.1, D("0.1")), ("1e-8", D("1e-8"))]
)
def test_sizes_may_be_strings_or_toml_numbers(value: Any, expected: Decimal) -> None:
    assert _one(**{**SPOT, "tickSz": value}).tick_sz == expected


def test_instruments_keep_the_order_they_are_listed_in() -> None:
    found = instruments_from_config([SPOT, {**SPOT, "instId": "XRP-USDT"}, OPTION])

    assert [i.inst_id for i in found] == ["SOL-USDT", "XRP-USDT", "ETH-USD-261225-3000-C"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"instType": None}, "instruments.list[1].instType: required"),
        ({"instId": None}, "instruments.list[1].instId: required"),
        ({"tickSz": None}, "instruments.list[1].tickSz: required"),
        ({"lotSz": None}, "instruments.list[1].lotSz: required"),
        ({"minSz": None}, "instruments.list[1].minSz: required"),
        ({"tick_sz": "0.1"}, "instruments.list[1].tick_sz: unknown field"),
        ({"instType": "FOREX"}, "instruments.list[1].instType: must be one of SPOT, SWAP, FUTURES, OPTION"),
        ({"instType": "spot"}, "instruments.list[1].instType: must be one of SPOT, SWAP, FUTURES, OPTION"),
        ({"instType": "MARGIN"}, "instruments.list[1].instType: must be one of SPOT, SWAP, FUTURES, OPTION"),
        ({"instType": 1}, "instruments.list[1].instType: must be one of SPOT, SWAP, FUTURES, OPTION"),
        ({"instId": "SOLUSDT"}, "instruments.list[1].instId: must look like BASE-QUOTE[-...]"),
        ({"instId": "SOL-"}, "instruments.list[1].instId: must look like BASE-QUOTE[-...]"),
        ({"instId": "-USDT"}, "instruments.list[1].instId: must look like BASE-QUOTE[-...]"),
        ({"instId": ""}, "instruments.list[1].instId: must look like BASE-QUOTE[-...]"),
        ({"instId": 7}, "instruments.list[1].instId: must look like BASE-QUOTE[-...]"),
        ({"tickSz": "0"}, 'instruments.list[1].tickSz: must be a positive number (a string such as "0.1")'),
        ({"lotSz": "-1"}, 'instruments.list[1].lotSz: must be a positive number (a string such as "0.1")'),
        ({"minSz": "abc"}, 'instruments.list[1].minSz: must be a positive number (a string such as "0.1")'),
        ({"tickSz": "NaN"}, 'instruments.list[1].tickSz: must be a positive number (a string such as "0.1")'),
        ({"tickSz": "Infinity"}, 'instruments.list[1].tickSz: must be a positive number (a string such as "0.1")'),
        ({"tickSz": True}, 'instruments.list[1].tickSz: must be a positive number (a string such as "0.1")'),
        ({"ctVal": ["1"]}, 'instruments.list[1].ctVal: must be a positive number (a string such as "0.1")'),
        ({"baseCcy": 5}, "instruments.list[1].baseCcy: must be a string"),
        ({"lever": 10}, "instruments.list[1].lever: must be a string"),
        ({"listTime": -1}, "instruments.list[1].listTime: must be a time in milliseconds"),
        ({"listTime": "soon"}, "instruments.list[1].listTime: must be a time in milliseconds"),
        ({"listTime": "\u00b2"}, "instruments.list[1].listTime: must be a time in milliseconds"),
        ({"listTime": True}, "instruments.list[1].listTime: must be a time in milliseconds"),
        ({"expTime": 1.5}, "instruments.list[1].expTime: must be a time in milliseconds"),
        ({"ctType": "quanto"}, 'instruments.list[1].ctType: must be "linear" or "inverse"'),
        ({"optType": "C"}, "instruments.list[1].optType: only for OPTION"),
        ({"stk": "100"}, "instruments.list[1].stk: only for OPTION"),
    ],
)
def test_a_bad_entry_names_its_key_and_the_problem(change: dict[str, Any], expected: str) -> None:
    entry = {k: v for k, v in {**SPOT, **change}.items() if v is not None}

    assert _problem(entry) == expected


@pytest.mark.parametrize(
    ("missing_or_bad", "expected"),
    [
        ({"optType": None}, "instruments.list[1].optType: required for OPTION"),
        ({"stk": None}, "instruments.list[1].stk: required for OPTION"),
        ({"expTime": None}, "instruments.list[1].expTime: required for OPTION"),
        ({"optType": "call"}, 'instruments.list[1].optType: must be "C" or "P"'),
        ({"stk": "0"}, 'instruments.list[1].stk: must be a positive number (a string such as "0.1")'),
    ],
)
def test_an_option_needs_a_type_a_strike_and_an_expiry(missing_or_bad: dict[str, Any], expected: str) -> None:
    entry = {k: v for k, v in {**OPTION, **missing_or_bad}.items() if v is not None}

    assert _problem(entry) == expected


def test_errors_name_the_entry_by_position_and_the_caller_s_path() -> None:
    assert _problem(SPOT, {**SPOT, "tickSz": "x"}).startswith("instruments.list[2].tickSz: ")
    assert _problem(SPOT, "not a table") == "instruments.list[2]: must be a table"
    assert _problem({**SPOT, "minSz": "0"}, where="extra").startswith("extra[1].minSz: ")


def test_the_first_unknown_field_in_alphabetical_order_is_named() -> None:
    assert _problem({**SPOT, "zeta": 1, "alpha": 2}) == "instruments.list[1].alpha: unknown field"


def test_no_entries_no_instruments() -> None:
    assert instruments_from_config([]) == []


def test_declared_derivatives_default_their_settlement_currency() -> None:
    linear, inverse = instruments_from_config(
        [
            {
                "instType": "SWAP",
                "instId": "SOL-USDT-SWAP",
                "tickSz": "0.01",
                "lotSz": "1",
                "minSz": "1",
                "ctType": "linear",
            },
            {
                "instType": "SWAP",
                "instId": "SOL-USD-SWAP",
                "tickSz": "0.01",
                "lotSz": "1",
                "minSz": "1",
                "ctType": "inverse",
            },
        ]
    )

    assert (linear.settle_ccy, inverse.settle_ccy) == ("USDT", "SOL")
