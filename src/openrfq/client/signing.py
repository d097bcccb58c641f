"""OKX request signing, as a client does it: the REST ``OK-ACCESS-*`` headers and the WebSocket login signature.

REST signs ``timestamp + METHOD + path(?query) + body`` with HMAC-SHA256 and the secret key, base64 encoded,
the timestamp in ISO 8601 with milliseconds (``2025-11-13T02:13:20.000Z``). A WebSocket login signs
``timestamp + "GET" + "/users/self/verify"`` the same way, the timestamp in seconds since the epoch.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

VERIFY_PATH = "/users/self/verify"


class Credentials(Protocol):
    """An API key as OKX issues it (``openrfq.config.ApiKey`` is one)."""

    @property
    def api_key(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def passphrase(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Key:
    """An API key, its secret and passphrase (kept out of its repr, hence out of logs and tracebacks)."""

    api_key: str
    secret_key: str = field(repr=False)
    passphrase: str = field(repr=False)


def sign(secret: str, prehash: bytes) -> str:
    return base64.b64encode(hmac.digest(secret.encode(), prehash, "sha256")).decode()


def iso_timestamp(now_ms: int) -> str:
    moment = datetime.fromtimestamp(now_ms // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now_ms % 1000:03d}Z"


def signed_headers(key: Credentials, method: str, target: str, body: str, now_ms: int) -> dict[str, str]:
    """The headers of a signed REST request; ``target`` is the path with its ``?query``, ``body`` the raw body."""
    timestamp = iso_timestamp(now_ms)
    return {
        "OK-ACCESS-KEY": key.api_key,
        "OK-ACCESS-SIGN": sign(key.secret_key, (timestamp + method + target + body).encode()),
        "OK-ACCESS-TIMESTAMP": timestamp,
        "OK-ACCESS-PASSPHRASE": key.passphrase,
        "Content-Type": "application/json",
    }


def login_sign(secret: str, timestamp: str) -> str:
    """The ``sign`` of a WebSocket login; ``timestamp`` in seconds, as sent in the login's args."""
    return sign(secret, (timestamp + "GET" + VERIFY_PATH).encode())


def login_args(key: Credentials, now_ms: int) -> dict[str, str]:
    """The one arg of a WebSocket ``login`` op."""
    timestamp = str(now_ms // 1000)
    return {
        "apiKey": key.api_key,
        "passphrase": key.passphrase,
        "timestamp": timestamp,
        "sign": login_sign(key.secret_key, timestamp),
    }
