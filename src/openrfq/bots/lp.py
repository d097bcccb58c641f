"""The liquidity-provider bot: a real client of the venue that quotes every RFQ sent to its trader code.

It logs in on /ws/v5/business, listens on ``rfqs`` and ``quotes``, and answers each active RFQ naming it with
a quote priced from the mark price plus its spread (``pricing``). Each quote is replaced ``requote_before_s``
before it expires while the RFQ is active; an RFQ that ends (pushed, or answered 70303/70000) is dropped. A
quote the venue ends under it (MMP, Cancel All After) is replaced at once; while MMP has it frozen (70008) it
waits for the thaw. Connection trouble never ends the bot: it reconnects and catches up over REST.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from openrfq.bots.pricing import QUOTE_SIDE, quote_legs
from openrfq.client import ApiError, Instrument, OpenRfqClient, Quote, Rfq
from openrfq.config import ApiKey, BotSettings
from openrfq.ws.protocol import login_sign

log = logging.getLogger("openrfq.bots.lp")

ENDED = {"canceled", "expired", "filled", "traded_away", "failed"}
RFQ_GONE = {"70000", "70303"}  # unknown RFQ, RFQ not active
MMP_FROZEN = "70008"
MARK_TTL_S = 5.0  # public endpoints are limited per IP, shared with the user's own scripts on this machine
PING_EVERY_S = 20.0  # the venue closes connections silent for 30 s


class BotError(Exception):
    """The venue refused the bot's login: retrying at once would not help."""


@dataclass
class _Rfq:
    rfq: Rfq
    task: asyncio.Task[None] | None = None
    quote_id: str = ""
    requote_now: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Stats:
    quotes: int = 0
    rejected: int = 0
    reconnects: int = 0


