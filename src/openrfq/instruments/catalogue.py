"""The default instrument catalogue, generated relative to "today" so expiries never go stale,
and instruments declared in a config file."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from openrfq.domain.enums import InstType
from openrfq.domain.instrument import Instrument

D = Decimal
_EXPIRY_HOUR_UTC = 8  # OKX futures and options deliver at 08:00 UTC
_SPOT_LISTED = 1_548_133_413_000  # OKX's listTime for BTC-USDT; any fixed past time would do
STRIKES = tuple(range(50_000, 150_001, 10_000))


def _ms(day: datetime.date, hour: int = _EXPIRY_HOUR_UTC) -> int:
    moment = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)
    return int(moment.timestamp() * 1000)


def _next_friday(after: datetime.date) -> datetime.date:
    """The first Friday strictly after ``after`` (a Friday "today" has already delivered at 08:00 for our purposes)."""
    return after + datetime.timedelta(days=(4 - after.weekday()) % 7 or 7)


def _last_friday(year: int, month: int) -> datetime.date:
    first_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    last = first_next - datetime.timedelta(days=1)
    return last - datetime.timedelta(days=(last.weekday() - 4) % 7)


def _quarterlies(today: datetime.date, after: datetime.date) -> list[datetime.date]:
    """The next two quarter-end last Fridays later than ``after``."""
    found: list[datetime.date] = []
    year, month = today.year, today.month
    while len(found) < 2:
        if month in (3, 6, 9, 12) and _last_friday(year, month) > after:
            found.append(_last_friday(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def expiries(today: datetime.date) -> dict[str, datetime.date]:
    """OKX's futures aliases and their delivery dates, relative to ``today``."""
    this_week = _next_friday(today)
    next_week = this_week + datetime.timedelta(days=7)
    quarter, next_quarter = _quarterlies(today, next_week)
    return {"this_week": this_week, "next_week": next_week, "quarter": quarter, "next_quarter": next_quarter}


def _spot(inst_id: str, tick: str, lot: str, min_sz: str) -> Instrument:
    base, quote = inst_id.split("-")
    return Instrument(
        InstType.SPOT, inst_id, D(tick), D(lot), D(min_sz), base_ccy=base, quote_ccy=quote, list_time=_SPOT_LISTED
    )


def _swap(family: str, ct_val: str, tick: str, lot: str, min_sz: str) -> Instrument:
    base, quote = family.split("-")
    inverse = quote == "USD"
    return Instrument(
        InstType.SWAP,
        f"{family}-SWAP",
        D(tick),
        D(lot),
        D(min_sz),
        inst_family=family,
        settle_ccy=base if inverse else quote,
        ct_val=D(ct_val),
        ct_mult=D(1),
        ct_val_ccy="USD" if inverse else base,
        ct_type="inverse" if inverse else "linear",
        list_time=_SPOT_LISTED,
        lever="100",
    )


def default_instruments(today: datetime.date) -> list[Instrument]:
    """SPOT BTC-USDT/ETH-USDT, linear and inverse swaps, BTC-USD futures and options expiring after ``today``."""
    listed = _ms(today - datetime.timedelta(days=7))
    found = [
        _spot("BTC-USDT", "0.1", "0.00000001", "0.00001"),
        _spot("ETH-USDT", "0.01", "0.000001", "0.0001"),
        _swap("BTC-USDT", "0.01", "0.1", "0.01", "0.01"),
        _swap("ETH-USDT", "0.1", "0.01", "0.01", "0.01"),
        _swap("BTC-USD", "100", "0.1", "1", "1"),
    ]
    dates = expiries(today)
    for alias, day in dates.items():
        found.append(
            Instrument(
                InstType.FUTURES,
                f"BTC-USD-{day:%y%m%d}",
                D("0.1"),
                D("1"),
                D("1"),
                inst_family="BTC-USD",
                settle_ccy="BTC",
                ct_val=D("100"),
                ct_mult=D(1),
                ct_val_ccy="USD",
                ct_type="inverse",
                list_time=listed,
                exp_time=_ms(day),
                lever="100",
                alias=alias,
            )
        )
    for day in (dates["this_week"], dates["next_week"], dates["quarter"]):
        for strike in STRIKES:
            for opt_type in ("C", "P"):
                found.append(
                    Instrument(
                        InstType.OPTION,
                        f"BTC-USD-{day:%y%m%d}-{strike}-{opt_type}",
                        D("0.0005"),
                        D("1"),
                        D("1"),
                        inst_family="BTC-USD",
                        settle_ccy="BTC",
                        ct_val=D("0.01"),
                        ct_mult=D(1),
                        ct_val_ccy="BTC",
                        opt_type=opt_type,
                        stk=D(strike),
                        list_time=listed,
                        exp_time=_ms(day),
                    )
                )
    return found


# -- instruments declared in a config file -------------------------------------------------------------------------

