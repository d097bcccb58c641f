"""Injected faults: rules that make the venue misbehave on purpose, so a bot meets on demand what users report
(5xx answers, late answers, dropped connections, a skewed clock, WebSocket closes).

A rule matches an OKX REST path (or ``ws``, the business WebSocket) and optionally an account (trader code);
``count`` limits how many requests it hits, ``probability`` with ``seed`` makes it random but reproducible. The
request pipeline (``api/app.py``) and the hub (``ws/hub.py``) ask ``Faults.match``; the control plane
(``control/faults.py``) adds and removes rules. Rules are durable: every change (a count used up too) is
written with the venue's next commit, before the answer it belongs to.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from openrfq.domain import errors

WS = "ws"
# scope["extensions"][DROP_EXTENSION]["abort"]() closes the request's connection unanswered (openrfq.http1_asgi sets it;
# a request openrfq.http1 answers straight is dropped by OkxApi.respond's reply).
DROP_EXTENSION = "openrfq.drop"
REST_ACTIONS = frozenset({"error", "delay", "drop", "skew", "settle_fail"})
SETTLE_FAIL = frozenset({"settle_fail"})  # an execution fails at settlement (api/app.py asks, the venue applies)
WS_ACTIONS = frozenset({"close", "delay", "skew"})


# What a stored rule's msgpack row holds: a larger integer would be accepted, then fail to be written.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class Rule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    path: str
    action: str
    account: str = ""  # a trader code; "" for every caller
    count: Int64 | None = None  # requests it hits before it goes; None: until removed
    probability: float = 1.0
    seed: Int64 = 0
    code: str = ""  # error: the OKX code answered; settle_fail: the trade's errorCode; close: the WebSocket close code
    ms: Int64 = 0  # delay: how much later; skew: how far off the account's clock is judged


@dataclass(slots=True)
class Active:
    fault_id: int
    rule: Rule
    rng: random.Random

    def view(self) -> dict[str, Any]:
        """The rule as the control plane lists it (numbers as strings, as every number on this wire)."""
        rule = self.rule
        return {
            "faultId": str(self.fault_id),
            "path": rule.path,
            "action": rule.action,
            "account": rule.account,
            "count": "" if rule.count is None else str(rule.count),
            "probability": repr(rule.probability),
            "seed": str(rule.seed),
            "code": rule.code,
            "ms": str(rule.ms),
        }


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Rule).decode


class Faults:
    def __init__(self) -> None:
        self._rules: dict[int, Active] = {}
        # Whether any rule exists (the request path asks nothing more when none does): an attribute, not a
        # property, because every request reads it and this module is not compiled.
        self.active = False
        self._next_id = 1
        # Told of every change (the rule's new row, None when it is gone): the committer writes it (runtime).
        self.on_change: Callable[[int, bytes | None], None] = lambda fault_id, body: None
        # Told of each new rule: what acts at once on what exists (the hub closes the account's sessions).
        self.on_added: list[Callable[[Rule], None]] = []

    def load(self, rows: list[tuple[int, bytes]]) -> None:
        """The stored rules, as a restarted venue finds them."""
        for fault_id, body in rows:
            self._rules[fault_id] = Active(fault_id, _decode(body), _rng(_decode(body)))
            self.active = True
            self._next_id = max(self._next_id, fault_id + 1)

    def add(self, rule: Rule) -> Active:
        body = _encode(rule)  # first: a rule that cannot be written is not added either
        active = self._rules[self._next_id] = Active(self._next_id, rule, _rng(rule))
        self.active = True
        self._next_id += 1
        self.on_change(active.fault_id, body)
        for listener in self.on_added:
            listener(rule)
        return active

    def remove(self, fault_id: int) -> bool:
        if self._rules.pop(fault_id, None) is None:
            return False
        self.active = bool(self._rules)
        self.on_change(fault_id, None)
        return True

    def clear(self) -> int:
        removed = list(self._rules)
        for fault_id in removed:
            self.remove(fault_id)
        return len(removed)

    def listing(self) -> list[dict[str, Any]]:
        return [active.view() for active in self._rules.values()]

    def match(self, path: str, account: str, actions: frozenset[str]) -> Rule | None:
        """The first rule (oldest first) for this path, account and one of ``actions`` that fires this time; it
        is counted (and goes when its count is used up)."""
        for active in list(self._rules.values()):
            rule = active.rule
            if rule.path != path or rule.action not in actions or (rule.account and rule.account != account):
                continue
            if rule.probability < 1.0 and active.rng.random() >= rule.probability:
                continue
            if rule.count is not None:
                left = rule.count - 1
                if left <= 0:
                    self.remove(active.fault_id)
                else:
                    active.rule = msgspec.structs.replace(rule, count=left)
                    self.on_change(active.fault_id, _encode(active.rule))
            return rule
        return None


def _rng(rule: Rule) -> random.Random:
    return random.Random(rule.seed)


# The OKX error an "error" rule answers with: the first class of the catalogue with that code and a fixed message.
_BY_CODE: dict[str, type[errors.OkxError]] = {}
for _cls in vars(errors).values():
    if isinstance(_cls, type) and issubclass(_cls, errors.OkxError) and not issubclass(_cls, errors.ControlError):
        if "{" not in _cls.template and _cls.code not in ("1", "2"):
            _BY_CODE.setdefault(_cls.code, _cls)


def has_error(code: str) -> bool:
    return code in _BY_CODE


def error_for(code: str) -> errors.OkxError:
    """The error a rule's ``code`` answers: its HTTP status and message from the catalogue."""
    return _BY_CODE[code]()
