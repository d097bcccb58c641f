"""Handlers for /api/v5/rfq/* RFQ endpoints: decode, run one venue command, render for the caller."""

from __future__ import annotations

from openrfq.access.auth import Caller
from openrfq.api import codec, views
from openrfq.api.params import Params, batch_ids, legs
from openrfq.domain import errors
from openrfq.domain.commands import CancelRfq, CreateRfq, RfqQuery
from openrfq.services import Services


def counterparties(svc: Services, caller: Caller, p: Params) -> bytes:
    others = [a for a in svc.config.accounts if a.trader_code != caller.trader_code]
    return codec.ok([views.counterparty(a) for a in others])


def create_rfq(svc: Services, caller: Caller, p: Params) -> bytes:
    if p.has("acctAlloc"):
        raise errors.FeatureUnavailable()  # group RFQs are not supported yet
    cmd = CreateRfq(
        taker=caller.trader_code,
        counterparties=tuple(p.text_list("counterparties")),
        legs=legs(p, priced=False),
        anonymous=p.flag("anonymous"),
        cl_rfq_id=p.text("clRfqId"),
        tag=p.text("tag"),
        allow_partial=p.flag("allowPartialExecution"),
    )
    rfq = svc.venue.create_rfq(cmd)
    return codec.ok([views.rfq(rfq, caller.trader_code, flow_type=False)])


def cancel_rfq(svc: Services, caller: Caller, p: Params) -> bytes:
    rfq_id, cl_rfq_id = p.text("rfqId"), p.text("clRfqId")
    if not rfq_id and not cl_rfq_id:
        raise errors.EitherParameterRequired(param0="rfqId", param1="clRfqId")
    try:
        rfq = svc.venue.cancel_rfq(CancelRfq(caller.trader_code, rfq_id, cl_rfq_id))
    except errors.OkxError as e:
        return codec.items([codec.item_error(e, {"rfqId": rfq_id, "clRfqId": cl_rfq_id})])
    return codec.items([codec.item_ok({"rfqId": str(rfq.rfq_id), "clRfqId": rfq.cl_rfq_id})])


def cancel_batch_rfqs(svc: Services, caller: Caller, p: Params) -> bytes:
    rfq_ids, cl_rfq_ids = batch_ids(p, "rfqIds", "clRfqIds")
    results = []
    for rfq_id, cl_rfq_id in zip(rfq_ids, cl_rfq_ids):
        try:
            rfq = svc.venue.cancel_rfq(CancelRfq(caller.trader_code, rfq_id, cl_rfq_id))
        except errors.OkxError as e:
            results.append(codec.item_error(e, {"rfqId": rfq_id, "clRfqId": cl_rfq_id}))
        else:
            results.append(codec.item_ok({"rfqId": str(rfq.rfq_id), "clRfqId": rfq.cl_rfq_id}))
    return codec.items(results)


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
    return codec.ok([views.rfq(r, caller.trader_code) for r in svc.venue.find_rfqs(query)])
