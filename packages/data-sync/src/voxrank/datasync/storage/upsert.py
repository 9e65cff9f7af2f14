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
    if compiled.positions is None:
        connection.exec_driver_sql(compiled.sql, _processed_dicts(rows, compiled.processors))
        return
    values = itemgetter(*compiled.positions)
    if len(compiled.positions) == 1:
        parameters: list[Any] = [(values(row),) for row in rows]
    else:
        parameters = [values(row) for row in rows]
    if compiled.processors:
        parameters = _processed_tuples(parameters, compiled.positions, compiled.processors)
    connection.exec_driver_sql(compiled.sql, parameters)


def _processed_tuples(
    parameters: list[tuple[Any, ...]],
    positions: tuple[str, ...],
    processors: tuple[tuple[str, Callable[[Any], Any]], ...],
) -> list[tuple[Any, ...]]:
    """Each processor runs once per distinct value of its column: a page's rows share their
    fetched_at and many of their release dates, and a datetime's processor formats a string."""
    by_index: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
        (positions.index(column), processor, {}) for column, processor in processors
    ]
    processed = []
    for row in parameters:
        values = list(row)
        for index, processor, seen in by_index:
            value = values[index]
            if (converted := seen.get(value, _MISSING)) is _MISSING:
                converted = seen[value] = processor(value)
            values[index] = converted
        processed.append(tuple(values))
    return processed


def _processed_dicts(
    rows: Sequence[dict[str, Any]], processors: tuple[tuple[str, Callable[[Any], Any]], ...]
) -> list[dict[str, Any]]:
    if not processors:
        return list(rows)
    copies = [dict(row) for row in rows]
    for row in copies:
        for column, processor in processors:
            row[column] = processor(row[column])
    return copies


_MISSING = object()


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (all with the same keys)."""
    _execute_many(connection, table, rows)


def upsert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert `rows`, replacing every non-key column of rows whose `keys` already exist."""
    _execute_many(connection, table, rows, keys, "update")


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    _execute_many(connection, table, rows, conflict="ignore")
