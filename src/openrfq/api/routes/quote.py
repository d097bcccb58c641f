"""Handlers for /api/v5/rfq/* quote endpoints."""

from __future__ import annotations

from openrfq.access.auth import Caller
from openrfq.api import codec, views
from openrfq.api.params import BATCH_MAX, Params, batch_ids, legs
from openrfq.domain import errors
from openrfq.domain.commands import CancelQuote, CreateQuote, QuoteQuery
from openrfq.domain.rules import side_of
from openrfq.services import Services


def create_quote(svc: Services, caller: Caller, p: Params) -> bytes:
    cmd = CreateQuote(
        maker=caller.trader_code,
        rfq_id=p.text("rfqId", required=True),
        quote_side=side_of(p.text("quoteSide", required=True), "quoteSide"),
        legs=legs(p, priced=True),
        expires_in_s=p.integer("expiresIn", 60),
        cl_quote_id=p.text("clQuoteId"),
        tag=p.text("tag"),
        anonymous=p.flag("anonymous"),
    )
    quote = svc.venue.create_quote(cmd)
    return codec.ok([views.quote(quote, svc.reads.rfq_of(quote), caller.trader_code)])


def cancel_quote(svc: Services, caller: Caller, p: Params) -> bytes:
    quote_id, cl_quote_id, rfq_id = p.text("quoteId"), p.text("clQuoteId"), p.text("rfqId")
    if not quote_id and not cl_quote_id:
        raise errors.EitherParameterRequired(param0="quoteId", param1="clQuoteId")
    item = _cancel_one(svc, CancelQuote(caller.trader_code, quote_id, cl_quote_id, rfq_id))
    return codec.items([item])


def cancel_batch_quotes(svc: Services, caller: Caller, p: Params) -> bytes:
    sent = batch_ids(p, "quoteIds", "clQuoteIds", errors.TooManyQuotesToCancel(quoteLimit=BATCH_MAX))
    return codec.items([_cancel_one(svc, CancelQuote(caller.trader_code, q, c)) for q, c in sent])


def _cancel_one(svc: Services, cmd: CancelQuote) -> codec.Json:
    """One item: the ids as sent (NOTES.md's failed item); a canceled quote fills in the one the request left out."""
    try:
        quote = svc.venue.cancel_quote(cmd)
    except errors.OkxError as e:
        return codec.item_error(e, {"quoteId": cmd.quote_id, "clQuoteId": cmd.cl_quote_id})
    return codec.item_ok(
        {"quoteId": cmd.quote_id or str(quote.quote_id), "clQuoteId": cmd.cl_quote_id or quote.cl_quote_id}
    )


def cancel_all_quotes(svc: Services, caller: Caller, p: Params) -> bytes:
    svc.venue.cancel_all_quotes(caller.trader_code)
    return codec.ok([{"ts": str(svc.clock.now_ms())}])


def quotes(svc: Services, caller: Caller, p: Params) -> bytes:
    query = QuoteQuery(
        viewer=caller.trader_code,
        rfq_id=p.text("rfqId"),
        cl_rfq_id=p.text("clRfqId"),
        quote_id=p.text("quoteId"),
        cl_quote_id=p.text("clQuoteId"),
        state=p.text("state"),
        begin_id=p.optional_integer("beginId"),
        end_id=p.optional_integer("endId"),
        limit=p.limit(),
    )
    found = svc.reads.find_quotes(query)
    rfqs = svc.reads.rfqs_of(found)
    return codec.ok([views.quote(q, rfqs[q.rfq_id], caller.trader_code) for q in found])
