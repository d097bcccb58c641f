"""``openrfq serve --store``: PostgreSQL chosen by option, environment or config; its problems said in one line;
the banner says whether this process leads or stands by."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner, Result

from openrfq.cli import app
from openrfq.config import ConfigError, load_config
from openrfq.testing import ServerVenue, free_port
from openrfq.testing.postgres import Schemas
from samples import ACCOUNTS


@pytest.fixture
def url(pg_schemas: Schemas) -> Iterator[str]:
    made = pg_schemas.new()
    yield made
    pg_schemas.drop(made)


def _serve(args: list[str], env: dict[str, str] | None = None) -> Result:
    unset: dict[str, str | None] = {"OPENRFQ_CONFIG": None, "OPENRFQ_STORE": None}
    return CliRunner().invoke(app, ["serve", *args], env={**unset, **(env or {})})


def test_a_store_that_is_not_postgresql_is_refused(tmp_path: Path) -> None:
    result = _serve(["--store", "/var/lib/openrfq", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--store must be a PostgreSQL URL such as postgresql://USER@HOST:PORT/DBNAME" in result.stderr


def test_an_unreachable_store_stops_serve_with_one_line(tmp_path: Path) -> None:
    result = _serve(
        ["--data-dir", str(tmp_path), "--port", str(free_port())], {"OPENRFQ_STORE": "postgresql://x:pw@127.0.0.1:1/db"}
    )
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("openrfq: store postgresql://x@127.0.0.1:1/db: cannot connect (")
    assert result.stderr.count("\n") == 1 and "pw" not in result.stderr


def test_a_port_in_use_releases_the_store(url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve(["--store", url, "--data-dir", str(tmp_path), "--port", str(port)])
    assert (result.exit_code, result.stderr) == (1, f"openrfq: port {port} on 127.0.0.1 is in use\n")
    with psycopg.connect(url, autocommit=True) as db:  # nobody holds the lease: the next process leads
        row = db.execute("SELECT lock_key FROM lease").fetchone()
        assert row is not None
        assert db.execute("SELECT pg_try_advisory_lock(%s)", row).fetchone() == (True,)


def test_the_config_names_the_store(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(ACCOUNTS.read_text() + '\n[store]\nurl = "postgresql://openrfq@db:5432/openrfq"\n')
    assert load_config(good).store_url == "postgresql://openrfq@db:5432/openrfq"
    assert load_config(ACCOUNTS).store_url == ""
    bad = tmp_path / "bad.toml"
    bad.write_text(ACCOUNTS.read_text() + '\n[store]\nurl = "mysql://db/openrfq"\n')
    with pytest.raises(ConfigError, match=r"store.url: must be a PostgreSQL URL such as"):
        load_config(bad)


def test_the_banner_says_which_process_leads(url: str, tmp_path: Path) -> None:
    config = tmp_path / "venue.toml"
    config.write_text(ACCOUNTS.read_text().replace("bots = []", "bots = []\n[store]\nurl = " + repr(url), 1))
    with ServerVenue(config, tmp_path / "a" / "data", clock="real", control=False) as leader:
        standby = ServerVenue(config, tmp_path / "b" / "data", clock="real", control=False)
        try:
            standby.start(standby=True)
            shown = url.split("?")[0]
            assert f"(store: {shown})" in leader.log_path.read_text()
            assert "loaded 0 RFQs, 0 quotes" in leader.log_path.read_text()
            assert "standby:" not in leader.log_path.read_text()
            assert "standby: another openrfq process leads the store" in standby.log_path.read_text()
            assert "loaded" not in standby.log_path.read_text()
        finally:
            standby.close()
