"""The ASGI application: OKX's REST surface over one venue.

Data flow of one request: route lookup -> body (bounded) -> auth -> rate limit -> body checks and JSON ->
handler (one synchronous venue command) -> group commit -> answer. Every ``OkxError`` on the way becomes
its envelope here and nowhere else; an unexpected exception is logged and answered 50001 / 503 without a
traceback.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from openrfq.api import codec
from openrfq.api.auth import Authenticator, Caller, require
from openrfq.api.endpoint import Endpoint
from openrfq.api.params import Params
from openrfq.api.ratelimit import RateLimiter
from openrfq.api.routes import ROUTES
from openrfq.config import Config
from openrfq.domain import errors
from openrfq.domain.clock import Clock
from openrfq.domain.enums import InstType
from openrfq.engine import Venue
from openrfq.metrics import CONTENT_TYPE, Metrics
from openrfq.store.committer import Committer
from openrfq.ws.hub import Hub

log = logging.getLogger("openrfq.api")

MAX_BODY = 64 * 1024
MAX_LOGGED_PATH = 200  # an unknown path is logged cut to this (a path may be kilobytes long)
_NOT_FOUND = codec.encode({"code": "404", "msg": "Not Found", "data": []})


@dataclass(slots=True)
class Services:
    """Everything a handler may use; one per running venue."""

    config: Config
    clock: Clock
    venue: Venue
    committer: Committer
    limiter: RateLimiter
    auth: Authenticator
    metrics: Metrics


class OkxApi:
    def __init__(self, services: Services, routes: tuple[Endpoint, ...] = ROUTES) -> None:
        self.services = services
        self._routes = {(e.method, e.path): e for e in routes}
        self._paths = {e.path for e in routes}
        self._ticker: asyncio.Task[None] | None = None
        self._hub_task: asyncio.Task[None] | None = None
        self.hub = Hub(services)
        services.committer.listeners.append(self.hub.on_events)
        self._request_ids = itertools.count(1)
        services.metrics.add_endpoints(e.path for e in routes)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            elif scope["path"] == "/ws/v5/business":
                await self.hub.serve(scope, receive, send)
            else:  # no other WebSocket endpoint: refuse the handshake (HTTP 403)
                await receive()
                await send({"type": "websocket.close", "code": 1008})
            return
        # HTTP, written out in this one coroutine: every await level costs on each of a request's resumptions.
        started = time.perf_counter()
        endpoint = self._routes.get((scope["method"], scope["path"]))
        if endpoint is None:
            if scope["path"] == "/metrics" and scope["method"] == "GET":
                await _send(send, 200, self.services.metrics.render(), CONTENT_TYPE.encode())
                return
            if scope["path"] in self._paths:
                wrong_method = errors.InvalidRequestMethod()
                status, body = wrong_method.http_status, codec.error(wrong_method)
            else:
                status, body = 404, _NOT_FOUND
            await _send(send, status, body)
            if log.isEnabledFor(logging.DEBUG):  # a typo'd path is the first thing a new user needs to see
                self._log_request(scope["method"], scope["path"][:MAX_LOGGED_PATH], status, body, started)
            return
        svc = self.services
        try:
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > MAX_BODY:
                raise errors.BodyTooLarge(limit=MAX_BODY)  # refused without reading it
            message = await receive()
            raw = message.get("body", b"")
            if message.get("more_body", False) or len(raw) > MAX_BODY:
                raw = await _read_rest(raw, receive)
            caller: Caller | None = None
            client = scope.get("client")
            ip = client[0] if client else ""
            if endpoint.private:
                target = scope.get("raw_path") or scope["path"].encode()
                if scope["query_string"]:
                    target += b"?" + scope["query_string"]
                caller = svc.auth.authenticate(headers, scope["method"], target, raw, svc.clock.now_ms(), ip)
                require(caller, endpoint.permission)
                svc.limiter.check(caller.account.uid, endpoint.method, endpoint.path, endpoint.limits)
                if endpoint.permission == "trade" and b"exptime" in headers:
                    _check_exp_time(headers[b"exptime"], svc.clock.now_ms())
            else:
                if endpoint.limit_by:
                    ip += "|" + _limit_value(svc, endpoint.limit_by, scope["query_string"])
                svc.limiter.check(ip, endpoint.method, endpoint.path, endpoint.limits)
            params = _params(endpoint, scope, headers, raw)
            try:
                status, body = 200, endpoint.handler(svc, caller, params)
            finally:
                # Whatever the command did (even a refusal after firing due timers) is durable before we answer.
                await svc.committer.durable()
        except errors.OkxError as e:
            status, body = e.http_status, codec.error(e)
        except Exception:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            exc = errors.ServiceUnavailable()
            status, body = exc.http_status, codec.error(exc)
        await send({"type": "http.response.start", "status": status, "headers": _headers(body)})
        await send({"type": "http.response.body", "body": body})
        svc.metrics.observe_request(endpoint.path, _code_of(body), time.perf_counter() - started)
        if log.isEnabledFor(logging.DEBUG):
            self._log_request(scope["method"], endpoint.path, status, body, started)

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

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Timers that came due while the server was down fire now, durably, before the first request.
                self.services.venue.advance()
                await self.services.committer.durable()
                self._ticker = asyncio.get_running_loop().create_task(self._tick())
                self._hub_task = asyncio.get_running_loop().create_task(self.hub.run())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in (self._ticker, self._hub_task):
                    if task is not None:
                        task.cancel()
                await self.services.committer.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _tick(self) -> None:
        """Fire expiries on time even when nobody is calling (and make them durable)."""
        venue = self.services.venue
        while True:
            due = venue.next_timer_ms()
            wait_ms = 1000 if due is None else min(1000, max(0, due - self.services.clock.now_ms()))
            await asyncio.sleep(wait_ms / 1000 + 0.001)
            try:
                venue.advance()
                await self.services.committer.durable()
            except errors.OkxError:
                return


async def _read_rest(first: bytes, receive: Any) -> bytes:
    """The rest of a body sent in several messages: at most MAX_BODY bytes, a longer one is refused unread."""
    chunks = [first]
    size = len(first)
    if size > MAX_BODY:
        raise errors.BodyTooLarge(limit=MAX_BODY)
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise errors.BodyTooLarge(limit=MAX_BODY)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _limit_value(svc: Services, name: str, query: bytes) -> str:
    """The query value a public limit is counted by (OKX: per IP and instrument or instrument type). Values that
    name nothing the venue has share one window, so made-up values get no allowance (or memory) of their own."""
    value = dict(parse_qsl(query.decode("latin-1"))).get(name, "")
    known = value in svc.venue.catalogue if name == "instId" else value in _INST_TYPES
    return value if known else "?"


_INST_TYPES = frozenset(t.value for t in InstType)


def _check_exp_time(value: bytes, now_ms: int) -> None:
    """OKX's ``expTime`` request header on Trade endpoints: a request that arrives after it is not applied."""
    if not (value.isdigit() and len(value) <= 16):
        raise errors.ParameterError(param0="expTime")
    if int(value) < now_ms:
        raise errors.RequestExpired()


def _params(endpoint: Endpoint, scope: dict[str, Any], headers: dict[bytes, bytes], raw: bytes) -> Params:
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


def _code_of(body: bytes) -> str:
    """The envelope's code: every answer starts with {"code":"..." (see codec)."""
    end = body.find(b'"', 9)
    return body[9:end].decode() if body.startswith(b'{"code":"') and end > 0 else ""


def _headers(body: bytes, content_type: bytes = b"application/json") -> list[tuple[bytes, bytes]]:
    return [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]


async def _send(send: Any, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    await send({"type": "http.response.start", "status": status, "headers": _headers(body, content_type)})
    await send({"type": "http.response.body", "body": body})
