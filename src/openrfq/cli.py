"""The ``openrfq`` command: ``openrfq serve`` runs the venue."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
import uvicorn

from openrfq import __version__, logs
from openrfq.config import Config, ConfigError, config_to_text_summary, demo_config, load_config
from openrfq.runtime import DB_NAME, build_app

app = typer.Typer(add_completion=False, no_args_is_help=True, help="openrfq: a block-trading RFQ venue speaking OKX v5.")


def _load(config: Path | None) -> Config:
    try:
        return load_config(config) if config is not None else demo_config()
    except ConfigError as e:
        typer.echo(f"openrfq: invalid configuration: {e}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="OPENRFQ_HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="OPENRFQ_PORT", help="TCP port.")] = 8080,
    data_dir: Annotated[
        Path, typer.Option(envvar="OPENRFQ_DATA_DIR", help="Directory of the SQLite database; reused on restart.")
    ] = Path("./openrfq-data"),
    config: Annotated[
        Optional[Path], typer.Option(envvar="OPENRFQ_CONFIG", help="TOML config; without it, the demo accounts.")
    ] = None,
    log_level: Annotated[str, typer.Option(envvar="OPENRFQ_LOG_LEVEL")] = "info",
) -> None:
    """Start the venue: REST on http://HOST:PORT/api/v5/..."""
    cfg = _load(config)
    logs.configure(log_level)
    api = build_app(cfg, data_dir)
    venue = api.services.venue
    typer.echo(f"openrfq {__version__} on http://{host}:{port}  (data: {data_dir / DB_NAME})")
    typer.echo(f"loaded {len(venue.rfqs)} RFQs, {len(venue.quotes)} quotes; config: {cfg.source}")
    if config is None:
        typer.echo("demo accounts (pass --config FILE for your own):")
        typer.echo(config_to_text_summary(cfg))
    sys.stdout.flush()
    uvicorn.run(api, host=host, port=port, log_level="warning", access_log=False, lifespan="on")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()
