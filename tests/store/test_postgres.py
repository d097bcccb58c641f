"""The PostgreSQL store: round trips, its tables made and checked, the lease, the fence after a takeover."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import psycopg
import pytest

from openrfq.store import pgopen
from openrfq.store.base import Batch, StoreError
from openrfq.store.lease import Lease, LeaseLost, shown
from openrfq.store.postgres import PostgresStore
from openrfq.testing.postgres import Schemas, with_schema


@pytest.fixture
def url(pg_schemas: Schemas) -> Iterator[str]:
    made = pg_schemas.new()
    yield made
    pg_schemas.drop(made)


@pytest.fixture
def admin(url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A superuser's connection in the test's schema (what a DBA sees)."""
    with psycopg.connect(url, autocommit=True) as db:
        yield db


def _terminate(admin: psycopg.Connection[tuple[object, ...]], purpose: str) -> None:
    """End the sessions of openrfq's ``purpose`` connections, as a database restart or a cut cable would."""
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (purpose,))


def test_a_batch_round_trips(url: str) -> None:
    store = pgopen.open_postgres(url)
    try:
        store.write(Batch(rfqs=[(1, b"r1"), (2, b"r2")], quotes=[(1, b"q1")], makers=[("M1", b"m")], meta=[("k", "v")]))
        store.write(Batch(rfqs=[(1, b"r1'")], trades=[(5, b"t5")], faults=[(1, b"f1"), (2, b"f2")]))
        store.write(Batch(faults=[(1, None)], meta=[("k", "w")]))

        rows = {t: store._db.execute(f"SELECT id, body FROM {t} ORDER BY id").fetchall() for t in pgopen_tables()}
        assert rows == {
            "rfqs": [(1, b"r1'"), (2, b"r2")],
            "quotes": [(1, b"q1")],
            "trades": [(5, b"t5")],
            "makers": [("M1", b"m")],
        }
        assert store.meta("k") == "w" and store.meta("nothing") is None
        assert store.faults() == [(2, b"f2")]

        store.write(Batch(wipe=True, quotes=[(9, b"q9")]))
        assert store._db.execute("SELECT id FROM rfqs UNION ALL SELECT id FROM quotes").fetchall() == [(9,)]
    finally:
        store.close()
    store.close()  # a second close does nothing


def pgopen_tables() -> tuple[str, ...]:
    return ("rfqs", "quotes", "trades", "makers")


def test_snapshots_copy_and_restore_every_row(url: str) -> None:
    store = pgopen.open_postgres(url)
    try:
        store.write(Batch(rfqs=[(1, b"r1")], makers=[("M1", b"m")]))
        assert store.save_snapshot("one", b"body")
        assert not store.save_snapshot("one", b"again")
        store.write(Batch(rfqs=[(2, b"r2")], makers=[("M1", b"m'")]))

        assert store.restore_snapshot("one", [("clock", "5")]) == b"body"
        assert store._db.execute("SELECT id, body FROM rfqs").fetchall() == [(1, b"r1")]
        assert store._db.execute("SELECT id, body FROM makers").fetchall() == [("M1", b"m")]
        assert store.meta("clock") == "5"
        assert store.restore_snapshot("two", []) is None
        assert store.snapshots() == [("one", b"body")]
        assert store.delete_snapshot("one") and not store.delete_snapshot("one")
        assert store.snapshots() == []
    finally:
        store.close()


def test_a_row_that_does_not_decode_stops_the_load_naming_it(
    url: str, admin: psycopg.Connection[tuple[object, ...]]
) -> None:
    store = pgopen.open_postgres(url)
    store.write(Batch(rfqs=[(7, b"not msgpack")]))
    with pytest.raises(StoreError, match=r"is damaged: table rfqs, row 7 does not decode"):
        store.load()
    store.close()


def test_a_second_process_cannot_lead_a_led_store(url: str) -> None:
    leader = pgopen.open_postgres(url)
    try:
        with pytest.raises(StoreError, match=r"is led by another openrfq process \(.* pid \d+\)"):
            pgopen.open_postgres(url)
    finally:
        leader.close()
    pgopen.open_postgres(url).close()  # the lock went with the leader's session


