"""``openrfq demo``: the whole RFQ lifecycle in one command.

A venue on a temporary SQLite store, two LP bots with different spreads (WAGMI and NGMI), and a scripted
taker that sends three RFQs (spot, swap, a two-leg option spread), watches the quotes arrive, cancels one RFQ,
waits for a bot to replace a quote, and executes the best quotes. Everything the taker sees comes from its
own WebSocket subscription, drawn live with rich; a summary follows. Nothing is left running afterwards unless
``--keep``.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from openrfq.bots.pricing import taker_cost
from openrfq.client import ApiError, Execution, Item, Leg, OpenRfqClient, Quote, Rfq, Trade, WsClient, wire
from openrfq.config import DEMO_CONFIG_TOML, Config, parse_config
from openrfq.runtime import build_app
from openrfq.serving import Running, running

DEMO_BOTS_TOML = """
[[bots]]
trader_code = "WAGMI"
spread_bps = { SPOT = 8, SWAP = 8, FUTURES = 12, OPTION = 250 }
expires_in_s = 10
requote_before_s = 7

[[bots]]
trader_code = "NGMI"
spread_bps = { SPOT = 20, SWAP = 20, FUTURES = 30, OPTION = 500 }
expires_in_s = 10
requote_before_s = 7
"""
BOTS = ("WAGMI", "NGMI")
TAKER = ("demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass")
STEP_TIMEOUT_S = 20.0


class DemoFailed(Exception):
    pass


def demo_config() -> Config:
    return parse_config(DEMO_CONFIG_TOML + DEMO_BOTS_TOML, "<openrfq demo>")


@dataclass
class Board:
    """What the taker has seen on its WebSocket: RFQs, quotes (with replacements) and trades."""

    rfqs: dict[str, Rfq] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # rfqId -> what the script calls it
    quotes: dict[str, Quote] = field(default_factory=dict)
    replaced: set[str] = field(default_factory=set)
    trades: list[Trade] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def apply(self, item: Item) -> None:
        if isinstance(item, wire.Rfq):
            self.rfqs[item.rfq_id] = item
        elif isinstance(item, wire.Quote):
            quote = item
            if quote.state == "active":
                # A maker's new quote on an RFQ replaces its previous one (which was just pushed canceled).
                for old in self.quotes.values():
                    same = (old.rfq_id, old.trader_code) == (quote.rfq_id, quote.trader_code)
                    if same and old.quote_id != quote.quote_id and old.state == "canceled" and not old.reason:
                        self.replaced.add(old.quote_id)
            self.quotes[quote.quote_id] = quote
        elif isinstance(item, wire.Trade):
            self.trades.append(item)
        self.changed.set()

    def active_quotes(self, rfq_id: str) -> list[Quote]:
        return [q for q in self.quotes.values() if q.rfq_id == rfq_id and q.state == "active"]

    def quote_state(self, quote: Quote) -> str:
        return "replaced" if quote.quote_id in self.replaced else quote.state

    def render(self, console: Console | None = None) -> Group:
        """The live board; on ``console``, only what fits its height (the newest steps and quotes): rich's Live
        crops a taller board, so an 80x24 terminal would never see the trades."""
        for steps, quotes in _SIZES:
            board = self._board(steps, quotes)
            if console is None or len(console.render_lines(board, pad=False)) < console.size.height:
                break
        return board

    def _board(self, steps: int, quotes: int) -> Group:
        rfqs = _table("RFQs (as TAKER1 sees them)", ("rfqId", "structure", "legs", "state", "quotes"), compact=True)
        for rfq in self.rfqs.values():
            count = sum(1 for q in self.quotes.values() if q.rfq_id == rfq.rfq_id)
            legs = "\n".join(f"{leg.side} {leg.sz:f} {leg.inst_id}" for leg in rfq.legs)
            rfqs.add_row(rfq.rfq_id, self.names.get(rfq.rfq_id, ""), legs, _styled(rfq.state), str(count))
        shown = _table("Quotes", ("quoteId", "rfqId", "maker", "side", "prices", "state"), compact=True)
        for quote in list(self.quotes.values())[-quotes:] if quotes else ():
            prices = ", ".join(f"{leg.px:f}" for leg in quote.legs)
            state = self.quote_state(quote) + (f" ({quote.reason})" if quote.reason else "")
            shown.add_row(quote.quote_id, quote.rfq_id, quote.trader_code, quote.quote_side, prices, _styled(state))
        return Group(self.script(steps), rfqs, shown, _trades_table(self.trades, compact=True))

    def script(self, steps: int | None = None) -> Text:
        """What the taker did: its last ``steps`` steps (all of them by default)."""
        lines = self.steps[-steps:] if steps else self.steps
        return Text.assemble(("taker script\n", "bold"), "\n".join(lines) or "starting")


# (steps, quotes) the live board shows, largest first: the first that fits the terminal's height is drawn.
_SIZES = ((8, 14), (5, 8), (3, 5), (2, 3), (1, 2), (1, 0))


def _table(title: str, columns: tuple[str, ...], compact: bool = False) -> Table:
    """A table of the demo; compact (no borders but the header's) for the live board."""
    if compact:
        table = Table(title=title, expand=True, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    else:
        table = Table(title=title, expand=True)
    for column in columns:
        table.add_column(column)
    return table


def _styled(state: str) -> str:
    colour = {"active": "green", "filled": "bold green", "canceled": "red", "replaced": "yellow"}.get(state.split()[0])
    return f"[{colour}]{state}[/]" if colour else state


def _trades_table(trades: list[Trade], compact: bool = False) -> Table:
    table = _table("Block trades", ("blockTdId", "rfqId", "maker", "legs (taker side)", "fees"), compact)
    for trade in trades:
        legs = "\n".join(f"{leg.side} {leg.sz:f} {leg.inst_id} @ {leg.px:f}" for leg in trade.legs)
        fees = "\n".join(f"{leg.fee:f} {leg.fee_ccy}" for leg in trade.legs)
        table.add_row(trade.block_td_id, trade.rfq_id, trade.m_trader_code, legs, fees)
    return table


class Taker:
    """The scripted taker: REST for actions, its own WebSocket for everything it shows."""

    def __init__(self, run: Running, board: Board, pace_s: float, refresh: Callable[[], None]) -> None:
        self.rest = OpenRfqClient(run.url(), *TAKER)
        self.ws = WsClient(run.ws_url(), *TAKER, channels=("rfqs", "quotes", "struc-block-trades"))
        self.board, self.pace_s, self.refresh = board, pace_s, refresh

    def step(self, text: str) -> None:
        self.board.steps.append(f"{time.strftime('%H:%M:%S')}  {text}")
        self.refresh()

    async def listen(self) -> None:
        async for push in self.ws:
            for item in push.data:
                self.board.apply(item)
            self.refresh()

    async def until(self, what: str, done: Callable[[], bool]) -> None:
        try:
            async with asyncio.timeout(STEP_TIMEOUT_S):
                while not done():
                    self.board.changed.clear()
                    await self.board.changed.wait()
        except TimeoutError:
            raise DemoFailed(f"timed out waiting for {what}") from None

    async def script(self) -> None:
        listener = asyncio.create_task(self.listen())
        try:
            await self.until_connected()
            await self._script()
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            await self.ws.aclose()
            await self.rest.aclose()

    async def until_connected(self) -> None:
        """Logged in and subscribed: from here on, the board sees everything the script does."""
        try:
            async with asyncio.timeout(STEP_TIMEOUT_S):
                await self.ws.connected.wait()
        except TimeoutError:
            raise DemoFailed(f"could not log in on {self.ws.url}") from None

    async def _script(self) -> None:
        b = self.board
        spread = await self._call_spread()
        structures = {
            "spot": [Leg("BTC-USDT", "0.5", "buy")],
            "swap": [Leg("BTC-USDT-SWAP", "20", "sell")],
            "option call spread": spread,
        }
        rfq_ids = {}
        for name, legs in structures.items():
            rfq = await self.rest.create_rfq(list(BOTS), legs)
            rfq_ids[name] = rfq.rfq_id
            b.names[rfq.rfq_id] = name
            self.step(f"sent RFQ {rfq.rfq_id} ({name}) to {' and '.join(BOTS)}")
            await asyncio.sleep(self.pace_s)
        await self.until(
            "quotes from both bots",
            lambda: all({q.trader_code for q in b.active_quotes(rfq_id)} >= set(BOTS) for rfq_id in rfq_ids.values()),
        )
        self.step("both bots quoted every RFQ")
        await asyncio.sleep(self.pace_s)

        swap = rfq_ids["swap"]
        await self.rest.cancel_rfq(swap)
        await self.until("the swap RFQ's end", lambda: b.rfqs[swap].state == "canceled")
        self.step(f"canceled RFQ {swap} (swap): its quotes end with it")
        await asyncio.sleep(self.pace_s)

        option = rfq_ids["option call spread"]
        self.step("waiting for a bot to replace its quote before it expires...")
        await self.until("a replaced quote", lambda: any(b.quotes[q].rfq_id == option for q in b.replaced))
        self.step("a bot replaced its option quote")
        await asyncio.sleep(self.pace_s)

        for name in ("option call spread", "spot"):
            trade = await self._execute_best(rfq_ids[name])
            self.step(f"executed the best quote on RFQ {trade.rfq_id} ({name}): {trade.m_trader_code} won")
            await asyncio.sleep(self.pace_s)
        await self.until("both trades", lambda: len(b.trades) >= 2)
        self.step("done")

    async def _call_spread(self) -> list[Leg]:
        """Buy a call, sell the next strike up: the nearest expiry's two calls around the index."""
        index = next(m.mark_px for m in await self.rest.mark_prices("MARGIN", inst_id="BTC-USDT"))
        calls = [i for i in await self.rest.instruments("OPTION", inst_family="BTC-USD") if i.opt_type == "C"]
        expiry = min(int(i.exp_time) for i in calls)
        strikes = sorted((i for i in calls if int(i.exp_time) == expiry), key=lambda i: Decimal(i.stk))
        first_above = next((n for n, i in enumerate(strikes) if Decimal(i.stk) >= index), len(strikes) - 1)
        low, high = strikes[max(first_above, 1) - 1], strikes[max(first_above, 1)]
        return [Leg(low.inst_id, "1", "buy"), Leg(high.inst_id, "1", "sell")]

    async def _execute_best(self, rfq_id: str) -> Execution:
        # A bot may replace the best quote just as we execute it (70505 quote not active): take the new best.
        # Such a retry counts against execute-quote's limit of 2 per 3 s, so the next execute may be told 50011:
        # wait as a client of OKX must, then try again.
        for _ in range(5):
            best = min(self.board.active_quotes(rfq_id), key=taker_cost)
            try:
                return await self.rest.execute_quote(rfq_id, best.quote_id)
            except ApiError as e:
                if e.code == "70505":
                    await asyncio.sleep(0.05)
                elif e.code == "50011":
                    await asyncio.sleep(1.5)
                else:
                    raise
        raise DemoFailed(f"could not execute on RFQ {rfq_id}")


def demo(pace_s: float, keep: bool, port: int, console: Console) -> int:
    """Run the demo; the exit status. The temporary store goes however the run ends (Ctrl-C included)."""
    data_dir = Path(tempfile.mkdtemp(prefix="openrfq-demo-"))
    try:
        return asyncio.run(run_demo(data_dir, pace_s, keep, port, console))
    except KeyboardInterrupt:  # uvicorn stops on Ctrl-C, then raises it again once it has shut down
        return 0 if keep else 130
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def run_demo(data_dir: Path, pace_s: float, keep: bool, port: int, console: Console) -> int:
    config = demo_config()
    board = Board()
    token = secrets.token_urlsafe(18) if keep else None  # a kept venue is a test instrument too
    app = build_app(config, data_dir, admin_token=token)
    async with running(app, config, port=port) as run:
        console.print(f"openrfq demo: venue on {run.url()}, LP bots {' and '.join(BOTS)}")
        console.print(f"data: {data_dir} (removed when the demo ends)", soft_wrap=True)  # a path stays whole
        async with asyncio.timeout(10):
            for bot in run.bots:
                await bot.connected.wait()
        # Transient: the live board (the latest of everything, cut to the terminal's height) gives way to the
        # final account of the run, printed once, whole.
        failed: Exception | None = None
        with Live(board.render(console), console=console, refresh_per_second=8, transient=True) as live:
            taker = Taker(run, board, pace_s, lambda: live.update(board.render(console)))
            try:
                await taker.script()
            except (DemoFailed, ApiError, OSError) as e:
                failed = e
        console.print(final_output(board))
        if failed is not None:
            console.print(f"[red]demo failed: {failed}[/]")
            return 1
        if keep:
            console.print(_connect_hints(run, token or ""))
            await asyncio.shield(run.serving)  # until Ctrl-C
    return 0


def final_output(board: Board) -> Group:
    """What the demo leaves on the screen: the taker's steps, the summary, and the block trades."""
    return Group(board.script(), Text(), _summary(board), _trades_table(board.trades))


def _summary(board: Board) -> Table:
    table = _table("Summary", ("rfqId", "structure", "final state", "quotes", "replaced", "best quote", "winner"))
    for rfq in board.rfqs.values():
        quotes = [q for q in board.quotes.values() if q.rfq_id == rfq.rfq_id]
        trade = next((t for t in board.trades if t.rfq_id == rfq.rfq_id), None)
        best = min(quotes, key=taker_cost, default=None)
        table.add_row(
            rfq.rfq_id,
            board.names.get(rfq.rfq_id, ""),
            _styled(rfq.state),
            str(len(quotes)),
            str(sum(1 for q in quotes if q.quote_id in board.replaced)),
            f"{best.trader_code} {', '.join(f'{leg.px:f}' for leg in best.legs)}" if best else "",
            trade.m_trader_code if trade else "",
        )
    return table


def _connect_hints(run: Running, token: str) -> str:
    url = run.url()
    return f"""
[bold]The venue keeps running[/] (Ctrl-C stops it). Connect with only the URL changed:
  REST      {url}
  WebSocket {run.ws_url()}
  control   {url}/openrfq/v1  token {token}  (e.g. openrfq admin reset --url {url} --token {token})
  taker     api_key=demo-taker1-key  secret_key=DEMO-TAKER1-SECRET  passphrase=Demo-taker1-pass
  makers    demo-maker1-key / DEMO-MAKER1-SECRET / Demo-maker1-pass,  demo-maker2-key / DEMO-MAKER2-SECRET / Demo-maker2-pass
  LP bots   WAGMI and NGMI quote every RFQ sent to them

python-okx:
  import okx.BlockTrading as BlockTrading
  taker = BlockTrading.BlockTradingAPI("demo-taker1-key", "DEMO-TAKER1-SECRET", "Demo-taker1-pass", False, "1", domain="{url}")
  taker.create_rfq(counterparties=["WAGMI", "NGMI"], legs=[{{"instId": "BTC-USDT", "sz": "1", "side": "buy"}}])

ccxt:
  import ccxt
  okx = ccxt.okx({{"apiKey": "demo-taker1-key", "secret": "DEMO-TAKER1-SECRET", "password": "Demo-taker1-pass"}})
  okx.urls["api"]["rest"] = "{url}"
  okx.privateGetRfqQuotes()
"""  # noqa: E501 (commands to copy, one per line)
