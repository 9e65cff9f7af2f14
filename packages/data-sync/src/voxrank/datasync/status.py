"""What `voxrank-sync status` shows: runs, and the partitions of one run with their checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from voxrank.datasync.storage import schema
from voxrank.datasync.storage.database import open_database


@dataclass
class StatusOverview:
    runs: list[dict[str, Any]]
    run_id: int | None
    partitions: list[dict[str, Any]] = field(default_factory=list)
    items: int = 0
    quarantined: int = 0


def run_status(database_url: str, run_id: int | None = None) -> StatusOverview:
    engine = open_database(database_url)
    runs, partitions, checkpoints = schema.sync_runs, schema.partitions, schema.checkpoints
    try:
        with engine.connect() as connection:
            run_rows = [dict(row._mapping) for row in connection.execute(select(runs).order_by(runs.c.id))]
            chosen = run_id if run_id is not None else (run_rows[-1]["id"] if run_rows else None)
            done = (
                select(checkpoints.c.partition_id, func.count().label("pages_done"))
                .group_by(checkpoints.c.partition_id)
                .subquery()
            )
            query = (
                select(partitions, func.coalesce(done.c.pages_done, 0).label("pages_done"))
                .select_from(partitions.outerjoin(done, done.c.partition_id == partitions.c.id))
                .where(partitions.c.run_id == chosen)
                .order_by(partitions.c.gte_date)
            )
            partition_rows = [dict(row._mapping) for row in connection.execute(query)]
            items = connection.execute(select(func.count()).select_from(schema.items)).scalar_one()
            quarantined = connection.execute(select(func.count()).select_from(schema.quarantine)).scalar_one()
    finally:
        engine.dispose()
    return StatusOverview(run_rows, chosen, partition_rows, int(items), int(quarantined))
