"""The two-step execution in the state tables: 70511 while an execution settles, 70504/70505 otherwise, and
settlement triggers only from pending_fill."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openrfq.domain import errors
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.ids import QuoteId, RfqId
from openrfq.domain.models import Quote, QuoteLeg, Rfq, RfqLeg
from openrfq.domain.states import IllegalTransition, Trigger, transition_quote, transition_rfq


def _rfq(state: RfqState) -> Rfq:
    return Rfq(
        RfqId(1), "T", ("M",), (RfqLeg("BTC-USDT", Decimal("1"), Side.BUY),), c_time=0, valid_until=10, state=state
    )


def _quote(state: QuoteState) -> Quote:
    leg = QuoteLeg("BTC-USDT", Decimal("1"), Decimal("100"), Side.BUY)
    return Quote(QuoteId(7), RfqId(1), "M", Side.BUY, (leg,), c_time=0, valid_until=10, state=state)


@pytest.mark.parametrize("trigger", [Trigger.FILL, Trigger.EXECUTE])
def test_executing_an_rfq_that_is_settling_is_70511_and_changes_nothing(trigger: Trigger) -> None:
    rfq = _rfq(RfqState.PENDING_FILL)

    with pytest.raises(errors.ExecutionInProgress) as raised:
        transition_rfq(rfq, trigger, 5)

    assert (raised.value.code, raised.value.msg) == ("70511", "Execution is being processed")
    assert (rfq.state, rfq.u_time) == (RfqState.PENDING_FILL, 0)


@pytest.mark.parametrize("state", [RfqState.CANCELED, RfqState.FILLED, RfqState.FAILED, RfqState.EXPIRED])
def test_executing_an_ended_rfq_is_still_70504(state: RfqState) -> None:
    with pytest.raises(errors.RfqNotExecutable) as raised:
        transition_rfq(_rfq(state), Trigger.EXECUTE, 5)

    assert raised.value.msg == f"Execution failed as the RFQ status is {state.value}."


def test_executing_a_pending_quote_is_70505_naming_pending_fill() -> None:
    with pytest.raises(errors.QuoteNotExecutable) as raised:
        transition_quote(_quote(QuoteState.PENDING_FILL), Trigger.EXECUTE, 5)

    assert raised.value.msg == "Execution failed as the Quote status is pending_fill."


@pytest.mark.parametrize("trigger", [Trigger.SETTLE, Trigger.SETTLE_FAIL])
def test_settling_what_is_not_pending_is_a_venue_bug(trigger: Trigger) -> None:
    with pytest.raises(IllegalTransition):
        transition_rfq(_rfq(RfqState.ACTIVE), trigger, 5)
    with pytest.raises(IllegalTransition):
        transition_quote(_quote(QuoteState.FILLED), trigger, 5)


def test_only_pending_fill_is_momentary() -> None:
    assert [s for s in RfqState if s.is_momentary] == [RfqState.PENDING_FILL]
    assert [s for s in QuoteState if s.is_momentary] == [QuoteState.PENDING_FILL]
