"""OKX REST authentication: the OK-ACCESS-* headers and the HMAC-SHA256 signature over the raw request.

The signature covers ``timestamp + METHOD + path(?query) + body`` exactly as the client sent them, so the raw
path, raw query string and raw body bytes are what is checked: no re-encoding, no JSON round trip. A key
configured for one environment (demo or live) must be used in it: ``x-simulated-trading: 1`` is demo.
"""

from __future__ import annotations

import binascii
import hmac
import logging
import re
from _hashlib import HMAC, hmac_new  # CPython's OpenSSL binding, under hmac.new
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from openrfq.access.ratelimit import Limit, RateLimiter
from openrfq.config import Account, ApiKey
from openrfq.domain import errors
from openrfq.domain.clock import Clock

TIMESTAMP_WINDOW_MS = 30_000
# Failed authentications allowed per client IP, and per API key, in a sliding minute (docs/compatibility.md).
FAILURES_ALLOWED = Limit(30, 60_000)
_BY_IP, _BY_KEY = "auth-failures-ip", "auth-failures-key"
log = logging.getLogger("openrfq.auth")
_ISO_MS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z")


@dataclass(frozen=True, slots=True)
class Caller:
    account: Account
    key: ApiKey

    @property
    def trader_code(self) -> str:
        return self.account.trader_code


_EPOCH_ORDINAL: Final = 719163  # date(1970, 1, 1).toordinal()


def _signature(key: HMAC, prehash: bytes) -> bytes:
    # A copy of the key's HMAC, keyed once: OpenSSL's one-shot HMAC looks the digest up and hashes the key's pads
    # on every call, twice the CPU of a copy (bench/README.md).
    mac = key.copy()
    mac.update(prehash)
    return binascii.b2a_base64(mac.digest(), newline=False)


class _Second:
    """The second (``YYYY-MM-DDTHH:MM:SS``) of the last timestamp read whole, and its ms since the epoch: one
    tuple, replaced whole (two venues' loops in one process each see a pair that belongs together)."""

    def __init__(self) -> None:
        self.second: tuple[str, int] = ("", 0)


_last = _Second()


def parse_timestamp_ms(value: str) -> int:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC) as integer ms since the epoch; any other form or an impossible date is
    InvalidTimestamp. The regex fixes the form; ``datetime.fromisoformat`` (C) reads it and refuses an impossible
    date: a tenth of the CPU of slicing and converting each field here, on every signed request. A timestamp in
    the same second as the last one read whole needs only its milliseconds read: 0.12 us against 0.6-0.9
    (bench/README.md), and a bot's requests mostly are."""
    second, second_ms = _last.second  # not unpacked with ms in one statement: 0.13 us more, compiled
    ms = value[20:23]
    if (
        len(value) == 24
        and second
        and value.startswith(second)
        and value[19] == "."
        and value[23] == "Z"
        and ms.isascii()
        and ms.isdigit()
    ):
        return second_ms + int(ms)
    if _ISO_MS.fullmatch(value) is None:
        raise errors.InvalidTimestamp()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:  # e.g. 2023-02-29, year 0
        raise errors.InvalidTimestamp() from None
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    second_ms = ((moment.toordinal() - _EPOCH_ORDINAL) * 86400 + seconds) * 1000
    _last.second = (value[:19], second_ms)
    return second_ms + moment.microsecond // 1000


@dataclass(frozen=True, slots=True)
class _Key:
    caller: Caller
    mac: HMAC  # keyed with the secret once, copied per request
    passphrase: bytes


