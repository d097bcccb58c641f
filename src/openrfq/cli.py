"""The ``openrfq`` command: ``openrfq serve`` runs the venue."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from openrfq import __version__, limits, logs
from openrfq.asgi import VenueApp
from openrfq.cli_admin import admin
from openrfq.config import Config, ConfigError, demo_config, load_config
from openrfq.demo import demo as run_demo
from openrfq.domain.clock import Clock, ManualClock, SystemClock
from openrfq.export import history
from openrfq.runtime import DB_NAME, build_app
from openrfq.serving import ListenError, listening_sockets, run_blocking, serve_forever
from openrfq.standby import RoleApp
from openrfq.store import pgopen
from openrfq.store.base import Store, StoreError
from openrfq.store.pgopen import is_postgres, shown
from openrfq.tls import local_certificate

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="openrfq: a block-trading RFQ venue speaking OKX v5."
)
app.add_typer(admin, name="admin")


def _load(config: Path | None) -> Config:
    try:
        return load_config(config) if config is not None else demo_config()
    except ConfigError as e:
        typer.echo(f"openrfq: invalid configuration: {e}", err=True)
        raise typer.Exit(2) from None


def config_to_text_summary(config: Config) -> str:
    """One line per API key, for the start-up banner of the demo; the keys made for bots stay unprinted."""
    lines = []
    for account in config.accounts:
        for key in () if account.generated else account.keys:
            perms = ",".join(sorted(key.permissions))
            lines.append(
                f"  {account.trader_code:<8} uid={account.uid}  api_key={key.api_key}  secret_key={key.secret_key}  "
                f"passphrase={key.passphrase}  permissions={perms}"
            )
    return "\n".join(lines)


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="OPENRFQ_HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="OPENRFQ_PORT", help="TCP port.")] = 8080,
    data_dir: Annotated[
        Path, typer.Option(envvar="OPENRFQ_DATA_DIR", help="Directory of the SQLite database; reused on restart.")
    ] = Path("./openrfq-data"),
    config: Annotated[
        Path | None, typer.Option(envvar="OPENRFQ_CONFIG", help="TOML config; without it, the demo accounts.")
    ] = None,
    log_level: Annotated[str, typer.Option(envvar="OPENRFQ_LOG_LEVEL")] = "info",
    tls: Annotated[
        bool, typer.Option("--tls", envvar="OPENRFQ_TLS", help="Serve HTTPS and WSS (a local CA unless --tls-cert).")
    ] = False,
    tls_cert: Annotated[Path | None, typer.Option(envvar="OPENRFQ_TLS_CERT", help="PEM certificate chain.")] = None,
    tls_key: Annotated[Path | None, typer.Option(envvar="OPENRFQ_TLS_KEY", help="PEM private key.")] = None,
    max_connections_per_ip: Annotated[
        int, typer.Option(envvar="OPENRFQ_MAX_CONNECTIONS_PER_IP", min=1, help="Open connections per client IP.")
    ] = limits.MAX_CONNECTIONS_PER_IP,
    max_connections: Annotated[
        int,
        typer.Option(
            envvar="OPENRFQ_MAX_CONNECTIONS", min=1, help="Open connections in all (also kept below the file limit)."
        ),
    ] = limits.MAX_CONNECTIONS,
    keep_alive_timeout: Annotated[
        float,
        typer.Option(envvar="OPENRFQ_KEEP_ALIVE_TIMEOUT", min=0.1, help="Seconds an HTTP connection may stay silent."),
    ] = limits.KEEP_ALIVE_S,
    request_timeout: Annotated[
        float,
        typer.Option(
            envvar="OPENRFQ_REQUEST_TIMEOUT", min=0.1, help="Seconds to send a whole HTTP request once begun."
        ),
    ] = limits.REQUEST_TIMEOUT_S,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar="OPENRFQ_ADMIN_TOKEN",
            help="Turn on the control plane (/openrfq/v1) with this bearer token (config: [admin] token).",
            show_default=False,
        ),
    ] = None,
    clock: Annotated[
        str | None,
        typer.Option(
            envvar="OPENRFQ_CLOCK",
            help='Venue time: "real", or "virtual" (still until advanced; config: [clock] mode).',
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            envvar="OPENRFQ_STORE",
            help="PostgreSQL instead of SQLite: postgresql://USER@HOST:PORT/DBNAME (config: [store] url).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start the venue: REST on http://HOST:PORT/api/v5/..., WebSocket on ws://HOST:PORT/ws/v5/business."""
    cfg = _load(config)
    venue_clock, auth_clock = _clocks(clock or cfg.clock_mode, cfg)
    token = admin_token if admin_token is not None else cfg.admin_token
    if (tls_cert is None) != (tls_key is None):
        typer.echo("openrfq: --tls-cert and --tls-key go together", err=True)
        raise typer.Exit(2)
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            typer.echo(f"openrfq: {path}: no such file", err=True)
            raise typer.Exit(2)
    url = store if store is not None else cfg.store_url or None
    if url is not None and not is_postgres(url):
        typer.echo(
            f"openrfq: --store must be a PostgreSQL URL such as postgresql://USER@HOST:PORT/DBNAME, not {url!r}",
            err=True,
        )
        raise typer.Exit(2)
    logs.configure(log_level)

    def build(on: Store | str | None) -> VenueApp:
        return build_app(
            cfg, data_dir, venue_clock, admin_token=token or None, auth_clock=auth_clock,
            keepalive_clock=SystemClock(), store=on,
        )  # fmt: skip

    try:  # first: a second server on the directory, or a damaged store, stops here, before anything is written
        api = build(None) if url is None else _on_postgres(url, build)
    except StoreError as e:
        typer.echo(f"openrfq: {e}", err=True)
        raise typer.Exit(1) from None
    try:  # then a port in use, before anything is printed
        sockets = listening_sockets(host, port)
    except ListenError as e:
        _close(api)
        typer.echo(f"openrfq: {e}", err=True)
        raise typer.Exit(1) from None
    certfile, keyfile = _tls_files(tls or tls_cert is not None, tls_cert, tls_key, data_dir)
    http, ws = ("https", "wss") if certfile else ("http", "ws")
    where = f"data: {data_dir / DB_NAME}" if url is None else f"store: {shown(url)}"
    typer.echo(f"openrfq {__version__} on {http}://{host}:{port}  ({where})")
    typer.echo(f"WebSocket: {ws}://{host}:{port}/ws/v5/business")
    leader = api.leader if isinstance(api, RoleApp) else api
    if leader is None:
        typer.echo("standby: another openrfq process leads the store; this one takes over when it stops leading")
    else:
        venue = leader.services.venue
        typer.echo(f"loaded {len(venue.rfqs)} RFQs, {len(venue.quotes)} quotes; config: {cfg.source}")
    if isinstance(venue_clock, ManualClock):
        typer.echo(f"venue time: virtual, at {venue_clock.now_ms()} ms (moved by POST /openrfq/v1/clock/advance)")
    if token:  # never the token itself: it is a secret
        typer.echo(f"control plane: {http}://{host}:{port}/openrfq/v1 (Authorization: Bearer <your admin token>)")
    if config is None:
        typer.echo("demo accounts (pass --config FILE for your own):")
        typer.echo(config_to_text_summary(cfg))
    for bot in cfg.bots:
        spreads = ", ".join(f"{k} {v}" for k, v in sorted(bot.spread_bps.items()) if k in bot.inst_types)
        typer.echo(f"LP bot {bot.trader_code}: quotes every RFQ sent to it (spread bps: {spreads})")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn shut down cleanly, then re-raised it
        edge = limits.EdgeLimits(keep_alive_timeout, request_timeout, max_connections, max_connections_per_ip)
        run_blocking(serve_forever(api, cfg, host, port, certfile, keyfile, edge, sockets))


