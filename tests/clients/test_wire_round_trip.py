"""One set of wire Structs (openrfq.wire): what the venue's views render, encoded by its codec, decodes into
the client's types and re-encodes to the same bytes: no field lost, renamed or reordered, no number reformatted.

The client reads numbers as Decimal and times as int; re-encoding writes them back as the venue's Structs
(``wire.X[str, str]``) would hold them, led by those Structs' own field types, then through the venue's codec.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec
import msgspec.inspect as mi

from openrfq import wire
from openrfq.api import codec, views
from openrfq.client import answers
from openrfq.domain.clock import ManualClock
from openrfq.domain.ids import BlockTradeId, RfqId
from openrfq.testing import InProcessVenue, Party
from samples import SPOT_LEG, SWAP_LEG, create_quote, create_rfq
from settling import SETTLE_FAIL, SETTLEMENT_MS, advance, control, settling_config, settling_venue

T = TypeVar("T")
OPTION = "BTC-USD-251114-100000-C"
EXECUTE = "/api/v5/rfq/execute-quote"
TRADE = wire.Trade[str, str, wire.TradeAlloc[str]]
EXECUTION = wire.Trade[str, str, wire.ExecutionAlloc[str]]


class _Envelope(msgspec.Struct, Generic[T]):
    code: str
    msg: str
    data: list[T]


def _as_written(value: Any, kind: mi.Type) -> Any:
    """A value the client read, as the venue's Struct of ``kind`` holds it (``X | UNSET`` is X's type here:
    msgspec.inspect leaves UNSET out of a union)."""
    if value is msgspec.UNSET:
        return value
    if isinstance(kind, mi.StructType):
        return kind.cls(**{f.name: _as_written(getattr(value, f.name), f.type) for f in kind.fields})
    if isinstance(kind, mi.ListType):
        return [_as_written(item, kind.item_type) for item in value]
    if isinstance(kind, mi.StrType) and isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(kind, mi.StrType) and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _round_trip(views_: list[Any], client_type: Any, written_type: Any = None) -> None:
    """``written_type``: the venue's Struct as views render it, when not ``cls[str, ...]`` (a trade's acctAlloc)."""
    sent = codec.ok(views_)
    read = msgspec.json.decode(sent, type=_Envelope[client_type], strict=False)
    cls = type(views_[0])
    params = getattr(cls, "__parameters__", ())
    written = mi.type_info(written_type or (cls[(str,) * len(params)] if params else cls))

    assert codec.ok([_as_written(item, written) for item in read.data]) == sent
    assert len(read.data) == len(views_) and all(isinstance(item, cls) for item in read.data)


async def _traded(taker: Party, maker: Party, legs: list[dict[str, str]], pxs: list[str], **rfq: Any) -> BlockTradeId:
    created = await create_rfq(taker, legs=legs, **rfq)
    quote = await create_quote(maker, created["rfqId"], legs=[{**leg, "px": px} for leg, px in zip(legs, pxs)])
    answer = await taker.post(EXECUTE, {"rfqId": created["rfqId"], "quoteId": quote["quoteId"]})
    assert answer["code"] == "0", answer
    return BlockTradeId(int(answer["data"][0]["blockTdId"]))


async def test_rfqs_and_quotes_round_trip_for_taker_maker_and_loser(
    venue: InProcessVenue, taker: Party, maker1: Party, maker2: Party
) -> None:
    created = await create_rfq(taker, clRfqId="mine", tag="t1", anonymous=True, legs=[SPOT_LEG, SWAP_LEG])
    legs = [{**SPOT_LEG, "px": "50000.1"}, {**SWAP_LEG, "px": "50010"}]
    await create_quote(maker1, created["rfqId"], clQuoteId="q1", anonymous=True, legs=legs)
    await create_quote(maker2, created["rfqId"], legs=legs)
    engine = venue.app.services.venue
    rfq = engine.rfqs[RfqId(int(created["rfqId"]))]
    quotes = [q for q in engine.quotes.values() if q.rfq_id == rfq.rfq_id]

    for viewer in ("TAKER1", "MAKER1", "MAKER2"):
        _round_trip([views.rfq(rfq, viewer), views.rfq(rfq, viewer, flow_type=False)], answers.Rfq)
        _round_trip([views.quote(q, rfq, viewer) for q in quotes], answers.Quote)
    await taker.post(EXECUTE, {"rfqId": created["rfqId"], "quoteId": str(quotes[0].quote_id)})
    _round_trip([views.rfq(rfq, "MAKER2")], answers.Rfq)  # traded_away


async def test_trades_and_public_data_round_trip_for_every_kind_of_leg(
    venue: InProcessVenue, taker: Party, maker1: Party
) -> None:
    legs = [
        {"instId": "BTC-USDT", "sz": "1000", "side": "buy", "tgtCcy": "quote_ccy"},
        SWAP_LEG,
        {"instId": OPTION, "sz": "30", "side": "sell"},
    ]
    block_td_id = await _traded(taker, maker1, legs, ["50000", "50010", "0.0005"], clRfqId="r", tag="t")
    engine = venue.app.services.venue
    trade = engine.trades[block_td_id]

    for viewer in ("TAKER1", "MAKER1"):
        _round_trip([views.trade(trade, viewer), views.struc_block_trade(trade, viewer)], answers.Trade, TRADE)
        _round_trip([views.execution(trade, viewer)], answers.Execution, EXECUTION)
    _round_trip([views.public_trade(trade, engine.catalogue), views.public_trade_push(trade)], answers.PublicTrade)
    for leg in trade.legs:
        inst = engine.catalogue[leg.inst_id]
        _round_trip([views.public_leg(trade, leg, inst)], answers.PublicBlockTrade)
        _round_trip([views.ticker(venue.app.services.reads, inst, venue.clock.now_ms(), 0)], answers.BlockTicker)


def test_every_instrument_and_counterparty_round_trips(venue: InProcessVenue) -> None:
    engine = venue.app.services.venue

    _round_trip([views.instrument(i) for i in engine.catalogue.values()], answers.Instrument)
    _round_trip([views.counterparty(a) for a in venue.config.accounts], wire.Counterparty)


async def test_answers_the_routes_render_round_trip_too(venue: InProcessVenue, maker1: Party) -> None:
    """Mark prices, server time, MMP settings, Cancel All After, currencies and the account balance: rendered by
    their routes, read by the client."""
    await maker1.post("/api/v5/rfq/mmp-config", {"timeInterval": "5000", "frozenInterval": "1000", "countLimit": "3"})
    answers_ = [
        (
            "GET",
            "/api/v5/public/mark-price",
            {"instType": "SWAP"},
            _Envelope[answers.MarkPrice],
            wire.MarkPrice[str, str],
        ),
        ("GET", "/api/v5/public/time", None, _Envelope[answers.Timestamp], wire.Timestamp[str]),
        ("GET", "/api/v5/rfq/mmp-config", None, _Envelope[answers.MmpConfig], wire.MmpConfig[str]),
        (
            "POST",
            "/api/v5/rfq/cancel-all-after",
            {"timeOut": "10"},
            _Envelope[answers.CancelAllAfter],
            wire.CancelAllAfter[str],
        ),
        ("GET", "/api/v5/asset/currencies", None, _Envelope[wire.Currency], wire.Currency),
        ("GET", "/api/v5/account/balance", None, _Envelope[wire.AccountBalance], wire.AccountBalance),
    ]
    for method, path, params, envelope, written in answers_:
        if method == "GET":
            response = await maker1.request(method, path, params=params)
        else:
            response = await maker1.request(method, path, params)
        read = msgspec.json.decode(response.content, type=envelope, strict=False)

        again = codec.ok([_as_written(item, mi.type_info(written)) for item in read.data])
        assert again == response.content, path


async def test_group_rfqs_and_their_trades_round_trip_a_failed_account_too(tmp_path: Path, clock: ManualClock) -> None:
    """acctAlloc in every shape: an RFQ's (create-rfq's with sCode/sMsg, Get rfqs' without), execute-quote's, Get
    trades' and the channel's (one account filled, one failed), and a group's public data."""
    async for venue in settling_venue(tmp_path, clock, settling_config()):
        taker, maker = venue.party("TAKER1"), venue.party("MAKER1")
        await control(venue, "POST", "/faults", {**SETTLE_FAIL, "count": 1})
        alloc = [
            {"acct": "0", "legs": [{"instId": "BTC-USDT", "sz": "0.3"}, {"instId": "BTC-USDT-SWAP", "sz": "2"}]},
            {"acct": "alpha-2", "legs": [{"instId": "BTC-USDT", "sz": "1.2"}, {"instId": "BTC-USDT-SWAP", "sz": "8"}]},
        ]
        created = await create_rfq(taker, legs=[SPOT_LEG, SWAP_LEG], acctAlloc=alloc)
        legs = [{**SPOT_LEG, "px": "50000.1"}, {**SWAP_LEG, "px": "50010"}]
        quote = await create_quote(maker, created["rfqId"], legs=legs)
        await taker.post(EXECUTE, {"rfqId": created["rfqId"], "quoteId": quote["quoteId"]})
        engine = venue.app.services.venue
        rfq = engine.rfqs[RfqId(int(created["rfqId"]))]
        block_td_id = engine.book.trade_of_rfq[rfq.rfq_id]
        trade = engine.trades[block_td_id]
        pending = [views.execution(trade, viewer) for viewer in ("TAKER1", "MAKER1")]
        await advance(venue, SETTLEMENT_MS)
        trade = engine.trades[block_td_id]

        for viewer in ("TAKER1", "MAKER1"):
            _round_trip([views.rfq(rfq, viewer), views.rfq(rfq, viewer, flow_type=False)], answers.Rfq)
            _round_trip([views.trade(trade, viewer), views.struc_block_trade(trade, viewer)], answers.Trade, TRADE)
        _round_trip(pending, answers.Execution, EXECUTION)
        _round_trip([views.public_trade(trade, engine.catalogue), views.public_trade_push(trade)], answers.PublicTrade)
        for leg in trade.traded_legs():
            _round_trip([views.public_leg(trade, leg, engine.catalogue[leg.inst_id])], answers.PublicBlockTrade)
        assert [a.error_code for a in trade.allocs] == ["70509", ""]
        assert views.rfq(rfq, "TAKER1").acct_alloc and views.trade(trade, "MAKER1").acct_alloc
