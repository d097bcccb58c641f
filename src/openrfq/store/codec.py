"""Entity <-> bytes for the store (msgpack via msgspec: compact, fast, Decimal kept exact as strings), and the keys
under which the store finds an ended entity (store/schema.py's key tables)."""

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

Key = tuple[str, int]  # (key, id): the entity ``id`` is found under ``key``

# A key is a kind and its values, space-separated (trader codes, client ids and instIds have no spaces): a
# party's ("p M1": its maker, its taker, an RFQ's counterparty), a client id's ("c M1 q7": the owner's), an
# RFQ's ("r 12": a quote or trade on it), an instrument's ("i BTC-USDT": a trade with a leg of it), a group RFQ
# ("g").


def party(code: str) -> str:
    return "p " + code


def client_id(owner: str, cl_id: str) -> str:
    return f"c {owner} {cl_id}"


def on_rfq(rfq_id: int) -> str:
    return f"r {rfq_id}"


def instrument(inst_id: str) -> str:
    return "i " + inst_id


GROUP = "g"


def rfq_keys(rfq: Rfq) -> list[Key]:
    rfq_id: int = rfq.rfq_id
    keys: list[Key] = [(party(code), rfq_id) for code in (rfq.taker, *rfq.counterparties)]
    if rfq.cl_rfq_id:
        keys.append((client_id(rfq.taker, rfq.cl_rfq_id), rfq_id))
    if rfq.group_id:
        keys.append((GROUP, rfq_id))
    return keys


def quote_keys(quote: Quote, taker: str) -> list[Key]:
    quote_id: int = quote.quote_id
    keys: list[Key] = [(party(quote.maker), quote_id), (party(taker), quote_id), (on_rfq(quote.rfq_id), quote_id)]
    if quote.cl_quote_id:
        keys.append((client_id(quote.maker, quote.cl_quote_id), quote_id))
    return keys


def trade_keys(trade: BlockTrade) -> list[Key]:
    block_td_id: int = trade.block_td_id
    keys: list[Key] = [(party(code), block_td_id) for code in dict.fromkeys((trade.taker, trade.maker))]
    keys.append((on_rfq(trade.rfq_id), block_td_id))
    keys += [(instrument(i), block_td_id) for i in dict.fromkeys(leg.inst_id for _, _, leg in trade.every_leg())]
    return keys
