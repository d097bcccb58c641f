"""What the venue sends, once: the OKX v5 answers and pushes as msgspec Structs, in OKX's field names and order.

The venue's views build these and its codec encodes them; the client decodes the same Structs. Each number is
a type parameter, so one definition serves both ends:

- ``Num``, a decimal number (price, size, fee, volume): ``str`` as the venue writes it ("0.00000062", never an
  exponent), ``Decimal`` as the client reads it;
- ``Int``, an integer OKX sends as a string (a time in ms, a count): ``str`` written, ``int`` read.

So the venue renders an ``Rfq[str, str]`` and the client reads an ``Rfq[Decimal, int]`` (``openrfq.client.Rfq``).
Fields that may be "" stay ``str`` at both ends. A field only some answers carry (``flowType`` in Get rfqs but
not in create-rfq) defaults to ``UNSET``: it is left out of the JSON, and a client that decodes an answer without
it sees ``UNSET``. Fields the client does not know are ignored, so a venue may add some.

This module imports msgspec alone, and sits outside both: the client (``openrfq.client``) and the venue
(``api/views.py``) import it, and the venue's compiled modules do so without the client's httpx and websockets.
Its Structs stay Python (not compiled by mypyc: msgspec must see them as its own). ``gc=False``: they hold
strings, numbers and lists of each other, never a reference back, so the cyclic GC need not track them.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

Num = TypeVar("Num")
Int = TypeVar("Int")
Alloc = TypeVar("Alloc")  # a trade's acctAlloc item: ExecutionAlloc (execute-quote) or TradeAlloc (Get trades)


class Wire(msgspec.Struct, rename="camel", gc=False):
    """snake_case here, camelCase on the wire. Each class is ``kw_only`` (msgspec does not inherit it): its fields
    are in OKX's order, required or not, so they are passed by name."""


class Counterparty(Wire, kw_only=True):
    trader_name: str
    trader_code: str
    type: str


class RfqLeg(Wire, Generic[Num], kw_only=True):
    inst_id: str
    td_mode: str = ""
    ccy: str = ""
    sz: Num
    side: str
    pos_side: str = ""
    tgt_ccy: str = ""
    trade_quote_ccy: str = ""


class AllocLeg(Wire, Generic[Num], kw_only=True):
    """One leg of an account's allocation of a group RFQ."""

    inst_id: str
    sz: Num
    td_mode: str = ""
    ccy: str = ""
    pos_side: str = ""


class RfqAlloc(Wire, Generic[Num], kw_only=True):
    """One account's allocation of a group RFQ, shown to its taker; create-rfq's answer adds sCode and sMsg."""

    acct: str
    s_code: str | UnsetType = UNSET
    s_msg: str | UnsetType = UNSET
    legs: list[AllocLeg[Num]]


class Rfq(Wire, Generic[Num, Int], kw_only=True):
    c_time: Int
    u_time: Int
    state: str
    counterparties: list[str]
    valid_until: Int
    cl_rfq_id: str = ""
    tag: str = ""
    allow_partial_execution: bool = False
    trader_code: str = ""
    rfq_id: str
    legs: list[RfqLeg[Num]]
    group_id: str = ""
    acct_alloc: list[RfqAlloc[Num]] = []
    flow_type: str | UnsetType = UNSET  # Get rfqs and the rfqs channel; not the create-rfq answer


class QuoteLeg(Wire, Generic[Num], kw_only=True):
    inst_id: str
    td_mode: str = ""
    ccy: str = ""
    sz: Num
    px: Num
    side: str
    pos_side: str = ""
    tgt_ccy: str = ""
    trade_quote_ccy: str = ""


class Quote(Wire, Generic[Num, Int], kw_only=True):
    c_time: Int
    u_time: Int
    state: str
    reason: str = ""
    valid_until: Int
    rfq_id: str
    cl_rfq_id: str = ""
    quote_id: str
    cl_quote_id: str = ""
    tag: str = ""
    trader_code: str = ""
    quote_side: str
    legs: list[QuoteLeg[Num]]