class Authenticator:
    """Checks credentials, and counts failures per client IP and per API key (REST and WebSocket alike): past
    ``FAILURES_ALLOWED`` in a window, every attempt from that IP or with that key is refused unchecked until the
    window slides, so guessing a passphrase or signature stays slow and no answer tells a right guess."""

    def __init__(self, accounts: tuple[Account, ...], clock: Clock) -> None:
        self._keys = {
            key.api_key: _Key(
                Caller(account, key), hmac_new(key.secret_key.encode(), digestmod="sha256"), key.passphrase.encode()
            )
            for account in accounts
            for key in account.keys
        }
        self._failures = RateLimiter(clock)  # always on: rate_limits.enabled is for load tests, not for this

    def caller(self, api_key: str) -> Caller | None:
        found = self._keys.get(api_key)
        return found.caller if found is not None else None

    def throttled(self, ip: str, api_key: str) -> bool:
        """Whether attempts from ``ip`` or with ``api_key`` are refused for now (too many recent failures)."""
        if self._failures.exceeded(ip, _BY_IP, FAILURES_ALLOWED):
            return True
        return api_key in self._keys and self._failures.exceeded(api_key, _BY_KEY, FAILURES_ALLOWED)

    def forget_failures(self) -> None:
        """The failed attempts counted so far are forgotten (the control plane's reset)."""
        self._failures.clear()

    def failed(self, ip: str, api_key: str) -> None:
        """Count a failed attempt (a key that does not exist is counted for the IP only: no map of guesses)."""
        self._failures.record(ip, _BY_IP, FAILURES_ALLOWED)
        if api_key in self._keys:
            self._failures.record(api_key, _BY_KEY, FAILURES_ALLOWED)
        if self._failures.exceeded(ip, _BY_IP, FAILURES_ALLOWED) or (
            api_key in self._keys and self._failures.exceeded(api_key, _BY_KEY, FAILURES_ALLOWED)
        ):
            log.warning("authentication failures: refusing attempts for a while", extra={"ip": ip, "apiKey": api_key})

    def authenticate(
        self,
        headers: dict[bytes, bytes],
        method: str,
        target: bytes,
        body: bytes,
        now_ms: int,
        ip: str = "",
    ) -> Caller:
        """``headers`` keyed by lower-case names; ``target`` is the raw path plus ``?query`` when present."""
        api_key = headers.get(b"ok-access-key", b"").decode("latin-1")
        if self.throttled(ip, api_key):
            raise errors.RateLimitReached()
        try:
            return self._check(headers, method, target, body, now_ms)
        except errors.OkxError:
            self.failed(ip, api_key)
            raise

    def _check(self, headers: dict[bytes, bytes], method: str, target: bytes, body: bytes, now_ms: int) -> Caller:
        api_key = headers.get(b"ok-access-key", b"")
        signature = headers.get(b"ok-access-sign", b"")
        timestamp = headers.get(b"ok-access-timestamp", b"")
        passphrase = headers.get(b"ok-access-passphrase", b"").decode("utf-8", "replace")
        if not api_key:
            raise errors.AccessKeyMissing()
        if not signature:
            raise errors.SignMissing()
        if not timestamp:
            raise errors.TimestampMissing()
        if not passphrase:
            raise errors.PassphraseMissing()
        if abs(now_ms - parse_timestamp_ms(timestamp.decode("latin-1"))) > TIMESTAMP_WINDOW_MS:
            raise errors.TimestampExpired()
        key = self._keys.get(api_key.decode("latin-1"))
        if key is None:
            raise errors.InvalidAccessKey()
        if not hmac.compare_digest(passphrase.encode(), key.passphrase):
            raise errors.PassphraseIncorrect()
        # The raw header bytes are what the client signed and sent: no decode / encode round trips.
        if not hmac.compare_digest(_signature(key.mac, timestamp + method.encode() + target + body), signature):
            raise errors.InvalidSignature()
        environment = key.caller.key.environment
        if environment != "any" and (environment == "demo") != (headers.get(b"x-simulated-trading") == b"1"):
            raise errors.EnvironmentMismatch()
        return key.caller


def require(caller: Caller, permission: str) -> None:
    """Trade endpoints need "trade"; Read endpoints accept "read" or "trade" (a trading key can read)."""
    granted = caller.key.permissions
    if permission in granted or (permission == "read" and "trade" in granted):
        return
    raise errors.PermissionDenied()
