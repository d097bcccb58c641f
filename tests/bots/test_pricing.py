"""The LP bot's prices: mark plus spread on the side the maker takes, rounded away from the taker to a tick."""

from __future__ import annotations

from decimal import Decimal as D

from openrfq.bots.pricing import quote_legs, taker_cost
from openrfq.client import Instrument, Quote, QuoteLeg, RfqLeg

INSTRUMENTS = {
    "BTC-USDT": Instrument(
        inst_type="SPOT", inst_id="BTC-USDT", tick_sz=D("0.1"), lot_sz=D("0.00000001"), min_sz=D("0.00001")
    ),
    "BTC-USD-C": Instrument(inst_type="OPTION", inst_id="BTC-USD-C", tick_sz=D("0.0005"), lot_sz=D(1), min_sz=D(1)),
}
SPREADS = {"SPOT": D(10), "OPTION": D(300)}


def test_a_leg_the_taker_buys_is_offered_above_mark_rounded_up() -> None:
    (leg,) = quote_legs(
        [RfqLeg(inst_id="BTC-USDT", sz=D(2), side="buy")], INSTRUMENTS, {"BTC-USDT": D("50000.03")}, SPREADS
    )

    # 50000.03 * 1.001 = 50050.08003 -> up to 50050.1
    assert (leg.inst_id, leg.sz, leg.side, leg.px) == ("BTC-USDT", D(2), "buy", D("50050.1"))


def test_a_leg_the_taker_sells_is_bid_below_mark_rounded_down() -> None:
    (leg,) = quote_legs(
        [RfqLeg(inst_id="BTC-USDT", sz=D(1), side="sell")], INSTRUMENTS, {"BTC-USDT": D("50000.03")}, SPREADS
    )

    # 50000.03 * 0.999 = 49950.02997 -> down to 49950.0, written in the tick's precision (never 4.995E+4)
    assert str(leg.px) == "49950.0"


def test_each_leg_uses_its_inst_types_spread_and_never_goes_below_one_tick() -> None:
    legs = [
        RfqLeg(inst_id="BTC-USD-C", sz=D(1), side="buy"),
        RfqLeg(inst_id="BTC-USDT", sz=D(1), side="sell", tgt_ccy="quote_ccy"),
    ]
    marks = {"BTC-USD-C": D("0.05"), "BTC-USDT": D("0.1")}

    option, spot = quote_legs(legs, INSTRUMENTS, marks, SPREADS)

    assert option.px == D("0.0515")  # 0.05 * 1.03
    assert (spot.px, spot.tgt_ccy) == (D("0.1"), "quote_ccy")  # 0.0999 rounds down to 0: one tick instead


def test_taker_cost_orders_the_quotes_of_an_rfq() -> None:
    def quote(side: str, buy_px: str, sell_px: str) -> Quote:
        legs = [
            QuoteLeg(inst_id="A", sz=D(1), side="buy", px=D(buy_px)),
            QuoteLeg(inst_id="B", sz=D(2), side="sell", px=D(sell_px)),
        ]
        return Quote(
            quote_id="1", rfq_id="1", state="active", quote_side=side, c_time=0, u_time=0, valid_until=0, legs=legs
        )

    assert taker_cost(quote("sell", "10", "3")) == D(4)  # taker buys A at 10, sells 2 B at 3
    assert taker_cost(quote("buy", "10", "3")) == D(-4)  # the reverse
    assert taker_cost(quote("sell", "9", "3")) < taker_cost(quote("sell", "10", "3"))


def test_skew_adds_to_the_spread_on_the_side_the_maker_takes() -> None:
    legs = [RfqLeg(inst_id="BTC-USDT", sz=D(1), side="buy"), RfqLeg(inst_id="BTC-USDT", sz=D(1), side="sell")]
    marks = {"BTC-USDT": D(50000)}

    sells, buys = quote_legs(legs, INSTRUMENTS, marks, SPREADS, {"sell": D(90), "buy": D(-5)})

    assert sells.px == D("50500.0")  # the maker sells the taker's buy leg: 10 + 90 bp over mark
    assert buys.px == D("49975.0")  # it buys the taker's sell leg: 10 - 5 bp under mark
