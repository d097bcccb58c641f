"""Opening a PostgreSQL store: psycopg imported here and only here, so that a venue on SQLite never needs it
(``pip install 'openrfq[postgresql]'`` brings it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openrfq.store.base import StoreError

if TYPE_CHECKING:
    from openrfq.store.lease import Lease
    from openrfq.store.postgres import PostgresStore

SCHEMES = ("postgresql://", "postgres://")
NO_DRIVER = "PostgreSQL needs psycopg 3: pip install 'openrfq[postgresql]'"


def is_postgres(url: str) -> bool:
    return url.startswith(SCHEMES) or "=" in url  # a URL, or libpq's key=value form ("host=a,b dbname=...")


def lease(url: str) -> Lease:
    """The store's lease (connected, its tables made or checked), not yet acquired."""
    try:
        from openrfq.store.lease import Lease
    except ImportError:
        raise StoreError(NO_DRIVER) from None
    return Lease(url)


def open_postgres(url: str) -> PostgresStore:
    """The store, led by this process: StoreError if another leads it."""
    from openrfq.store.postgres import PostgresStore

    held = lease(url)
    try:
        if held.acquire() is None:
            raise StoreError(f"store {shown(url)} is led by another openrfq process ({held.holder()})")
    except BaseException:
        held.close()
        raise
    return PostgresStore(held)


def shown(url: str) -> str:
    """The store as messages name it (no password)."""
    from openrfq.store.lease import shown

    return shown(url)
