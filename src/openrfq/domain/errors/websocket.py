"""OKX's WebSocket error events (60xxx, 63999, 64xxx): a code and a message, no HTTP status."""

from __future__ import annotations

from typing import ClassVar

from openrfq.domain.errors.base import OkxError

# --- WebSocket (error events: a code and a message, no HTTP status) ---------------------------------------------


class WebSocketError(OkxError):
    """An ``error`` event on the WebSocket (error-codes.md, "WebSocket"). The connection stays open, unless
    ``close_code`` is set: then it is closed with that code once the event has been sent."""

    code, http_status, template = "60012", 0, "Invalid request"  # http_status: none, a WebSocket has no HTTP answer
    close_code: ClassVar[int | None] = None


class WsInvalidTimestamp(WebSocketError):
    code, template = "60004", "Invalid timestamp"


class WsInvalidApiKey(WebSocketError):
    code, template = "60005", "Invalid apiKey"


class WsTimestampExpired(WebSocketError):
    code, template = "60006", "Timestamp request expired"


class WsInvalidSign(WebSocketError):
    code, template = "60007", "Invalid sign"


class LoginRequired(WebSocketError):
    code, template = "60011", "Please log in"


class InvalidRequest(WebSocketError):
    """A message too large to be read as a request (its text is not echoed)."""

    code, template = "60012", "Invalid request"


class MalformedRequest(WebSocketError):
    """Not JSON, not an object, ``op`` or ``args`` missing or misspelled, a required ``instId`` missing: OKX
    echoes the request as it was sent."""

    code, template = "60012", "Invalid request: {request}"


class InvalidArgs(WebSocketError):
    code, template = "60013", "Invalid args"


class TooManyArgs(WebSocketError):
    """More args in one request than ``limits.WS_MAX_ARGS``: refused, and the connection closed (OKX's 4008)."""

    code, template = "60013", "Invalid args"
    close_code = 4008


class RequestsTooFrequent(WebSocketError):
    """Over the per-connection request limit, or a login refused after too many failures."""

    code, template = "60014", "Requests too frequent"


class ChannelNotFound(WebSocketError):
    code, template = (
        "60018",
        "Wrong URL or channel:{channel},instId:{instId} doesn't exist. "
        "Please use the correct URL, channel and parameters referring to API document.",
    )


class InvalidOp(WebSocketError):
    code, template = "60019", "Invalid op: {op}"


class WsWrongPassphrase(WebSocketError):
    code, template = "60024", "Wrong passphrase"


class WsParameterEmpty(WebSocketError):
    code, template = "60027", "Parameter {param0} can not be empty."


class RepeatedLogin(WebSocketError):
    code, template = "60031", "The WebSocket endpoint does not allow multiple or repeated logins."


class LoginInternalError(WebSocketError):
    """An unexpected failure (a bug) while serving a login."""

    code, template = "63999", "Login failed due to internal error. Please try again later."


class WsInternalError(WebSocketError):
    """An unexpected failure (a bug) while serving any other request."""

    code, template = "64007", "Operation {op} failed due to WebSocket internal error. Please try again later."