def _on_postgres(url: str, build: Callable[[Store], VenueApp]) -> RoleApp:
    """The venue on PostgreSQL: its leader, built now, if the store is free; a standby otherwise."""
    from openrfq.store.postgres import PostgresStore  # psycopg: imported only for PostgreSQL

    lease = pgopen.lease(url)
    try:
        if lease.acquire() is None:
            return RoleApp(url, build, lease=lease)
    except BaseException:
        lease.close()
        raise
    return RoleApp(url, build, leader=build(PostgresStore(lease)))


def _close(api: VenueApp | RoleApp) -> None:
    leader = api.leader if isinstance(api, RoleApp) else api
    if leader is not None:
        leader.services.committer.store.close()
    if isinstance(api, RoleApp):
        api.close_lease()


def _clocks(mode: str, cfg: Config) -> tuple[Clock, Clock]:
    """Venue time and the clock request timestamps are judged by (clients sign with their own: the machine's)."""
    if mode not in ("real", "virtual"):
        typer.echo(f'openrfq: --clock must be "real" or "virtual", not {mode!r}', err=True)
        raise typer.Exit(2)
    if mode == "real":
        return SystemClock(), SystemClock()
    venue = ManualClock(cfg.clock_start_ms if cfg.clock_start_ms is not None else SystemClock().now_ms())
    return venue, (venue if cfg.clock_auth == "venue" else SystemClock())


def _tls_files(enabled: bool, cert: Path | None, key: Path | None, data_dir: Path) -> tuple[str | None, str | None]:
    if not enabled:
        return None, None
    if cert is not None and key is not None:
        return str(cert), str(key)
    local = local_certificate(data_dir / "tls")
    typer.echo(f"TLS: certificate for 127.0.0.1, ::1, localhost signed by the local CA {local.ca}")
    typer.echo(f"     clients trust it with SSL_CERT_FILE={local.ca}")
    return str(local.cert), str(local.key)


@app.command()
def demo(
    keep: Annotated[bool, typer.Option("--keep", help="Leave the venue running and print how to connect.")] = False,
    pace: Annotated[float, typer.Option(help="Seconds between the taker's steps.", min=0)] = 1.0,
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one.")] = 0,
) -> None:
    """The whole lifecycle in one command: a venue, two LP bots and a scripted taker, drawn live."""
    logs.configure("warning")
    raise typer.Exit(run_demo(pace, keep, port, Console()))


@app.command()
def export(
    data_dir: Annotated[
        Path, typer.Option(envvar="OPENRFQ_DATA_DIR", help="The venue's data directory (read only).")
    ] = Path("./openrfq-data"),
) -> None:
    """Print the venue's durable history as JSON lines, one per change, oldest first (venue time)."""
    try:
        for line in history(data_dir / DB_NAME):
            sys.stdout.buffer.write(line + b"\n")
    except StoreError as e:
        typer.echo(f"openrfq: {e}", err=True)
        raise typer.Exit(1) from None
    sys.stdout.flush()


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()
