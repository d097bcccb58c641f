"""Request parameters as OKX clients send them, read into typed values.

Quirks accepted on purpose: python-okx sends every unused parameter as "" (read as absent) and booleans as
the strings "true"/"false"; ccxt and others may send numbers as JSON numbers. A missing required parameter is
50014, a value that cannot be read is 51000 naming the parameter.
"""

from __future__ import annotations

import builtins
from decimal import Decimal, InvalidOperation
from typing import Any

from openrfq.domain import errors
from openrfq.domain.commands import LegRequest
from openrfq.domain.enums import Side
from openrfq.domain.rules import side_of

_TRUE = {"true": True, "false": False}
_SIDES = {side.value: side for side in Side}
_SHORT_PLAIN = 21  # a number written in at most this many characters, without exponent, is within range


class Params:
    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw

    def _present(self, name: str) -> Any:
        value = self._raw.get(name)
        return None if value is None or value == "" else value

    def has(self, name: str) -> bool:
        return self._present(name) is not None

    def str(self, name: str, required: bool = False) -> str:
        value = self._raw.get(name)
        if value.__class__ is str and value:
            return value  # the common case, first
        if value is None or value == "":
            if required:
                raise errors.ParameterEmpty(param0=name)
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise errors.ParameterError(param0=name)
        return value if isinstance(value, str) else format(value, "f")

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self._present(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE:
            return _TRUE[value.lower()]
        raise errors.ParameterError(param0=name)

    def required_decimal(self, name: builtins.str) -> Decimal:
        number = self.decimal(name)
        if number is None:
            raise errors.ParameterEmpty(param0=name)
        return number

    def decimal(self, name: builtins.str) -> Decimal | None:
        value = self._present(name)
        if value is None:
            return None
        if value.__class__ is str and len(value) <= _SHORT_PLAIN and "e" not in value and "E" not in value:
            # At most 21 characters and no exponent: at most 21 integer digits (adjusted() <= 20) and at most 20
            # after the point (exponent >= -20), so only finiteness is left to check (as_tuple() is slow).
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise errors.ParameterError(param0=name) from None
            if not number.is_finite():
                raise errors.ParameterError(param0=name)
            return number
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise errors.ParameterError(param0=name)
        try:
            number = Decimal(value) if not isinstance(value, Decimal) else value
        except InvalidOperation:
            raise errors.ParameterError(param0=name) from None
        # Finite, and within what any price or size needs: keeps Decimal arithmetic from overflowing later.
        if not number.is_finite() or number.adjusted() > 20 or number.as_tuple().exponent < -20:  # type: ignore[operator]
            raise errors.ParameterError(param0=name)
        return number

    def int(self, name: builtins.str, default: builtins.int) -> builtins.int:
        number = self.decimal(name)
        if number is None:
            return default
        if number != number.to_integral_value():
            raise errors.ParameterError(param0=name)
        return int(number)

    def optional_int(self, name: builtins.str) -> builtins.int | None:
        return None if not self.has(name) else self.int(name, 0)

    def str_list(self, name: builtins.str) -> list[builtins.str]:
        value = self._present(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise errors.ParameterError(param0=name)
        result = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise errors.ParameterError(param0=name)
            result.append(str(item))
        return result

    def objects(self, name: builtins.str, required: builtins.bool = False) -> list[Params]:
        value = self._present(name)
        if value is None or value == []:
            if required:
                raise errors.ParameterEmpty(param0=name)
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise errors.ParameterError(param0=name)
        return [Params(item) for item in value]

    def limit(self, maximum: builtins.int = 100) -> builtins.int:
        """OKX's ``limit``: 1..maximum, default maximum."""
        limit = self.int("limit", maximum)
        if not 1 <= limit <= maximum:
            raise errors.ParameterError(param0="limit")
        return limit


def legs(p: Params, priced: bool) -> tuple[LegRequest, ...]:
    """create-rfq legs (``lmtPx`` optional) or create-quote legs (``px`` required)."""
    result = []
    for leg in p.objects("legs", required=True):
        result.append(
            LegRequest(
                inst_id=leg.str("instId", required=True),
                sz=leg.required_decimal("sz"),
                side=_side(leg.str("side", required=True)),
                td_mode=leg.str("tdMode"),
                ccy=leg.str("ccy"),
                pos_side=leg.str("posSide"),
                tgt_ccy=leg.str("tgtCcy"),
                trade_quote_ccy=leg.str("tradeQuoteCcy"),
                px=leg.required_decimal("px") if priced else None,
                lmt_px=None if priced else leg.decimal("lmtPx"),
            )
        )
    return tuple(result)



def _side(value: str) -> Side:
    found = _SIDES.get(value)
    return found if found is not None else side_of(value)  # side_of raises the error


BATCH_MAX = 100  # OKX: at most 100 RFQs or quotes per batch cancel


def batch_ids(p: Params, ids_name: str, cl_ids_name: str) -> tuple[list[str], list[str]]:
    """The ids a batch cancel names, as parallel lists (one of them blank per item): venue ids win over client ids."""
    ids, cl_ids = p.str_list(ids_name), p.str_list(cl_ids_name)
    if not ids and not cl_ids:
        raise errors.EitherParameterRequired(param0=ids_name, param1=cl_ids_name)
    chosen = ids or cl_ids
    if len(chosen) > BATCH_MAX:
        raise errors.ParameterError(param0=ids_name if ids else cl_ids_name)
    blanks = [""] * len(chosen)
    return (ids, blanks) if ids else (blanks, cl_ids)
