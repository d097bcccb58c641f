"""Opening the store: one server per data directory, a new database whole or not at all, a damaged one refused
in one line (never started empty), a database of the previous release migrated, every file private."""

from __future__ import annotations

import errno
import os
import random
import sqlite3
import stat
from collections.abc import Callable
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest

from openrfq.domain.clock import ManualClock
from openrfq.domain.commands import CreateQuote, CreateRfq, LegRequest
from openrfq.domain.enums import Side
from openrfq.engine import Venue
from openrfq.instruments.catalogue import default_instruments
from openrfq.runtime import DB_NAME, build_app
from openrfq.store.base import Batch, DataDirInUse, StoreError
from openrfq.store.codec import encode
from openrfq.store.lock import LOCK_NAME
from openrfq.store.sqlite import SCHEMA_VERSION, SqliteStore
from samples import START_MS, TODAY, make_config

# The previous release's database exactly as it made it (no venue identity), for the migration.
PREVIOUS_RELEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS rfqs (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS quotes (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS trades (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS makers (id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
"""


def _sql(path: Path, script: str) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.executescript(script)


def _meta(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT key, value FROM meta"))


def _refusal(path: Path) -> str:
    with pytest.raises(StoreError) as refused:
        SqliteStore(path).close()
    message = str(refused.value)
    assert "\n" not in message
    return message


def _stored(path: Path, quotes: int = 3) -> None:
    """A closed store holding one RFQ and ``quotes`` quotes (bodies are opaque to the store)."""
    store = SqliteStore(path)
    store.write(Batch(rfqs=[(1, b"r")], quotes=[(i, b"q%d" % i) for i in range(1, quotes + 1)]))
    store.close()


# --- one server per data directory --------------------------------------------------------------------------------


def test_a_second_store_on_the_directory_is_refused_naming_the_holder_until_the_first_closes(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "db")

    with pytest.raises(DataDirInUse) as refused:
        SqliteStore(tmp_path / "db")

    assert refused.value.pid == os.getpid()
    assert str(refused.value) == f"data directory {tmp_path} is in use by another openrfq process (pid {os.getpid()})"
    first.close()
    SqliteStore(tmp_path / "db").close()  # closing released the directory


def test_the_lock_file_names_its_holder(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")

    assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    store.close()


async def test_a_second_venue_on_the_data_directory_is_refused_and_the_first_keeps_its_data(tmp_path: Path) -> None:
    first = build_app(make_config(), tmp_path)

    with pytest.raises(DataDirInUse, match=rf"^data directory {tmp_path} is in use .* \(pid {os.getpid()}\)$"):
        build_app(make_config(), tmp_path)

    await first.services.committer.close()
    again = build_app(make_config(), tmp_path)  # and once closed, the directory is free
    await again.services.committer.close()


async def test_a_venue_that_fails_to_start_leaves_its_directory_free(tmp_path: Path) -> None:
    _stored(tmp_path / DB_NAME)  # rows that are not entities: loading them fails

    with pytest.raises(StoreError, match="does not decode"):
        build_app(make_config(), tmp_path)

    SqliteStore(tmp_path / DB_NAME).close()


# --- new databases are complete, or absent ------------------------------------------------------------------------


def test_a_new_store_has_a_venue_identity_that_stays(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    venue_id = store.venue_id
    store.close()
    other = SqliteStore(tmp_path / "other" / "db")
    other.close()

    reopened = SqliteStore(tmp_path / "db")

    assert reopened.venue_id == venue_id != other.venue_id
    assert set(_meta(tmp_path / "db")) == {"schema_version", "venue_id", "created_ms"}
    reopened.close()


def test_a_creation_cut_short_leaves_no_database_and_the_next_start_makes_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(src: object, dst: object) -> None:
        raise OSError(errno.EIO, "Input/output error")  # or the process died just before the rename

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError, match=r"^database .*db: Input/output error$"):
        SqliteStore(tmp_path / "db")
    monkeypatch.undo()

    assert not (tmp_path / "db").exists()  # never a database without its schema and identity
    SqliteStore(tmp_path / "db").close()
    assert _meta(tmp_path / "db")["schema_version"] == str(SCHEMA_VERSION)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "db-log", LOCK_NAME]  # the half-built file is gone


def test_a_database_of_the_previous_release_keeps_its_rows_and_gets_an_identity(tmp_path: Path) -> None:
    path = tmp_path / "db"
    _sql(path, "PRAGMA journal_mode=WAL;" + PREVIOUS_RELEASE_SCHEMA + "INSERT INTO quotes VALUES (7, x'01');")

    store = SqliteStore(path)
    rows = list(store._db.execute("SELECT id, body FROM quotes"))
    venue_id = store.venue_id
    store.close()

    assert rows == [(7, b"\x01")]
    assert _meta(path)["venue_id"] == venue_id
    assert _meta(path)["schema_version"] == str(SCHEMA_VERSION)  # migrated: the control plane's tables added
    reopened = SqliteStore(path)
    assert reopened.venue_id == venue_id
    reopened.close()


# --- a damaged database is refused in one line ---------------------------------------------------------------------


def _drop_quotes(path: Path) -> None:
    _sql(path, "DROP TABLE quotes")


def _retype_quotes(path: Path) -> None:
    _sql(path, "DROP TABLE quotes; CREATE TABLE quotes (id TEXT, body TEXT)")


def _forget_version(path: Path) -> None:
    _sql(path, "DELETE FROM meta WHERE key = 'schema_version'")


def _newer_version(path: Path) -> None:
    _sql(path, f"UPDATE meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema_version'")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"rfqId,quoteId\n" * 1000)


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_empty, " is damaged: it has none of openrfq's tables"),
        (_drop_quotes, " is damaged: table quotes is missing"),
        (
            _retype_quotes,
            " is damaged: table quotes is not (id INTEGER PRIMARY KEY, body BLOB NOT NULL, "
            "mem INTEGER NOT NULL DEFAULT 1)",
        ),
        (_forget_version, " is damaged: its schema version is missing"),
        (_newer_version, f": schema version was {SCHEMA_VERSION + 1}, this openrfq reads {SCHEMA_VERSION}"),
        (_not_sqlite, " cannot be opened: file is not a database"),
    ],
)
def test_a_damaged_database_is_refused_in_one_line_and_left_as_it_was(
    tmp_path: Path, damage: Callable[[Path], None], problem: str
) -> None:
    path = tmp_path / "db"
    _stored(path)
    damage(path)
    before = path.read_bytes()

    assert _refusal(path) == f"database {path}{problem}"
    assert path.read_bytes() == before


def test_a_row_that_does_not_decode_is_named(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    _stored(path)
    store = SqliteStore(path)

    with pytest.raises(StoreError) as refused:
        store.load()

    assert str(refused.value).startswith(f"database {path} is damaged: table rfqs, row 1 does not decode (")
    assert "\n" not in str(refused.value)
    store.close()


def test_garbage_pages_are_refused_when_loading(tmp_path: Path) -> None:
    path = tmp_path / "db"
    venue = Venue(ManualClock(START_MS), default_instruments(TODAY), ["T", "M1"])
    leg = LegRequest("BTC-USDT", Decimal("1"), Side.BUY)
    rfq_id = venue.create_rfq(CreateRfq("T", ("M1",), (leg,))).rfq_id
    priced = LegRequest("BTC-USDT", Decimal("1"), Side.BUY, px=Decimal("50000"))
    quote = venue.quotes[venue.create_quote(CreateQuote("M1", str(rfq_id), Side.SELL, (priced,))).quote_id]
    store = SqliteStore(path)
    store.write(Batch(quotes=[(i, encode(quote)) for i in range(1, 2000)]))  # ~100 pages of the quotes table
    assert len(store.load().quotes) == 1999
    store.close()
    page = 4096
    with open(path, "r+b") as f:
        f.seek(page * 50)
        f.write(random.Random(0).randbytes(page * 3))
    store = SqliteStore(path)  # the schema is intact: opening is quick and says nothing

    with pytest.raises(StoreError, match=rf"^database {path} is damaged: table quotes cannot be read \(.*malformed\)$"):
        store.load()
    store.close()


def test_a_write_ahead_log_without_its_database_is_not_replayed_into_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "db"
    Path(f"{path}-wal").write_bytes(b"frames of a database that was moved away")

    assert _refusal(path) == (
        f"database {path} is missing but its write-ahead log db-wal is there: "
        "restore the database, or move the log away to start a new venue"
    )
    assert not path.exists()


# --- private files --------------------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_it_makes_and_every_file_in_it_are_private(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    store = SqliteStore(data / DB_NAME)
    store.write(Batch(quotes=[(1, b"q")]))
    names = sorted(p.name for p in data.iterdir())

    modes = {name: _mode(data / name) for name in names}
    store.close()

    assert names == sorted([DB_NAME, f"{DB_NAME}-log", f"{DB_NAME}-shm", f"{DB_NAME}-wal", LOCK_NAME])
    assert modes == dict.fromkeys(names, 0o600)
    assert _mode(data) == 0o700


def test_a_data_directory_the_user_made_keeps_its_mode(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o750)
    data.chmod(0o750)

    SqliteStore(data / DB_NAME).close()

    assert _mode(data) == 0o750
    assert _mode(data / DB_NAME) == 0o600


def test_files_an_earlier_release_made_readable_by_all_become_private(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    _sql(path, "PRAGMA journal_mode=WAL;" + PREVIOUS_RELEASE_SCHEMA)
    path.chmod(0o644)

    store = SqliteStore(path)
    modes = [_mode(p) for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))]  # the last two made by SQLite
    store.close()

    assert modes == [0o600] * 3


def test_rows_that_decode_but_do_not_fit_together_are_refused_in_one_line(tmp_path: Path) -> None:
    venue = Venue(ManualClock(START_MS), default_instruments(TODAY), ["T", "M1"])
    leg = LegRequest("BTC-USDT", Decimal("1"), Side.BUY)
    rfq_id = venue.create_rfq(CreateRfq("T", ("M1",), (leg,))).rfq_id
    priced = LegRequest("BTC-USDT", Decimal("1"), Side.BUY, px=Decimal("50000"))
    quote = venue.quotes[venue.create_quote(CreateQuote("M1", str(rfq_id), Side.SELL, (priced,))).quote_id]
    store = SqliteStore(tmp_path / DB_NAME)
    store.write(Batch(quotes=[(quote.quote_id, encode(quote))]))  # its RFQ's row is missing
    store.close()

    with pytest.raises(StoreError) as refused:
        build_app(make_config(), tmp_path, ManualClock(START_MS))

    assert str(refused.value).startswith(f"database {tmp_path / DB_NAME}: its rows do not fit together (")
    assert "\n" not in str(refused.value)
    SqliteStore(tmp_path / DB_NAME).close()  # the directory was left free
