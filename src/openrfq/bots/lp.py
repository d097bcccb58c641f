"""The liquidity-provider bot: a real client of the venue that quotes every RFQ sent to its trader code.

It logs in on /ws/v5/business, listens on ``rfqs`` and ``quotes``, and answers each active RFQ naming it with
a quote priced from the mark price plus its spread (``pricing``). Each quote is replaced ``requote_before_s``
before it expires while the RFQ is active; an RFQ that ends (pushed, or answered 70303/70000) is dropped. A
quote the venue ends under it (MMP, Cancel All After) is replaced at once; while MMP has it frozen (70008) it
waits for the thaw. Connection trouble never ends the bot: its WebSocket client reconnects (with backoff, on
the wall clock) and the bot catches up over REST.

Its waits for a re-quote or a thaw, and the ages of its cached mark prices, are in venue time (``VenueTime``,
by default the system clock's): on a venue whose clock a test or the control plane moves, the bot keeps pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

from openrfq.bots.pricing import QUOTE_SIDE, quote_legs
from openrfq.client import ApiError, Instrument, OpenRfqClient, Push, Quote, Rfq, WsClient, wire
from openrfq.config import ApiKey, BotSettings
from openrfq.domain.clock import SystemClock
from openrfq.venue_time import VenueTime

log = logging.getLogger("openrfq.bots.lp")

ENDED = {"canceled", "expired", "filled", "traded_away", "failed"}
RFQ_GONE = {"70000", "70303"}  # unknown RFQ, RFQ not active
MMP_FROZEN = "70008"
MARK_TTL_MS = 5000  # public endpoints are limited per IP, shared with the user's own scripts on this machine
RETRY_MS = 1000  # after a refusal the bot does not understand
MIN_WAIT_MS = 500  # between two quotes on one RFQ


@dataclass
class _Rfq:
    rfq: Rfq
    task: asyncio.Task[None] | None = None
    quote_id: str = ""
    quoted_ms: int = 0  # the current quote's cTime (venue time)
    requote_now: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Stats:
    quotes: int = 0
    rejected: int = 0


class LiquidityProvider:
    def __init__(
        self,
        settings: BotSettings,
        key: ApiKey,
        base_url: str,
        ws_url: str,
        *,
        tls: ssl.SSLContext | None = None,
        venue_time: VenueTime | None = None,
        signing_ms: Callable[[], int] | None = None,
    ) -> None:
        self.settings = settings
        self.time = venue_time or VenueTime(SystemClock())
        # Requests and logins are signed by the clock the venue judges them by (the machine's by default).
        now_ms = signing_ms or self.time.now_ms
        self.rest = OpenRfqClient(
            base_url, key.api_key, key.secret_key, key.passphrase, clock_ms=now_ms, verify=tls or True
        )
        self.ws = WsClient(
            ws_url,
            key.api_key,
            key.secret_key,
            key.passphrase,
            channels=("rfqs", "quotes"),
            tls=tls,
            clock_ms=now_ms,
            on_connect=self._catch_up,
        )
        self.rfqs: dict[str, _Rfq] = {}
        self._done: set[str] = set()  # RFQs it chose to leave (declined, faded, quoted once): not taken up again
        self.stats = Stats()
        self.connected = self.ws.connected  # logged in, subscribed and caught up
        self._instruments: dict[str, Instrument] = {}
        self._marks: dict[str, Decimal] = {}
        self._marks_at: dict[str, int] = {}
        self._frozen_until_ms = 0
        self._mmp_lock = asyncio.Lock()

    @property
    def trader_code(self) -> str:
        return self.settings.trader_code

    @property
    def frozen_until_ms(self) -> int:
        """Until when (venue time) MMP froze the bot, as it last learnt; 0 if it never was."""
        return self._frozen_until_ms

    # --- connection --------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until cancelled; the WebSocket client reconnects, and ``_catch_up`` runs on each connection."""
        try:
            async for push in self.ws:
                self._on_push(push)
        finally:
            for state in self.rfqs.values():
                if state.task is not None:
                    state.task.cancel()
            await self.ws.aclose()
            await self.rest.aclose()

    async def _catch_up(self) -> None:
        """RFQs that arrived while we were away: the pushes from here on keep us current."""
        await self._load_instruments()
        for rfq in await self.rest.rfqs(state="active"):
            self._on_rfq(rfq)

    async def _load_instruments(self) -> None:
        for inst_type in sorted(self.settings.inst_types - {"OPTION"}):
            for inst in await self.rest.instruments(inst_type):
                self._instruments[inst.inst_id] = inst

    # --- pushes ------------------------------------------------------------------------------------------------

    def _on_push(self, push: Push) -> None:
        for item in push.data:
            if isinstance(item, wire.Rfq):
                self._on_rfq(item)
            elif isinstance(item, wire.Quote):
                self._on_quote(item)

    def _on_rfq(self, rfq: Rfq) -> None:
        state = self.rfqs.get(rfq.rfq_id)
        if rfq.state != "active":
            if state is not None:
                self._drop(rfq.rfq_id)
            return
        if state is not None or rfq.rfq_id in self._done or self.trader_code not in rfq.counterparties:
            return
        state = _Rfq(rfq)
        self.rfqs[rfq.rfq_id] = state
        state.task = asyncio.create_task(self._quote_while_active(state), name=f"lp-{self.trader_code}-{rfq.rfq_id}")

    def _on_quote(self, quote: Quote) -> None:
        state = self.rfqs.get(quote.rfq_id)
        # Our current quote ended under us (MMP, Cancel All After, someone with our key): replace it now.
        if state is not None and quote.quote_id == state.quote_id and quote.state in ENDED - {"filled"}:
            state.quote_id = ""
            state.requote_now.set()

    async def _handles(self, rfq: Rfq) -> bool:
        for leg in rfq.legs:
            if leg.inst_id not in self._instruments:
                await self._load_instrument(leg.inst_id)
        kinds = {
            self._instruments[leg.inst_id].inst_type if leg.inst_id in self._instruments else "" for leg in rfq.legs
        }
        return kinds <= self.settings.inst_types

    async def _load_instrument(self, inst_id: str) -> None:
        """Options are listed per family (OKX requires instFamily), found from the instId: BTC-USD-250328-90000-C."""
        parts = inst_id.split("-")
        if len(parts) == 5 and "OPTION" in self.settings.inst_types:
            for inst in await self.rest.instruments("OPTION", inst_family="-".join(parts[:2])):
                self._instruments[inst.inst_id] = inst
        else:
            await self._load_instruments()

    def _drop(self, rfq_id: str) -> None:
        state = self.rfqs.pop(rfq_id, None)
        if state is not None and state.task is not None and state.task is not asyncio.current_task():
            state.task.cancel()

    # --- quoting -----------------------------------------------------------------------------------------------

    async def _quote_while_active(self, state: _Rfq) -> None:
        rfq_id = state.rfq.rfq_id
        settings = self.settings
        try:
            if not await self._handles(state.rfq) or self._declines(rfq_id):
                self._done.add(rfq_id)
                return
            if settings.quote_delay_ms:  # a slow maker
                await self.time.sleep(settings.quote_delay_ms)
            while rfq_id in self.rfqs:
                next_ms = await self._quote_once(state)
                if state.quote_id and (settings.fade_after_ms or not settings.requote):
                    await self._last_quote(state)
                    return
                state.requote_now.clear()
                await self.time.sleep_until(next_ms, state.requote_now)
        except (OSError, httpx.HTTPError, ApiError) as e:
            # The connection is going: the reconnect's catch-up over REST picks this RFQ up again.
            log.info("bot %s: stopped quoting RFQ %s: %s", self.trader_code, rfq_id, e)
        finally:
            if self.rfqs.get(rfq_id) is state:
                self.rfqs.pop(rfq_id)

    def _declines(self, rfq_id: str) -> bool:
        """An absent maker: ``decline_ratio`` of the RFQs go unanswered, which ones fixed by ``seed`` and the id."""
        ratio = self.settings.decline_ratio
        return ratio > 0 and random.Random(f"{self.settings.seed}:{rfq_id}").random() < ratio

    async def _last_quote(self, state: _Rfq) -> None:
        """No replacing: a fading maker cancels its quote ``fade_after_ms`` after quoting; either way it is done."""
        self._done.add(state.rfq.rfq_id)
        if self.settings.fade_after_ms:
            # From the quote's cTime, not from now: this task may run after venue time has moved on (advanced by
            # the control plane while the bot was still reading its answer), and the fade is the quote's.
            await self.time.sleep_until(state.quoted_ms + self.settings.fade_after_ms)
            with contextlib.suppress(ApiError):  # already ended: filled, expired, the RFQ gone
                await self.rest.cancel_quote(quote_id=state.quote_id)

    async def _quote_once(self, state: _Rfq) -> int:
        """Send (or replace) the quote; when (venue time, ms) to try next."""
        rfq = state.rfq
        now = self.time.now_ms()
        if self._frozen_until_ms > now:
            return self._frozen_until_ms
        try:
            marks = await self._marks_for(rfq)
            legs = quote_legs(rfq.legs, self._instruments, marks, self.settings.spread_bps, self.settings.skew_bps)
            quote = await self.rest.create_quote(rfq.rfq_id, QUOTE_SIDE, legs, expires_in=self.settings.expires_in_s)
        except ApiError as e:
            self.stats.rejected += 1
            if e.code in RFQ_GONE:
                self._drop(rfq.rfq_id)
                return now
            if e.code == MMP_FROZEN:
                return await self._frozen()
            log.warning("bot %s: quote on RFQ %s refused: %s %s", self.trader_code, rfq.rfq_id, e.code, e.msg)
            return self.time.now_ms() + RETRY_MS
        except KeyError as e:
            log.warning("bot %s: no price for %s, not quoting RFQ %s", self.trader_code, e, rfq.rfq_id)
            self._drop(rfq.rfq_id)
            return now
        state.quote_id, state.quoted_ms = quote.quote_id, quote.c_time
        self.stats.quotes += 1
        requote_at = quote.valid_until - self.settings.requote_before_s * 1000
        return max(requote_at, self.time.now_ms() + MIN_WAIT_MS)

    async def _marks_for(self, rfq: Rfq) -> dict[str, Decimal]:
        now = self.time.now_ms()
        for inst_type in {self._instruments[leg.inst_id].inst_type for leg in rfq.legs}:
            fetched = self._marks_at.get(inst_type)
            if fetched is None or now - fetched >= MARK_TTL_MS:
                # OKX lists the marks of spot pairs under instType MARGIN.
                for mark in await self.rest.mark_prices("MARGIN" if inst_type == "SPOT" else inst_type):
                    self._marks[mark.inst_id] = mark.mark_px
                self._marks_at[inst_type] = now
        return self._marks

    async def _frozen(self) -> int:
        """MMP froze us: learn until when (one request for all RFQs); the venue time to try again."""
        async with self._mmp_lock:
            if self._frozen_until_ms <= self.time.now_ms():
                mmp = await self.rest.mmp()
                until = int(mmp.mmp_frozen_until) if mmp.mmp_frozen_until else 0
                self._frozen_until_ms = max(until, self.time.now_ms() + 1000)
                log.info("bot %s: MMP frozen until %s", self.trader_code, self._frozen_until_ms)
        return max(self._frozen_until_ms, self.time.now_ms() + 50)


def bot_tls() -> ssl.SSLContext:
    """The bot talks to its own venue over loopback: it encrypts but does not verify (the venue may use a
    certificate for a name other than 127.0.0.1)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
