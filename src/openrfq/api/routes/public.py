"""Handlers for public endpoints: /api/v5/public/instruments and /api/v5/public/time."""

from __future__ import annotations

from openrfq.api import codec, views
from openrfq.api.codec import num
from openrfq.api.params import Params
from openrfq.domain import errors
from openrfq.domain.enums import InstType
from openrfq.services import Services


def instruments(svc: Services, p: Params) -> bytes:
    inst_type_text = p.text("instType", required=True)
    try:
        inst_type = InstType(inst_type_text)
    except ValueError:
        raise errors.ParameterError(param0="instType") from None
    family, inst_id = p.text("instFamily") or p.text("uly"), p.text("instId")
    if inst_type is InstType.OPTION and not family:
        raise errors.EitherParameterRequired(param0="uly", param1="instFamily")
    found = [
        i
        for i in svc.venue.catalogue.values()
        if i.inst_type is inst_type
        and (not family or i.inst_family == family)
        and (not inst_id or i.inst_id == inst_id)
    ]
    return codec.ok([views.instrument(i) for i in found])


def time(svc: Services, p: Params) -> bytes:
    return codec.ok([{"ts": str(svc.clock.now_ms())}])


def mark_price(svc: Services, p: Params) -> bytes:
    """OKX's mark-price: instType MARGIN (the SPOT pairs), SWAP, FUTURES or OPTION; instFamily/instId filters."""
    wanted = p.text("instType", required=True)
    if wanted not in ("MARGIN", "SWAP", "FUTURES", "OPTION"):
        raise errors.ParameterError(param0="instType")
    inst_type = InstType.SPOT if wanted == "MARGIN" else InstType(wanted)
    family, inst_id = p.text("instFamily"), p.text("instId")
    now = svc.clock.now_ms()
    found = []
    for inst in svc.venue.catalogue.values():
        if (
            inst.inst_type is not inst_type
            or (family and inst.inst_family != family)
            or (inst_id and inst.inst_id != inst_id)
        ):
            continue
        mark = svc.venue.prices.mark(inst, now)
        if mark is not None:
            found.append({"instType": wanted, "instId": inst.inst_id, "markPx": num(mark), "ts": str(now)})
    return codec.ok(found)
