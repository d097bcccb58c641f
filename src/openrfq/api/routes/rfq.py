"""Handlers for /api/v5/rfq/* RFQ endpoints: decode, run one venue command, render for the caller."""

from __future__ import annotations

from openrfq.access.auth import Caller
from openrfq.api import codec, views
from openrfq.api.params import BATCH_MAX, Params, allocations, batch_ids, legs
from openrfq.domain import errors
from openrfq.domain.commands import CancelRfq, CreateRfq, RfqQuery
from openrfq.services import Services


def counterparties(svc: Services, caller: Caller, p: Params) -> bytes:
    others = [a for a in svc.config.accounts if a.trader_code != caller.trader_code]
    return codec.ok([views.counterparty(a) for a in others])


def create_rfq(svc: Services, caller: Caller, p: Params) -> bytes:
    cmd = CreateRfq(
        taker=caller.trader_code,
        counterparties=tuple(p.text_list("counterparties")),
        legs=legs(p, priced=False),
        anonymous=p.flag("anonymous"),
        cl_rfq_id=p.text("clRfqId"),
        tag=p.text("tag"),
        allow_partial=p.flag("allowPartialExecution"),
        acct_alloc=allocations(p),
    )
    rfq = svc.venue.create_rfq(cmd)
    return codec.ok([views.rfq(rfq, caller.trader_code, flow_type=False)])


def cancel_rfq(svc: Services, caller: Caller, p: Params) -> bytes:
    rfq_id, cl_rfq_id = p.text("rfqId"), p.text("clRfqId")
    if not rfq_id and not cl_rfq_id:
        raise errors.EitherParameterRequired(param0="rfqId", param1="clRfqId")
    return codec.items([_cancel_one(svc, CancelRfq(caller.trader_code, rfq_id, cl_rfq_id))])


def cancel_batch_rfqs(svc: Services, caller: Caller, p: Params) -> bytes:
    sent = batch_ids(p, "rfqIds", "clRfqIds", errors.TooManyRfqsToCancel(rfqLimit=BATCH_MAX))
    return codec.items([_cancel_one(svc, CancelRfq(caller.trader_code, r, c)) for r, c in sent])


def _cancel_one(svc: Services, cmd: CancelRfq) -> codec.Json:
    """One item: the ids as sent; a canceled RFQ fills in the one the request left out."""
    try:
        rfq = svc.venue.cancel_rfq(cmd)
    except errors.OkxError as e:
        return codec.item_error(e, {"rfqId": cmd.rfq_id, "clRfqId": cmd.cl_rfq_id})
    return codec.item_ok({"rfqId": cmd.rfq_id or str(rfq.rfq_id), "clRfqId": cmd.cl_rfq_id or rfq.cl_rfq_id})


def cancel_all_rfqs(svc: Services, caller: Caller, p: Params) -> bytes:
    svc.venue.cancel_all_rfqs(caller.trader_code)
    return codec.ok([{"ts": str(svc.clock.now_ms())}])


def rfqs(svc: Services, caller: Caller, p: Params) -> bytes:
    query = RfqQuery(
        viewer=caller.trader_code,
        rfq_id=p.text("rfqId"),
        cl_rfq_id=p.text("clRfqId"),
        state=p.text("state"),
        begin_id=p.optional_integer("beginId"),
        end_id=p.optional_integer("endId"),
        limit=p.limit(),
    )
    return codec.ok([views.rfq(r, caller.trader_code) for r in svc.reads.find_rfqs(query)])
