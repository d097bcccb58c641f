"""Request parameters as OKX clients send them, read into typed values.

Quirks accepted on purpose: python-okx sends every unused parameter as "" (read as absent) and booleans as
the strings "true"/"false"; ccxt and others may send numbers as JSON numbers (an integer where a string is
expected is read as its digits). A missing required parameter is 50014, a value that cannot be read is 51000
naming the parameter. Numbers are bounded before anything converts them (docs/compatibility.md).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from openrfq.domain import errors
from openrfq.domain.commands import AllocLegRequest, AllocRequest, LegRequest, SettleFail
from openrfq.domain.rules import side_of

_TRUE = {"true": True, "false": False}
# OKX's decimal syntax: ASCII digits, an optional minus and fraction; no exponent, "_", spaces or other digits.
# At most 20 digits before and after the point: every product of such numbers stays exact in rules.EXACT.
_DECIMAL = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?")
_MAX_DIGITS = 20
_INT_BOUND = 10**_MAX_DIGITS  # a JSON integer (which msgspec decodes up to 4,300 digits) beyond this is refused


def _bounded(number: Decimal) -> bool:
    """A JSON number (decoded exactly, never converted to text here) within the digits a string may have."""
    return number.is_finite() and number.adjusted() < _MAX_DIGITS and number.as_tuple().exponent >= -_MAX_DIGITS  # type: ignore[operator]


class Params:
    """One request's parameters: JSON body or query string. Each reader refuses what OKX would (51000 naming
    the parameter) before converting anything, so no value a client sends can cost more than its own size."""

    __slots__ = ("_raw", "settle_fail")

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw
        # Not a parameter: the settle_fail fault the request path matched for an execution (api/app.py), if any.
        self.settle_fail: SettleFail | None = None

    def _present(self, name: str) -> Any:
        value = self._raw.get(name)
        return None if value is None or value == "" else value

    def has(self, name: str) -> bool:
        return self._present(name) is not None

    def values(self) -> dict[str, Any]:
        """Every value present, as decoded (for what validates itself, e.g. the control plane's msgspec Structs)."""
        return {name: value for name, value in self._raw.items() if value is not None and value != ""}

    def text(self, name: str, required: bool = False) -> str:
        """A string parameter; a JSON integer is read as its decimal text (``{"quoteId": 5}`` is "5")."""
        value = self._raw.get(name)
        if value.__class__ is str and value:
            return value  # the common case, first
        if value is None or value == "":
            if required:
                raise errors.ParameterEmpty(param0=name)
            return ""
        if value.__class__ is int and -_INT_BOUND < value < _INT_BOUND:
            return str(value)
        raise errors.ParameterError(param0=name)  # a fraction, a bool, a list, an object, a huge integer

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._present(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE:
            return _TRUE[value.lower()]
        raise errors.ParameterError(param0=name)

    def required_decimal(self, name: str) -> Decimal:
        number = self.decimal(name)
        if number is None:
            raise errors.ParameterEmpty(param0=name)
        return number

    def decimal(self, name: str) -> Decimal | None:
        value = self._present(name)
        if value is None:
            return None
        if value.__class__ is str:
            if _DECIMAL.fullmatch(value) is None:
                raise errors.ParameterError(param0=name)
            return Decimal(value)
        if value.__class__ is int and -_INT_BOUND < value < _INT_BOUND:
            return Decimal(value)
        if value.__class__ is Decimal and _bounded(value):
            return value
        raise errors.ParameterError(param0=name)

    def integer(self, name: str, default: int) -> int:
        number = self.decimal(name)
        if number is None:
            return default
        if number != number.to_integral_value():
            raise errors.ParameterError(param0=name)
        return int(number)

    def optional_integer(self, name: str) -> int | None:
        return None if not self.has(name) else self.integer(name, 0)

    def text_list(self, name: str) -> list[str]:
        value = self._present(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise errors.ParameterError(param0=name)
        result = []
        for item in value:
            if item.__class__ is str:
                result.append(item)
            elif item.__class__ is int and -_INT_BOUND < item < _INT_BOUND:
                result.append(str(item))
            else:
                raise errors.ParameterError(param0=name)
        return result

    def objects(self, name: str, required: bool = False) -> list[Params]:
        value = self._present(name)
        if value is None or value == []:
            if required:
                raise errors.ParameterEmpty(param0=name)
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise errors.ParameterError(param0=name)
        return [Params(item) for item in value]

    def limit(self, maximum: int = 100) -> int:
        """OKX's ``limit``: 1..maximum, default maximum."""
        limit = self.integer("limit", maximum)
        if not 1 <= limit <= maximum:
            raise errors.ParameterError(param0="limit")
        return limit


def legs(p: Params, priced: bool) -> tuple[LegRequest, ...]:
    """create-rfq legs (``lmtPx`` optional) or create-quote legs (``px`` required)."""
    result = []
    for leg in p.objects("legs", required=True):
        result.append(
            LegRequest(
                inst_id=leg.text("instId", required=True),
                sz=leg.required_decimal("sz"),
                side=side_of(leg.text("side", required=True)),
                td_mode=leg.text("tdMode"),
                ccy=leg.text("ccy"),
                pos_side=leg.text("posSide"),
                tgt_ccy=leg.text("tgtCcy"),
                trade_quote_ccy=leg.text("tradeQuoteCcy"),
                px=leg.required_decimal("px") if priced else None,
                lmt_px=None if priced else leg.decimal("lmtPx"),
            )
        )
    return tuple(result)


def allocations(p: Params) -> tuple[AllocRequest, ...]:
    """create-rfq's ``acctAlloc``: each account's name and legs (``instId`` and ``sz`` required)."""
    return tuple(
        AllocRequest(
            acct=alloc.text("acct", required=True),
            legs=tuple(
                AllocLegRequest(
                    inst_id=leg.text("instId", required=True),
                    sz=leg.required_decimal("sz"),
                    td_mode=leg.text("tdMode"),
                    ccy=leg.text("ccy"),
                    pos_side=leg.text("posSide"),
                )
                for leg in alloc.objects("legs", required=True)
            ),
        )
        for alloc in p.objects("acctAlloc")
    )


BATCH_MAX = 100  # OKX: at most 100 RFQs or quotes per batch cancel (70203 / 70408 beyond)


def batch_ids(p: Params, ids_name: str, cl_ids_name: str, too_many: errors.OkxError) -> list[tuple[str, str]]:
    """The items a batch cancel names, each (venue id, client id) as sent. The venue ids are the primary
    identifier when given: each is paired with the client id at its place ("" past the end of that list)."""
    ids, cl_ids = p.text_list(ids_name), p.text_list(cl_ids_name)
    if not ids and not cl_ids:
        raise errors.EitherParameterRequired(param0=ids_name, param1=cl_ids_name)
    if len(ids or cl_ids) > BATCH_MAX:
        raise too_many
    if not ids:
        return [("", cl_id) for cl_id in cl_ids]
    return [(venue_id, cl_ids[n] if n < len(cl_ids) else "") for n, venue_id in enumerate(ids)]
