"""Alembic environment: runs on the engine the caller passes in `config.attributes["engine"]`."""

from __future__ import annotations

from alembic import context

from voxrank.datasync.storage.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
