"""Dialect-aware bulk INSERT (plain, ON CONFLICT DO UPDATE, ON CONFLICT DO NOTHING) for SQLite and
PostgreSQL.

A page writes about a thousand rows over a dozen tables. Each statement is compiled once per dialect
and table shape and run with the driver's executemany on rows turned into the driver's parameters by
the columns' own bind processors: the same SQL and values as `connection.execute(statement, rows)`,
without SQLAlchemy's per-row parameter processing, which profiled at a quarter of the write path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

from sqlalchemy import Connection, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite

Conflict = Literal["fail", "update", "ignore"]


@dataclass(frozen=True)
class _CompiledInsert:
    sql: str
    positions: tuple[str, ...] | None
    """Parameter names in placeholder order for positional paramstyles (SQLite's qmark), else None."""
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]


_COMPILED: dict[tuple[str, str, Table, tuple[str, ...], tuple[str, ...], Conflict], _CompiledInsert] = {}


def _compile(
    connection: Connection, table: Table, columns: tuple[str, ...], keys: tuple[str, ...], conflict: Conflict
) -> _CompiledInsert:
    dialect = connection.dialect
    cache_key = (dialect.name, dialect.paramstyle, table, columns, keys, conflict)
    if (cached := _COMPILED.get(cache_key)) is not None:
        return cached
    module = postgresql if dialect.name == "postgresql" else sqlite
    statement: Any = module.insert(table).values({column: bindparam(column) for column in columns})
    updates = {column: statement.excluded[column] for column in columns if column not in keys}
    if conflict == "update" and updates:
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
    elif conflict != "fail":
        statement = statement.on_conflict_do_nothing(index_elements=list(keys) or None)
    compiled: Any = statement.compile(dialect=dialect)
    processors = tuple(
        (column, processor)
        for column in columns
        if (processor := table.c[column].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    positions = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    _COMPILED[cache_key] = _CompiledInsert(compiled.string, positions, processors)
    return _COMPILED[cache_key]


def _execute_many(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str] = (),
    conflict: Conflict = "fail",
) -> None:
    if not rows:
        return
    compiled = _compile(connection, table, tuple(rows[0]), tuple(keys), conflict)
    if compiled.processors:
        rows = [dict(row) for row in rows]
        for row in rows:
            for column, processor in compiled.processors:
                row[column] = processor(row[column])
    if compiled.positions is not None:
        values = itemgetter(*compiled.positions)
        if len(compiled.positions) == 1:
            connection.exec_driver_sql(compiled.sql, [(values(row),) for row in rows])
        else:
            connection.exec_driver_sql(compiled.sql, [values(row) for row in rows])
    else:
        connection.exec_driver_sql(compiled.sql, list(rows))


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (all with the same keys)."""
    _execute_many(connection, table, rows)


def upsert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert `rows`, replacing every non-key column of rows whose `keys` already exist."""
    _execute_many(connection, table, rows, keys, "update")


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    _execute_many(connection, table, rows, conflict="ignore")
