"""Handlers for execution and trade history: execute-quote and Get trades."""

from __future__ import annotations

from openrfq.access.auth import Caller
from openrfq.api import codec, views
from openrfq.api.params import Params
from openrfq.domain import errors
from openrfq.domain.commands import ExecLeg, ExecuteQuote, TradeQuery
from openrfq.services import Services


def execute_quote(svc: Services, caller: Caller, p: Params) -> bytes:
    cmd = ExecuteQuote(
        taker=caller.trader_code,
        rfq_id=p.text("rfqId", required=True),
        quote_id=p.text("quoteId", required=True),
        legs=tuple(ExecLeg(leg.text("instId", required=True), leg.required_decimal("sz")) for leg in p.objects("legs")),
        settle_fail=p.settle_fail,
    )
    trade = svc.venue.execute_quote(cmd)
    return codec.ok([views.execution(trade, caller.trader_code)])


def trades(svc: Services, caller: Caller, p: Params) -> bytes:
    begin_ts, end_ts = _timestamp(p, "beginTs"), _timestamp(p, "endTs")
    if begin_ts is not None and end_ts is not None and end_ts < begin_ts:
        raise errors.EndTsBeforeBeginTs()
    query = TradeQuery(
        viewer=caller.trader_code,
        rfq_id=p.text("rfqId"),
        cl_rfq_id=p.text("clRfqId"),
        quote_id=p.text("quoteId"),
        cl_quote_id=p.text("clQuoteId"),
        block_td_id=p.text("blockTdId"),
        begin_id=p.optional_integer("beginId"),
        end_id=p.optional_integer("endId"),
        begin_ts=begin_ts,
        end_ts=end_ts,
        limit=p.limit(),
        is_successful=p.flag("isSuccessful", default=True),
    )
    return codec.ok([views.trade(t, caller.trader_code) for t in svc.reads.find_trades(query)])


def _timestamp(p: Params, name: str) -> int | None:
    value = p.text(name)
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 16:
        raise errors.TimestampFormat()
    return int(value)
