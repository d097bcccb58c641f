"""``/openrfq/v1/feed``: the whole venue, live, for the web blotter's admin view (README, "Web blotter").

A WebSocket of the control plane. A browser cannot set an ``Authorization`` header on a WebSocket, and a token in
the URL would end up in logs and histories, so the token comes in the first message, ``{"op": "auth", "token":
"..."}``; anything else first, or a wrong token, is answered ``{"event": "error", "code": "90001", ...}`` and the
connection closed (1008). Without a control plane (no admin token) the handshake is refused. Once in, the client
is sent, in order and after what they show is durable:

- ``{"channel": "state", "rfqs": [...], "quotes": [...], "trades": [...], "limit": 500, ...control}``: the newest
  ``limit`` of each, and again after every reset or restored snapshot (the page starts over from it);
- ``{"channel": "changes", "ts": "...", "rfqs": [...], "quotes": [...], "trades": [...]}``: each durable batch of
  the committer, as the hub's pushes are (``ws/hub.py``, ``on_events``), with the venue time;
- ``{"channel": "control", "clock": {...}, "faults": [...], "snapshots": [...]}``: after every change made through
  the control plane, and when a request used a fault rule up (as the control plane's GETs answer).

Entities are rendered for their taker (an RFQ's true state, its counterparties and clRfqId) with every party
named: quotes carry their maker's clQuoteId, trades their maker's trader code. The client sends ``ping`` (answered
``pong``) to keep the connection open, as on the business WebSocket (30 s without traffic closes it).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Coroutine
from typing import Any

import msgspec

from openrfq import wire
from openrfq.api import views
from openrfq.control import state
from openrfq.control.api import PREFIX
from openrfq.domain import errors
from openrfq.domain.events import Event, QuoteChanged, RfqChanged, TradeExecuted
from openrfq.domain.models import BlockTrade, Quote, Rfq
from openrfq.services import Services
from openrfq.venue_time import VenueTime
from openrfq.ws import protocol
from openrfq.ws.session import Receive, Send, Session

FEED_PATH = PREFIX + "/feed"
LIMIT = 500  # of each kind in a state message: the newest (a blotter shows fewer)
POLICY_VIOLATION = 1008
STORE_FAILED = 1011  # the server cannot go on: the store failed
REFUSED = protocol.encode(
    {
        "event": "error",
        "code": "90001",
        "msg": 'Missing or wrong admin token: send {"op": "auth", "token": "<token>"} as the first message.',
    }
)
AUTHENTICATED = protocol.encode({"event": "auth", "code": "0", "msg": ""})


class Feed:
    def __init__(
        self,
        services: Services,
        token: str | None,
        keepalive: VenueTime | None = None,
        idle_timeout_s: float = 30.0,
        queue_size: int = 1024,
    ) -> None:
        self.svc = services
        self._token = token.encode() if token else None
        self.keepalive = keepalive or services.time
        self.idle_timeout_s, self.queue_size = idle_timeout_s, queue_size
        # Authenticated sessions; each one's held messages while a state message is being made durable, else None.
        self._clients: dict[Session, list[str] | None] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._resync = False  # the venue's state was replaced: the next control message is a whole state
        self._control_due = False  # a control message is on its way
        services.on_reset.append(self._on_reset)

    async def serve(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        if self._token is None:  # no control plane on this venue: as any other unknown WebSocket path
            await send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        await send({"type": "websocket.accept"})
        client = scope.get("client")
        session = Session(self._handle, send, self.queue_size, self.keepalive, client[0] if client else "")
        try:
            await session.run(receive, int(self.idle_timeout_s * 1000))
        finally:
            self._clients.pop(session, None)

    # --- what a client sends ---------------------------------------------------------------------------------

    def _handle(self, session: Session, text: str) -> None:
        if session in self._clients:
            if text == "ping":
                session.push("pong")
            return  # nothing else is asked of an authenticated feed
        if not self._authentic(text):  # never logged: the message holds a token, right or wrong
            session.push(REFUSED)
            session.close_after_sent(POLICY_VIOLATION)
            return
        session.push(AUTHENTICATED)
        self._sync(session)

    def _authentic(self, text: str) -> bool:
        assert self._token is not None
        try:
            message = msgspec.json.decode(text)
        except (msgspec.DecodeError, RecursionError):
            return False
        if not isinstance(message, dict) or message.get("op") != "auth":
            return False
        token = message.get("token")
        return isinstance(token, str) and hmac.compare_digest(token.encode(), self._token)

    # --- what it is sent -------------------------------------------------------------------------------------

    def on_events(self, events: list[Event]) -> None:
        """The committer's listener: a durable batch, to every authenticated client."""
        if not self._clients:
            return
        rfqs: dict[int, Rfq] = {}
        quotes: dict[int, Quote] = {}
        trades: list[BlockTrade] = []
        for event in events:  # the last of each entity in the batch: its state as the batch left it
            if isinstance(event, RfqChanged):
                rfqs[event.rfq.rfq_id] = event.rfq
            elif isinstance(event, QuoteChanged):
                quotes[event.quote.quote_id] = event.quote
            elif isinstance(event, TradeExecuted):
                trades.append(event.trade)
        message = {"channel": "changes", "ts": str(self.svc.time.now_ms()), **self._render(rfqs, quotes, trades)}
        self._send(protocol.encode(message))

    def on_control(self) -> None:
        """The control plane changed something (ControlApi's listener, after its answer's changes are durable)."""
        if self._resync:
            self._resync = False
            for session in list(self._clients):
                self._sync(session)
        else:
            self.on_faults()

    def on_faults(self) -> None:
        """Fault rules changed (a request used a rule up, too): a control message, once that is durable."""
        if self._clients and not self._control_due:
            self._control_due = True
            self._spawn(self._send_control())

    async def _send_control(self) -> None:
        try:
            await self.svc.committer.durable()
        except errors.OkxError:  # the store failed: nothing more is shown
            return
        finally:
            self._control_due = False
        self._send(protocol.encode({"channel": "control", **self._control()}))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_reset(self) -> None:
        self._resync = True

    def _send(self, text: str) -> None:
        for session, held in self._clients.items():
            if held is None:
                session.push(text)
            else:
                held.append(text)

    def _sync(self, session: Session) -> None:
        """Send the whole state once it is durable; what comes meanwhile is held and follows it."""
        held: list[str] = []
        self._clients[session] = held
        text = protocol.encode({"channel": "state", "limit": LIMIT, **self._state(), **self._control()})
        self._spawn(self._release(session, held, text))

    async def _release(self, session: Session, held: list[str], text: str) -> None:
        try:
            await self.svc.committer.durable()
        except errors.OkxError:  # the store failed: nothing is shown that may not be durable
            session.close(STORE_FAILED)
            return
        if self._clients.get(session) is not held:  # gone, or a later state superseded this one
            return
        session.push(text)
        for message in held:
            session.push(message)
        self._clients[session] = None

    def _state(self) -> dict[str, Any]:
        rfqs, quotes, trades = self.svc.reads.newest(LIMIT)  # the newest of each: the highest ids, in memory or stored
        return self._render({r.rfq_id: r for r in rfqs}, {q.quote_id: q for q in quotes}, trades)

    def _control(self) -> dict[str, Any]:
        svc = self.svc
        return {
            "clock": {"mode": "virtual" if svc.time.virtual else "real", "ts": str(svc.time.now_ms())},
            "faults": svc.faults.listing(),
            "snapshots": state.snapshot_views(svc),
        }

    def _render(self, rfqs: dict[int, Rfq], quotes: dict[int, Quote], trades: list[BlockTrade]) -> dict[str, Any]:
        of = {q.rfq_id: rfqs.get(q.rfq_id) or self.svc.reads.rfq(q.rfq_id) for q in quotes.values()}
        return {
            "rfqs": [views.rfq(r, r.taker) for r in rfqs.values()],
            "quotes": [_quote(q, rfq) for q in quotes.values() if (rfq := of[q.rfq_id]) is not None],
            "trades": [_trade(t) for t in trades],
        }


def _quote(q: Quote, r: Rfq) -> wire.Quote[str, str]:
    """A quote as its maker sees it, with its RFQ's clRfqId (the taker's) as well."""
    return msgspec.structs.replace(views.quote(q, r, q.maker), cl_rfq_id=r.cl_rfq_id)


def _trade(t: BlockTrade) -> views.TradeView:
    """A trade as its taker sees it (the taker's fees), with the maker named and its clQuoteId."""
    return msgspec.structs.replace(
        views.struc_block_trade(t, t.taker), m_trader_code=t.maker, cl_quote_id=t.cl_quote_id
    )
