"""Assemble a running venue from a config and a data directory: load the store's live state, rebuild the engine
over it (the store answering for the history)."""

from __future__ import annotations

import logging
from pathlib import Path

from openrfq.access.auth import Authenticator
from openrfq.access.ratelimit import RateLimiter
from openrfq.api.app import OkxApi
from openrfq.asgi import VenueApp
from openrfq.bots.accounts import with_bot_accounts
from openrfq.config import Config, PriceSettings
from openrfq.control.api import ControlApi
from openrfq.control.feed import Feed
from openrfq.control.state import CLOCK_KEY
from openrfq.domain.clock import Clock, ManualClock, SystemClock
from openrfq.domain.prices import (
    IndexSource,
    Prices,
    RandomWalkIndex,
    ReplayIndex,
    StaticIndex,
    midnight_utc,
    underlying,
)
from openrfq.engine import Venue
from openrfq.engine.reads import Reads
from openrfq.faults import Faults
from openrfq.gcpolicy import loading
from openrfq.logs import log_state_changes
from openrfq.metrics import Metrics
from openrfq.services import Services
from openrfq.store.base import Store, StoreError
from openrfq.store.committer import Committer
from openrfq.store.sqlite import SqliteStore
from openrfq.venue_time import VenueTime
from openrfq.ws.hub import Hub

DB_NAME = "openrfq.sqlite3"
log = logging.getLogger("openrfq.runtime")


def index_source(settings: PriceSettings, now_ms: int) -> IndexSource:
    """The configured price source; walks and replays start at midnight UTC, so a day's prices repeat."""
    if settings.source == "random_walk":
        return RandomWalkIndex(
            settings.index, settings.seed, midnight_utc(now_ms), settings.step_ms, settings.volatility
        )
    if settings.source == "replay":
        return ReplayIndex(settings.replay_rows, midnight_utc(now_ms), settings.volatility)
    return StaticIndex(settings.index, settings.volatility)


def open_store(data_dir: Path, url: str | None = None) -> Store:
    """The venue's store: SQLite in ``data_dir`` (locked while open), or with ``url`` (``postgresql://...``)
    PostgreSQL, as its leader (StoreError if another process leads it: ``openrfq serve`` waits as a standby
    instead, openrfq/standby.py)."""
    if url is None:
        return SqliteStore(data_dir / DB_NAME)
    from openrfq.store.pgopen import open_postgres  # psycopg is imported only by venues that use PostgreSQL

    return open_postgres(url)


def _restored(config: Config, clock: Clock, store: Store) -> Venue:
    prices = Prices(index_source(config.prices, clock.now_ms()))
    _warn_unpriced(config, prices, clock.now_ms())
    venue = Venue(
        clock,
        config.instruments,
        (a.trader_code for a in config.accounts),
        taker_fee_rate=config.taker_fee_rate,
        maker_fee_rate=config.maker_fee_rate,
        prices=prices,
        settlement_ms=config.settlement_ms,
        sub_accounts={a.trader_code: a.sub_accounts for a in config.accounts},
        history=store,
        history_cache=config.history_cache,
    )
    with loading() as load:  # the GC policy for what was loaded (gcpolicy)
        snapshot = store.load_live()  # what is live and the id counters: the store answers for the rest
        try:
            venue.restore(snapshot.rfqs, snapshot.quotes, snapshot.trades, snapshot.makers, snapshot.counters)
        except Exception as e:  # noqa: BLE001 (rows that decode but do not fit together: a damaged store)
            where = getattr(store, "path", "the store")
            raise StoreError(f"database {where}: its rows do not fit together ({e!r}); refusing to start") from None
        load.entities = len(snapshot.rfqs) + len(snapshot.quotes) + len(snapshot.trades)
        del snapshot
    return venue


def build_app(
    config: Config,
    data_dir: Path,
    clock: Clock | None = None,
    admin_token: str | None = None,
    auth_clock: Clock | None = None,
    keepalive_clock: Clock | None = None,
    store: Store | str | None = None,
) -> VenueApp:
    """The venue on ``data_dir``, which it keeps locked until its committer closes the store. Raises StoreError
    (one line, for the command to print) when the directory is in use or its store is damaged.

    ``clock`` is venue time (a ``ManualClock``: virtual, moved by the control plane, and resumed where the store
    left it); ``auth_clock`` what request and login timestamps are checked against, ``keepalive_clock`` what the
    WebSocket keep-alive counts in (both default: venue time); ``admin_token`` turns the control plane on.
    ``store``: a PostgreSQL URL, or a store opened already (a standby that took the lease); default: SQLite in
    ``data_dir``."""
    clock = clock or SystemClock()
    config = with_bot_accounts(config)
    if store is None or isinstance(store, str):
        store = open_store(data_dir, store)
    try:
        if isinstance(clock, ManualClock) and (stored := store.meta(CLOCK_KEY)) is not None:
            clock.jump(int(stored))  # a virtual venue resumes at the time it had reached ([clock] start: a new one)
        venue = _restored(config, clock, store)
        faults = Faults()
        faults.load(store.faults())
    except BaseException:
        store.close()  # a venue that did not start leaves its directory free
        raise
    committer = Committer(venue, store)
    metrics = Metrics(venue)
    committer.on_commit = metrics.observe_commit
    committer.listeners.append(log_state_changes)
    services = Services(
        config=config,
        clock=clock,
        auth_clock=auth_clock or clock,
        time=VenueTime(clock),
        venue=venue,
        reads=Reads(venue),
        committer=committer,
        limiter=RateLimiter(clock, enabled=config.rate_limits_enabled),
        auth=Authenticator(config.accounts, clock),
        metrics=metrics,
        faults=faults,
    )
    hub = Hub(services)
    if keepalive_clock is not None:
        hub.keepalive = VenueTime(keepalive_clock)
    committer.listeners.append(hub.on_events)
    faults.on_added.append(hub.on_fault)
    services.on_reset.append(hub.reset)
    control = ControlApi(services, admin_token)
    feed = Feed(services, admin_token, keepalive=hub.keepalive)  # the web blotter's admin view, live
    committer.listeners.append(feed.on_events)
    control.listeners.append(feed.on_control)

    def fault_changed(fault_id: int, body: bytes | None) -> None:  # written with the next commit; shown once it is
        committer.set_fault(fault_id, body)
        feed.on_faults()

    faults.on_change = fault_changed
    return VenueApp(services, OkxApi(services), hub, control, feed)


def _warn_unpriced(config: Config, prices: Prices, now_ms: int) -> None:
    """One warning per coin whose instruments have no index price: they have no mark price, so the LP bots
    never quote them (and a config that adds an instrument easily forgets its coin's price)."""
    unpriced: dict[str, list[str]] = {}
    for inst in config.instruments:
        if prices.index(inst, now_ms) is None:
            unpriced.setdefault(underlying(inst), []).append(inst.inst_id)
    where = "the replay file has no {coin} rows" if config.prices.source == "replay" else "[prices.index] has no {coin}"
    for coin, inst_ids in unpriced.items():
        named = ", ".join(inst_ids[:5]) + (f" and {len(inst_ids) - 5} more" if len(inst_ids) > 5 else "")
        it = "it" if len(inst_ids) == 1 else "them"
        log.warning(
            "no index price for %s: %s, so there is no mark price and the LP bots never quote %s",
            named,
            where.format(coin=coin),
            it,
        )