def test_after_a_takeover_the_old_leader_can_never_commit(
    url: str, admin: psycopg.Connection[tuple[object, ...]]
) -> None:
    old = pgopen.open_postgres(url)
    old.write(Batch(rfqs=[(1, b"acknowledged")]))
    _terminate(admin, "openrfq lease")  # the old leader's lock is gone; its writer connection is not
    with pytest.raises(LeaseLost):
        old.lease.check()
    new = pgopen.open_postgres(url)
    try:
        assert new.epoch == old.epoch + 1
        with pytest.raises(LeaseLost, match="another openrfq process leads it now"):
            old.write(Batch(rfqs=[(2, b"too late")]))
        with pytest.raises(LeaseLost):
            old.save_snapshot("late", b"")
        assert new._db.execute("SELECT id, body FROM rfqs").fetchall() == [(1, b"acknowledged")]
        new.lease.check()
    finally:
        old.close()
        new.close()


def test_a_leader_whose_connection_is_cut_fails_its_next_write(
    url: str, admin: psycopg.Connection[tuple[object, ...]]
) -> None:
    store = pgopen.open_postgres(url)
    _terminate(admin, "openrfq writer")
    with pytest.raises(psycopg.OperationalError):
        store.write(Batch(rfqs=[(1, b"r")]))
    store.close()


def test_commits_wait_for_the_disk_whatever_the_server_default(url: str) -> None:
    store = pgopen.open_postgres(url + "&options=-csynchronous_commit%3Doff".replace("&options=", "%20"))
    try:
        assert store._db.execute("SHOW synchronous_commit").fetchone() == ("on",)
    finally:
        store.close()


def test_tables_are_checked(url: str, admin: psycopg.Connection[tuple[object, ...]]) -> None:
    pgopen.open_postgres(url).close()
    admin.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version was 99, this openrfq reads 1"):
        pgopen.lease(url)
    admin.execute("DELETE FROM meta WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="is damaged: its schema version is missing"):
        pgopen.lease(url)
    admin.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    admin.execute("DELETE FROM lease")
    with pytest.raises(StoreError, match="table lease does not have its one row"):
        pgopen.lease(url)
    admin.execute("DROP TABLE faults")
    with pytest.raises(StoreError, match="is damaged: table faults is missing"):
        pgopen.lease(url)


def test_a_search_path_without_a_schema_is_refused(pg_schemas: Schemas) -> None:
    with pytest.raises(StoreError, match="no schema to create tables in"):
        pgopen.lease(with_schema(pg_schemas.url, "nowhere"))


def test_an_unreachable_store_is_one_line() -> None:
    with pytest.raises(StoreError, match=r"store postgresql://nobody@127.0.0.1:1/x: cannot connect \("):
        pgopen.lease("postgresql://nobody:secret@127.0.0.1:1/x")


def test_messages_never_show_a_password() -> None:
    assert shown("postgresql://u:pw@db.example:5433/venue") == "postgresql://u@db.example:5433/venue"
    assert shown("host=a,b port=5432,5433 dbname=v password=pw") == "postgresql://a,b:5432,5433/v"
    assert shown("postgresql://[bad") == "(an invalid PostgreSQL URL)"
    assert pgopen.is_postgres("postgresql://h/d") and pgopen.is_postgres("host=h dbname=d")
    assert not pgopen.is_postgres("/var/lib/openrfq")


def test_a_lease_must_be_acquired_before_a_store_writes(url: str) -> None:
    lease = Lease(url)
    try:
        with pytest.raises(ValueError, match="acquired first"):
            PostgresStore(lease)
    finally:
        lease.close()


def test_without_psycopg_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openrfq.store.lease", None)
    with pytest.raises(StoreError, match=r"pip install 'openrfq\[postgresql\]'"):
        pgopen.lease("postgresql://h/d")
