"""How a catalog database is opened: SQLite files are created with the page size the writer is tuned for."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, text

from voxrank.datasync.storage.database import open_database


def _page_size_and_journal(engine: Engine) -> tuple[int, str]:
    with engine.connect() as connection:
        page_size = connection.execute(text("PRAGMA page_size")).scalar_one()
        journal = connection.execute(text("PRAGMA journal_mode")).scalar_one()
    return page_size, journal


def test_a_new_catalog_has_8_kib_pages_and_an_existing_one_keeps_its_page_size(tmp_path) -> None:
    new = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    assert _page_size_and_journal(new) == (8192, "wal")
    new.dispose()

    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:
        connection.execute("PRAGMA page_size=4096")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE kept (value TEXT)")
        connection.execute("INSERT INTO kept VALUES ('synced before')")
    engine = open_database(f"sqlite:///{old}")
    assert _page_size_and_journal(engine) == (4096, "wal")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM kept")).scalar_one() == "synced before"
    engine.dispose()
