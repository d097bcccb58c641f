"""Handlers for maker controls: quote products, Market Maker Protection, Cancel All After."""

from __future__ import annotations

from decimal import Decimal

from openrfq.access.auth import Caller
from openrfq.api import codec
from openrfq.api.codec import Json, num
from openrfq.api.params import Params
from openrfq.domain import errors, makers
from openrfq.domain.enums import InstType
from openrfq.domain.makers import ProductLimit, ProductSetting
from openrfq.services import Services


def set_products(svc: Services, caller: Caller, p: Params) -> bytes:
    """POST maker-instrument-settings: one setting object, or (as python-okx sends) an array of them."""
    entries = p.objects("items") if p.has("items") else [p]
    svc.venue.set_products(caller.trader_code, tuple(_setting(entry) for entry in entries))
    return codec.ok([{"result": True}])


def _setting(p: Params) -> ProductSetting:
    try:
        inst_type = InstType(p.text("instType", required=True))
    except ValueError:
        raise errors.ParameterError(param0="instType") from None
    if inst_type not in makers.QUOTE_TYPES:
        raise errors.ParameterError(param0="instType")
    key = "instId" if inst_type is InstType.SPOT else "instFamily"
    limits = tuple(
        ProductLimit(
            key=item.text(key, required=True),
            max_block_sz=_positive(item, "maxBlockSz"),
            maker_px_band=_positive(item, "makerPxBand"),
        )
        for item in p.objects("data")
    )
    return ProductSetting(inst_type, p.flag("includeAll"), limits)


def _positive(p: Params, name: str) -> Decimal | None:
    value = p.decimal(name)
    if value is not None and value <= 0:
        raise errors.ParameterError(param0=name)
    return value


def products(svc: Services, caller: Caller, p: Params) -> bytes:
    return codec.ok([_product_view(s) for s in svc.reads.products(caller.trader_code)])


def _product_view(setting: ProductSetting) -> Json:
    spot = setting.inst_type is InstType.SPOT
    return {
        "instType": setting.inst_type.value,
        "includeAll": setting.include_all,
        "data": [
            {
                "instFamily": "" if spot else limit.key,
                "instId": limit.key if spot else "",
                "maxBlockSz": "" if limit.max_block_sz is None else num(limit.max_block_sz),
                "makerPxBand": "" if limit.maker_px_band is None else num(limit.maker_px_band),
            }
            for limit in setting.limits
        ],
    }


def set_mmp(svc: Services, caller: Caller, p: Params) -> bytes:
    config = makers.check_mmp(_ms(p, "timeInterval"), _ms(p, "frozenInterval"), _ms(p, "countLimit"))
    svc.venue.set_mmp(caller.trader_code, config)
    return codec.ok(
        [
            {
                "timeInterval": str(config.time_interval_ms),
                "frozenInterval": str(config.frozen_interval_ms),
                "countLimit": str(config.count_limit),
            }
        ]
    )


def _ms(p: Params, name: str) -> int:
    text = p.text(name, required=True)
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise errors.ParameterError(param0=name)
    return int(text)


def mmp(svc: Services, caller: Caller, p: Params) -> bytes:
    maker = svc.reads.mmp(caller.trader_code)
    config = maker.mmp
    return codec.ok(
        [
            {
                "frozenInterval": str(config.frozen_interval_ms) if config else "0",
                "mmpFrozen": maker.frozen,
                "mmpFrozenUntil": str(maker.frozen_until) if maker.frozen and maker.frozen_until else "",
                "countLimit": str(config.count_limit) if config else "0",
                "timeInterval": str(config.time_interval_ms) if config else "0",
            }
        ]
    )


def reset_mmp(svc: Services, caller: Caller, p: Params) -> bytes:
    return codec.ok([{"ts": str(svc.venue.reset_mmp(caller.trader_code))}])


def cancel_all_after(svc: Services, caller: Caller, p: Params) -> bytes:
    text = p.text("timeOut", required=True)
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        raise errors.ParameterError(param0="timeOut")
    trigger, now = svc.venue.cancel_all_after(caller.trader_code, int(text))
    return codec.ok([{"triggerTime": str(trigger), "ts": str(now)}])
