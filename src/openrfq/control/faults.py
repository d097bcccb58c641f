"""Fault rules: ``POST /openrfq/v1/faults`` adds one (answers its ``faultId``), ``GET`` lists them,
``DELETE /openrfq/v1/faults/{id}`` and ``DELETE /openrfq/v1/faults`` remove. The vocabulary is in README.md
("Faults"); ``openrfq.faults`` holds the rules and matches them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from openrfq.api.params import Params
from openrfq.api.routes import ROUTES
from openrfq.domain import errors
from openrfq.faults import REST_ACTIONS, WS, WS_ACTIONS, Rule, has_error
from openrfq.services import Services

_PATHS = frozenset(e.path for e in ROUTES)
MAX_MS = 600_000  # ten minutes of delay or skew: beyond it a test is waiting for nothing


EXECUTE_QUOTE = "/api/v5/rfq/execute-quote"


async def add(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    active = svc.faults.add(
        _rule(p, svc.config.settlement_ms)
    )  # a ws close also closes the account's sessions open now (the hub hears)
    await svc.committer.durable()
    return [active.view()]


async def listing(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    return svc.faults.listing()


async def remove(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    (fault_id,) = parts
    if not (fault_id.isdigit() and len(fault_id) <= 18 and svc.faults.remove(int(fault_id))):
        raise errors.ControlNotFound(path=f"fault {fault_id}")
    await svc.committer.durable()
    return [{"faultId": fault_id}]


async def clear(svc: Services, p: Params, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    removed = svc.faults.clear()
    await svc.committer.durable()
    return [{"removed": str(removed)}]


def _rule(p: Params, settlement_ms: int) -> Rule:
    try:
        rule = msgspec.convert(p.values(), Rule, strict=False)
    except msgspec.ValidationError as e:
        raise errors.ControlBadRequest(problem=f"a fault rule {e}: see README.md, Faults") from None
    bad = _problem(rule, settlement_ms)
    if bad:
        raise errors.ControlBadRequest(problem=bad)
    if rule.action == "settle_fail" and not rule.code:
        rule = msgspec.structs.replace(rule, code=errors.CounterpartyError.code)  # 70509 unless told
    return rule


def _problem(rule: Rule, settlement_ms: int) -> str:
    """What is wrong with ``rule``, in words that say what to change; "" when nothing is."""
    if rule.path != WS and rule.path not in _PATHS:
        return (
            f"path {rule.path!r} is neither an OKX REST path this venue serves "
            '(e.g. "/api/v5/rfq/create-quote") nor "ws"'
        )
    actions = WS_ACTIONS if rule.path == WS else REST_ACTIONS
    if rule.action not in actions:
        return f"action {rule.action!r} does not apply to {rule.path}: use one of {', '.join(sorted(actions))}"
    if rule.count is not None and rule.count < 1:
        return "count must be 1 or more (leave it out: until removed)"
    if not 0 < rule.probability <= 1:
        return "probability must be above 0 and at most 1"
    if rule.action == "error" and not has_error(rule.code):
        return f'code {rule.code!r} is not an OKX error code this venue answers (e.g. "50001")'
    if rule.action == "close" and not (rule.code.isdigit() and 1000 <= int(rule.code) <= 4999):
        return 'code must be a WebSocket close code from 1000 to 4999, e.g. "4004"'
    if rule.action == "delay" and not 0 < rule.ms <= MAX_MS:
        return f"ms must be from 1 to {MAX_MS} for a delay"
    if rule.action == "skew" and not (rule.ms and abs(rule.ms) <= MAX_MS):
        return f"ms must be a non-zero skew from -{MAX_MS} to {MAX_MS}"
    if rule.action == "settle_fail":
        if rule.path != EXECUTE_QUOTE:
            return f"settle_fail applies to executions: use path {EXECUTE_QUOTE!r}"
        if not settlement_ms:
            return (
                "settle_fail needs asynchronous settlement, and this venue settles every execution at once: "
                "start it with [execution] settlement_ms = N (ms, e.g. 500) in its config"
            )
        if rule.code and not has_error(rule.code):
            return f'code {rule.code!r} is not an OKX error code this venue answers (e.g. "70509")'
    return ""
