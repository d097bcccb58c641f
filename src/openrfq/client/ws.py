"""The WebSocket half of the client: OKX's ``/ws/v5/business`` as an async iterator of decoded pushes.

    ws = WsClient("ws://127.0.0.1:8080/ws/v5/business", key, secret, passphrase, channels=["rfqs", "quotes"])
    async with ws:
        async for push in ws:
            for item in push.data:
                if isinstance(item, wire.Quote):
                    ...

Iterating connects (``wss://`` with ``tls``, a default context when none is given), logs in when given a key,
subscribes and waits for the venue to confirm, runs ``on_connect`` (the place to catch up over REST on what was
pushed while away), then yields each push decoded into the wire Structs (``answers``). It sends OKX's ``ping``
every ``ping_every_s`` (the venue closes a connection silent for 30 s). When the connection drops, or
``on_connect`` fails on the network, it waits (backoff from ``backoff_s[0]`` doubling to ``backoff_s[1]``, on
the wall clock) and connects, logs in and subscribes again: the iteration goes on. A refused login is retried
too, at the longest backoff (logged as an error: the venue may not know the key yet); a refused subscription
ends the iteration with ``WsRefused`` (retrying the same would not help). Events (acknowledgements, errors of
later requests, notices) are logged, not yielded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidURI, WebSocketException

from openrfq.client.answers import BlockTicker, PublicBlockTrade, PublicTrade, Quote, Rfq, Trade
from openrfq.client.rest import ApiError
from openrfq.client.signing import Key, login_args

log = logging.getLogger("openrfq.client.ws")

Item = Rfq | Quote | Trade | PublicTrade | PublicBlockTrade | BlockTicker
PING_EVERY_S = 20.0  # the venue closes connections silent for 30 s
# A lost connection, a venue answering what does not decode, or on_connect's REST catch-up failing on the
# network: connect again after a while.
_RETRIED = (OSError, TimeoutError, WebSocketException, msgspec.DecodeError, httpx.HTTPError, ApiError)


@dataclass(frozen=True, slots=True)
class Push:
    """One pushed message: its channel, its instId (public-block-trades, block-tickers; else "") and items."""

    channel: str
    inst_id: str
    data: Sequence[Item]


class WsRefused(Exception):
    """The venue refused a login or subscription: ``code`` and ``msg`` are its error event's."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg = code, msg


class LoginRefused(WsRefused):
    pass


class _Arg(msgspec.Struct, rename="camel"):
    channel: str = ""
    inst_id: str = ""


class _Message(msgspec.Struct):
    event: str = ""
    arg: _Arg | None = None
    data: msgspec.Raw = msgspec.Raw()  # empty: not a push
    code: str = ""
    msg: str = ""


_message = msgspec.json.Decoder(_Message)
_items: dict[str, msgspec.json.Decoder[Any]] = {
    "rfqs": msgspec.json.Decoder(list[Rfq], strict=False),
    "quotes": msgspec.json.Decoder(list[Quote], strict=False),
    "struc-block-trades": msgspec.json.Decoder(list[Trade], strict=False),
    "public-struc-block-trades": msgspec.json.Decoder(list[PublicTrade], strict=False),
    "public-block-trades": msgspec.json.Decoder(list[PublicBlockTrade], strict=False),
    "block-tickers": msgspec.json.Decoder(list[BlockTicker], strict=False),
}
_encode = msgspec.json.encode


def _args(subs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"channel": channel, "instId": inst_id} if inst_id else {"channel": channel} for channel, inst_id in subs]


