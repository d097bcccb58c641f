"""The OKX WebSocket wire: channels, login signatures, and the event messages the server sends.

Refusals are the catalogue's ``errors.WebSocketError`` classes, raised anywhere and rendered here as ``error``
events."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import msgspec

from openrfq.domain import errors

PRIVATE_CHANNELS = frozenset({"rfqs", "quotes", "struc-block-trades"})
PUBLIC_CHANNELS = frozenset({"public-struc-block-trades", "public-block-trades", "block-tickers"})
INST_CHANNELS = frozenset({"public-block-trades", "block-tickers"})  # these need an instId
LOGIN_WINDOW_S = 30
VERIFY_PATH = "/users/self/verify"

_encode = msgspec.json.Encoder(decimal_format="string").encode
_decode = msgspec.json.Decoder().decode


def decode(text: str) -> Any:
    try:
        return _decode(text)
    except (msgspec.DecodeError, RecursionError):
        # msgspec raises RecursionError for JSON nested deeper than the interpreter's recursion limit allows
        # (about 1,000 levels less the stack in use): no request of this API nests more than 3.
        raise errors.MalformedRequest(request=text) from None


def encode(message: dict[str, Any]) -> str:
    return _encode(message).decode()


def login_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), (timestamp + "GET" + VERIFY_PATH).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def event(name: str, conn_id: str, request_id: str | None = None, **fields: Any) -> str:
    message: dict[str, Any] = {"id": request_id} if request_id is not None else {}
    message["event"] = name
    message.update(fields)
    message["connId"] = conn_id
    return encode(message)


def error_event(e: errors.WebSocketError, conn_id: str, request_id: str | None = None) -> str:
    return event("error", conn_id, request_id, code=e.code, msg=e.msg)
