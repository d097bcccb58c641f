"""The control plane under ``/openrfq/v1``: the venue as a test instrument, apart from the OKX API.

Off unless the venue has an admin token: without one every path here is 404 but ``GET /openrfq/v1/health``.
Requests carry ``Authorization: Bearer <token>`` (compared in constant time; a missing or wrong token is 401).
Answers use OKX's envelope, ``{"code":"0","msg":"","data":[...]}``; refusals a 4xx with a 9xxxx code and a
message that says what to change (``domain/errors.py``, ``ControlError``). The names thread through as in the
OKX API: ``POST /openrfq/v1/clock/advance`` -> ``control.clock.advance``.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from openrfq.api import codec
from openrfq.api.app import answer, read_body
from openrfq.api.params import Params
from openrfq.control import clock, faults, health, state
from openrfq.domain import errors
from openrfq.services import Services

log = logging.getLogger("openrfq.control")

PREFIX = "/openrfq/v1"

# A handler gets the services, the body's parameters and the path's own parts; it answers the envelope's data.
Handler = Callable[[Services, Params, tuple[str, ...]], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]  # matched against the path after PREFIX
    handler: Handler


def route(method: str, path: str, handler: Handler) -> Route:
    return Route(method, re.compile(path.replace("{name}", "([A-Za-z0-9_.-]{1,64})") + "$"), handler)


ROUTES: tuple[Route, ...] = (
    route("GET", "/clock", clock.clock),
    route("POST", "/clock/advance", clock.advance),
    route("POST", "/clock/set", clock.set_time),
    route("POST", "/reset", state.reset),
    route("POST", "/snapshots", state.create),
    route("GET", "/snapshots", state.listing),
    route("POST", "/snapshots/{name}/restore", state.restore),
    route("DELETE", "/snapshots/{name}", state.delete),
    route("POST", "/faults", faults.add),
    route("GET", "/faults", faults.listing),
    route("DELETE", "/faults", faults.clear),
    route("DELETE", "/faults/{name}", faults.remove),
)


class ControlApi:
    def __init__(self, services: Services, token: str | None, routes: tuple[Route, ...] = ROUTES) -> None:
        self.services = services
        self._token = token.encode() if token else None
        self._routes = routes
        # Told after each change made here (any method but GET), once its answer's changes are durable: the
        # admin feed (control/feed.py) sends the new clock, fault rules and snapshots.
        self.listeners: list[Callable[[], None]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path, method = scope["path"][len(PREFIX) :], scope["method"]
        try:
            if path == "/health" and method == "GET":
                status, body = health.health(self.services)
            else:
                self._authorize(path, dict(scope["headers"]))
                handler, parts = self._route(method, path)
                params = _params(await read_body(dict(scope["headers"]), receive))
                data = await handler(self.services, params, parts)
                status, body = 200, codec.ok(data)
                if method != "GET":
                    self._changed()
        except errors.OkxError as e:
            status, body = e.http_status, codec.error(e)
        except Exception:
            log.exception("unexpected error on %s %s", method, scope["path"][:200])
            exc = errors.ServiceUnavailable()
            status, body = exc.http_status, codec.error(exc)
        await answer(send, status, body)

    def _changed(self) -> None:
        for listener in self.listeners:
            try:
                listener()
            except Exception:  # a listener's bug must not turn a change that was made into a refusal
                log.exception("a control-plane listener failed")

    def _authorize(self, path: str, headers: dict[bytes, bytes]) -> None:
        if self._token is None:  # no control plane on this venue: nothing here exists
            raise errors.ControlNotFound(path=PREFIX + path[:200])
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self._token):
            raise errors.AdminTokenRefused()

    def _route(self, method: str, path: str) -> tuple[Handler, tuple[str, ...]]:
        found = False
        for candidate in self._routes:
            match = candidate.pattern.match(path)
            if match is not None:
                if candidate.method == method:
                    return candidate.handler, match.groups()
                found = True
        if found:
            raise errors.InvalidRequestMethod()
        raise errors.ControlNotFound(path=PREFIX + path[:200])


def _params(raw: bytes) -> Params:
    if not raw.strip():
        return Params({})
    try:
        body = codec.decode(raw)
    except Exception:  # noqa: BLE001 (whatever the decoder raises, the body is not JSON we accept)
        raise errors.ControlBadRequest(problem="the body is not JSON: send a JSON object") from None
    if not isinstance(body, dict):
        raise errors.ControlBadRequest(problem="the body must be a JSON object")
    return Params(body)