class WsClient:
    def __init__(
        self,
        url: str,
        api_key: str = "",
        secret_key: str = "",
        passphrase: str = "",
        *,
        channels: Iterable[str] = (),
        tls: ssl.SSLContext | None = None,
        clock_ms: Callable[[], int] | None = None,
        on_connect: Callable[[], Awaitable[None]] | None = None,
        ping_every_s: float = PING_EVERY_S,
        open_timeout_s: float = 5.0,
        backoff_s: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self.url = url
        self._key = Key(api_key, secret_key, passphrase) if api_key else None
        self._subs: list[tuple[str, str]] = [(channel, "") for channel in channels]
        self._tls = tls
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self.on_connect = on_connect
        self.ping_every_s, self.open_timeout_s, self.backoff_s = ping_every_s, open_timeout_s, backoff_s
        self.connected = asyncio.Event()  # logged in, subscribed and caught up (on_connect done)
        self.reconnects = 0
        self._conn: ClientConnection | None = None
        self._iterator: AsyncGenerator[Push, None] | None = None
        self._closing = asyncio.Event()

    async def __aenter__(self) -> WsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncGenerator[Push, None]:
        if self._iterator is None:
            self._iterator = self._pushes()
        return self._iterator

    async def aclose(self) -> None:
        """Close the connection and end the iteration (from the iterating task or another)."""
        self._closing.set()
        if self._conn is not None:
            await self._conn.close()
        # A generator awaiting inside (the connection, the backoff) ends by itself now; one resting at a yield
        # is closed here.
        if self._iterator is not None and not getattr(self._iterator, "ag_running", True):
            await self._iterator.aclose()

    async def subscribe(self, *channels: str, inst_id: str = "") -> None:
        """Subscribe now if connected, and again after every reconnect."""
        await self._change("subscribe", [(channel, inst_id) for channel in channels])

    async def unsubscribe(self, *channels: str, inst_id: str = "") -> None:
        await self._change("unsubscribe", [(channel, inst_id) for channel in channels])

    async def _change(self, op: str, subs: list[tuple[str, str]]) -> None:
        for sub in subs:
            if op == "subscribe" and sub not in self._subs:
                self._subs.append(sub)
            elif op == "unsubscribe" and sub in self._subs:
                self._subs.remove(sub)
        if self._conn is not None and self.connected.is_set():
            await self._conn.send(_encode({"op": op, "args": _args(subs)}).decode())

    # --- the connection -----------------------------------------------------------------------------------------

    async def _pushes(self) -> AsyncGenerator[Push, None]:
        backoff = self.backoff_s[0]
        # wss:// without a context: websockets makes a default one.
        tls: dict[str, Any] = {"ssl": self._tls} if self._tls is not None else {}
        while not self._closing.is_set():
            try:
                async with connect(self.url, open_timeout=self.open_timeout_s, **tls) as conn:
                    self._conn = conn
                    pinger = asyncio.create_task(self._ping(conn))  # from the start: on_connect may take a while
                    try:
                        early = await self._open(conn)
                        backoff = self.backoff_s[0]
                        for push in early:
                            yield push
                        async for text in conn:
                            if (pushed := self._decode(text)) is not None:
                                yield pushed
                    finally:
                        pinger.cancel()
            except InvalidURI:
                raise
            except LoginRefused as e:
                log.error("login to %s refused: %s", self.url, e)
                backoff = self.backoff_s[1]
            except _RETRIED as e:
                log.info("connection to %s lost (%s), reconnecting", self.url, e)
            finally:
                self._conn = None
                self.connected.clear()
            if self._closing.is_set():
                return
            self.reconnects += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), backoff)
            backoff = min(backoff * 2, self.backoff_s[1])

    async def _open(self, conn: ClientConnection) -> list[Push]:
        """Log in, subscribe, catch up; the pushes that came with the acknowledgements."""
        sent = list(self._subs)
        early: list[Push] = []
        async with asyncio.timeout(self.open_timeout_s):
            if self._key is not None:
                await conn.send(_encode({"op": "login", "args": [login_args(self._key, self._clock_ms())]}).decode())
                answer = _message.decode(await self._recv(conn))
                if answer.event != "login" or answer.code != "0":
                    raise LoginRefused(answer.code, answer.msg)
            if sent:
                await conn.send(_encode({"op": "subscribe", "args": _args(sent)}).decode())
            acknowledged = 0
            while acknowledged < len(sent):
                text = await self._recv(conn)
                answer = _message.decode(text)
                if answer.event == "error":
                    raise WsRefused(answer.code, answer.msg)
                if answer.event == "subscribe":
                    acknowledged += 1
                elif (push := self._decode(text)) is not None:
                    early.append(push)
        if self.on_connect is not None:
            await self.on_connect()
        self.connected.set()
        added = [sub for sub in self._subs if sub not in sent]  # subscribed while this connection opened
        if added:
            await conn.send(_encode({"op": "subscribe", "args": _args(added)}).decode())
        return early

    @staticmethod
    async def _recv(conn: ClientConnection) -> str | bytes:
        while (text := await conn.recv()) == "pong":
            pass
        return text

    async def _ping(self, conn: ClientConnection) -> None:
        with contextlib.suppress(WebSocketException, OSError):
            while True:
                await asyncio.sleep(self.ping_every_s)
                await conn.send("ping")

    def _decode(self, text: str | bytes) -> Push | None:
        if text == "pong":
            return None
        try:
            message = _message.decode(text)
            if not message.data or message.arg is None:
                level = logging.WARNING if message.event == "error" else logging.DEBUG
                log.log(level, "%s: %s %s %s", self.url, message.event, message.code, message.msg)
                return None
            decoder = _items.get(message.arg.channel)
            if decoder is None:
                log.debug("%s: a push on channel %r, which this client does not read", self.url, message.arg.channel)
                return None
            return Push(message.arg.channel, message.arg.inst_id, decoder.decode(message.data))
        except msgspec.DecodeError as e:  # ValidationError included: one bad message, not a broken connection
            log.warning("%s: a message that does not decode (%s): %.200r", self.url, e, text)
            return None
