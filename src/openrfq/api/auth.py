"""OKX REST authentication: the OK-ACCESS-* headers and the HMAC-SHA256 signature over the raw request.

The signature covers ``timestamp + METHOD + path(?query) + body`` exactly as the client sent them, so the raw
path, raw query string and raw body bytes are what is checked: no re-encoding, no JSON round trip.
"""

from __future__ import annotations

import base64
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from openrfq.config import Account, ApiKey
from openrfq.domain import errors

TIMESTAMP_WINDOW_MS = 30_000
_ISO_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@dataclass(frozen=True, slots=True)
class Caller:
    account: Account
    key: ApiKey

    @property
    def trader_code(self) -> str:
        return self.account.trader_code


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def sign(secret: str, prehash: bytes) -> str:
    # hmac.digest is the one-shot C path; hmac.new builds a Python HMAC object per request.
    return base64.b64encode(hmac.digest(secret.encode(), prehash, "sha256")).decode()


def parse_timestamp_ms(value: str) -> int:
    if not _ISO_MS.fullmatch(value):
        raise errors.InvalidTimestamp()
    try:
        # fromisoformat is C; strptime runs _strptime's Python regexes on every signed request.
        moment = datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise errors.InvalidTimestamp() from None
    return (moment - _EPOCH) // _MS  # exact integer ms, no float


class Authenticator:
    def __init__(self, accounts: tuple[Account, ...]) -> None:
        self._keys = {key.api_key: Caller(account, key) for account in accounts for key in account.keys}

    def caller(self, api_key: str) -> Caller | None:
        return self._keys.get(api_key)

    def authenticate(
        self,
        headers: dict[bytes, bytes],
        method: str,
        target: bytes,
        body: bytes,
        now_ms: int,
    ) -> Caller:
        """``headers`` keyed by lower-case names; ``target`` is the raw path plus ``?query`` when present."""
        api_key = headers.get(b"ok-access-key", b"").decode("latin-1")
        signature = headers.get(b"ok-access-sign", b"").decode("latin-1")
        timestamp = headers.get(b"ok-access-timestamp", b"").decode("latin-1")
        passphrase = headers.get(b"ok-access-passphrase", b"").decode("utf-8", "replace")
        if not api_key:
            raise errors.AccessKeyMissing()
        if not signature:
            raise errors.SignMissing()
        if not timestamp:
            raise errors.TimestampMissing()
        if not passphrase:
            raise errors.PassphraseMissing()
        if abs(now_ms - parse_timestamp_ms(timestamp)) > TIMESTAMP_WINDOW_MS:
            raise errors.TimestampExpired()
        caller = self._keys.get(api_key)
        if caller is None:
            raise errors.InvalidAccessKey()
        if not hmac.compare_digest(passphrase.encode(), caller.key.passphrase.encode()):
            raise errors.PassphraseIncorrect()
        expected = sign(caller.key.secret_key, timestamp.encode("latin-1") + method.encode() + target + body)
        if not hmac.compare_digest(expected.encode(), signature.encode("latin-1")):
            raise errors.InvalidSignature()
        return caller


def require(caller: Caller, permission: str) -> None:
    """Trade endpoints need "trade"; Read endpoints accept "read" or "trade" (a trading key can read)."""
    granted = caller.key.permissions
    if permission in granted or (permission == "read" and "trade" in granted):
        return
    raise errors.PermissionDenied()


def iso_timestamp(now_ms: int) -> str:
    moment = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now_ms % 1000:03d}Z"


def signed_headers(key: ApiKey, method: str, target: str, body: str, now_ms: int) -> dict[str, str]:
    """The headers an OKX client sends: used by openrfq's own client and tests."""
    timestamp = iso_timestamp(now_ms)
    return {
        "OK-ACCESS-KEY": key.api_key,
        "OK-ACCESS-SIGN": sign(key.secret_key, (timestamp + method + target + body).encode()),
        "OK-ACCESS-TIMESTAMP": timestamp,
        "OK-ACCESS-PASSPHRASE": key.passphrase,
        "Content-Type": "application/json",
    }
