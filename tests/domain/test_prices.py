"""Price sources and marks: static, a seeded random walk, a replay; options valued by Black-76."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from openrfq.domain.enums import InstType
from openrfq.domain.instrument import Instrument
from openrfq.domain.prices import Prices, RandomWalkIndex, ReplayIndex, StaticIndex, black76
from openrfq.instruments.catalogue import default_instruments

TODAY = datetime.date(2025, 11, 13)
NOW = 1_763_000_000_000
CATALOGUE = {i.inst_id: i for i in default_instruments(TODAY)}


def test_static_marks_follow_the_index_on_the_tick_grid() -> None:
    prices = Prices(StaticIndex({"BTC": Decimal("50000.04"), "ETH": Decimal("3000")}))

    assert prices.mark(CATALOGUE["BTC-USDT"], NOW) == Decimal("50000.0")
    assert prices.mark(CATALOGUE["BTC-USDT-SWAP"], NOW) == Decimal("50000.0")
    assert prices.index(CATALOGUE["ETH-USDT-SWAP"], NOW) == Decimal("3000")
    assert (
        prices.mark(Instrument(InstType.SPOT, "SOL-USDT", Decimal("0.01"), Decimal(1), Decimal(1), base_ccy="SOL"), NOW)
        is None
    )


def test_option_marks_are_black76_in_coin_and_at_least_a_tick() -> None:
    prices = Prices(StaticIndex({"BTC": Decimal("50000")}, volatility=0.5))
    deep_itm = CATALOGUE["BTC-USD-251114-50000-P"]
    far_otm = CATALOGUE["BTC-USD-251114-150000-C"]

    call = prices.mark(CATALOGUE["BTC-USD-251114-50000-C"], NOW)
    put = prices.mark(deep_itm, NOW)

    assert call is not None and put is not None
    assert call == put  # at the money, zero rates: call and put are worth the same
    exp_time = CATALOGUE["BTC-USD-251114-50000-C"].exp_time
    assert exp_time is not None
    years = (exp_time - NOW) / (365 * 24 * 3600 * 1000)
    expected = black76(50000, 50000, years, 0.5, True) / 50000
    assert abs(float(call) - expected) <= 0.0005
    assert prices.mark(far_otm, NOW) == Decimal("0.0005")  # worthless far out of the money: one tick


def test_black76_put_call_parity_and_intrinsic_at_expiry() -> None:
    call, put = black76(100, 90, 0.5, 0.3, True), black76(100, 90, 0.5, 0.3, False)

    assert call - put == pytest.approx(10)
    assert black76(100, 90, 0, 0.3, True) == 10
    assert black76(100, 90, 0, 0.3, False) == 0


def test_a_random_walk_is_deterministic_for_a_seed() -> None:
    def walk(seed: int) -> list[Decimal | None]:
        source = RandomWalkIndex({"BTC": Decimal("50000")}, seed=seed, origin_ms=NOW, step_ms=1000)
        return [source.index("BTC", NOW + k * 1000) for k in range(0, 100, 7)]

    first, again, other = walk(7), walk(7), walk(8)

    assert first == again
    assert first != other
    assert first[0] == Decimal("50000")
    assert len(set(first)) > 5  # it moves
    assert all(p is not None and Decimal(30000) < p < Decimal(70000) for p in first)


def test_a_random_walk_holds_its_price_within_a_step() -> None:
    source = RandomWalkIndex({"BTC": Decimal("50000")}, seed=1, origin_ms=NOW, step_ms=1000)

    assert source.index("BTC", NOW + 5000) == source.index("BTC", NOW + 5999)
    assert source.index("ETH", NOW) is None


def test_a_replay_loops_over_its_rows() -> None:
    rows = ((0, "BTC", Decimal("100")), (1000, "BTC", Decimal("101")), (2000, "BTC", Decimal("102")))
    source = ReplayIndex(rows, origin_ms=NOW)

    assert [source.index("BTC", NOW + t) for t in (0, 999, 1000, 2000, 2001, 2500)] == [
        Decimal("100"),
        Decimal("100"),
        Decimal("101"),
        Decimal("102"),
        Decimal("100"),
        Decimal("100"),
    ]
    assert source.index("ETH", NOW) is None