_REQUIRED = ("instType", "instId", "tickSz", "lotSz", "minSz")
_DECIMALS = {
    "tickSz": "tick_sz",
    "lotSz": "lot_sz",
    "minSz": "min_sz",
    "ctVal": "ct_val",
    "ctMult": "ct_mult",
    "stk": "stk",
}
_TEXTS = {
    "instFamily": "inst_family",
    "baseCcy": "base_ccy",
    "quoteCcy": "quote_ccy",
    "settleCcy": "settle_ccy",
    "ctValCcy": "ct_val_ccy",
    "ctType": "ct_type",
    "optType": "opt_type",
    "lever": "lever",
    "alias": "alias",
}
_INTS = {"listTime": "list_time", "expTime": "exp_time"}
# MARGIN is a way of trading SPOT pairs on OKX, not an instrument of its own: the venue lists only these.
_LISTABLE = {t.value: t for t in (InstType.SPOT, InstType.SWAP, InstType.FUTURES, InstType.OPTION)}
_OPTION_TERMS = {"optType": "opt_type", "stk": "stk", "expTime": "exp_time"}


def instruments_from_config(entries: Iterable[Mapping[str, Any]], where: str = "instruments.list") -> list[Instrument]:
    """Instruments from ``[[instruments.list]]`` tables, using OKX's field names (instId, tickSz, ...).

    Raises ``ValueError`` naming the entry and key, e.g. ``instruments.list[2].tickSz: must be a positive number``.
    """
    found: list[Instrument] = []
    for n, entry in enumerate(entries, start=1):
        at = f"{where}[{n}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{at}: must be a table")
        unknown = set(entry) - set(_REQUIRED) - set(_DECIMALS) - set(_TEXTS) - set(_INTS)
        if unknown:
            raise ValueError(f"{at}.{sorted(unknown)[0]}: unknown field")
        for key in _REQUIRED:
            if key not in entry:
                raise ValueError(f"{at}.{key}: required")
        inst_type = _LISTABLE.get(entry["instType"]) if isinstance(entry["instType"], str) else None
        if inst_type is None:
            raise ValueError(f"{at}.instType: must be one of SPOT, SWAP, FUTURES, OPTION")
        inst_id = entry["instId"]
        if not isinstance(inst_id, str) or inst_id.count("-") < 1 or not all(inst_id.split("-")):
            raise ValueError(f"{at}.instId: must look like BASE-QUOTE[-...]")
        fields: dict[str, Any] = {}
        for key, attr in _DECIMALS.items():
            if key in entry:
                fields[attr] = _positive(entry[key], f"{at}.{key}")
        for key, attr in _TEXTS.items():
            if key in entry:
                if not isinstance(entry[key], str):
                    raise ValueError(f"{at}.{key}: must be a string")
                fields[attr] = entry[key]
        for key, attr in _INTS.items():
            if key in entry:
                value = entry[key]
                if isinstance(value, str) and value.isascii() and value.isdigit():
                    value = int(value)
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"{at}.{key}: must be a time in milliseconds")
                fields[attr] = value
        _check_terms(inst_type, fields, at)
        parts = inst_id.split("-")
        if inst_type is InstType.SPOT:
            fields.setdefault("base_ccy", parts[0])
            fields.setdefault("quote_ccy", parts[1])
        else:
            fields.setdefault("inst_family", f"{parts[0]}-{parts[1]}")
            # Inverse contracts settle in the coin, linear ones (and options on USDT) in the quote currency.
            inverse = fields.get("ct_type") == "inverse" or (inst_type is InstType.OPTION and parts[1] == "USD")
            fields.setdefault("settle_ccy", parts[0] if inverse else parts[1])
        found.append(Instrument(inst_type=inst_type, inst_id=inst_id, **fields))
    return found


def _check_terms(inst_type: InstType, fields: Mapping[str, Any], at: str) -> None:
    """An option is priced from its type, strike and expiry, so OPTION needs all three; optType and stk are
    OPTION's alone (an expiry also fits FUTURES)."""
    if fields.get("opt_type", "C") not in ("C", "P"):
        raise ValueError(f'{at}.optType: must be "C" or "P"')
    if fields.get("ct_type", "linear") not in ("linear", "inverse"):
        raise ValueError(f'{at}.ctType: must be "linear" or "inverse"')
    for key, attr in _OPTION_TERMS.items():
        if inst_type is InstType.OPTION and attr not in fields:
            raise ValueError(f"{at}.{key}: required for OPTION")
        if inst_type is not InstType.OPTION and attr in fields and key != "expTime":
            raise ValueError(f"{at}.{key}: only for OPTION")


def _positive(value: Any, at: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f'{at}: must be a positive number (a string such as "0.1")')
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f'{at}: must be a positive number (a string such as "0.1")') from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f'{at}: must be a positive number (a string such as "0.1")')
    return number
