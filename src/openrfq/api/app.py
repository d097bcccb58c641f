"""OKX's REST surface over one venue, as an ASGI app for HTTP requests.

One request passes these steps, each a function below, synchronous but for reading the body and committing:

    route -> read body -> authenticate -> permit -> limit -> parse -> handle -> commit -> answer

The handler runs one synchronous venue command; the commit makes whatever it changed durable before the answer
leaves. Every ``OkxError`` on the way becomes its envelope here and nowhere else; an unexpected exception is
logged and answered 50001 / 503 without a traceback.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from openrfq.access.auth import Caller, require
from openrfq.api import codec
from openrfq.api.endpoint import Endpoint, Private, Public
from openrfq.api.params import Params
from openrfq.api.routes import ROUTES
from openrfq.domain import errors
from openrfq.domain.commands import SettleFail
from openrfq.domain.enums import InstType
from openrfq.faults import DROP_EXTENSION, SETTLE_FAIL, error_for
from openrfq.metrics import CONTENT_TYPE
from openrfq.services import Services

log = logging.getLogger("openrfq.api")

MAX_BODY = 64 * 1024
MAX_LOGGED_PATH = 200  # an unknown path is logged cut to this (a path may be kilobytes long)
_NOT_FOUND = codec.encode({"code": "404", "msg": "Not Found", "data": []})
_INST_TYPES = frozenset(t.value for t in InstType)
SKEW = frozenset({"skew"})
_BEFORE_APPLYING = frozenset({"error", "drop", "delay"})

Scope = dict[str, Any]
Headers = dict[bytes, bytes]


class OkxApi:
    def __init__(self, services: Services, routes: tuple[Endpoint, ...] = ROUTES) -> None:
        self.services = services
        self._routes = {(e.method, e.path): e for e in routes}
        self._paths = {e.path for e in routes}
        self._request_ids = itertools.count(1)
        services.metrics.add_endpoints(e.path for e in routes)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        # Written out in this one coroutine, the steps called from it: every await level costs on each resumption.
        started = time.perf_counter()
        endpoint = self.route(scope)
        if endpoint is None:
            await self._unrouted(scope, send, started)
            return
        svc = self.services
        delay_ms = 0
        try:
            headers: Headers = dict(scope["headers"])
            raw = await read_body(headers, receive)
            if isinstance(endpoint, Private):
                caller = self.authenticate(endpoint, scope, headers, raw)
                require(caller, endpoint.permission)
                if svc.faults.active:
                    delay_ms = self.fault(endpoint, caller.trader_code)
                self.limit_caller(endpoint, caller, headers)
                params = parse(endpoint, scope, headers, raw)
                if endpoint.settles and svc.faults.active and svc.venue.settlement_ms:
                    params.settle_fail = self.settle_fault(endpoint, caller.trader_code)
                try:
                    status, body = 200, endpoint.handler(svc, caller, params)
                finally:  # whatever the command did (a refusal after firing due timers too) is durable first
                    await svc.committer.durable()
            else:
                if svc.faults.active:
                    delay_ms = self.fault(endpoint, "")
                self.limit_ip(endpoint, scope)
                params = parse(endpoint, scope, headers, raw)
                try:
                    status, body = 200, endpoint.handler(svc, params)
                finally:
                    await svc.committer.durable()
        except Dropped:
            await svc.committer.durable()  # a fault rule's count
            _drop(scope)
            return
        except errors.OkxError as e:
            status, body = e.http_status, codec.error(e)
        except Exception:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            exc = errors.ServiceUnavailable()
            status, body = exc.http_status, codec.error(exc)
        if delay_ms:  # an injected delay: applied in order, answered later; nobody else waits
            await asyncio.sleep(delay_ms / 1000)
        await answer(send, status, body)
        svc.metrics.observe_request(endpoint.path, _code_of(body), time.perf_counter() - started)
        if log.isEnabledFor(logging.DEBUG):
            self._log_request(scope["method"], endpoint.path, status, body, started)

    # --- the steps -------------------------------------------------------------------------------------------

    def route(self, scope: Scope) -> Endpoint | None:
        return self._routes.get((scope["method"], scope["path"]))

    def authenticate(self, endpoint: Private, scope: Scope, headers: Headers, raw: bytes) -> Caller:
        """The signature covers the request target exactly as sent: the raw path and query, the raw body. The
        timestamp is judged against the auth clock, as if the account's clock were off by a skew fault's ms."""
        target = scope.get("raw_path") or scope["path"].encode()
        if scope["query_string"]:
            target += b"?" + scope["query_string"]
        svc = self.services
        now = svc.auth_clock.now_ms()
        if svc.faults.active:
            known = svc.auth.caller(headers.get(b"ok-access-key", b"").decode("latin-1"))
            skew = svc.faults.match(endpoint.path, known.trader_code if known else "", SKEW)
            now -= skew.ms if skew is not None else 0
        return svc.auth.authenticate(headers, scope["method"], target, raw, now, _ip(scope))

    def fault(self, endpoint: Endpoint, account: str) -> int:
        """An injected fault, before anything is applied: an error raised, a drop, or a delay's ms (else 0)."""
        rule = self.services.faults.match(endpoint.path, account, _BEFORE_APPLYING)
        if rule is None:
            return 0
        if rule.action == "error":
            raise error_for(rule.code)
        if rule.action == "drop":
            raise Dropped()
        return rule.ms

    def settle_fault(self, endpoint: Private, account: str) -> SettleFail:
        """An execution's settle_fail faults (asynchronous settlement): the venue asks once it has accepted the
        execution, once per allocated account of a group RFQ; each ask is one match of the rules (a rule with
        ``count`` 1 fails one account's execution)."""
        faults, path = self.services.faults, endpoint.path

        def decide() -> str:
            rule = faults.match(path, account, SETTLE_FAIL)
            return "" if rule is None else rule.code

        return decide

    def limit_caller(self, endpoint: Private, caller: Caller, headers: Headers) -> None:
        """The User ID's rate limit; then a Trade request's ``expTime`` (one past it is not applied)."""
        svc = self.services
        svc.limiter.check(caller.account.uid, endpoint.method, endpoint.path, endpoint.limits)
        if endpoint.permission == "trade" and b"exptime" in headers:
            check_exp_time(headers[b"exptime"], svc.auth_clock.now_ms())

    def limit_ip(self, endpoint: Public, scope: Scope) -> None:
        """Per client IP, and per instrument (type) where OKX counts so; values naming nothing share a window
        (made-up values get no allowance, or memory, of their own)."""
        who = _ip(scope)
        if endpoint.limit_by:
            value = dict(parse_qsl(scope["query_string"].decode("latin-1"))).get(endpoint.limit_by, "")
            known = value in self.services.venue.catalogue if endpoint.limit_by == "instId" else value in _INST_TYPES
            who += "|" + (value if known else "?")
        self.services.limiter.check(who, endpoint.method, endpoint.path, endpoint.limits)

    # --- what is not an endpoint -----------------------------------------------------------------------------

    async def _unrouted(self, scope: Scope, send: Any, started: float) -> None:
        if scope["path"] == "/metrics" and scope["method"] == "GET":
            await answer(send, 200, self.services.metrics.render(), CONTENT_TYPE.encode())
            return
        if scope["path"] in self._paths:
            wrong_method = errors.InvalidRequestMethod()
            status, body = wrong_method.http_status, codec.error(wrong_method)
        else:
            status, body = 404, _NOT_FOUND
        await answer(send, status, body)
        if log.isEnabledFor(logging.DEBUG):  # a typo'd path is the first thing a new user needs to see
            self._log_request(scope["method"], scope["path"][:MAX_LOGGED_PATH], status, body, started)

    def _log_request(self, method: str, path: str, status: int, body: bytes, started: float) -> None:
        log.debug(
            "request",
            extra={
                "requestId": f"{next(self._request_ids):x}",
                "method": method,
                "path": path,
                "status": status,
                "code": _code_of(body),
                "ms": round((time.perf_counter() - started) * 1000, 3),
            },
        )


