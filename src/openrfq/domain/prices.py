"""Index and mark prices per instrument, from a price source: static, a seeded random walk, or a replay.

Sources price underlyings (BTC, ETH: USD per coin) as a function of time only, so every run with the same
settings sees the same prices. Marks follow from the index: SPOT, swaps and futures trade at the index;
options at their Black-76 value in the settlement coin, with the source's volatility.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from openrfq.domain.enums import InstType
from openrfq.domain.instrument import Instrument

YEAR_MS = 365 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000
DEFAULT_INDEX = {"BTC": Decimal(50000), "ETH": Decimal(3000)}


class IndexSource(Protocol):
    @property
    def volatility(self) -> float: ...

    def index(self, ccy: str, now_ms: int) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class StaticIndex:
    prices: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_INDEX))
    volatility: float = 0.5

    def index(self, ccy: str, now_ms: int) -> Decimal | None:
        return self.prices.get(ccy)


@dataclass(slots=True)
class RandomWalkIndex:
    """Geometric Brownian motion from ``start`` prices, one step per ``step_ms`` counted from ``origin_ms``.

    Step k of a coin's path depends only on (seed, coin, k), so the same seed gives the same prices.
    """

    start: Mapping[str, Decimal]
    seed: int
    origin_ms: int
    step_ms: int = 1000
    volatility: float = 0.5
    _paths: dict[str, list[float]] = field(default_factory=dict)
    _rngs: dict[str, random.Random] = field(default_factory=dict)

    def index(self, ccy: str, now_ms: int) -> Decimal | None:
        if ccy not in self.start:
            return None
        step = max(0, (now_ms - self.origin_ms) // self.step_ms)
        path = self._paths.setdefault(ccy, [float(self.start[ccy])])
        rng = self._rngs.setdefault(ccy, random.Random(f"{self.seed}:{ccy}"))
        dt = self.step_ms / YEAR_MS
        drift, scale = -0.5 * self.volatility**2 * dt, self.volatility * math.sqrt(dt)
        while len(path) <= step:
            path.append(path[-1] * math.exp(drift + scale * rng.gauss(0.0, 1.0)))
        return Decimal(repr(round(path[step], 8)))


@dataclass(frozen=True, slots=True)
class ReplayIndex:
    """Recorded prices replayed in a loop: ``rows`` of (offset ms from the start of the recording, coin, price)."""

    rows: Sequence[tuple[int, str, Decimal]]
    origin_ms: int
    volatility: float = 0.5

    def index(self, ccy: str, now_ms: int) -> Decimal | None:
        series = [(offset, price) for offset, coin, price in self.rows if coin == ccy]
        if not series:
            return None
        length = series[-1][0] + 1
        at = (now_ms - self.origin_ms) % length
        position = bisect_right([offset for offset, _ in series], at) - 1
        return series[max(position, 0)][1]


def underlying(inst: Instrument) -> str:
    return inst.base_ccy if inst.inst_type is InstType.SPOT else inst.inst_family.split("-")[0]


@dataclass(frozen=True, slots=True)
class Prices:
    """What the venue asks: the index and mark of an instrument at a moment."""

    source: IndexSource

    def index(self, inst: Instrument, now_ms: int) -> Decimal | None:
        return self.source.index(underlying(inst), now_ms)

    def mark(self, inst: Instrument, now_ms: int) -> Decimal | None:
        index = self.index(inst, now_ms)
        if index is None:
            return None
        if inst.inst_type is not InstType.OPTION:
            return _to_tick(index, inst.tick_sz)
        years = max((inst.exp_time or now_ms) - now_ms, 0) / YEAR_MS
        value_usd = black76(float(index), float(inst.stk or 0), years, self.source.volatility, inst.opt_type == "C")
        # BTC-USD options are quoted in the coin: premium per coin of underlying.
        return max(_to_tick(Decimal(repr(value_usd / float(index))), inst.tick_sz), inst.tick_sz)


def black76(forward: float, strike: float, years: float, vol: float, call: bool) -> float:
    """Undiscounted Black-76 value; at expiry (or zero vol) the intrinsic value."""
    if years <= 0 or vol <= 0 or strike <= 0:
        return max(forward - strike, 0.0) if call else max(strike - forward, 0.0)
    sd = vol * math.sqrt(years)
    d1 = (math.log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if call:
        return forward * _cdf(d1) - strike * _cdf(d2)
    return strike * _cdf(-d2) - forward * _cdf(-d1)


def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _to_tick(value: Decimal, tick: Decimal) -> Decimal:
    return (value / tick).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * tick


def midnight_utc(now_ms: int) -> int:
    return now_ms - now_ms % DAY_MS
