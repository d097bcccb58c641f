"""The /ws/v5/business hub: login, subscriptions, and fan-out of durable changes to subscribers.

The committer calls ``on_events`` with each durable batch's events in engine order; the hub renders each for
every subscribed viewer (views per viewer, exactly as REST) and queues it on their sessions without waiting.
Public block-trade data waits out the configured public delay; block tickers are also pushed every 5 minutes;
both in venue time. A session hands each message it receives to ``handle``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
import re
from collections.abc import Iterator
from functools import partial
from typing import Any

from openrfq.access.auth import Caller
from openrfq.api import views
from openrfq.domain import errors
from openrfq.domain.events import Event, QuoteChanged, RfqChanged, TradeExecuted
from openrfq.domain.models import BlockTrade
from openrfq.faults import WS, Rule
from openrfq.limits import HOUR_MS, WS_MAX_ARGS, WS_REQUESTS_PER_HOUR
from openrfq.services import Services
from openrfq.venue_time import Timer
from openrfq.ws import protocol
from openrfq.ws.protocol import INST_CHANNELS, PRIVATE_CHANNELS, PUBLIC_CHANNELS
from openrfq.ws.session import Receive, Send, Session

log = logging.getLogger("openrfq.ws")
_CLOSE, _DELAY, _SKEW = frozenset({"close"}), frozenset({"delay"}), frozenset({"skew"})


def _conn_ids(virtual: bool) -> Iterator[str]:
    """Connection ids: 8 hex digits; on a virtual clock from a fixed seed, so a scenario's bytes repeat."""
    rng = random.Random(0) if virtual else random.SystemRandom()
    while True:
        yield f"{rng.getrandbits(32):08x}"


_TIMESTAMP = re.compile(r"\d{1,12}(\.\d{1,6})?")


