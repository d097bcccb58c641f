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
from openrfq.api.request import DROP, Headers, Reply, Request
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
JSON = b"application/json"


class OkxApi:
    def __init__(self, services: Services, routes: tuple[Endpoint, ...] = ROUTES) -> None:
        self.services = services
        self._routes = {(e.method, e.path): e for e in routes}
        self._paths = {e.path for e in routes}
        self._request_ids = itertools.count(1)
        services.metrics.add_endpoints(e.path for e in routes)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """The ASGI app: the request read, then ``respond``. (openrfq's own HTTP protocol calls ``respond``
        straight, with the request it parsed: openrfq.http1.)"""
        headers: Headers = dict(scope["headers"])
        if (scope["method"], scope["path"]) in self._routes:
            try:
                raw = await read_body(headers, receive)
            except errors.OkxError as e:
                await answer(send, e.http_status, codec.error(e))
                return
        else:
            raw = b""  # not read: nothing here takes it
        client = scope.get("client")
        request = Request(
            scope["method"],
            scope["path"],
            scope.get("raw_path") or scope["path"].encode(),
            scope["query_string"],
            headers,
            raw,
            client[0] if client else "",
        )
        answered: asyncio.Future[tuple[int, bytes, bytes]] = asyncio.get_running_loop().create_future()
        self.respond(request, lambda status, body, kind: answered.set_result((status, body, kind)))
        status, body, content_type = await answered
        if status == DROP:
            _drop(scope)
            return
        await answer(send, status, body, content_type)

    def respond(self, request: Request, reply: Reply) -> None:
        """Answer ``request`` through ``reply(status, body, content_type)``, at once or once what it changed is
        durable; ``reply(DROP, ...)``: close the connection unanswered (a fault rule)."""
        started = time.perf_counter()
        endpoint = self._routes.get((request.method, request.path))
        if endpoint is None:
            self._unrouted(request, reply, started)
            return
        svc = self.services
        delay_ms = 0
        status, body = 0, b""
        failure: errors.OkxError | None = None
        try:
            if isinstance(endpoint, Private):
                caller = self.authenticate(endpoint, request)
                require(caller, endpoint.permission)
                if svc.faults.active:
                    delay_ms = self.fault(endpoint, caller.trader_code)
                self.limit_caller(endpoint, caller, request.headers)
                params = parse(endpoint, request)
                if endpoint.settles and svc.faults.active and svc.venue.settlement_ms:
                    params.settle_fail = self.settle_fault(endpoint, caller.trader_code)
                status, body = 200, endpoint.handler(svc, caller, params)
            else:
                if svc.faults.active:
                    delay_ms = self.fault(endpoint, "")
                self.limit_ip(endpoint, request)
                params = parse(endpoint, request)
                status, body = 200, endpoint.handler(svc, params)
        except Dropped:
            status = DROP  # a fault rule's count is durable first
        except errors.OkxError as e:
            failure = e
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            failure = errors.ServiceUnavailable()
        if failure is not None:
            status, body = failure.http_status, codec.error(failure)
        # Whatever the command did (a refusal after firing due timers too) is durable before the answer leaves.
        answer_ = _Answer(self, request, reply, endpoint.path, status, body, delay_ms, started)
        try:
            if svc.committer.when_durable(answer_):
                return
        except errors.OkxError as e:
            answer_.status, answer_.body = e.http_status, codec.error(e)
        answer_(None)

    # --- the steps -------------------------------------------------------------------------------------------

    def authenticate(self, endpoint: Private, request: Request) -> Caller:
        """The signature covers the request target exactly as sent: the raw path and query, the raw body. The
        timestamp is judged against the auth clock, as if the account's clock were off by a skew fault's ms."""
        target = request.raw_path
        if request.query:
            target += b"?" + request.query
        headers = request.headers
        svc = self.services
        now = svc.auth_clock.now_ms()
        if svc.faults.active:
            known = svc.auth.caller(headers.get(b"ok-access-key", b"").decode("latin-1"))
            skew = svc.faults.match(endpoint.path, known.trader_code if known else "", SKEW)
            now -= skew.ms if skew is not None else 0
        return svc.auth.authenticate(headers, request.method, target, request.body, now, request.ip)

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

    def limit_ip(self, endpoint: Public, request: Request) -> None:
        """Per client IP, and per instrument (type) where OKX counts so; values naming nothing share a window
        (made-up values get no allowance, or memory, of their own)."""
        who = request.ip
        if endpoint.limit_by:
            value = dict(parse_qsl(request.query.decode("latin-1"))).get(endpoint.limit_by, "")
            known = value in self.services.venue.catalogue if endpoint.limit_by == "instId" else value in _INST_TYPES
            who += "|" + (value if known else "?")
        self.services.limiter.check(who, endpoint.method, endpoint.path, endpoint.limits)

    # --- what is not an endpoint -----------------------------------------------------------------------------

    def _unrouted(self, request: Request, reply: Reply, started: float) -> None:
        if request.path == "/metrics" and request.method == "GET":
            reply(200, self.services.metrics.render(), CONTENT_TYPE.encode())
            return
        if request.path in self._paths:
            wrong_method = errors.InvalidRequestMethod()
            status, body = wrong_method.http_status, codec.error(wrong_method)
        else:
            status, body = 404, _NOT_FOUND
        reply(status, body, JSON)
        if log.isEnabledFor(logging.DEBUG):  # a typo'd path is the first thing a new user needs to see
            self._log_request(request.method, request.path[:MAX_LOGGED_PATH], status, body, started)

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


