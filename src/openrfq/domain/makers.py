"""Maker controls: quote products (which RFQs a maker receives, its size and price limits), Market Maker
Protection, and the Cancel All After countdown. One ``Maker`` per trader code that has set any of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from openrfq.domain import errors
from openrfq.domain.enums import InstType, Side, TgtCcy
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import QuoteLeg

MMP_MAX_INTERVAL_MS = 600_000
CANCEL_ALL_AFTER_S = (10, 120)  # timeOut's range; 0 disarms the countdown
QUOTE_TYPES = (InstType.SPOT, InstType.SWAP, InstType.FUTURES, InstType.OPTION)


@dataclass(frozen=True, slots=True)
class ProductLimit:
    """One element of a quote-products setting: an instId (SPOT) or instFamily (derivatives) and its limits."""

    key: str
    max_block_sz: Decimal | None = None  # contracts; base currency for SPOT
    maker_px_band: Decimal | None = None  # ticks around the mark


@dataclass(frozen=True, slots=True)
class ProductSetting:
    inst_type: InstType
    include_all: bool
    limits: tuple[ProductLimit, ...]


@dataclass(frozen=True, slots=True)
class MmpConfig:
    time_interval_ms: int  # 0: MMP off
    frozen_interval_ms: int  # 0: frozen until mmp-reset
    count_limit: int


@dataclass(slots=True)
class Maker:
    trader_code: str
    products: tuple[ProductSetting, ...] = ()
    mmp: MmpConfig | None = None
    attempts: list[int] = field(default_factory=list)  # execution attempts inside the MMP window, oldest first
    frozen: bool = False
    frozen_until: int = 0  # with ``frozen``: the thaw time, 0 = until mmp-reset
    cancel_all_after: int = 0  # when the countdown fires, ms; 0 = disabled

    def setting(self, inst_type: InstType) -> ProductSetting | None:
        return next((s for s in self.products if s.inst_type is inst_type), None)

    def limit_for(self, inst: Instrument) -> ProductLimit | None:
        setting = self.setting(inst.inst_type)
        if setting is None:
            return None
        key = key_of(inst)
        return next((limit for limit in setting.limits if limit.key == key), None)

    def covers(self, inst: Instrument) -> bool:
        """A maker without settings receives every RFQ; otherwise only instruments its settings name."""
        if not self.products:
            return True
        setting = self.setting(inst.inst_type)
        return setting is not None and (setting.include_all or self.limit_for(inst) is not None)

    def is_frozen(self, now_ms: int) -> bool:
        """Frozen by MMP at ``now_ms``; a freeze whose interval has passed thaws here."""
        if self.frozen and self.frozen_until and now_ms >= self.frozen_until:
            self.frozen, self.frozen_until = False, 0
        return self.frozen

    def record_attempt(self, now_ms: int) -> bool:
        """Count an execution attempt against this maker's quotes; True when it reaches the limit and freezes."""
        mmp = self.mmp
        if mmp is None or mmp.time_interval_ms == 0 or self.is_frozen(now_ms):
            return False
        self.attempts = [t for t in self.attempts if t > now_ms - mmp.time_interval_ms] + [now_ms]
        if len(self.attempts) < mmp.count_limit:
            return False
        self.frozen, self.attempts = True, []
        self.frozen_until = now_ms + mmp.frozen_interval_ms if mmp.frozen_interval_ms else 0
        return True

    def reset_mmp(self) -> None:
        self.frozen, self.frozen_until, self.attempts = False, 0, []


def key_of(inst: Instrument) -> str:
    return inst.inst_id if inst.inst_type is InstType.SPOT else inst.inst_family


def check_products(settings: tuple[ProductSetting, ...], catalogue: Mapping[str, Instrument]) -> None:
    """Validate a whole quote-products setting (it replaces the maker's previous one)."""
    if not settings:
        raise errors.NoInstTypeSetting()
    seen_types: set[InstType] = set()
    for setting in settings:
        if setting.inst_type not in QUOTE_TYPES:
            raise errors.ParameterError(param0="instType")
        if setting.inst_type in seen_types:
            raise errors.DuplicateInstTypeSetting(instType=setting.inst_type.value)
        seen_types.add(setting.inst_type)
        if not setting.include_all and not setting.limits:
            raise errors.NoValidElement()
        known = {key_of(i) for i in catalogue.values() if i.inst_type is setting.inst_type}
        keys: set[str] = set()
        for limit in setting.limits:
            if limit.key not in known:
                if setting.inst_type is InstType.SPOT:
                    raise errors.InvalidInstrument(instId=limit.key)
                raise errors.UnknownInstFamily(instFamily=limit.key, instType=setting.inst_type.value)
            if limit.key in keys:
                raise errors.DuplicateInstSetting(instId=limit.key, instType=setting.inst_type.value)
            keys.add(limit.key)
    if len(seen_types) == len(QUOTE_TYPES) and all(s.include_all for s in settings):
        raise errors.IncludeAllForAll()


def receiving(
    counterparties: tuple[str, ...], makers: Mapping[str, Maker], instruments: list[Instrument]
) -> tuple[str, ...]:
    """Quote products: the named makers an RFQ on ``instruments`` goes to (once each, in the order named), those
    whose settings cover every leg; 70109 when that leaves none."""
    found = tuple(
        code
        for code in dict.fromkeys(counterparties)
        if code not in makers or all(makers[code].covers(i) for i in instruments)
    )
    if not found:
        raise errors.CounterpartiesUnavailable()
    return found


def check_mmp(time_interval_ms: int, frozen_interval_ms: int, count_limit: int) -> MmpConfig:
    if not 0 <= time_interval_ms <= MMP_MAX_INTERVAL_MS:
        raise errors.ParameterError(param0="timeInterval")
    if frozen_interval_ms < 0:
        raise errors.ParameterError(param0="frozenInterval")
    if count_limit < 1:
        raise errors.ParameterError(param0="countLimit")
    return MmpConfig(time_interval_ms, frozen_interval_ms, count_limit)


def cancel_all_after_ms(timeout_s: int) -> int:
    """Cancel All After's timeOut in ms: 0 (disarm) or 10..120 seconds, else 51000 for timeOut."""
    low, high = CANCEL_ALL_AFTER_S
    if timeout_s != 0 and not low <= timeout_s <= high:
        raise errors.ParameterError(param0="timeOut")
    return timeout_s * 1000


def check_quote_limits(
    maker: Maker,
    legs: tuple[QuoteLeg, ...],
    quote_side: Side,
    catalogue: Mapping[str, Instrument],
    marks: Mapping[str, Decimal | None],
) -> None:
    """70310 when a leg is larger than maxBlockSz or priced beyond makerPxBand ticks of the mark:
    a maker's bid above mark + band, or its ask below mark - band."""
    for leg in legs:
        inst = catalogue[leg.inst_id]
        limit = maker.limit_for(inst)
        if limit is None:
            continue
        if limit.max_block_sz is not None:
            size = leg.sz / leg.px if leg.tgt_ccy == TgtCcy.QUOTE_CCY.value else leg.sz
            if size > limit.max_block_sz:
                raise errors.QuotePriceLimit(instId=leg.inst_id)
        mark = marks.get(leg.inst_id)
        if limit.maker_px_band is not None and mark is not None:
            band = limit.maker_px_band * inst.tick_sz
            maker_buys = (leg.side is Side.BUY) == (quote_side is Side.BUY)
            if (maker_buys and leg.px > mark + band) or (not maker_buys and leg.px < mark - band):
                raise errors.QuotePriceLimit(instId=leg.inst_id)
