"""How a catalog database is opened: SQLite files are created with the page size the writer is tuned for."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, text

from voxrank.datasync.storage.connections import (
    create_bulk_writer_engine,
    leave_checkpoints_to_the_page_writer,
)
from voxrank.datasync.storage.database import open_database
from voxrank.datasync.storage.writer_process import WriterProcess


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


def _fill_the_wal(database_url: str) -> Engine:
    """Commit about 2,000 pages to the WAL through a page writer's engine, which checkpoints only
    every 50,000; the engine stays open, so that closing it checkpoints nothing yet."""
    writer = create_bulk_writer_engine(database_url)
    with writer.begin() as connection:
        connection.execute(text("CREATE TABLE filler (value TEXT)"))
        connection.execute(text("INSERT INTO filler VALUES (:value)"), [{"value": "x" * 8000}] * 2000)
    return writer


async def _checkpoint_in_a_writer_process(database_url: str) -> None:
    async with WriterProcess(database_url) as page_writer:
        await page_writer.checkpoint()


def test_a_syncs_own_commits_leave_checkpoints_to_the_page_writer(tmp_path: Path) -> None:
    grew = {}
    for leaves in (False, True):
        path = tmp_path / f"leaves-{leaves}.db"
        engine = open_database(f"sqlite:///{path}")
        if leaves:
            leave_checkpoints_to_the_page_writer(engine)
        writer = _fill_the_wal(f"sqlite:///{path}")
        before = path.stat().st_size
        with engine.begin() as connection:  # a small commit, as a partition claim is
            connection.execute(text("INSERT INTO filler VALUES ('one row')"))
        grew[leaves] = path.stat().st_size > before
        if leaves:
            asyncio.run(_checkpoint_in_a_writer_process(f"sqlite:///{path}"))
            assert path.stat().st_size > before + 2000 * 8000, "the page writer's checkpoint copies the WAL"
        writer.dispose()
        engine.dispose()
    # A default connection's small commit copies the whole WAL into the database file; the sync's does not.
    assert grew == {False: True, True: False}
