"""Interaction logs: read CSV or Parquet (user_id, item_id, timestamp, optional weight), group by user.

Serving looks up stored histories with it and training reads its logs with it; Parquet needs pyarrow.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voxrank.serving.recommend.items import Interaction, UserHistory

REQUIRED_COLUMNS = ("user_id", "item_id", "timestamp")


class InteractionDataError(ValueError):
    """An interaction log is missing, has the wrong columns, or holds a row that cannot be read."""


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 text, a datetime, or seconds since the epoch; naive times are taken as UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(float(value), tz=UTC)
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromtimestamp(float(text), tz=UTC)
        except ValueError:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _interaction(row: dict[str, Any], where: str) -> Interaction:
    try:
        weight = row.get("weight")
        return Interaction(
            user_id=str(row["user_id"]).strip(),
            item_id=str(row["item_id"]).strip(),
            timestamp=parse_timestamp(row["timestamp"]),
            weight=1.0 if weight in (None, "") else float(weight),
        )
    except (TypeError, ValueError) as error:
        raise InteractionDataError(f"{where}: {error}") from error


def _check_columns(columns: Iterable[str], path: Path) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in set(columns)]
    if missing:
        raise InteractionDataError(
            f"{path} lacks the column(s) {', '.join(missing)} (needs {', '.join(REQUIRED_COLUMNS)})"
        )


def _csv_rows(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        _check_columns(reader.fieldnames or (), path)
        for line, row in enumerate(reader, start=2):
            yield row, f"{path}:{line}"


def _parquet_rows(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as error:
        raise InteractionDataError("reading Parquet needs pyarrow: pip install pyarrow") from error
    table = pq.read_table(path)
    _check_columns(table.column_names, path)
    for index, row in enumerate(table.to_pylist()):
        yield row, f"{path} row {index}"


def read_interactions(path: Path) -> list[Interaction]:
    """Every interaction in a .csv or .parquet log, in file order."""
    if not path.is_file():
        raise InteractionDataError(f"interaction log {path} does not exist")
    readers = {".csv": _csv_rows, ".parquet": _parquet_rows}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise InteractionDataError(f"{path}: unsupported format {path.suffix!r}; use .csv or .parquet")
    return [_interaction(row, where) for row, where in reader(path)]


def group_by_user(interactions: Iterable[Interaction]) -> dict[str, UserHistory]:
    """Histories keyed by user id, each sorted oldest first (ties keep their log order)."""
    grouped: dict[str, list[Interaction]] = defaultdict(list)
    for interaction in interactions:
        grouped[interaction.user_id].append(interaction)
    return {
        user: UserHistory(user, sorted(events, key=lambda event: event.timestamp))
        for user, events in grouped.items()
    }
