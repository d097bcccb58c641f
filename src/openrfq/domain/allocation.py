"""Group RFQs: a master account splits an RFQ across its sub-accounts (``acctAlloc``), OKX's "Group RFQ
introduction" rules as one check. Nothing is created unless every allocation passes.

The order of the checks decides which error a request with several faults gets: the number of accounts (70516),
then each account in turn, named twice (70518) or not the taker's (70517), its legs (an instrument the RFQ does
not trade or a total that cannot match: 70514; one twice: 70100; tdMode/posSide/sz as create-rfq's legs), then
the totals per instrument (70514), then each account's ratio across legs (70515).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from openrfq.domain import errors, rules
from openrfq.domain.commands import AllocRequest
from openrfq.domain.instrument import Instrument
from openrfq.domain.models import Allocation, AllocLeg, RfqLeg

MAX_ACCOUNTS = 10  # OKX: "The upper limit of the number of allocated subaccounts is 10"
MASTER = "0"  # the taker's own account, as acctAlloc names it


def allocations(
    catalogue: Mapping[str, Instrument],
    legs: tuple[RfqLeg, ...],
    requested: tuple[AllocRequest, ...],
    sub_accounts: frozenset[str],
) -> tuple[Allocation, ...]:
    """The group RFQ's allocations, checked against its (checked) ``legs`` and the taker's ``sub_accounts``."""
    if len(requested) > MAX_ACCOUNTS:
        raise errors.TooManyAllocatedAccounts(param0=str(MAX_ACCOUNTS))
    seen: set[str] = set()
    for alloc in requested:
        if alloc.acct in seen:
            raise errors.DuplicateAllocatedAccount()
        seen.add(alloc.acct)
        if alloc.acct != MASTER and alloc.acct not in sub_accounts:
            raise errors.UnknownAllocatedAccount(param0=alloc.acct)
    by_inst = {leg.inst_id: leg for leg in legs}
    totals = dict.fromkeys(by_inst, Decimal(0))
    result = []
    for alloc in requested:
        alloc_legs: list[AllocLeg] = []
        for leg in alloc.legs:
            rfq_leg = by_inst.get(leg.inst_id)
            if rfq_leg is None:
                raise errors.AllocationTotalMismatch()  # nothing the RFQ trades: its total can never match
            if any(other.inst_id == leg.inst_id for other in alloc_legs):
                raise errors.DuplicateInstruments()
            rules.check_position(leg.td_mode, leg.pos_side)
            inst = catalogue[leg.inst_id]
            rules.check_size(inst, leg.sz, rfq_leg.tgt_ccy)
            totals[leg.inst_id] = rules.EXACT.add(totals[leg.inst_id], leg.sz)
            alloc_legs.append(AllocLeg(leg.inst_id, leg.sz, leg.td_mode or inst.default_td_mode, leg.ccy, leg.pos_side))
        result.append(Allocation(alloc.acct, tuple(alloc_legs)))
    if any(totals[inst_id] != leg.sz for inst_id, leg in by_inst.items()):
        raise errors.AllocationTotalMismatch()
    for allocation in result:
        _check_ratio(allocation, legs)
    return tuple(result)


def _check_ratio(allocation: Allocation, legs: tuple[RfqLeg, ...]) -> None:
    """The account's share of every leg is one ratio, compared exactly: sz_i / rfq_i == sz_0 / rfq_0 without
    dividing; a leg the account left out counts as 0."""
    sizes = {leg.inst_id: leg.sz for leg in allocation.legs}
    first, first_rfq = sizes.get(legs[0].inst_id, Decimal(0)), legs[0].sz
    for leg in legs:
        size = sizes.get(leg.inst_id, Decimal(0))
        if rules.EXACT.multiply(size, first_rfq) != rules.EXACT.multiply(first, leg.sz):
            raise errors.AllocationRatioMismatch()
