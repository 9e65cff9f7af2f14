"""Bring a catalog database's schema up to date with the alembic migrations, and open it so.

The engines themselves (SQLite pragmas, PostgreSQL pool) come from `connections`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from voxrank.datasync.errors import DatabaseUnavailableError
from voxrank.datasync.storage.connections import create_database_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Apply every pending migration; a database that cannot be reached raises DatabaseUnavailableError."""
    try:
        command.upgrade(_alembic_config(engine), "head")
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise DatabaseUnavailableError(f"cannot open {engine.url.render_as_string()}: {reason}") from error


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def open_database(database_url: str) -> Engine:
    """Engine with an up-to-date schema: the one way the CLI and the read API open a catalog."""
    engine = create_database_engine(database_url)
    migrate(engine)
    return engine
