"""The LP bot against a live venue: it quotes every RFQ naming it within 200 ms, replaces its quote before it
expires, never quotes an RFQ that ended, and rides out an MMP freeze.

Where the bot waits (a re-quote, a thaw), the venue and the bot share a ManualClock that stands still until the
test advances it (``VenueTime.advance_to``, which returns once the tasks it woke wait again): no test sleeps for
the bot's timers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from openrfq.bots.lp import LiquidityProvider
from openrfq.bots.pricing import quote_legs
from openrfq.client import Leg, OpenRfqClient, WsClient
from openrfq.config import BotSettings, Config, demo_config
from openrfq.domain.clock import ManualClock
from openrfq.serving import Running
from openrfq.testing import LiveVenue, live_venue, next_push
from openrfq.venue_time import VenueTime
from samples import make_config

SPOT = [Leg("BTC-USDT", "0.5", "buy")]


def _config(**bot: Any) -> Config:
    return replace(make_config(), bots=(BotSettings("MAKER1", **bot),))


@pytest.fixture
async def venue(tmp_path: Path) -> AsyncIterator[tuple[LiveVenue, Running]]:
    async with live_venue(_config(), tmp_path) as live:
        async with asyncio.timeout(5):
            await live.running.bots[0].connected.wait()
        yield live, live.running


@contextlib.asynccontextmanager
async def _on_a_manual_clock(
    tmp_path: Path, **bot: Any
) -> AsyncIterator[tuple[LiveVenue, LiquidityProvider, VenueTime]]:
    """The venue and its bot on one ManualClock, standing still from now (so wall-clock signatures still pass)."""
    clock = ManualClock(int(time.time() * 1000))
    venue_time = VenueTime(clock)
    config = _config(**bot)
    async with live_venue(replace(config, bots=()), tmp_path, clock) as live:
        key = config.account("MAKER1").keys[0]
        lp = LiquidityProvider(config.bots[0], key, live.url, live.ws_url, venue_time=venue_time)
        task = asyncio.create_task(lp.run(), name="bot-MAKER1")
        try:
            async with asyncio.timeout(5):
                await lp.connected.wait()
            yield live, lp, venue_time
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _until(done: Callable[[], bool]) -> None:
    async with asyncio.timeout(2):
        while not done():
            await asyncio.sleep(0.01)


async def test_the_bot_quotes_every_rfq_naming_it_within_200_ms(venue: tuple[LiveVenue, Running]) -> None:
    live, _ = venue
    taker_ws = await live.logged_in("TAKER1", "quotes")
    async with live.rest("TAKER1") as taker:
        calls = [i for i in await taker.instruments("OPTION", inst_family="BTC-USD") if i.opt_type == "C"]
        structures = [
            SPOT,
            [Leg("ETH-USDT", "2", "sell")],
            [Leg("BTC-USDT-SWAP", "10", "sell")],
            [Leg(calls[0].inst_id, "1", "buy"), Leg(calls[1].inst_id, "1", "sell")],
        ]
        instruments = {i.inst_id: i for t in ("SPOT", "SWAP") for i in await taker.instruments(t)} | {
            i.inst_id: i for i in calls
        }
        for legs in structures:
            started = time.perf_counter()
            rfq = await taker.create_rfq(["MAKER1", "MAKER2"], legs)
            pushed = (await next_push(taker_ws, "quotes"))["data"][0]
            elapsed = time.perf_counter() - started
            assert elapsed < 0.2, f"{[leg.inst_id for leg in legs]}: {elapsed * 1000:.0f} ms"
            assert (pushed["rfqId"], pushed["state"], pushed["quoteSide"], pushed["traderCode"]) == (
                rfq.rfq_id,
                "active",
                "sell",
                "MAKER1",
            )

            kinds = {instruments[leg.inst_id].inst_type for leg in legs}
            marks = {
                m.inst_id: m.mark_px for k in kinds for m in await taker.mark_prices("MARGIN" if k == "SPOT" else k)
            }
            expected = quote_legs(rfq.legs, instruments, marks, BotSettings().spread_bps)
            assert [(q["instId"], q["sz"], q["side"], Decimal(q["px"])) for q in pushed["legs"]] == [
                (e.inst_id, str(e.sz), e.side, e.px) for e in expected
            ]
        # An RFQ that does not name the bot gets nothing from it.
        await taker.create_rfq(["MAKER2"], SPOT)
        with pytest.raises(TimeoutError):
            await next_push(taker_ws, "quotes", 0.5)
    await taker_ws.close()


async def test_the_bot_replaces_its_quote_before_it_expires(tmp_path: Path) -> None:
    async with _on_a_manual_clock(tmp_path, expires_in_s=10, requote_before_s=8) as (live, bot, venue_time):
        taker_ws = await live.logged_in("TAKER1", "quotes")
        async with live.rest("TAKER1") as taker:
            rfq = await taker.create_rfq(["MAKER1"], SPOT)
            first = (await next_push(taker_ws, "quotes"))["data"][0]
            await _until(lambda: bot.stats.quotes == 1)  # asleep until its re-quote is due
            due = int(first["cTime"]) + 2_000  # 8 s before the quote's 10 s run out
            await venue_time.advance_to(due - 1)
            quotes_before_due = bot.stats.quotes
            await venue_time.advance_to(due)
            second = (await next_push(taker_ws, "quotes", state="active"))["data"][0]
            quotes = {q.quote_id: q for q in await taker.quotes(rfqId=rfq.rfq_id)}
        await taker_ws.close()

    assert quotes_before_due == 1
    assert second["quoteId"] != first["quoteId"]
    assert quotes[first["quoteId"]].state == "canceled"  # replaced: one active quote per maker per RFQ
    assert quotes[second["quoteId"]].state == "active"
    assert int(first["validUntil"]) - int(first["cTime"]) == 10_000
    assert int(second["cTime"]) - int(first["cTime"]) == 2_000


async def test_the_bot_never_quotes_an_rfq_that_ended(tmp_path: Path) -> None:
    async with _on_a_manual_clock(tmp_path, expires_in_s=10, requote_before_s=9) as (live, bot, venue_time):
        async with live.rest("TAKER1") as taker:
            rfq = await taker.create_rfq(["MAKER1"], SPOT)
            await _until(lambda: bot.stats.quotes == 1)
            quoted_at = venue_time.now_ms()
            await taker.cancel_rfq(rfq.rfq_id)
            # Past the moment (1 s after quoting) it would have replaced its quote.
            await venue_time.advance_to(quoted_at + 1_500)
            quotes = await taker.quotes(rfqId=rfq.rfq_id)

        assert [q.state for q in quotes] == ["canceled"]
        assert bot.stats.quotes == 1
        assert bot.rfqs == {}


async def test_the_bot_rides_out_an_mmp_freeze_and_quotes_again_after_the_thaw(tmp_path: Path) -> None:
    async with _on_a_manual_clock(tmp_path) as (live, bot, venue_time):
        taker_ws = await live.logged_in("TAKER1", "quotes")
        async with live.rest("TAKER1") as taker, live.rest("MAKER1") as maker:
            await maker.set_mmp(time_interval_ms=5000, frozen_interval_ms=2000, count_limit=1)
            traded = await taker.create_rfq(["MAKER1"], SPOT)
            first = (await next_push(taker_ws, "quotes"))["data"][0]
            waiting = await taker.create_rfq(["MAKER1"], [Leg("ETH-USDT", "1", "buy")])
            second = (await next_push(taker_ws, "quotes"))["data"][0]
            assert second["rfqId"] == waiting.rfq_id

            await taker.execute_quote(traded.rfq_id, first["quoteId"])  # the one execution MMP allows: frozen
            frozen_at = venue_time.now_ms()
            canceled = (await next_push(taker_ws, "quotes", state="canceled"))["data"][0]
            assert canceled["quoteId"] == second["quoteId"]
            assert (await maker.mmp()).mmp_frozen

            await _until(lambda: bot.frozen_until_ms > 0)  # it met 70008 and waits for the thaw
            thaw = bot.frozen_until_ms
            await venue_time.advance_to(thaw - 1)
            quotes_while_frozen = bot.stats.quotes
            await venue_time.advance_to(thaw)
            requoted = (await next_push(taker_ws, "quotes", state="active"))["data"][0]
            assert all(not t.done() for t in asyncio.all_tasks() if t.get_name() == "bot-MAKER1")
        await taker_ws.close()

    assert requoted["rfqId"] == waiting.rfq_id
    assert thaw == frozen_at + 2_000 and quotes_while_frozen == 2
    assert int(requoted["cTime"]) == thaw
    assert bot.stats.rejected >= 1  # it met 70008 and kept going


async def test_the_bot_catches_up_on_rfqs_sent_while_it_was_away(tmp_path: Path) -> None:
    config = _config()
    async with live_venue(replace(config, bots=()), tmp_path) as live:
        async with live.rest("TAKER1") as taker:
            rfq = await taker.create_rfq(["MAKER1"], SPOT)
            gone = await taker.create_rfq(["MAKER1"], SPOT)
            await taker.cancel_rfq(gone.rfq_id)
            bot = LiquidityProvider(config.bots[0], config.account("MAKER1").keys[0], live.url, live.ws_url)
            task = asyncio.create_task(bot.run())
            async with asyncio.timeout(3):
                while bot.stats.quotes < 1:
                    await asyncio.sleep(0.01)
            quoted = {q.rfq_id for q in await taker.quotes()}
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        assert quoted == {rfq.rfq_id}


async def test_serve_runs_the_wagmi_bot_for_a_taker_alone(tmp_path: Path) -> None:
    keys = ("demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass")
    async with live_venue(demo_config(), tmp_path) as live:
        await live.running.bots[0].connected.wait()
        async with OpenRfqClient(live.url, *keys) as taker, WsClient(live.ws_url, *keys, channels=["quotes"]) as ws:
            quoted = asyncio.ensure_future(anext(aiter(ws)))
            async with asyncio.timeout(5):
                await ws.connected.wait()
            assert "WAGMI" in {c.trader_code for c in await taker.counterparties()}
            rfq = await taker.create_rfq(["WAGMI"], SPOT)
            async with asyncio.timeout(5):
                await quoted  # the demo venue keeps OKX's rate limits: a push to wait for, not a poll
            quotes = await taker.quotes(rfqId=rfq.rfq_id)
            trade = await taker.execute_quote(rfq.rfq_id, quotes[0].quote_id)

    assert trade.m_trader_code == "WAGMI"


# --- scripted behaviours ([[bots]] quote_delay_ms, decline_ratio, fade_after_ms, requote, skew_bps, seed) -------


async def test_a_slow_bot_quotes_quote_delay_ms_of_venue_time_after_the_rfq(tmp_path: Path) -> None:
    async with _on_a_manual_clock(tmp_path, quote_delay_ms=3_000) as (live, bot, venue_time):
        async with live.rest("TAKER1") as taker:
            rfq = await taker.create_rfq(["MAKER1"], SPOT)
            created = venue_time.now_ms()
            await _until(lambda: venue_time.pending > 0)  # the bot heard of it and waits
            await venue_time.advance_to(created + 2_999)
            before = await taker.quotes(rfqId=rfq.rfq_id)
            await venue_time.advance_to(created + 3_000)
            await _until(lambda: bot.stats.quotes == 1)
            after = await taker.quotes(rfqId=rfq.rfq_id)

    assert before == []
    assert [int(q.c_time) - created for q in after] == [3_000]


async def test_decline_ratio_leaves_the_same_rfqs_unanswered_for_a_seed(tmp_path: Path) -> None:
    answered: list[list[str]] = []
    for run in range(2):
        async with _on_a_manual_clock(tmp_path / str(run), decline_ratio=0.5, seed=3) as (live, bot, _venue_time):
            async with live.rest("TAKER1") as taker:
                for _ in range(8):
                    await taker.create_rfq(["MAKER1"], SPOT)
                await _until(lambda: len(bot._done) + bot.stats.quotes == 8)
                answered.append(sorted(q.rfq_id for q in await taker.quotes()))

    assert answered[0] == answered[1]
    assert 0 < len(answered[0]) < 8


async def test_a_fading_bot_cancels_its_quote_fade_after_ms_after_quoting(tmp_path: Path) -> None:
    async with _on_a_manual_clock(tmp_path, fade_after_ms=4_000) as (live, bot, venue_time):
        async with live.rest("TAKER1") as taker:
            rfq = await taker.create_rfq(["MAKER1"], SPOT)
            await _until(lambda: bot.stats.quotes == 1)
            (quote,) = await taker.quotes(rfqId=rfq.rfq_id)
            await venue_time.advance_to(int(quote.c_time) + 4_000)
            await _until(lambda: bot.rfqs == {})
            (faded,) = await taker.quotes(rfqId=rfq.rfq_id)

    assert (faded.state, int(faded.u_time) - int(quote.c_time)) == ("canceled", 4_000)


async def test_without_requote_a_quote_is_not_replaced(tmp_path: Path) -> None:
    async with _on_a_manual_clock(tmp_path, expires_in_s=10, requote_before_s=5, requote=False) as (
        live,
        bot,
        venue_time,
    ):
        async with live.rest("TAKER1") as taker:
            rfq = await taker.create_rfq(["MAKER1"], SPOT)
            await _until(lambda: bot.stats.quotes == 1)
            await venue_time.advance_to(venue_time.now_ms() + 20_000)
            quotes = await taker.quotes(rfqId=rfq.rfq_id)

    assert len(quotes) == 1 and bot.stats.quotes == 1