class TradeLeg(Wire, Generic[Num], kw_only=True):
    inst_id: str
    px: Num
    sz: Num
    side: str
    tgt_ccy: str | UnsetType = UNSET  # the struc-block-trades channel only
    fee: Num
    fee_ccy: str = ""
    trade_id: str
    trade_quote_ccy: str | UnsetType = UNSET  # Get trades and the channel; not the execute-quote answer


class ExecutionAllocLeg(Wire, Generic[Num], kw_only=True):
    inst_id: str
    sz: Num
    fee: Num
    fee_ccy: str = ""
    trade_id: str


class ExecutionAlloc(Wire, Generic[Num], kw_only=True):
    """One allocated account's execution of a group RFQ, as execute-quote answers it."""

    acct: str
    block_td_id: str
    s_code: str
    s_msg: str = ""
    legs: list[ExecutionAllocLeg[Num]]


class TradeAllocLeg(Wire, Generic[Num], kw_only=True):
    inst_id: str
    sz: Num  # filled size
    trade_id: str
    fee: Num
    fee_ccy: str = ""


class TradeAlloc(Wire, Generic[Num], kw_only=True):
    """One allocated account's execution of a group RFQ, as Get trades and struc-block-trades show it."""

    block_td_id: str
    error_code: str  # "0" filled
    acct: str = ""  # "" to the maker
    legs: list[TradeAllocLeg[Num]]


class Trade(Wire, Generic[Num, Int, Alloc], kw_only=True):
    """A block trade as its taker or its maker sees it: ``Trade[.., .., ExecutionAlloc]`` as execute-quote answers
    it, ``Trade[.., .., TradeAlloc]`` as Get trades and the struc-block-trades channel show it."""

    c_time: Int
    rfq_id: str
    cl_rfq_id: str = ""
    quote_id: str
    cl_quote_id: str = ""
    block_td_id: str
    tag: str = ""
    t_trader_code: str = ""
    m_trader_code: str = ""
    is_successful: bool | UnsetType = UNSET  # Get trades and the channel; not the execute-quote answer
    error_code: str | UnsetType = UNSET  # likewise
    legs: list[TradeLeg[Num]]
    acct_alloc: list[Alloc] = []


class PublicTradeLeg(Wire, Generic[Num], kw_only=True):
    inst_id: str
    px: Num
    sz: Num
    side: str
    trade_id: str


class PublicTrade(Wire, Generic[Num, Int], kw_only=True):
    """A multi-leg block trade for everyone (public-trades, the public-struc-block-trades channel)."""

    strategy: str | UnsetType = UNSET  # public-trades only: the channel's pushes have none
    c_time: Int
    block_td_id: str
    group_id: str = ""
    legs: list[PublicTradeLeg[Num]]


class PublicBlockTrade(Wire, Generic[Num, Int], kw_only=True):
    """One leg of a block trade (public/block-trades, the public-block-trades channel); options' fillVol and
    fwdPx, derivatives' idxPx and markPx, "" otherwise."""

    inst_id: str
    trade_id: str
    px: Num
    sz: Num
    side: str
    fill_vol: str = ""
    fwd_px: str = ""
    idx_px: str = ""
    mark_px: str = ""
    group_id: str = ""
    ts: Int


class BlockTicker(Wire, Generic[Num, Int], kw_only=True):
    inst_type: str
    inst_id: str
    vol_ccy24h: Num = msgspec.field(name="volCcy24h")  # "camel" would write volCcy24H
    vol24h: Num
    ts: Int


