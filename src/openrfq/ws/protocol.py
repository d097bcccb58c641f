"""The OKX WebSocket wire: channels, login signatures, and the event messages the server sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import msgspec

PRIVATE_CHANNELS = frozenset({"rfqs", "quotes", "struc-block-trades"})
PUBLIC_CHANNELS = frozenset({"public-struc-block-trades", "public-block-trades", "block-tickers"})
INST_CHANNELS = frozenset({"public-block-trades", "block-tickers"})  # these need an instId
LOGIN_WINDOW_S = 30
VERIFY_PATH = "/users/self/verify"

_encode = msgspec.json.Encoder(decimal_format="string").encode
_decode = msgspec.json.Decoder().decode


class WsError(Exception):
    """A refused operation: answered with an ``error`` event; the connection stays open unless ``close_code``
    is given (then it is closed with that code once the event is sent)."""

    def __init__(self, code: str, msg: str, close_code: int | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg, self.close_code = code, msg, close_code


def invalid_request() -> WsError:
    return WsError("60012", "Invalid request")


def invalid_args() -> WsError:
    return WsError("60013", "Invalid args")


def too_frequent() -> WsError:
    """Over the per-connection request limit, or a login refused after too many failures."""
    return WsError("60014", "Requests too frequent")


def too_many_args() -> WsError:
    """More args than WS_MAX_ARGS in one request: refused, and the connection closed with OKX's 4008."""
    return WsError("60013", "Invalid args", close_code=4008)


def internal_error(op: object) -> WsError:
    """An unexpected failure while serving a request (a bug): the client is told, the connection stays."""
    if op == "login":
        return WsError("63999", "Login failed due to internal error. Please try again later.")
    name = op if isinstance(op, str) and len(op) <= 32 else "request"
    return WsError("64007", f"Operation {name} failed due to WebSocket internal error. Please try again later.")


def unknown_channel(channel: str) -> WsError:
    return WsError(
        "60018",
        f"Wrong URL or {channel} doesn't exist. "
        "Please use the correct URL, channel and parameters referring to API document.",
    )


def decode(text: str) -> Any:
    try:
        return _decode(text)
    except (msgspec.DecodeError, RecursionError):
        # msgspec raises RecursionError for JSON nested deeper than the interpreter's recursion limit allows
        # (about 1,000 levels less the stack in use): no request of this API nests more than 3.
        raise invalid_request() from None


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


def error_event(e: WsError, conn_id: str, request_id: str | None = None) -> str:
    return event("error", conn_id, request_id, code=e.code, msg=e.msg)
