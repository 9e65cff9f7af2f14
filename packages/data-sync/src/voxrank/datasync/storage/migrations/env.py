"""Alembic environment: runs on the engine the caller passes in `config.attributes["engine"]`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from voxrank.datasync.storage.schema import metadata

# Several workers may start on an empty PostgreSQL database at once: one migrates, the others wait
# for the lock and then find the schema at head.
MIGRATION_LOCK_KEY = 0x766F78

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