class Instrument(Wire, Generic[Num], kw_only=True):
    """Every field of OKX's Get instruments; those that do not apply to the type are ""."""

    inst_type: str
    inst_id: str
    uly: str = ""
    inst_family: str = ""
    category: str = ""
    base_ccy: str = ""
    quote_ccy: str = ""
    settle_ccy: str = ""
    ct_val: str = ""
    ct_mult: str = ""
    ct_val_ccy: str = ""
    opt_type: str = ""
    stk: str = ""
    list_time: str = ""
    auction_end_time: str = ""
    cont_td_sw_time: str = ""
    pre_mkt_sw_time: str = ""
    open_type: str = ""
    exp_time: str = ""
    lever: str = ""
    tick_sz: Num
    lot_sz: Num
    min_sz: Num
    ct_type: str = ""
    alias: str = ""
    state: str = ""
    rule_type: str = ""
    max_lmt_sz: str = ""
    max_mkt_sz: str = ""
    max_lmt_amt: str = ""
    max_mkt_amt: str = ""
    max_twap_sz: str = ""
    max_iceberg_sz: str = ""
    max_trigger_sz: str = ""
    max_stop_sz: str = ""
    future_settlement: bool = False
    trade_quote_ccy_list: list[str] = []
    inst_id_code: int = 0  # a JSON number, as OKX sends it


class MarkPrice(Wire, Generic[Num, Int], kw_only=True):
    inst_type: str
    inst_id: str
    mark_px: Num
    ts: Int


class MmpConfig(Wire, Generic[Int], kw_only=True):
    frozen_interval: Int
    mmp_frozen: bool = False
    mmp_frozen_until: str = ""  # a time in ms while frozen, else ""
    count_limit: Int
    time_interval: Int


class CancelAllAfter(Wire, Generic[Int], kw_only=True):
    trigger_time: Int
    ts: Int


class Timestamp(Wire, Generic[Int], kw_only=True):
    ts: Int


class Currency(Wire, kw_only=True):
    """One currency and chain of Get currencies (/api/v5/asset/currencies); numbers stay strings: on a venue
    without deposits or withdrawals they are "0" or ""."""

    ccy: str
    name: str = ""
    logo_link: str = ""
    chain: str = ""
    ct_addr: str = ""
    can_dep: bool = False
    can_wd: bool = False
    can_internal: bool = False
    dep_est_open_time: str = ""
    wd_est_open_time: str = ""
    min_dep: str = ""
    min_wd: str = ""
    min_internal: str = ""
    max_wd: str = ""
    wd_tick_sz: str = ""
    wd_quota: str = ""
    used_wd_quota: str = ""
    fee: str = ""
    min_fee: str = ""
    max_fee: str = ""
    min_fee_for_ct_addr: str = ""
    max_fee_for_ct_addr: str = ""
    burning_fee_rate: str = ""
    main_net: bool = False
    need_tag: bool = False
    min_dep_arrival_confirm: str = ""
    min_wd_unlock_confirm: str = ""
    dep_quota_fixed: str = ""
    used_dep_quota_fixed: str = ""
    dep_quote_daily_layer2: str = ""


class AccountBalance(Wire, kw_only=True):
    """Get balance (/api/v5/account/balance) of the trading account: the venue holds no assets, so no details."""

    adj_eq: str = ""
    avail_eq: str = ""
    borrow_froz: str = ""
    delta: str = ""
    delta_lever: str = ""
    delta_neutral_status: str = ""
    details: list[Any] = []
    imr: str = ""
    iso_eq: str = ""
    mgn_ratio: str = ""
    mmr: str = ""
    notional_usd: str = ""
    notional_usd_for_borrow: str = ""
    notional_usd_for_futures: str = ""
    notional_usd_for_option: str = ""
    notional_usd_for_swap: str = ""
    ord_froz: str = ""
    total_eq: str = ""
    u_time: str = ""
    upl: str = ""


class CancelResult(Wire, kw_only=True):
    """One item of a cancel answer: the ids of an RFQ or of a quote (the other pair stays ""), and its outcome."""

    rfq_id: str = ""
    cl_rfq_id: str = ""
    quote_id: str = ""
    cl_quote_id: str = ""
    s_code: str
    s_msg: str = ""

    @property
    def ok(self) -> bool:
        return self.s_code == "0"
