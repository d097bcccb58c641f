"""Every lifecycle transition of RFQs and quotes lives here, as data.

Rules of this file:
1. A state changes only through ``transition``; an edge missing from the tables raises the OKX error that
   the docs name for that trigger (cancel of a canceled quote -> 70400 with the state in the message),
   and the entity is left unchanged.
2. This file does not know who is asking: ownership and visibility are the engine's and the views' business.
3. An execution is FILL when settlement is atomic (active -> filled in one step, the default), or EXECUTE then
   SETTLE / SETTLE_FAIL when it is asynchronous (active -> pending_fill -> filled or failed, OKX's two steps).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from openrfq.domain import errors
from openrfq.domain.enums import QuoteState, RfqState
from openrfq.domain.models import Quote, Rfq


class Trigger(str, Enum):
    CANCEL = "cancel"  # the owner asked (cancel-rfq / cancel-quote and their batch and mass forms)
    EXPIRE = "expire"  # validUntil passed
    FILL = "fill"  # execute-quote succeeded, settled at once ([execution] settlement_ms = 0)
    EXECUTE = "execute"  # execute-quote accepted, to settle later (settlement_ms > 0)
    SETTLE = "settle"  # a pending execution settled
    SETTLE_FAIL = "settle_fail"  # a pending execution failed at settlement
    REPLACE = "replace"  # a quote only: the same maker quoted the same RFQ again
    RFQ_ENDED = "rfq_ended"  # a quote only: its RFQ was canceled, expired or filled by another quote
    MMP = "mmp"  # a quote only: Market Maker Protection froze its maker


class IllegalTransition(Exception):
    """An internal trigger (expire, replace, ...) fired on an entity that cannot take it: a venue bug."""


RFQ_TABLE: dict[tuple[RfqState, Trigger], RfqState] = {
    (RfqState.ACTIVE, Trigger.CANCEL): RfqState.CANCELED,
    (RfqState.ACTIVE, Trigger.EXPIRE): RfqState.EXPIRED,
    (RfqState.ACTIVE, Trigger.FILL): RfqState.FILLED,
    (RfqState.ACTIVE, Trigger.EXECUTE): RfqState.PENDING_FILL,
    (RfqState.PENDING_FILL, Trigger.SETTLE): RfqState.FILLED,
    # A group RFQ fails only when every allocated account's execution failed (one filled: filled).
    (RfqState.PENDING_FILL, Trigger.SETTLE_FAIL): RfqState.FAILED,
}

QUOTE_TABLE: dict[tuple[QuoteState, Trigger], QuoteState] = {
    (QuoteState.ACTIVE, Trigger.CANCEL): QuoteState.CANCELED,
    (QuoteState.ACTIVE, Trigger.EXPIRE): QuoteState.EXPIRED,
    (QuoteState.ACTIVE, Trigger.FILL): QuoteState.FILLED,
    # OKX: a newer create-quote on the same RFQ cancels the maker's previous quote.
    (QuoteState.ACTIVE, Trigger.REPLACE): QuoteState.CANCELED,
    # An RFQ canceled or filled by another quote takes its live quotes with it (an expiring RFQ uses EXPIRE).
    (QuoteState.ACTIVE, Trigger.RFQ_ENDED): QuoteState.CANCELED,
    (QuoteState.ACTIVE, Trigger.MMP): QuoteState.CANCELED,
    (QuoteState.ACTIVE, Trigger.EXECUTE): QuoteState.PENDING_FILL,
    (QuoteState.PENDING_FILL, Trigger.SETTLE): QuoteState.FILLED,
    (QuoteState.PENDING_FILL, Trigger.SETTLE_FAIL): QuoteState.FAILED,
}

_RFQ_REFUSALS: dict[Trigger, Callable[[RfqState], errors.OkxError]] = {
    Trigger.CANCEL: lambda state: errors.RfqNotCancelable(rfqState=state.value),
    Trigger.FILL: lambda state: errors.RfqNotExecutable(rfqState=state.value),
    Trigger.EXECUTE: lambda state: errors.RfqNotExecutable(rfqState=state.value),
}

# Refusals particular to one state, before the trigger's own: executing again while an execution settles.
_RFQ_REFUSALS_IN: dict[tuple[RfqState, Trigger], Callable[[RfqState], errors.OkxError]] = {
    (RfqState.PENDING_FILL, Trigger.FILL): lambda state: errors.ExecutionInProgress(),
    (RfqState.PENDING_FILL, Trigger.EXECUTE): lambda state: errors.ExecutionInProgress(),
}

_QUOTE_REFUSALS: dict[Trigger, Callable[[QuoteState], errors.OkxError]] = {
    Trigger.CANCEL: lambda state: errors.QuoteNotCancelable(quoteState=state.value),
    Trigger.FILL: lambda state: errors.QuoteNotExecutable(quoteState=state.value),
    Trigger.EXECUTE: lambda state: errors.QuoteNotExecutable(quoteState=state.value),
}


def next_rfq_state(rfq: Rfq, trigger: Trigger) -> RfqState:
    """The state ``trigger`` would move ``rfq`` to; raises without changing anything if it cannot."""
    target = RFQ_TABLE.get((rfq.state, trigger))
    if target is None:
        refuse = _RFQ_REFUSALS_IN.get((rfq.state, trigger)) or _RFQ_REFUSALS.get(trigger)
        if refuse is None:
            raise IllegalTransition(f"RFQ {rfq.rfq_id}: {rfq.state.value} -> {trigger.value}")
        raise refuse(rfq.state)
    return target


def next_quote_state(quote: Quote, trigger: Trigger) -> QuoteState:
    target = QUOTE_TABLE.get((quote.state, trigger))
    if target is None:
        refuse = _QUOTE_REFUSALS.get(trigger)
        if refuse is None:
            raise IllegalTransition(f"quote {quote.quote_id}: {quote.state.value} -> {trigger.value}")
        raise refuse(quote.state)
    return target


def transition_rfq(rfq: Rfq, trigger: Trigger, now_ms: int) -> None:
    rfq.state = next_rfq_state(rfq, trigger)
    rfq.u_time = now_ms


def transition_quote(quote: Quote, trigger: Trigger, now_ms: int, reason: str = "") -> None:
    quote.state = next_quote_state(quote, trigger)
    quote.u_time = now_ms
    quote.reason = reason
