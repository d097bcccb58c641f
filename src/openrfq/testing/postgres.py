"""Throwaway PostgreSQL clusters for tests and benchmarks: ``initdb`` in a temporary directory, started on
127.0.0.1 and a free port, stopped and deleted after; a second one may stream from the first as a synchronous
replica (the failover test, the replicated benchmark).

PostgreSQL refuses to run as root: when the tests do, the cluster runs as the ``postgres`` user (``runuser``);
as anyone else, as that user. ``binaries()`` is None when Debian's ``postgresql`` (or ``PG_BIN``) is absent, and
tests then skip, saying so.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from openrfq.testing.server import free_port

SKIP_REASON = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql"


def binaries() -> Path | None:
    """The directory of initdb and pg_ctl: $PG_BIN, or Debian's newest /usr/lib/postgresql/N/bin; None if none."""
    given = os.environ.get("PG_BIN")
    candidates = [Path(given)] if given else []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = [p for p in root.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


class Cluster:
    """One PostgreSQL server in a temporary directory. ``url(db)`` is a libpq URL of database ``db``."""

    def __init__(
        self, *, fsync: bool = True, settings: dict[str, str] | None = None, replica_of: Cluster | None = None
    ):
        found = binaries()
        if found is None:
            raise RuntimeError(SKIP_REASON)
        self.bin = found
        self.port = free_port()
        self.user = "postgres"
        self._as = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        self.root = Path(tempfile.mkdtemp(prefix="openrfq-pg-"))
        self.data = self.root / "data"
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
            "fsync": "on" if fsync else "off",
            "max_connections": "200",
            "shared_buffers": "64MB",
            "wal_level": "replica",
            "max_wal_senders": "4",
            "log_min_messages": "warning",
            **(settings or {}),
        }
        if replica_of is None:
            self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync")
        else:  # a copy of the primary that streams from it (standby.signal, primary_conninfo)
            self._run(
                "pg_basebackup", "-D", str(self.data), "-h", "127.0.0.1", "-p", str(replica_of.port),
                "-U", self.user, "-X", "stream", "-R", "--no-sync",
            )  # fmt: skip
            self.settings["cluster_name"] = "replica"  # the walreceiver's application_name
            # Copied from the primary with its configuration: once promoted, this one must not wait for a replica.
            self.settings["synchronous_standby_names"] = ""
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            conf.writelines(f"{key} = '{value}'\n" for key, value in self.settings.items())
        self.started = False

    def _run(self, tool: str, *args: str) -> str:
        done = subprocess.run(
            [*self._as, str(self.bin / tool), *args], capture_output=True, text=True, cwd=self.root, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)}: exit {done.returncode}\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> Cluster:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60", "start")
        self.started = True
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast``: a clean shutdown; ``immediate``: as if the machine lost power (no checkpoint)."""
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.started = False

    def promote(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def sql(self, statement: str, db: str = "postgres") -> str:
        """``psql -c`` as the superuser; its unaligned output."""
        return self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", db, "-XAtq", "-v",
            "ON_ERROR_STOP=1", "-c", statement,
        ).strip()  # fmt: skip

    def create_database(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{db}"

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def replicated(fsync: bool = True) -> Iterator[tuple[Cluster, Cluster]]:
    """A primary and its synchronous streaming replica: a commit on the primary returns once the replica has its
    WAL on disk (``synchronous_commit = on`` with ``synchronous_standby_names``)."""
    primary = Cluster(fsync=fsync, settings={"synchronous_standby_names": "replica"})
    try:
        primary.start()
        replica = Cluster(fsync=fsync, replica_of=primary)
        try:
            replica.start()
            deadline = time.monotonic() + 30
            while primary.sql("SELECT sync_state FROM pg_stat_replication") != "sync":
                if time.monotonic() > deadline:
                    raise RuntimeError("the replica did not become synchronous in 30 s")
                time.sleep(0.1)
            yield primary, replica
        finally:
            replica.close()
    finally:
        primary.close()


def with_schema(url: str, schema: str) -> str:
    """``url`` whose connections work in ``schema`` (libpq's ``options``: the session's search_path)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


class Schemas:
    """A schema per venue in one database of ``cluster``: a test's store, fresh, in a millisecond or two."""

    def __init__(self, cluster: Cluster, database: str = "openrfq") -> None:
        import psycopg  # a test dependency (openrfq[postgresql]), not the harness's

        self.url = cluster.create_database(database)
        self._admin = psycopg.connect(self.url, autocommit=True)
        self._made = 0

    def new(self) -> str:
        """The URL of a new, empty schema."""
        self._made += 1
        name = f"venue{self._made}"
        self._admin.execute(f"CREATE SCHEMA {name}")
        return with_schema(self.url, name)

    def drop(self, url: str) -> None:
        """The schema of ``url`` and everything in it gone (its venue closed first)."""
        name = url.rpartition("%3D")[2]
        self._admin.execute(f"DROP SCHEMA {name} CASCADE")

    def close(self) -> None:
        self._admin.close()
