"""Sync runs, their saved plan (partitions) and page checkpoints in the database.

Workers claim partitions with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite ignores the
clause and is single-writer anyway). A claim is a lease renewed by every committed page, so a
partition whose worker died is claimed again once its lease has expired.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, text, update

from voxrank.datasync.errors import CorruptCheckpointError
from voxrank.datasync.planner import Scope, Window
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.page_writer import utcnow

UNFINISHED = ("planning", "running", "failed")


@dataclass(frozen=True)
class SyncRun:
    id: int
    scope: str
    mode: str
    status: str
    lower_bound: datetime
    upper_bound: datetime
    hits: int
    offset_cap: int
    watermark: datetime | None


@dataclass(frozen=True)
class Partition:
    id: int
    run_id: int
    gte: datetime
    lte: datetime
    total_count: int
    page_count: int


def page_offsets(total_count: int, hits: int) -> list[int]:
    return [1 + page * hits for page in range(math.ceil(total_count / hits))]


def _run(row: Any) -> SyncRun:
    return SyncRun(
        id=row.id,
        scope=row.scope,
        mode=row.mode,
        status=row.status,
        lower_bound=row.lower_bound,
        upper_bound=row.upper_bound,
        hits=row.hits,
        offset_cap=row.offset_cap,
        watermark=row.watermark,
    )


def _partition(row: Any) -> Partition:
    return Partition(row.id, row.run_id, row.gte_date, row.lte_date, row.total_count, row.page_count)


@contextmanager
def scope_lock(engine: Engine, scope: Scope) -> Iterator[None]:
    """Serialise run creation and planning for one scope across PostgreSQL workers."""
    if engine.dialect.name != "postgresql":
        yield
        return
    key = zlib.crc32(scope.key.encode())
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def latest_run(engine: Engine, scope: Scope, mode: str | None = None) -> SyncRun | None:
    runs = schema.sync_runs
    query = select(runs).where(runs.c.scope == scope.key).order_by(runs.c.id.desc()).limit(1)
    if mode is not None:
        query = query.where(runs.c.mode == mode)
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return _run(row) if row else None


def get_run(engine: Engine, run_id: int) -> SyncRun | None:
    with engine.connect() as connection:
        row = connection.execute(select(schema.sync_runs).where(schema.sync_runs.c.id == run_id)).first()
    return _run(row) if row else None


def last_watermark(engine: Engine, scope: Scope) -> datetime | None:
    runs = schema.sync_runs
    query = select(func.max(runs.c.watermark)).where(runs.c.scope == scope.key, runs.c.status == "done")
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def create_run(
    engine: Engine, scope: Scope, *, mode: str, lower: datetime, upper: datetime, hits: int, offset_cap: int
) -> SyncRun:
    values = {
        "scope": scope.key,
        "mode": mode,
        "status": "planning",
        "lower_bound": lower.replace(microsecond=0),
        "upper_bound": upper.replace(microsecond=0),
        "hits": hits,
        "offset_cap": offset_cap,
        "created_at": utcnow(),
    }
    with engine.begin() as connection:
        key = connection.execute(insert(schema.sync_runs).values(**values)).inserted_primary_key
    assert key is not None
    run = get_run(engine, int(key[0]))
    assert run is not None
    return run


def save_plan(engine: Engine, run: SyncRun, windows: list[Window]) -> None:
    """Store the partitions and mark the run running, in one transaction."""
    rows = [
        {
            "run_id": run.id,
            "gte_date": window.gte,
            "lte_date": window.lte,
            "total_count": window.total,
            "page_count": len(page_offsets(window.total, run.hits)),
            "status": "pending",
        }
        for window in windows
    ]
    with engine.begin() as connection:
        connection.execute(delete(schema.partitions).where(schema.partitions.c.run_id == run.id))
        if rows:
            connection.execute(insert(schema.partitions), rows)
        connection.execute(
            update(schema.sync_runs)
            .where(schema.sync_runs.c.id == run.id)
            .values(status="running", planned_total=sum(window.total for window in windows), error=None)
        )


def set_run_status(engine: Engine, run_id: int, status: str, error: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(schema.sync_runs).where(schema.sync_runs.c.id == run_id).values(status=status, error=error)
        )


def release_claims(engine: Engine, run_id: int) -> int:
    """Hand every partition a (dead) worker held back to the pool; returns how many."""
    partitions = schema.partitions
    with engine.begin() as connection:
        result = connection.execute(
            update(partitions)
            .where(partitions.c.run_id == run_id, partitions.c.status == "running")
            .values(status="pending", worker=None)
        )
    return int(result.rowcount or 0)


def claim_partition(engine: Engine, run_id: int, worker: str, lease: timedelta) -> Partition | None:
    partitions = schema.partitions
    now = utcnow()
    claimable = or_(
        partitions.c.status == "pending",
        and_(partitions.c.status == "running", partitions.c.heartbeat_at < now - lease),
    )
    query = (
        select(partitions)
        .where(partitions.c.run_id == run_id, claimable)
        .order_by(partitions.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    with engine.begin() as connection:
        row = connection.execute(query).first()
        if row is None:
            return None
        connection.execute(
            update(partitions)
            .where(partitions.c.id == row.id)
            .values(status="running", worker=worker, heartbeat_at=now)
        )
    return _partition(row)


def committed_offsets(engine: Engine, partition_id: int) -> set[int]:
    checkpoints = schema.checkpoints
    with engine.connect() as connection:
        query = select(checkpoints.c.page_offset).where(checkpoints.c.partition_id == partition_id)
        return set(connection.execute(query).scalars())


def mark_partition_done(engine: Engine, partition_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(schema.partitions)
            .where(schema.partitions.c.id == partition_id)
            .values(status="done", completed_at=utcnow())
        )


def unfinished_partitions(engine: Engine, run_id: int) -> int:
    partitions = schema.partitions
    query = select(func.count()).where(partitions.c.run_id == run_id, partitions.c.status != "done")
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def finish_run(engine: Engine, run: SyncRun) -> datetime | None:
    """Mark the run done and store its watermark: the newest release date it wrote."""
    items = schema.items
    with engine.begin() as connection:
        newest = connection.execute(
            select(func.max(items.c.release_date)).where(items.c.run_id == run.id)
        ).scalar()
        watermark = max((moment for moment in (newest, run.watermark) if moment is not None), default=None)
        connection.execute(
            update(schema.sync_runs)
            .where(schema.sync_runs.c.id == run.id)
            .values(status="done", finished_at=utcnow(), watermark=watermark, error=None)
        )
    return watermark


def _checkpoint_problems(connection: Connection, run: SyncRun) -> list[tuple[int, int | None, str]]:
    """(partition id, bad page offset or None, why) for every checkpoint that contradicts the plan."""
    partitions, checkpoints = schema.partitions, schema.checkpoints
    problems: list[tuple[int, int | None, str]] = []
    plan = {
        row.id: row for row in connection.execute(select(partitions).where(partitions.c.run_id == run.id))
    }
    committed: dict[int, set[int]] = {partition_id: set() for partition_id in plan}
    query = select(checkpoints.c.partition_id, checkpoints.c.page_offset).where(
        checkpoints.c.partition_id.in_(list(plan))
    )
    for partition_id, offset in connection.execute(query):
        committed[partition_id].add(offset)
    for partition_id, row in plan.items():
        expected = set(page_offsets(row.total_count, run.hits))
        if row.total_count < 0 or row.page_count != len(expected):
            problems.append(
                (partition_id, None, f"page_count {row.page_count} does not fit total {row.total_count}")
            )
            continue
        problems.extend(
            (partition_id, offset, f"page offset {offset} is not a page of this partition")
            for offset in sorted(committed[partition_id] - expected)
        )
        if row.status == "done" and committed[partition_id] != expected:
            missing = len(expected - committed[partition_id])
            problems.append((partition_id, None, f"marked done but {missing} pages have no checkpoint"))
    return problems


def verify_checkpoints(engine: Engine, run: SyncRun) -> None:
    with engine.connect() as connection:
        problems = _checkpoint_problems(connection, run)
    if problems:
        listed = "; ".join(f"partition {pid}: {why}" for pid, _, why in problems[:5])
        raise CorruptCheckpointError(
            f"run {run.id} has {len(problems)} corrupt checkpoint(s) ({listed}); "
            "`voxrank-sync resume --repair` refetches the affected pages (synced items are kept)"
        )


def repair_checkpoints(engine: Engine, run: SyncRun) -> int:
    """Drop checkpoints that contradict the plan and reopen their partitions; returns the problem count."""
    partitions, checkpoints = schema.partitions, schema.checkpoints
    with engine.begin() as connection:
        problems = _checkpoint_problems(connection, run)
        for partition_id, offset, _ in problems:
            if offset is not None:
                connection.execute(
                    delete(checkpoints).where(
                        checkpoints.c.partition_id == partition_id, checkpoints.c.page_offset == offset
                    )
                )
            else:
                row = connection.execute(select(partitions).where(partitions.c.id == partition_id)).one()
                connection.execute(delete(checkpoints).where(checkpoints.c.partition_id == partition_id))
                connection.execute(
                    update(partitions)
                    .where(partitions.c.id == partition_id)
                    .values(page_count=len(page_offsets(max(row.total_count, 0), run.hits)))
                )
            connection.execute(
                update(partitions)
                .where(partitions.c.id == partition_id)
                .values(status="pending", worker=None)
            )
    return len(problems)


def plan_progress(engine: Engine, run_id: int) -> tuple[int, int, int]:
    """(partitions, pages planned, pages committed) of a run."""
    partitions, checkpoints = schema.partitions, schema.checkpoints
    with engine.connect() as connection:
        count, pages = connection.execute(
            select(func.count(), func.coalesce(func.sum(partitions.c.page_count), 0)).where(
                partitions.c.run_id == run_id
            )
        ).one()
        done = connection.execute(
            select(func.count())
            .select_from(checkpoints.join(partitions, partitions.c.id == checkpoints.c.partition_id))
            .where(partitions.c.run_id == run_id)
        ).scalar_one()
    return int(count), int(pages), int(done)
