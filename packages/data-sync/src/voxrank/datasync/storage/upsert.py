"""Dialect-aware INSERT ... ON CONFLICT for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(connection: Connection, table: Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def upsert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert `rows`, replacing every non-key column of rows whose `keys` already exist."""
    if not rows:
        return
    statement = _insert(connection, table)
    updates = {column: statement.excluded[column] for column in rows[0] if column not in keys}
    if updates:
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    connection.execute(statement, list(rows))


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        connection.execute(_insert(connection, table).on_conflict_do_nothing(), list(rows))
