"""Opening the store: one server per data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from builders import make_config
from openrfq.runtime import build_app
from openrfq.store.base import DataDirInUse
from openrfq.store.lock import LOCK_NAME
from openrfq.store.sqlite import SqliteStore

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
