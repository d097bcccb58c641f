"""The one OKX wire codec: JSON in, the ``{code,msg,data}`` envelope out, for successes and errors alike.

Handlers return plain data or the wire Structs of ``views``; errors are raised as ``OkxError`` anywhere and rendered
only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from openrfq.domain.errors import BulkPartiallySucceeded, OkxError, OperationFailed

_encoder = msgspec.json.Encoder(decimal_format="string")
# Numbers in a body become Decimal, never float: prices and sizes stay exact whatever the client sent.
_decoder = msgspec.json.Decoder(float_hook=Decimal)

Json = dict[str, Any]


def decode(body: bytes) -> Any:
    return _decoder.decode(body)


def encode(value: object) -> bytes:
    return _encoder.encode(value)


def num(value: Decimal) -> str:
    """A Decimal as OKX writes numbers: a plain string, no exponent, no trailing zeros, every digit kept.

    From str() (40 ns) rather than normalize() and format() (190 ns, and normalize rounds to 28 digits)."""
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def ok(data: Sequence[object]) -> bytes:
    return _encoder.encode({"code": "0", "msg": "", "data": data})


def error(exc: OkxError) -> bytes:
    return _encoder.encode({"code": exc.code, "msg": exc.msg, "data": []})


def item_error(exc: OkxError, ids: Json) -> Json:
    """One item of a per-item answer (cancel-quote, cancel-batch-rfqs, ...) that failed."""
    return {**ids, "sCode": exc.code, "sMsg": exc.msg}


def item_ok(ids: Json) -> Json:
    return {**ids, "sCode": "0", "sMsg": ""}


def items(results: list[Json]) -> bytes:
    """Envelope code 0 when every item succeeded, 1 when none did, 2 when some did (NOTES.md)."""
    failed = sum(1 for r in results if r["sCode"] != "0")
    if failed == 0:
        return ok(results)
    summary: OkxError = OperationFailed() if failed == len(results) else BulkPartiallySucceeded()
    return _encoder.encode({"code": summary.code, "msg": summary.msg, "data": results})