def parse(endpoint: Endpoint, request: Request) -> Params:
    """A GET's query string, or a POST's JSON body (an object; an array where the endpoint takes one)."""
    if endpoint.method == "GET":
        query = request.query.decode("latin-1")
        return Params(dict(parse_qsl(query, keep_blank_values=True)))
    raw = request.body
    if raw.strip():
        content_type = request.headers.get(b"content-type", b"").split(b";")[0].strip().lower()
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


async def answer(send: Any, status: int, body: bytes, content_type: bytes = JSON) -> None:
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Answer:
    """A request's answer, sent once what it changed is durable (the committer calls it then, or ``respond`` at
    once); an injected delay applied in order, answered later: nobody else waits."""

    def __init__(
        self,
        api: OkxApi,
        request: Request,
        reply: Reply,
        path: str,
        status: int,
        body: bytes,
        delay_ms: int,
        started: float,
    ) -> None:
        self.api, self.request, self.reply, self.path = api, request, reply, path
        self.status, self.body, self.delay_ms, self.started = status, body, delay_ms, started

    def __call__(self, error: BaseException | None) -> None:
        if error is not None:  # the commit failed: nothing is acknowledged
            refusal = errors.ServiceUnavailable()
            self.status, self.body = refusal.http_status, codec.error(refusal)
        if self.status == DROP:
            self.reply(DROP, b"", b"")
        elif self.delay_ms:
            asyncio.get_running_loop().call_later(self.delay_ms / 1000, self.send)
        else:
            self.send()

    def send(self) -> None:
        self.reply(self.status, self.body, JSON)
        api, started = self.api, self.started
        api.services.metrics.observe_request(self.path, _code_of(self.body), time.perf_counter() - started)
        if log.isEnabledFor(logging.DEBUG):
            api._log_request(self.request.method, self.path, self.status, self.body, started)


class Dropped(Exception):
    """A drop fault: the connection is closed without an answer."""


def _drop(scope: Scope) -> None:
    drop = scope.get("extensions", {}).get(DROP_EXTENSION)
    if drop is None:  # served by something other than openrfq's edge (an in-process test): fail the request
        raise ConnectionAbortedError("dropped by a fault rule")
    drop["abort"]()


def _code_of(body: bytes) -> str:
    """The envelope's code: every answer starts with {"code":"..." (see codec)."""
    end = body.find(b'"', 9)
    return body[9:end].decode() if body.startswith(b'{"code":"') and end > 0 else ""
