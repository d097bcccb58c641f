"""Entity <-> bytes for the store (msgpack via msgspec: compact, fast, Decimal kept exact as strings), and the rows
a batch writes: the body and the columns the store's reads need (store/schema.py)."""

from __future__ import annotations

import msgspec

from openrfq.domain.makers import Maker
from openrfq.domain.models import BlockTrade, Quote, Rfq

_encoder = msgspec.msgpack.Encoder(decimal_format="string")
encode = _encoder.encode
decode_rfq = msgspec.msgpack.Decoder(Rfq).decode
decode_quote = msgspec.msgpack.Decoder(Quote).decode
decode_trade = msgspec.msgpack.Decoder(BlockTrade).decode
decode_maker = msgspec.msgpack.Decoder(Maker).decode

RfqRow = tuple[int, bytes, str, str, str, int]  # id, body, taker, clRfqId, state, groupId
QuoteRow = tuple[int, bytes, str, str, int, str, str]  # id, body, maker, taker (its RFQ's), rfqId, clQuoteId, state
TradeRow = tuple[int, bytes, str, str, int, int]  # blockTdId, body, taker, maker, rfqId, outcome
SeenRow = tuple[str, int]  # (party or instId, id)

PENDING, FILLED, FAILED = 0, 1, 2  # a trade's outcome column


def rfq_columns(rfq: Rfq) -> tuple[str, str, str, int]:
    return rfq.taker, rfq.cl_rfq_id, rfq.state.value, rfq.group_id


def rfq_row(rfq: Rfq) -> RfqRow:
    return rfq.rfq_id, encode(rfq), rfq.taker, rfq.cl_rfq_id, rfq.state.value, rfq.group_id


def rfq_parties(rfq: Rfq) -> list[SeenRow]:
    """Who sees the RFQ: its taker and every counterparty."""
    return [(party, rfq.rfq_id) for party in (rfq.taker, *rfq.counterparties)]


def quote_columns(quote: Quote, taker: str) -> tuple[str, str, int, str, str]:
    return quote.maker, taker, quote.rfq_id, quote.cl_quote_id, quote.state.value


def quote_row(quote: Quote, taker: str) -> QuoteRow:
    return quote.quote_id, encode(quote), quote.maker, taker, quote.rfq_id, quote.cl_quote_id, quote.state.value


def outcome(trade: BlockTrade) -> int:
    return PENDING if trade.pending else FAILED if trade.error_code else FILLED


def trade_columns(trade: BlockTrade) -> tuple[str, str, int, int]:
    return trade.taker, trade.maker, trade.rfq_id, outcome(trade)


def trade_row(trade: BlockTrade) -> TradeRow:
    return trade.block_td_id, encode(trade), trade.taker, trade.maker, trade.rfq_id, outcome(trade)


def trade_parties(trade: BlockTrade) -> list[SeenRow]:
    """Who sees the trade: its taker and its maker."""
    return [(party, trade.block_td_id) for party in dict.fromkeys((trade.taker, trade.maker))]


def trade_insts(trade: BlockTrade) -> list[SeenRow]:
    """The instruments of its legs (a group's: its children's)."""
    return [(inst_id, trade.block_td_id) for inst_id in dict.fromkeys(leg.inst_id for _, _, leg in trade.every_leg())]
