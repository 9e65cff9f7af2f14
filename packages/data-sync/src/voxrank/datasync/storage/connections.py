"""Engines for a catalog database: SQLite in WAL mode with its pragmas, or PostgreSQL through psycopg 3.

Apart from the migrations (`database`), so that the page writer process, which only writes, does
not import alembic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError

from voxrank.datasync.errors import DatabaseUnavailableError


def redact(database_url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


CONNECTION_PRAGMAS = (
    # Only a new database takes a page size (before WAL mode is set); an existing one keeps its own.
    # 8 KiB rather than 4: the page writer's random-key inserts touch fewer pages, and its CPU
    # per item fell 9-11% at 52,000 items in three side-by-side runs.
    "page_size=8192",
    # WAL lets readers (status, reports) work while a sync writes; NORMAL is durable at each commit in WAL.
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    "busy_timeout=30000",
)


BULK_WRITER_PRAGMAS = ("cache_size=-16384", "wal_autocheckpoint=50000")
"""For the connection of a sync's page writer: a 16 MiB page cache (default 2 MiB) keeps more of the
indexes that random content_ids touch, and checkpointing the WAL every 50,000 pages (default 1,000;
at 8 KiB a page the WAL grows to about 400 MB) copies a page rewritten by several group commits into
the database once. Side by side, the writer's CPU per page fell 12% at 40,000 items (cache and 10,000
pages), and its commits took another 21-29% less CPU at 170,000 items with 50,000 pages rather than
10,000."""


def _run_pragmas(dbapi_connection: Any, pragmas: tuple[str, ...]) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    _run_pragmas(dbapi_connection, CONNECTION_PRAGMAS)


def _tune_sqlite_for_bulk_writes(dbapi_connection: Any, _record: Any) -> None:
    _run_pragmas(dbapi_connection, BULK_WRITER_PRAGMAS)


def leave_checkpoints_to_the_page_writer(engine: Engine) -> None:
    """On SQLite, commits on `engine` no longer checkpoint the WAL. A sync's own small commits
    (claiming a partition, finishing the run) each checkpointed the page writer's whole WAL, in the
    sync's process and while its fetchers waited for the claim, and undid the writer's checkpoint
    interval; the writer checkpoints instead (`WriterProcess.checkpoint`)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "checkout", _no_autocheckpoint):
        event.listen(engine, "checkout", _no_autocheckpoint)


def _no_autocheckpoint(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    _run_pragmas(dbapi_connection, ("wal_autocheckpoint=0",))


def create_bulk_writer_engine(database_url: str) -> Engine:
    """An engine for a sync's page writer: as `create_database_engine`, tuned on SQLite for large
    group commits."""
    engine = create_database_engine(database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite_for_bulk_writes)
    return engine


def create_database_engine(database_url: str) -> Engine:
    """An engine for `database_url`; postgresql:// URLs use psycopg 3."""
    try:
        url = make_url(database_url)
    except ArgumentError as error:
        raise DatabaseUnavailableError(f"not a database URL: {database_url!r}") from error
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            parent = Path(url.database).parent
            if not parent.is_dir():
                raise DatabaseUnavailableError(
                    f"cannot open {redact(database_url)}: folder {parent} does not exist"
                )
        # A pooled connection stays open: closing the last SQLite connection checkpoints the WAL,
        # which would cost a full checkpoint per page.
        engine = create_engine(url)
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=4, connect_args={"connect_timeout": 10})