async def read_body(headers: Headers, receive: Any) -> bytes:
    """The whole body, at most MAX_BODY bytes: one announced or found longer is refused (413) unread."""
    length = headers.get(b"content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise errors.BodyTooLarge(limit=MAX_BODY)
    message = await receive()
    raw: bytes = message.get("body", b"")
    if not message.get("more_body", False) and len(raw) <= MAX_BODY:
        return raw
    chunks, size = [raw], len(raw)
    while True:
        if size > MAX_BODY:
            raise errors.BodyTooLarge(limit=MAX_BODY)
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)


def check_exp_time(value: bytes, now_ms: int) -> None:
    """OKX's ``expTime`` request header on Trade endpoints: a request that arrives after it is not applied."""
    if not (value.isdigit() and len(value) <= 16):
        raise errors.ParameterError(param0="expTime")
    if int(value) < now_ms:
        raise errors.RequestExpired()


def parse(endpoint: Endpoint, scope: Scope, headers: Headers, raw: bytes) -> Params:
    """A GET's query string, or a POST's JSON body (an object; an array where the endpoint takes one)."""
    if endpoint.method == "GET":
        query = scope["query_string"].decode("latin-1")
        return Params(dict(parse_qsl(query, keep_blank_values=True)))
    if raw.strip():
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"application/json":
            raise errors.InvalidContentType()
        try:
            body = codec.decode(raw)
        except Exception:  # noqa: BLE001 (whatever the decoder raises, the body is not JSON we accept)
            raise errors.JsonSyntaxError() from None
        if isinstance(body, list) and endpoint.array_body:
            return Params({"items": body})
        if not isinstance(body, dict):
            raise errors.JsonSyntaxError()
        return Params(body)
    if endpoint.needs_body:
        raise errors.EmptyPostBody()
    return Params({})


async def answer(send: Any, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Dropped(Exception):
    """A drop fault: the connection is closed without an answer."""


def _drop(scope: Scope) -> None:
    drop = scope.get("extensions", {}).get(DROP_EXTENSION)
    if drop is None:  # served by something other than openrfq's edge (an in-process test): fail the request
        raise ConnectionAbortedError("dropped by a fault rule")
    drop["abort"]()


def _ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


def _code_of(body: bytes) -> str:
    """The envelope's code: every answer starts with {"code":"..." (see codec)."""
    end = body.find(b'"', 9)
    return body[9:end].decode() if body.startswith(b'{"code":"') and end > 0 else ""