class LiquidityProvider:
    def __init__(
        self,
        settings: BotSettings,
        key: ApiKey,
        base_url: str,
        ws_url: str,
        *,
        tls: ssl.SSLContext | None = None,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.settings = settings
        self.key = key
        self.ws_url = ws_url
        self.tls = tls
        self._now_ms = clock_ms or (lambda: int(time.time() * 1000))
        self.rest = OpenRfqClient(
            base_url, key.api_key, key.secret_key, key.passphrase, clock_ms=clock_ms, verify=tls or True
        )
        self.rfqs: dict[str, _Rfq] = {}
        self.stats = Stats()
        self.connected = asyncio.Event()
        self._instruments: dict[str, Instrument] = {}
        self._marks: dict[str, Decimal] = {}
        self._marks_at: dict[str, float] = {}
        self._frozen_until_ms = 0
        self._mmp_lock = asyncio.Lock()

    @property
    def trader_code(self) -> str:
        return self.settings.trader_code

    # --- connection --------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until cancelled, reconnecting with backoff."""
        backoff = 0.1
        try:
            while True:
                try:
                    await self._session()
                    backoff = 0.1
                except BotError as e:
                    log.error("bot %s: %s", self.trader_code, e)
                    backoff = 5.0
                except (OSError, WebSocketException, httpx.HTTPError, ApiError, TimeoutError) as e:
                    log.info("bot %s: connection lost (%s), reconnecting", self.trader_code, e)
                self.connected.clear()
                self.stats.reconnects += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        finally:
            for state in self.rfqs.values():
                if state.task is not None:
                    state.task.cancel()
            await self.rest.aclose()

    async def _session(self) -> None:
        async with connect(self.ws_url, ssl=self.tls, open_timeout=5) as ws:
            await self._login(ws)
            channels = [{"channel": "rfqs"}, {"channel": "quotes"}]
            await ws.send(json.dumps({"op": "subscribe", "args": channels}))
            await self._load_instruments()
            # RFQs that arrived while we were away: the pushes from here on keep us current.
            for rfq in await self.rest.rfqs(state="active"):
                self._on_rfq(rfq)
            self.connected.set()
            pinger = asyncio.create_task(self._ping(ws))
            try:
                async for text in ws:
                    if text != "pong":
                        self._on_message(json.loads(text))
            finally:
                pinger.cancel()

    async def _login(self, ws: ClientConnection) -> None:
        ts = str(self._now_ms() // 1000)
        arg = {
            "apiKey": self.key.api_key,
            "passphrase": self.key.passphrase,
            "timestamp": ts,
            "sign": login_sign(self.key.secret_key, ts),
        }
        await ws.send(json.dumps({"op": "login", "args": [arg]}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if answer.get("event") != "login" or answer.get("code") != "0":
            raise BotError(f"login refused: {answer.get('code')} {answer.get('msg')}")

    async def _ping(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(PING_EVERY_S)
            await ws.send("ping")

    async def _load_instruments(self) -> None:
        for inst_type in sorted(self.settings.inst_types - {"OPTION"}):
            for inst in await self.rest.instruments(inst_type):
                self._instruments[inst.inst_id] = inst

    # --- pushes ------------------------------------------------------------------------------------------------

    def _on_message(self, message: dict[str, Any]) -> None:
        channel = message.get("arg", {}).get("channel")
        if "data" not in message:
            if message.get("event") == "error":
                log.warning("bot %s: %s %s", self.trader_code, message.get("code"), message.get("msg"))
            return
        for item in message["data"]:
            if channel == "rfqs":
                self._on_rfq(msgspec.convert(item, Rfq, strict=False))
            elif channel == "quotes":
                self._on_quote(msgspec.convert(item, Quote, strict=False))

    def _on_rfq(self, rfq: Rfq) -> None:
        state = self.rfqs.get(rfq.rfq_id)
        if rfq.state != "active":
            if state is not None:
                self._drop(rfq.rfq_id)
            return
        if state is not None or self.trader_code not in rfq.counterparties:
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
        try:
            if not await self._handles(state.rfq):
                return
            while rfq_id in self.rfqs:
                wait_s = await self._quote_once(state)
                state.requote_now.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(state.requote_now.wait(), wait_s)
        except (OSError, httpx.HTTPError, ApiError) as e:
            # The connection is going: the reconnect's catch-up over REST picks this RFQ up again.
            log.info("bot %s: stopped quoting RFQ %s: %s", self.trader_code, rfq_id, e)
        finally:
            if self.rfqs.get(rfq_id) is state:
                self.rfqs.pop(rfq_id)

    async def _quote_once(self, state: _Rfq) -> float:
        """Send (or replace) the quote; the seconds until the next attempt."""
        rfq = state.rfq
        frozen_s = (self._frozen_until_ms - self._now_ms()) / 1000
        if frozen_s > 0:
            return frozen_s
        try:
            legs = quote_legs(rfq.legs, self._instruments, await self._marks_for(rfq), self.settings.spread_bps)
            quote = await self.rest.create_quote(rfq.rfq_id, QUOTE_SIDE, legs, expires_in=self.settings.expires_in_s)
        except ApiError as e:
            self.stats.rejected += 1
            if e.code in RFQ_GONE:
                self._drop(rfq.rfq_id)
                return 0
            if e.code == MMP_FROZEN:
                return await self._frozen()
            log.warning("bot %s: quote on RFQ %s refused: %s %s", self.trader_code, rfq.rfq_id, e.code, e.msg)
            return 1.0
        except KeyError as e:
            log.warning("bot %s: no price for %s, not quoting RFQ %s", self.trader_code, e, rfq.rfq_id)
            self._drop(rfq.rfq_id)
            return 0
        state.quote_id = quote.quote_id
        self.stats.quotes += 1
        return max((quote.valid_until - self._now_ms()) / 1000 - self.settings.requote_before_s, 0.5)

    async def _marks_for(self, rfq: Rfq) -> dict[str, Decimal]:
        now = time.monotonic()
        for inst_type in {self._instruments[leg.inst_id].inst_type for leg in rfq.legs}:
            if now - self._marks_at.get(inst_type, -MARK_TTL_S) >= MARK_TTL_S:
                # OKX lists the marks of spot pairs under instType MARGIN.
                for mark in await self.rest.mark_prices("MARGIN" if inst_type == "SPOT" else inst_type):
                    self._marks[mark.inst_id] = mark.mark_px
                self._marks_at[inst_type] = now
        return self._marks

    async def _frozen(self) -> float:
        """MMP froze us: learn until when (one request for all RFQs) and wait that long."""
        async with self._mmp_lock:
            if self._frozen_until_ms <= self._now_ms():
                mmp = await self.rest.mmp()
                until = int(mmp.mmp_frozen_until) if mmp.mmp_frozen_until else 0
                self._frozen_until_ms = max(until, self._now_ms() + 1000)
                log.info("bot %s: MMP frozen until %s", self.trader_code, self._frozen_until_ms)
        return max((self._frozen_until_ms - self._now_ms()) / 1000, 0.05)


def bot_tls() -> ssl.SSLContext:
    """The bot talks to its own venue over loopback: it encrypts but does not verify (the venue may use a
    certificate for a name other than 127.0.0.1)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
