"""openrfq.client: typed results, signing and errors, in-process and against a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Protocol

import pytest

from openrfq.client import ApiError, Leg, OpenRfqClient
from openrfq.testing import InProcessVenue, ServerVenue, asgi_transport

SPOT = Leg("BTC-USDT", "1.5", "buy")


class Factory(Protocol):
    """A client as ``name`` (trader code or api_key), its ``secret`` or ``passphrase`` replaced if given."""

    def __call__(self, name: str, **key: str) -> OpenRfqClient: ...


@pytest.fixture
async def client_for(venue: InProcessVenue) -> AsyncIterator[Factory]:
    made: list[OpenRfqClient] = []

    def make(name: str, **key: str) -> OpenRfqClient:
        account = venue.account(name)
        client = OpenRfqClient(
            venue.url,
            account.api_key,
            key.get("secret", account.secret_key),
            key.get("passphrase", account.passphrase),
            clock_ms=venue.clock.now_ms,
            transport=asgi_transport(venue.app),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


async def test_the_quote_lifecycle_with_typed_results(client_for: Factory) -> None:
    taker, maker = client_for("TAKER1"), client_for("MAKER1")

    rfq = await taker.create_rfq(["MAKER1", "MAKER2"], [SPOT], cl_rfq_id="r1", tag="t1")
    quote = await maker.create_quote(
        rfq.rfq_id, "sell", [Leg("BTC-USDT", "1.5", "buy", px="50000.1")], cl_quote_id="q1"
    )
    seen = await taker.quotes(rfqId=rfq.rfq_id)
    canceled = await maker.cancel_quote(cl_quote_id="q1")

    assert (rfq.state, rfq.cl_rfq_id, rfq.counterparties) == ("active", "r1", ["MAKER1", "MAKER2"])
    assert rfq.legs[0].sz == Decimal("1.5") and rfq.legs[0].tgt_ccy == "base_ccy"
    assert isinstance(rfq.valid_until, int) and rfq.valid_until > rfq.c_time
    assert (quote.state, quote.cl_quote_id, quote.legs[0].px) == ("active", "q1", Decimal("50000.1"))
    assert [(q.quote_id, q.cl_quote_id) for q in seen] == [(quote.quote_id, "")]
    assert (canceled.ok, canceled.quote_id, canceled.cl_quote_id) == (True, quote.quote_id, "q1")
    assert (await maker.quotes(quoteId=quote.quote_id))[0].state == "canceled"


async def test_execution_and_trades(client_for: Factory) -> None:
    taker, maker = client_for("TAKER1"), client_for("MAKER1")
    rfq = await taker.create_rfq(["MAKER1"], [SPOT])
    quote = await maker.create_quote(rfq.rfq_id, "buy", [Leg("BTC-USDT", "1.5", "buy", px="50000")])

    trade = await taker.execute_quote(rfq.rfq_id, quote.quote_id)
    mine = await maker.trades(rfqId=rfq.rfq_id)

    assert trade.legs[0].side == "sell" and trade.legs[0].fee == Decimal("-37.5")
    assert [t.block_td_id for t in mine] == [trade.block_td_id]
    assert mine[0].legs[0].fee_ccy == "BTC"
    assert (await taker.public_trades())[0].block_td_id == trade.block_td_id
    assert (await taker.block_ticker("BTC-USDT")).vol24h == Decimal("1.5")


async def test_an_item_error_raises_with_its_code_and_message(client_for: Factory) -> None:
    taker, maker = client_for("TAKER1"), client_for("MAKER1")
    rfq = await taker.create_rfq(["MAKER1"], [SPOT])
    quote = await maker.create_quote(rfq.rfq_id, "sell", [Leg("BTC-USDT", "1.5", "buy", px="1")])
    await maker.cancel_quote(quote.quote_id)

    with pytest.raises(ApiError) as caught:
        await maker.cancel_quote(quote.quote_id)

    assert (caught.value.code, caught.value.msg) == ("70400", "The Quote with canceled status cannot be canceled")
    assert caught.value.items[0]["quoteId"] == quote.quote_id


async def test_batch_cancels_return_every_item_instead_of_raising(client_for: Factory) -> None:
    taker = client_for("TAKER1")
    rfq = await taker.create_rfq(["MAKER1"], [SPOT])

    results = await taker.cancel_batch_rfqs([rfq.rfq_id, "999"])

    assert [(r.rfq_id, r.s_code) for r in results] == [(rfq.rfq_id, "0"), ("999", "70000")]


async def test_envelope_errors_carry_the_http_status(client_for: Factory) -> None:
    with pytest.raises(ApiError) as wrong_pass:
        await client_for("TAKER1", passphrase="nope").counterparties()
    with pytest.raises(ApiError) as read_only:
        await client_for("taker1ro-key").create_rfq(["MAKER1"], [SPOT])

    assert (wrong_pass.value.code, wrong_pass.value.http_status) == ("50105", 401)
    assert read_only.value.code == "50120"


async def test_maker_controls_and_public_data(client_for: Factory) -> None:
    maker = client_for("MAKER1")

    assert await maker.set_quote_products([{"instType": "SPOT", "data": [{"instId": "BTC-USDT", "maxBlockSz": "2"}]}])
    mmp = await maker.set_mmp(5000, 1000, 3)
    after = await maker.cancel_all_after(10)
    instruments = await maker.instruments("SPOT", inst_id="BTC-USDT")
    marks = await maker.mark_prices("SWAP", inst_id="BTC-USDT-SWAP")

    assert (await maker.quote_products())[0]["data"][0]["maxBlockSz"] == "2"
    assert (mmp.time_interval, mmp.count_limit) == (5000, 3)
    assert (await maker.mmp()).mmp_frozen is False
    assert after.trigger_time == after.ts + 10_000
    assert instruments[0].tick_sz == Decimal("0.1")
    assert marks[0].mark_px == Decimal(50000)
    assert await maker.server_time() == after.ts


async def test_against_a_real_server(server: ServerVenue) -> None:
    key = server.account("TAKER1")
    async with OpenRfqClient(server.url, key.api_key, key.secret_key, key.passphrase) as taker:
        rfq = await taker.create_rfq(["MAKER2"], [Leg("ETH-USDT", "2", "sell")], anonymous=True)
        assert (await taker.rfqs(rfqId=rfq.rfq_id))[0].state == "active"
        assert (await taker.cancel_rfq(rfq.rfq_id)).ok


def test_legs_go_out_as_plain_numbers_never_exponents() -> None:
    from openrfq.client.rest import _leg_json

    leg = Leg("SHIB-USDT", Decimal("1E+6"), "buy", px=Decimal("6.2E-7"), tgt_ccy="base_ccy")

    assert _leg_json(leg) == {
        "instId": "SHIB-USDT",
        "sz": "1000000",
        "side": "buy",
        "px": "0.00000062",
        "tgtCcy": "base_ccy",
    }
