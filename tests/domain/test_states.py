"""The transition tables, fed directly: legal edges move, illegal ones raise the OKX error and change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openrfq.domain import errors
from openrfq.domain.enums import QuoteState, RfqState, Side
from openrfq.domain.ids import QuoteId, RfqId
from openrfq.domain.models import Quote, QuoteLeg, Rfq, RfqLeg
from openrfq.domain.states import (
    QUOTE_TABLE,
    RFQ_TABLE,
    IllegalTransition,
    Trigger,
    transition_quote,
    transition_rfq,
)


def _rfq(state: RfqState = RfqState.ACTIVE) -> Rfq:
    leg = RfqLeg("BTC-USDT", Decimal("1"), Side.BUY)
    return Rfq(RfqId(1), "T", ("M",), (leg,), c_time=0, valid_until=10, state=state, u_time=0)


def _quote(state: QuoteState = QuoteState.ACTIVE) -> Quote:
    leg = QuoteLeg("BTC-USDT", Decimal("1"), Decimal("100"), Side.BUY)
    return Quote(QuoteId(7), RfqId(1), "M", Side.BUY, (leg,), c_time=0, valid_until=10, state=state, u_time=0)


@pytest.mark.parametrize(("edge", "target"), list(RFQ_TABLE.items()))
def test_rfq_legal_edges_move_and_stamp_u_time(edge: tuple[RfqState, Trigger], target: RfqState) -> None:
    rfq = _rfq(edge[0])

    transition_rfq(rfq, edge[1], 99)

    assert (rfq.state, rfq.u_time) == (target, 99)


@pytest.mark.parametrize(("edge", "target"), list(QUOTE_TABLE.items()))
def test_quote_legal_edges_move(edge: tuple[QuoteState, Trigger], target: QuoteState) -> None:
    quote = _quote(edge[0])

    transition_quote(quote, edge[1], 5, reason="r")

    assert (quote.state, quote.u_time, quote.reason) == (target, 5, "r")


@pytest.mark.parametrize("state", [s for s in QuoteState if s is not QuoteState.ACTIVE])
def test_cancel_of_an_ended_quote_is_70400_and_changes_nothing(state: QuoteState) -> None:
    quote = _quote(state)

    with pytest.raises(errors.QuoteNotCancelable) as raised:
        transition_quote(quote, Trigger.CANCEL, 5)

    assert raised.value.msg == f"The Quote with {state.value} status cannot be canceled"
    assert (quote.state, quote.u_time) == (state, 0)


@pytest.mark.parametrize("state", [s for s in RfqState if s is not RfqState.ACTIVE])
def test_cancel_of_an_ended_rfq_is_70200(state: RfqState) -> None:
    rfq = _rfq(state)

    with pytest.raises(errors.RfqNotCancelable):
        transition_rfq(rfq, Trigger.CANCEL, 5)

    assert rfq.state is state


def test_fill_of_an_ended_quote_is_70505() -> None:
    with pytest.raises(errors.QuoteNotExecutable) as raised:
        transition_quote(_quote(QuoteState.CANCELED), Trigger.FILL, 5)

    assert raised.value.msg == "Execution failed as the Quote status is canceled."


def test_internal_trigger_on_an_ended_quote_is_a_bug_not_an_okx_error() -> None:
    with pytest.raises(IllegalTransition):
        transition_quote(_quote(QuoteState.EXPIRED), Trigger.EXPIRE, 5)


def test_maker_whose_quote_lost_sees_traded_away() -> None:
    rfq = _rfq(RfqState.FILLED)
    rfq.counterparties = ("M", "N")
    rfq.winner = "M"

    assert rfq.state_for("T") is RfqState.FILLED
    assert rfq.state_for("M") is RfqState.FILLED
    assert rfq.state_for("N") is RfqState.TRADED_AWAY
