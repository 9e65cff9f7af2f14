"""Dialect-aware bulk INSERT (plain, ON CONFLICT DO UPDATE, ON CONFLICT DO NOTHING) for SQLite and
PostgreSQL.

A page writes about a thousand rows over a dozen tables. Each statement is compiled once per dialect
and column list and run with the driver's executemany on the rows (tuples in column order), only the
columns whose types have bind processors (datetimes) converted: the same SQL and values as
`connection.execute(statement, rows)`, without SQLAlchemy's per-row parameter processing, which
profiled at a quarter of the write path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite

Conflict = Literal["fail", "update", "ignore"]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class _CompiledInsert:
    sql: str
    positional: bool
    """Placeholders in column order (SQLite's qmark), rather than named (psycopg's pyformat)."""
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(column index, the column type's bind processor) for the columns that have one."""


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
        (index, processor)
        for index, column in enumerate(columns)
        if (processor := table.c[column].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    positional = bool(compiled.positional)
    if positional and tuple(compiled.positiontup) != columns:
        raise AssertionError(f"placeholders of {table.name} are not in column order: {compiled.positiontup}")
    _COMPILED[cache_key] = _CompiledInsert(compiled.string, positional, processors)
    return _COMPILED[cache_key]


def _execute_many(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Row],
    *,
    keys: Sequence[str] = (),
    conflict: Conflict = "fail",
) -> None:
    if not rows:
        return
    compiled = _compile(connection, table, tuple(columns), tuple(keys), conflict)
    parameters: Sequence[Row] = _processed(rows, compiled.processors) if compiled.processors else rows
    if compiled.positional:
        connection.exec_driver_sql(compiled.sql, parameters)
    else:
        connection.exec_driver_sql(compiled.sql, [dict(zip(columns, row, strict=True)) for row in parameters])


def _processed(rows: Sequence[Row], processors: tuple[tuple[int, Callable[[Any], Any]], ...]) -> list[Row]:
    """Each processor runs once per distinct value of its column: a page's rows share their
    fetched_at and many of their release dates, and a datetime's processor formats a string."""
    seen: list[dict[Any, Any]] = [{} for _ in processors]
    processed = []
    for row in rows:
        values = list(row)
        for (index, processor), converted_values in zip(processors, seen, strict=True):
            value = values[index]
            if (converted := converted_values.get(value, _MISSING)) is _MISSING:
                converted = converted_values[value] = processor(value)
            values[index] = converted
        processed.append(tuple(values))
    return processed


_MISSING = object()


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Insert `rows`, tuples of the values of `columns`."""
    _execute_many(connection, table, columns, rows)


def upsert(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row], keys: Sequence[str]
) -> None:
    """Insert `rows`, replacing every non-key column of rows whose `keys` already exist."""
    _execute_many(connection, table, columns, rows, keys=keys, conflict="update")


def insert_ignoring_duplicates(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    _execute_many(connection, table, columns, rows, conflict="ignore")