class Hub:
    def __init__(
        self,
        services: Services,
        idle_timeout_s: float = 30.0,
        queue_size: int = 1024,
        ticker_interval_s: float = 300.0,
    ) -> None:
        self.svc = services
        self.idle_timeout_s, self.queue_size, self.ticker_interval_s = idle_timeout_s, queue_size, ticker_interval_s
        # The keep-alive's clock: venue time, but the machine's for a virtual venue (runtime.build_app), since a
        # client pings by its own clock and cannot ping while the control plane advances venue time.
        self.keepalive = services.time
        self.sessions: set[Session] = set()
        self._by_trader: dict[str, set[Session]] = {}
        self._delayed: set[Timer] = set()  # public data waiting out the public delay
        self._conn_ids = _conn_ids(services.time.virtual)
        services.metrics.ws_queue_depth.set_function(self.deepest_queue)

    def reset(self) -> None:
        """The venue's state was replaced (control plane): public data still waiting is dropped, and on a virtual
        clock connection ids start over (the same scenario gives the same bytes). Sessions stay open."""
        for timer in self._delayed:
            timer.cancel()
        self._delayed.clear()
        self._conn_ids = _conn_ids(self.svc.time.virtual)

    def on_fault(self, rule: Rule) -> None:
        """A new ``ws`` close rule closes the account's sessions open now (and those that log in later)."""
        if rule.path == WS and rule.action == "close":
            for session in list(self.sessions):
                if session.account is not None:
                    self._fault_close(session)

    def _fault_close(self, session: Session) -> None:
        assert session.account is not None
        rule = self.svc.faults.match(WS, session.account.trader_code, _CLOSE)
        if rule is not None:
            session.close(int(rule.code))

    # --- connections ----------------------------------------------------------------------------------------

    async def serve(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        client = scope.get("client")
        session = Session(self.handle, send, self.queue_size, self.keepalive, client[0] if client else "")
        session.conn_id = next(self._conn_ids)
        self.sessions.add(session)
        self.svc.metrics.ws_connections.inc()
        try:
            await session.run(receive, int(self.idle_timeout_s * 1000))
        finally:
            self.sessions.discard(session)
            if session.account is not None:
                self._by_trader.get(session.account.trader_code, set()).discard(session)
            self.svc.metrics.ws_connections.dec()

    async def run(self) -> None:
        """Push block tickers to their subscribers every ``ticker_interval_s`` of venue time."""
        while True:
            await self.svc.time.sleep(self.ticker_interval_s * 1000)
            self._push_tickers({inst for s in self.sessions for ch, inst in s.subs if ch == "block-tickers"})

    def deepest_queue(self) -> int:
        return max((s.depth for s in self.sessions), default=0)

    # --- requests -------------------------------------------------------------------------------------------

    def handle(self, session: Session, text: str) -> None:
        if text == "ping":
            session.push("pong")
            return
        request_id: str | None = None
        op: Any = None
        try:
            message = protocol.decode(text)
            if not isinstance(message, dict):
                raise errors.MalformedRequest(request=text)
            raw_id = message.get("id")
            request_id = raw_id if isinstance(raw_id, str) else None
            op, args = message.get("op"), message.get("args")
            if not isinstance(op, str):
                raise errors.MalformedRequest(request=text)
            if op in ("login", "subscribe", "unsubscribe"):
                self._count_request(session)
            if op == "login":
                self._login(session, args, text)
                session.push(protocol.event("login", session.conn_id, request_id, code="0", msg=""))
            elif op in ("subscribe", "unsubscribe"):
                for arg in self._subscription(session, op, args, text):
                    session.push(protocol.event(op, session.conn_id, request_id, arg=arg))
            else:
                raise errors.InvalidOp(op=op)
        except errors.WebSocketError as e:
            session.push(protocol.error_event(e, session.conn_id, request_id))
            if e.close_code is not None:
                session.close_after_sent(e.close_code)
        except Exception:  # a bug must cost one request its answer, not the connection
            # One line, without the request: a login's carries a passphrase and a signature.
            log.exception(
                "unexpected error on a WebSocket request",
                extra={"connId": session.conn_id, "op": op if isinstance(op, str) and len(op) <= 32 else None},
            )
            session.push(protocol.error_event(_internal_error(op), session.conn_id, request_id))

    def _count_request(self, session: Session) -> None:
        """OKX: at most 480 login/subscribe/unsubscribe requests per connection per hour (60014 beyond)."""
        now = self.svc.clock.now_ms()
        recent = session.requests
        while recent and recent[0] <= now - HOUR_MS:
            recent.popleft()
        if len(recent) >= WS_REQUESTS_PER_HOUR:
            raise errors.RequestsTooFrequent()
        recent.append(now)

    def _login(self, session: Session, args: Any, text: str) -> None:
        if session.account is not None:
            raise errors.RepeatedLogin()
        if not isinstance(args, list) or not args or not isinstance(args[0], dict):
            raise errors.MalformedRequest(request=text)
        if len(args) != 1:  # OKX logs several keys in at once; a venue connection serves one account
            raise errors.InvalidArgs()
        api_key = args[0].get("apiKey")
        api_key = api_key if isinstance(api_key, str) else ""
        if self.svc.auth.throttled(session.ip, api_key):  # too many failures: refused unchecked, as on REST
            raise errors.RequestsTooFrequent()
        try:
            caller = self._credentials(args[0])
        except errors.WebSocketError:
            self.svc.auth.failed(session.ip, api_key)
            raise
        session.account = caller.account
        self._by_trader.setdefault(caller.account.trader_code, set()).add(session)
        if self.svc.faults.active:
            self._fault_close(session)

    def _credentials(self, arg: dict[str, Any]) -> Caller:
        fields = {}
        for name in ("apiKey", "passphrase", "timestamp", "sign"):
            value = arg.get(name)
            if value in (None, ""):
                raise errors.WsParameterEmpty(param0=name)
            fields[name] = str(value)
        timestamp = fields["timestamp"]
        if not _TIMESTAMP.fullmatch(timestamp):
            raise errors.WsInvalidTimestamp()
        now_ms = self.svc.auth_clock.now_ms()
        if self.svc.faults.active:  # a skew fault: judged as if the account's clock were off
            known = self.svc.auth.caller(fields["apiKey"])
            skew = self.svc.faults.match(WS, known.trader_code if known else "", _SKEW)
            now_ms -= skew.ms if skew is not None else 0
        if abs(now_ms / 1000 - float(timestamp)) > protocol.LOGIN_WINDOW_S:
            raise errors.WsTimestampExpired()
        caller = self.svc.auth.caller(fields["apiKey"])
        if caller is None:
            raise errors.WsInvalidApiKey()
        if not hmac.compare_digest(fields["passphrase"].encode(), caller.key.passphrase.encode()):
            raise errors.WsWrongPassphrase()
        expected = protocol.login_sign(caller.key.secret_key, timestamp).encode()
        if not hmac.compare_digest(expected, fields["sign"].encode()):  # bytes: a non-ASCII str cannot compare
            raise errors.WsInvalidSign()
        return caller

    def _subscription(self, session: Session, op: str, args: Any, text: str) -> list[dict[str, Any]]:
        """Validate every arg first, then apply them all: a bad arg changes nothing."""
        if not isinstance(args, list) or not args:
            raise errors.MalformedRequest(request=text)
        if len(args) > WS_MAX_ARGS:
            raise errors.TooManyArgs()
        keys = []
        for arg in args:
            if not isinstance(arg, dict):
                raise errors.MalformedRequest(request=text)
            channel, inst_id = arg.get("channel"), arg.get("instId", "")
            if not isinstance(channel, str) or not channel or not isinstance(inst_id, str):
                raise errors.MalformedRequest(request=text)
            if channel in PRIVATE_CHANNELS:
                if session.account is None and op == "subscribe":
                    raise errors.LoginRequired()
                inst_id = ""
            elif channel in INST_CHANNELS:
                if not inst_id:
                    raise errors.MalformedRequest(request=text)
                if inst_id not in self.svc.venue.catalogue:
                    raise errors.ChannelNotFound(channel=channel, instId=inst_id)
            elif channel in PUBLIC_CHANNELS:
                inst_id = ""
            else:
                raise errors.ChannelNotFound(channel=channel, instId=inst_id)
            keys.append((channel, inst_id))
        for key in keys:
            if op == "subscribe":
                session.subs.add(key)
            else:
                session.subs.discard(key)
        return [{"channel": ch, "instId": inst} if inst else {"channel": ch} for ch, inst in keys]

    # --- pushes ---------------------------------------------------------------------------------------------

    def on_events(self, events: list[Event]) -> None:
        """Each change to the channels that show it. Not pushed (OKX): an RFQ or quote becoming pending_fill (a
        "moment state": REST shows it), a trade before it settles; a trade that failed is pushed to its parties
        (struc-block-trades, isSuccessful false) and published to nobody."""
        if not self.sessions:
            return
        for event in events:
            if isinstance(event, RfqChanged):
                rfq = event.rfq
                if not rfq.state.is_momentary:
                    self._push_private("rfqs", (rfq.taker, *rfq.counterparties), partial(views.rfq, rfq))
            elif isinstance(event, QuoteChanged):
                quote = event.quote
                if not quote.state.is_momentary:
                    rfq = self.svc.reads.rfq_of(quote)
                    self._push_private("quotes", (quote.maker, rfq.taker), partial(views.quote, quote, rfq))
            elif isinstance(event, TradeExecuted):
                trade = event.trade
                if trade.pending:
                    continue
                self._push_private(
                    "struc-block-trades", (trade.taker, trade.maker), partial(views.struc_block_trade, trade)
                )
                if not trade.is_successful:
                    continue
                published = trade.c_time + self.svc.config.public_delay_ms
                if published > self.svc.clock.now_ms():  # public data waits out the delay, in venue time
                    self._delay(published, trade)
                else:  # no delay, or one a settlement outlasted
                    self._publish(trade)

    def _delay(self, at_ms: int, trade: BlockTrade) -> None:
        def publish() -> None:
            self._delayed.discard(timer)
            self._publish(trade)

        timer = self.svc.time.call_at(at_ms, publish)
        self._delayed.add(timer)

    def _push_private(self, channel: str, viewers: tuple[str, ...], render: Any) -> None:
        for viewer in dict.fromkeys(viewers):
            sessions = [s for s in self._by_trader.get(viewer, ()) if (channel, "") in s.subs]
            if not sessions:
                continue
            uid = sessions[0].account.uid if sessions[0].account else ""
            text = protocol.encode({"arg": {"channel": channel, "uid": uid}, "data": [render(viewer)]})
            for session in sessions:
                self._deliver(session, text)

    def _publish(self, trade: BlockTrade) -> None:
        structure = protocol.encode(
            {"arg": {"channel": "public-struc-block-trades"}, "data": [views.public_trade_push(trade)]}
        )
        for session in self._subscribed("public-struc-block-trades", ""):
            self._deliver(session, structure)
        for leg in trade.traded_legs():  # a group's by allocated account
            inst = self.svc.venue.catalogue[leg.inst_id]
            sessions = self._subscribed("public-block-trades", leg.inst_id)
            if sessions:
                text = protocol.encode(
                    {
                        "arg": {"channel": "public-block-trades", "instId": leg.inst_id},
                        "data": [views.public_leg(trade, leg, inst)],
                    }
                )
                for session in sessions:
                    self._deliver(session, text)
        self._push_tickers({leg.inst_id for leg in trade.legs})

    def _push_tickers(self, inst_ids: set[str]) -> None:
        for inst_id in inst_ids:
            sessions = self._subscribed("block-tickers", inst_id)
            if sessions:
                inst = self.svc.venue.catalogue[inst_id]
                data = views.ticker(self.svc.reads, inst, self.svc.clock.now_ms(), self.svc.config.public_delay_ms)
                text = protocol.encode({"arg": {"channel": "block-tickers", "instId": inst_id}, "data": [data]})
                for session in sessions:
                    self._deliver(session, text)

    def _deliver(self, session: Session, text: str) -> None:
        """A push onto the session's queue, or later by a delay fault's ms (wall time: a slow network)."""
        if self.svc.faults.active:
            account = session.account.trader_code if session.account is not None else ""
            rule = self.svc.faults.match(WS, account, _DELAY)
            if rule is not None:
                asyncio.get_running_loop().call_later(rule.ms / 1000, session.push, text)
                return
        session.push(text)

    def _subscribed(self, channel: str, inst_id: str) -> list[Session]:
        return [s for s in self.sessions if (channel, inst_id) in s.subs]


def _internal_error(op: object) -> errors.WebSocketError:
    """What a client is told when its request failed on a bug: 63999 for a login, 64007 naming the op else."""
    if op == "login":
        return errors.LoginInternalError()
    return errors.WsInternalError(op=op if isinstance(op, str) and len(op) <= 32 else "request")
