"""Group RFQ allocation rules, fed directly: each OKX error in its turn, exact ratios, defaults filled."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openrfq.domain import errors
from openrfq.domain.allocation import allocations
from openrfq.domain.commands import AllocLegRequest, AllocRequest
from openrfq.domain.enums import Side
from openrfq.domain.models import Allocation, AllocLeg, RfqLeg
from openrfq.instruments.catalogue import default_instruments
from samples import TODAY

CATALOGUE = {i.inst_id: i for i in default_instruments(TODAY)}
# OKX's own example: BTC-USDT 50 and ETH-USDT 100, split 0.6 / 0.4.
LEGS = (RfqLeg("BTC-USDT", Decimal(50), Side.BUY), RfqLeg("ETH-USDT", Decimal(100), Side.SELL))
SUBS = frozenset({"acct1", "acct2"})


def _alloc(acct: str, btc: str, eth: str | None = None) -> AllocRequest:
    legs = [AllocLegRequest("BTC-USDT", Decimal(btc))]
    if eth is not None:
        legs.append(AllocLegRequest("ETH-USDT", Decimal(eth)))
    return AllocRequest(acct, tuple(legs))


def test_okx_happy_case_is_accepted_with_defaults_filled() -> None:
    found = allocations(CATALOGUE, LEGS, (_alloc("acct1", "30", "60"), _alloc("acct2", "20", "40")), SUBS)

    assert found == (
        Allocation("acct1", (AllocLeg("BTC-USDT", Decimal(30), "cash"), AllocLeg("ETH-USDT", Decimal(60), "cash"))),
        Allocation("acct2", (AllocLeg("BTC-USDT", Decimal(20), "cash"), AllocLeg("ETH-USDT", Decimal(40), "cash"))),
    )


def test_okx_bad_case_equal_totals_unequal_ratios_is_70515() -> None:
    with pytest.raises(errors.AllocationRatioMismatch):
        allocations(CATALOGUE, LEGS, (_alloc("acct1", "30", "50"), _alloc("acct2", "20", "50")), SUBS)


def test_ratios_are_compared_exactly() -> None:
    legs = (RfqLeg("BTC-USDT", Decimal(3), Side.BUY), RfqLeg("ETH-USDT", Decimal(9), Side.BUY))
    near = (_alloc("0", "1", "3.000001"), _alloc("acct1", "2", "5.999999"))

    with pytest.raises(errors.AllocationRatioMismatch):
        allocations(CATALOGUE, legs, near, SUBS)
    assert allocations(CATALOGUE, legs, (_alloc("0", "1", "3"), _alloc("acct1", "2", "6")), SUBS)


@pytest.mark.parametrize(
    ("requested", "error"),
    [
        ((_alloc("acct1", "30", "60"), _alloc("acct2", "10", "40")), errors.AllocationTotalMismatch),
        ((_alloc("acct1", "50", "100"), _alloc("acct1", "0.1", "0.2")), errors.DuplicateAllocatedAccount),
        ((_alloc("acct3", "50", "100"),), errors.UnknownAllocatedAccount),
        (tuple(_alloc("0", "5", "10") for _ in range(11)), errors.TooManyAllocatedAccounts),
        ((_alloc("0", "50"), _alloc("acct1", "0", "100")), errors.ParameterError),
    ],
)
def test_each_rule_has_its_code(requested: tuple[AllocRequest, ...], error: type[errors.OkxError]) -> None:
    with pytest.raises(error):
        allocations(CATALOGUE, LEGS, requested, SUBS)


def test_the_count_is_checked_first_then_each_account_in_turn() -> None:
    eleven = tuple(_alloc("nobody", "1") for _ in range(11))
    unknown_then_twice = (_alloc("nobody", "1"), _alloc("acct1", "1"), _alloc("acct1", "1"))

    with pytest.raises(errors.TooManyAllocatedAccounts) as too_many:
        allocations(CATALOGUE, LEGS, eleven, SUBS)
    with pytest.raises(errors.UnknownAllocatedAccount) as unknown:
        allocations(CATALOGUE, LEGS, unknown_then_twice, SUBS)

    assert too_many.value.msg == "You can only select up to 10 sub-accounts for group RFQ."
    assert unknown.value.msg.startswith("nobody doesn't exist")


def test_the_taker_itself_is_0_and_needs_no_sub_accounts() -> None:
    found = allocations(CATALOGUE, LEGS, (_alloc("0", "50", "100"),), frozenset())

    assert [a.acct for a in found] == ["0"]
